"""Attribute dicts built once and reused on every call (the SDK hashes them; we never mutate them)."""

from __future__ import annotations

import threading

from otel_ml import semconv
from otel_ml.semconv import OTHER


class BoundedValues:
    """Maps raw values (labels, event names, exception types) to at most ``limit`` distinct strings.

    Values past the limit become ``other``, so a model that suddenly predicts free text cannot
    blow up the metric cardinality. ``allowed`` fixes the set up front instead. The limit counts
    distinct texts, whatever the values' types: unhashable values (lists, dicts, arrays) are
    bounded like any other, and ``1`` and ``"1"`` are one value.

    >>> labels = BoundedValues(limit=2)
    >>> [labels.bound(v) for v in ("cat", "dog", "cat", "emu")]
    ['cat', 'dog', 'cat', 'other']
    >>> labels.overflowed
    True
    >>> lists = BoundedValues(limit=1)
    >>> [lists.bound(v) for v in ([0, 1], [0, 1], [2, 2])]
    ['[0, 1]', '[0, 1]', 'other']
    """

    def __init__(self, limit: int, allowed: frozenset[str] | None = None) -> None:
        self.limit = limit
        self.allowed = allowed
        self.overflowed = False
        self._seen: dict[object, str] = {}        # hashable raw value -> bounded text (a cache)
        self._texts: set[str] = set()             # the texts admitted so far (at most ``limit``)
        self._lock = threading.Lock()

    def bound(self, value: object) -> str:
        try:
            return self._seen[value]
        except (KeyError, TypeError):
            pass
        except Exception:  # noqa: BLE001 - a hostile __hash__ or __eq__
            return self._admit(_text(value), None)
        return self._admit(_text(value), value)

    def _admit(self, text: str, value: object) -> str:
        with self._lock:
            if self.allowed is not None:
                bounded = text if text in self.allowed else OTHER
            elif text in self._texts:
                bounded = text
            elif len(self._texts) < self.limit:
                self._texts.add(text)
                bounded = text
            else:
                bounded = OTHER
            if bounded == OTHER:
                self.overflowed = True
            if value is not None and len(self._seen) < 4 * self.limit:
                try:
                    self._seen[value] = bounded
                except Exception:  # noqa: BLE001 - unhashable: bounded by its text, not cached
                    pass
        return bounded


def _text(value: object) -> str:
    try:
        return value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - a hostile __str__
        return f"<{type(value).__name__}>"


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
        """Attributes of the predictions counter (``semconv.ML_PREDICTIONS``); built at export
        time, so they may cost a little more."""
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
