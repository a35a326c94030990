"""What the demo's live console reads: the service's own telemetry, in process.

- :class:`RequestWindow` is a span processor that keeps the ``/predict`` HTTP server spans of
  the last minutes (end time, duration, status code): exact latency percentiles and success
  rates over any recent window.
- :class:`MetricHistory` collects the SDK's metrics every second through an in-memory reader
  (the same measurements the OTLP exporter sends) and answers "how much did this counter or
  histogram grow over the last N seconds".

>>> window = RequestWindow()
>>> for ms, code in ((10, 200), (20, 200), (30, 503), (40, 200)):
...     window.add(time_s=100.0, seconds=ms / 1000, status=code)
>>> s = window.summary(now=101.0, seconds=10)
>>> s.total, s.ok, round(s.success_rate, 2), round(s.max_ms, 1)
(4, 3, 0.75, 40.0)
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from opentelemetry.sdk.trace import SpanProcessor

Key = tuple[str, tuple[tuple[str, Any], ...]]


@dataclass(frozen=True)
class RequestSummary:
    total: int
    ok: int
    client_errors: int
    server_errors: int
    avg_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def success_rate(self) -> float:
        return self.ok / self.total if self.total else 1.0


class RequestWindow(SpanProcessor):
    """A span processor keeping (end, duration, status) of recent ``/predict`` server spans."""

    def __init__(self, route: str = "/predict", keep_seconds: float = 600.0) -> None:
        self.route, self.keep_seconds = route, keep_seconds
        self._requests: collections.deque[tuple[float, float, int]] = collections.deque()
        self._lock = threading.Lock()

    def on_end(self, span: Any) -> None:
        attributes = span.attributes or {}
        if attributes.get("http.route") != self.route or span.end_time is None:
            return
        status = attributes.get("http.response.status_code", attributes.get("http.status_code", 0))
        self.add(span.end_time / 1e9, (span.end_time - span.start_time) / 1e9, int(status))

    def add(self, time_s: float, seconds: float, status: int) -> None:
        with self._lock:
            self._requests.append((time_s, seconds, status))
            while self._requests and self._requests[0][0] < time_s - self.keep_seconds:
                self._requests.popleft()

    def summary(self, now: float | None = None, seconds: float | None = None) -> RequestSummary:
        """Requests that ended in the last ``seconds`` (all kept ones when ``None``)."""
        now = time.time() if now is None else now
        with self._lock:
            rows = [r for r in self._requests if seconds is None or r[0] >= now - seconds]
        if not rows:
            return RequestSummary(0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0)
        durations = np.array([r[1] for r in rows]) * 1e3
        codes = np.array([r[2] for r in rows])
        return RequestSummary(len(rows), int(np.sum((codes >= 200) & (codes < 300))),
                              int(np.sum((codes >= 400) & (codes < 500))), int(np.sum(codes >= 500)),
                              float(durations.mean()), float(np.percentile(durations, 95)),
                              float(np.percentile(durations, 99)), float(durations.max()))


class MetricHistory:
    """Snapshots of every metric point, one per :meth:`collect`, for windowed differences."""

    def __init__(self, reader: Any, keep: int = 600) -> None:
        self.reader = reader
        self._snapshots: collections.deque[tuple[float, dict[Key, Any]]] = collections.deque(maxlen=keep)
        self._lock = threading.Lock()

    def collect(self, now: float | None = None) -> None:
        from otel_ml.report.snapshots import points

        found: dict[Key, Any] = points(self.reader.get_metrics_data())
        with self._lock:
            self._snapshots.append((time.time() if now is None else now, found))

    def snapshots(self) -> list[tuple[float, dict[Key, Any]]]:
        """Every snapshot kept, oldest first: ``(unix time, {(name, sorted attributes): point})``."""
        with self._lock:
            return list(self._snapshots)

    def latest(self, name: str,
               where: Callable[[dict[str, Any]], bool] = lambda a: True) -> list[tuple[dict[str, Any], Any]]:
        """``(attributes, point)`` of every point of ``name`` in the newest snapshot."""
        with self._lock:
            points = self._snapshots[-1][1] if self._snapshots else {}
        return [(dict(attrs), p) for (n, attrs), p in points.items() if n == name and where(dict(attrs))]

    def increase(self, name: str, seconds: float | None, where: Callable[[dict[str, Any]], bool] = lambda a: True,
                 value: Callable[[Any], float] = lambda p: p.value) -> float:
        """How much ``value(point)`` summed over matching points grew in the last ``seconds``
        (since the first snapshot when ``None``); like PromQL's ``increase``."""
        with self._lock:
            if not self._snapshots:
                return 0.0
            newest_time, newest = self._snapshots[-1]
            oldest: dict[Key, Any] = {}
            if seconds is not None:
                for t, snapshot in self._snapshots:
                    if t >= newest_time - seconds:
                        break
                    oldest = snapshot
        total = 0.0
        for key, point in newest.items():
            if key[0] == name and where(dict(key[1])):
                total += value(point) - (value(oldest[key]) if key in oldest else 0.0)
        return total
