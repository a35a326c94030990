"""What monitoring costs, measured by otel_ml itself and exported as ``ml.monitor.time``.

Three parts, each a running total in seconds:

* ``request``: wall time spent in otel_ml on the threads that serve predictions (reading the
  request and response, recording, the span and metric calls it makes into the SDK), measured
  around its hooks with ``perf_counter``: two clock reads a request;
* ``drift``: CPU time of the drift processor's background thread (its checks and calibration);
* ``logs``: CPU time of the thread that hands prediction log records to the SDK.

``rate(ml_monitor_time_seconds_total[5m])`` is then the share of a core each part takes, and
divided by the prediction rate, its cost per prediction. The SDK's own export threads are not in
it (they serve every instrumentation): the served benchmark measures them.

>>> cost = SelfCost({"ml.model.name": "iris"})
>>> cost.add_request(0.002)
>>> cost.add_request(0.001)
>>> round(cost.request_seconds(), 6)
0.003
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Observation

from otel_ml import semconv

_get_ident = threading.get_ident


class SelfCost:
    """Running totals of otel_ml's own time: per serving thread (no lock, no lost update: each
    thread writes its own entry), and the background threads' CPU read from their owners."""

    def __init__(self, base: dict[str, Any]) -> None:
        self._base = base
        self._request: dict[int, float] = {}
        self._background: list[tuple[str, Callable[[], float]]] = []

    def add_request(self, seconds: float) -> None:
        ident = _get_ident()
        self._request[ident] = self._request.get(ident, 0.0) + seconds

    def this_thread(self) -> float:
        """The calling thread's total so far: to take the nested part out of an outer measurement."""
        return self._request.get(_get_ident(), 0.0)

    def request_seconds(self) -> float:
        return sum(list(self._request.values()))

    def watch(self, part: str, cpu_seconds: Callable[[], float]) -> None:
        """Report ``cpu_seconds()`` (a background thread's CPU total) as ``part``."""
        self._background.append((part, cpu_seconds))

    def observe(self, _options: CallbackOptions | None = None) -> Iterable[Observation]:
        """The ``ml.monitor.time`` callback: one point per part."""
        points = [Observation(self.request_seconds(), {**self._base, semconv.ML_MONITOR_PART: "request"})]
        for part, seconds in self._background:
            points.append(Observation(seconds(), {**self._base, semconv.ML_MONITOR_PART: part}))
        return points
