"""Attribute dicts built once and reused on every call (the SDK hashes them; we never mutate them)."""

from __future__ import annotations

import threading

from otel_ml import semconv
from otel_ml.semconv import OTHER


class BoundedValues:
    """Maps raw values (labels, event names, exception types) to at most ``limit`` distinct strings.

    Values past the limit become ``other``, so a model that suddenly predicts free text cannot
    blow up the metric cardinality. ``allowed`` fixes the set up front instead.

    >>> labels = BoundedValues(limit=2)
    >>> [labels.bound(v) for v in ("cat", "dog", "cat", "emu")]
    ['cat', 'dog', 'cat', 'other']
    >>> labels.overflowed
    True
    """

    def __init__(self, limit: int, allowed: frozenset[str] | None = None) -> None:
        self.limit = limit
        self.allowed = allowed
        self.overflowed = False
        self._seen: dict[object, str] = {}
        self._lock = threading.Lock()

    def bound(self, value: object) -> str:
        try:
            return self._seen[value]
        except (KeyError, TypeError):
            pass
        text = str(value)
        with self._lock:
            if self.allowed is not None:
                bounded = text if text in self.allowed else OTHER
            elif len(self._seen) < self.limit:
                bounded = text
            else:
                bounded = OTHER
            if bounded == OTHER:
                self.overflowed = True
            elif len(self._seen) < 4 * self.limit:
                try:
                    self._seen[value] = bounded
                except TypeError:  # unhashable: not cached
                    pass
        return bounded


class ModelAttributes:
    """Every attribute dict one model version needs, built once."""

    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version
        self.base = {semconv.ML_MODEL_NAME: name, semconv.ML_MODEL_VERSION: version}
        self.ok = {**self.base, semconv.ML_PREDICTION_STATUS: "ok"}
        self._errors: dict[str, dict[str, str]] = {}
        self._labels: dict[str, dict[str, str]] = {}
        self._counts: dict[tuple[str, str | None, str | None], dict[str, str]] = {}

    def error(self, error_type: str) -> dict[str, str]:
        attributes = self._errors.get(error_type)
        if attributes is None:
            attributes = self._errors.setdefault(
                error_type, {**self.base, semconv.ML_PREDICTION_STATUS: "error", semconv.ERROR_TYPE: error_type}
            )
        return attributes

    def label(self, label: str) -> dict[str, str]:
        attributes = self._labels.get(label)
        if attributes is None:
            attributes = self._labels.setdefault(label, {**self.base, semconv.ML_PREDICTION_LABEL: label})
        return attributes

    def count(self, status: str, error_type: str | None, label: str | None) -> dict[str, str]:
        """Attributes of ``ml.predictions``; built at export time, so they may cost a little more."""
        key = (status, error_type, label)
        attributes = self._counts.get(key)
        if attributes is None:
            attributes = {**self.base, semconv.ML_PREDICTION_STATUS: status}
            if error_type is not None:
                attributes[semconv.ERROR_TYPE] = error_type
            if label is not None:
                attributes[semconv.ML_PREDICTION_LABEL] = label
            attributes = self._counts.setdefault(key, attributes)
        return attributes
