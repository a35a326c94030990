"""In-process counts behind the predictions counter and the active-predictions gauge
(``semconv.ML_PREDICTIONS``, ``semconv.ML_PREDICTION_ACTIVE``).

One synchronous SDK instrument call costs tens of microseconds here; a dict increment under a
lock costs well under one. So predictions are tallied in plain Python and the SDK reads the
totals through observable instruments at export time: the same cumulative counters in
Prometheus, at a fraction of the per-prediction cost. A forked child starts from zero (it
exports under its own ``service.instance.id``).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterable

from opentelemetry.metrics import CallbackOptions, Observation

from otel_ml._attributes import ModelAttributes

_Key = tuple[ModelAttributes, str, "str | None", "str | None"]
_ALL_TALLIES: weakref.WeakSet[PredictionTally] = weakref.WeakSet()


class PredictionTally:
    """Thread-safe counts of finished predictions and of predictions in progress."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[_Key, int] = {}
        self._active: dict[ModelAttributes, int] = {}
        _ALL_TALLIES.add(self)

    def enter(self, attributes: ModelAttributes) -> None:
        with self._lock:
            self._active[attributes] = self._active.get(attributes, 0) + 1

    def leave(self, attributes: ModelAttributes, status: str | None, error_type: str | None,
              label: str | None) -> None:
        """One prediction ends (``status`` None: ended without being counted, e.g. a batch)."""
        with self._lock:
            self._active[attributes] -= 1
            if status is not None:
                key = (attributes, status, error_type, label)
                self._counts[key] = self._counts.get(key, 0) + 1

    def count(self, attributes: ModelAttributes, status: str, error_type: str | None, label: str | None) -> None:
        key = (attributes, status, error_type, label)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1

    def observe_counts(self, _options: CallbackOptions | None = None) -> Iterable[Observation]:
        with self._lock:
            counts = list(self._counts.items())
        return [Observation(n, attrs.count(status, err, label)) for (attrs, status, err, label), n in counts]

    def observe_active(self, _options: CallbackOptions | None = None) -> Iterable[Observation]:
        with self._lock:
            active = list(self._active.items())
        return [Observation(n, attrs.base) for attrs, n in active]

    def _reset_after_fork(self) -> None:
        self._lock = threading.Lock()
        self._counts = {}
        self._active = {}


def _reset_all_after_fork() -> None:
    for tally in list(_ALL_TALLIES):
        tally._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_all_after_fork)
