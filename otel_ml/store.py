"""A bounded store of recent predictions, so that ground truth and business events arriving later
can be matched to the prediction (its model version, label and span).

Limits: at most ``max_size`` entries (the oldest is evicted first) and at most ``ttl`` seconds
of age. A lookup of an id never seen, or already evicted, answers ``unknown``; of an id older
than ``ttl`` answers ``expired``. Neither raises. One entry costs about half a kilobyte (270 bytes,
plus the 250 of the span context it keeps), measured with tracemalloc.

>>> clock = iter([0.0, 1.0, 100.0]).__next__
>>> store = RecentPredictions(max_size=2, ttl=50.0, clock=clock)
>>> store.add("a", StoredPrediction("v1", "cat", None, None, 0.0))
>>> store.get("a")[0].label, store.get("zzz")[1]
('cat', 'unknown')
>>> store.get("a")[1]            # looked up at t=100, stored at t=0, ttl 50
'expired'
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from opentelemetry.trace import SpanContext

UNKNOWN = "unknown"
EXPIRED = "expired"


class StoredPrediction(NamedTuple):
    version: str
    label: str | None
    value: float | None
    span_context: SpanContext | None
    created: float


class RecentPredictions:
    """Thread-safe, size- and age-bounded map from prediction id to :class:`StoredPrediction`."""

    def __init__(self, max_size: int = 100_000, ttl: float = 86_400.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be at least 1, got {max_size}.")
        if not ttl > 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl}.")
        self.max_size = max_size
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[str, StoredPrediction] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def now(self) -> float:
        return self._clock()

    def add(self, prediction_id: str, entry: StoredPrediction) -> None:
        with self._lock:
            entries = self._entries
            entries[prediction_id] = entry
            if len(entries) > self.max_size:
                entries.popitem(last=False)

    def get(self, prediction_id: str) -> tuple[StoredPrediction | None, str | None]:
        """The entry and ``None``, or ``None`` and why not (``unknown`` or ``expired``)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(prediction_id)
            if entry is None:
                return None, UNKNOWN
            if now - entry.created > self.ttl:
                self._drop_expired(now)
                return None, EXPIRED
            return entry, None

    def _drop_expired(self, now: float) -> None:
        entries = self._entries
        while entries:
            oldest_id = next(iter(entries))
            if now - entries[oldest_id].created <= self.ttl:
                break
            del entries[oldest_id]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
