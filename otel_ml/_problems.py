"""Failures inside otel_ml are counted and logged once, never raised into the prediction path."""

from __future__ import annotations

import logging
import threading

from opentelemetry.metrics import Meter

from otel_ml import semconv

_logger = logging.getLogger("otel_ml")


class Problems:
    """Counts each kind of problem on ``ml.monitor.problems`` and logs only its first occurrence.

    >>> from opentelemetry.sdk.metrics import MeterProvider
    >>> problems = Problems(MeterProvider().get_meter("doc"), {"ml.model.name": "m"})
    >>> problems.report("bad_confidence", "confidence was 'high'")
    >>> problems.report("bad_confidence", "confidence was 'low'")   # counted, not logged again
    >>> problems.seen
    frozenset({'bad_confidence'})
    """

    def __init__(self, meter: Meter, base_attributes: dict[str, str]) -> None:
        self._counter = semconv.create_ml_monitor_problems(meter)
        self._base = dict(base_attributes)
        self._attributes: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    @property
    def seen(self) -> frozenset[str]:
        return frozenset(self._attributes)

    def report(self, kind: str, detail: str = "", exc: BaseException | None = None, count: bool = True,
               counted_in: str = semconv.ML_MONITOR_PROBLEMS) -> None:
        """Log the first occurrence of ``kind`` and count it on ``ml.monitor.problems`` (unless
        ``count`` is false, because metric ``counted_in`` counts it already)."""
        try:
            attributes = self._attributes.get(kind)
            if attributes is None:
                with self._lock:
                    first = kind not in self._attributes
                    attributes = self._attributes.setdefault(kind, {**self._base, semconv.ML_PROBLEM_TYPE: kind})
                if first:
                    _logger.warning(
                        "otel_ml: %s%s. The prediction went on; this is logged once and counted in %s.",
                        kind, f" ({detail})" if detail else "",
                        semconv.prometheus_name(counted_in),
                        exc_info=exc,
                    )
            if count:
                self._counter.add(1, attributes)
        except Exception:  # noqa: BLE001 - the last line of defence must not raise either
            pass
