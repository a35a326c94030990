"""A report's :class:`~otel_ml.report.source.Source` over in-process metric snapshots.

``otel-ml demo`` has no TSDB: it reads its own metrics from an ``InMemoryMetricReader`` once a
second (:class:`otel_ml.demo.observe.MetricHistory`). :class:`SnapshotSource` answers a report's
questions from those timed snapshots the way PromQL would from scraped samples: a counter's
increase is the difference between two snapshots (a series that appears counts from zero, as the
SDK's cumulative counters start at zero), a gauge is its value in the newest snapshot at or
before the time asked.

>>> from opentelemetry.sdk.metrics import MeterProvider
>>> from opentelemetry.sdk.metrics.export import InMemoryMetricReader
>>> from otel_ml.semconv import ML_MODEL_NAME, ML_PREDICTION_LABEL, ML_PREDICTIONS
>>> reader = InMemoryMetricReader()
>>> counter = MeterProvider(metric_readers=[reader]).get_meter("doc").create_counter(ML_PREDICTIONS)
>>> snapshots = []
>>> for t, n in ((100.0, 3), (110.0, 5), (120.0, 2)):
...     counter.add(n, {ML_MODEL_NAME: "m", ML_PREDICTION_LABEL: "yes" if n > 2 else "no"})
...     snapshots.append((t, points(reader.get_metrics_data())))
>>> source = SnapshotSource(snapshots)
>>> source.totals(ML_PREDICTIONS, (ML_PREDICTION_LABEL,), {ML_MODEL_NAME: "m"}, 100.0, 120.0)
{('yes',): 5.0, ('no',): 2.0}
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from otel_ml.report.source import FiredAlert, Histogram, Labels, Series
from otel_ml.semconv import ML_MODEL_NAME, prometheus_label

Key = tuple[str, tuple[tuple[str, Any], ...]]
Snapshot = tuple[float, Mapping[Key, Any]]
"""``(unix time, {(metric name, sorted attributes): data point})``."""


def points(metrics_data: Any) -> dict[Key, Any]:
    """Every data point of an SDK ``MetricsData``, keyed by metric name and sorted attributes."""
    found: dict[Key, Any] = {}
    for resource_metrics in (metrics_data.resource_metrics if metrics_data else ()):
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    found[(metric.name, tuple(sorted((point.attributes or {}).items())))] = point
    return found


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class SnapshotSource:
    """Answer from ``snapshots`` and the ``alerts`` the caller saw fire (labelled as in Prometheus's ``ALERTS``)."""

    def __init__(self, snapshots: Iterable[Snapshot], alerts: Sequence[FiredAlert] = ()) -> None:
        self.snapshots = sorted(snapshots, key=lambda s: s[0])
        self._times = [when for when, _ in self.snapshots]
        self.alerts = list(alerts)

    def _at(self, t: float) -> Mapping[Key, Any]:
        """The newest snapshot at or before ``t`` (empty before the first)."""
        found = bisect.bisect_right(self._times, t + 1e-9)
        return self.snapshots[found - 1][1] if found else {}

    def _grid(self, start: float, end: float, step: float) -> list[float]:
        if not self.snapshots:
            return []
        first, last = max(start, self.snapshots[0][0]), min(end, self.snapshots[-1][0])
        n = int((last - first) // step) if last >= first else -1
        return [first + k * step for k in range(n + 1)]

    def _matching(self, snapshot: Mapping[Key, Any], metric: str,
                  where: Mapping[str, str]) -> Iterable[tuple[Key, dict[str, str], Any]]:
        for key, point in snapshot.items():
            if key[0] != metric:
                continue
            text = {k: _text(v) for k, v in key[1]}
            if all(text.get(k) == v for k, v in where.items()):
                yield key, text, point

    def _increase(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float,
                  end: float) -> dict[Labels, float]:
        before, after = self._at(start), self._at(end)
        grown: dict[Labels, float] = {}
        for key, attributes, point in self._matching(after, metric, where):
            old = before.get(key)
            labels = tuple(attributes.get(k, "") for k in by)
            grown[labels] = grown.get(labels, 0.0) + float(point.value) - (float(old.value) if old is not None else 0.0)
        return grown

    def _histogram(self, metric: str, where: Mapping[str, str], start: float, end: float) -> Histogram | None:
        before, after = self._at(start), self._at(end)
        counts: list[float] | None = None
        bounds: Sequence[float] = ()
        total = 0.0
        for key, _, point in self._matching(after, metric, where):
            old = before.get(key)
            base = old.bucket_counts if old is not None else [0] * len(point.bucket_counts)
            grown = [float(n) - float(o) for n, o in zip(point.bucket_counts, base)]
            bounds = tuple(point.explicit_bounds)
            counts = grown if counts is None else [a + b for a, b in zip(counts, grown)]
            total += float(point.sum) - (float(old.sum) if old is not None else 0.0)
        return Histogram.from_buckets(bounds, counts, total) if counts is not None else None

    # ------------------------------------------------------------------ Source
    def totals(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float,
               end: float) -> dict[Labels, float]:
        return self._increase(metric, by, where, start, end)

    def totals_over_time(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float, end: float,
                         step: float) -> dict[Labels, Series]:
        series: dict[Labels, Series] = {}
        for t in self._grid(start, end, step):
            for key, value in self._increase(metric, by, where, t - step, t).items():
                series.setdefault(key, []).append((t, value))
        return series

    def histogram(self, metric: str, where: Mapping[str, str], start: float, end: float) -> Histogram | None:
        return self._histogram(metric, where, start, end)

    def histograms_over_time(self, metric: str, where: Mapping[str, str], start: float, end: float,
                             step: float) -> list[tuple[float, Histogram]]:
        return [(t, h) for t in self._grid(start, end, step)
                if (h := self._histogram(metric, where, t - step, t)) is not None]

    def gauges_over_time(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float, end: float,
                         step: float) -> dict[Labels, Series]:
        series: dict[Labels, Series] = {}
        for t in self._grid(start, end, step):
            largest: dict[Labels, float] = {}
            for _, attributes, point in self._matching(self._at(t), metric, where):
                key = tuple(attributes.get(k, "") for k in by)
                largest[key] = max(largest.get(key, float("-inf")), float(point.value))
            for key, value in largest.items():
                series.setdefault(key, []).append((t, value))
        return series

    def fired_alerts(self, model: str, start: float, end: float, step: float) -> list[FiredAlert]:
        model_label = prometheus_label(ML_MODEL_NAME)
        return [a for a in self.alerts if a.last >= start and a.first <= end
                and a.labels.get(model_label, model) == model]

    def window_seconds(self, step: float) -> float:
        return step
