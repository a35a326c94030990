"""What a report holds, read from a :class:`~otel_ml.report.source.Source` for one model and time range.

:func:`build` asks the source a fixed list of questions and derives the rest here, once for every
source: latency percentiles from the histogram buckets (as ``histogram_quantile`` does), accuracy
from the matched outcomes, the fleet's PSI per feature from the decile counts that every worker
exports (as the recording rules in ``grafana/rules/drift.yml`` do).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from otel_ml import semconv as S
from otel_ml.report.source import FiredAlert, Histogram, Series, Source
from otel_ml.report.stats import psi, quantile

QUANTILES = (0.5, 0.95, 0.99)
TEST_METHODS = ("ks", "chi2", "covariance")
"""The drift tests a feature's row shows (each with a p-value; ``covariance`` is the joint check's),
in order of preference; the scan's ``mean`` and ``variance`` and the distances are not shown."""


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift over the range: the latest test, whether it drifted, and the fleet PSI."""

    feature: str
    method: str
    statistic: float
    p_value: float
    drifted_at_end: bool
    drifted_in_range: bool
    fleet_psi: float
    statistic_over_time: Series = field(default_factory=list)


@dataclass
class Report:
    """Everything :mod:`otel_ml.report.html` draws; ``nan`` and empty where the telemetry has nothing."""

    model: str
    start: float
    end: float
    step: float
    source: str
    generated_at: float = field(default_factory=time.time)
    predictions: float = 0.0
    errors: float = 0.0
    by_version: dict[str, float] = field(default_factory=dict)
    error_types: dict[str, float] = field(default_factory=dict)
    latency: Histogram | None = None
    latency_over_time: dict[str, Series] = field(default_factory=dict)
    throughput_over_time: Series = field(default_factory=list)
    error_rate_over_time: Series = field(default_factory=list)
    labels: dict[str, float] = field(default_factory=dict)
    confidence: Histogram | None = None
    outcomes: float = 0.0
    accuracy: float = float("nan")
    accuracy_by_version: dict[str, tuple[float, float]] = field(default_factory=dict)
    accuracy_over_time: Series = field(default_factory=list)
    estimated_accuracy_over_time: Series = field(default_factory=list)
    drift: list[FeatureDrift] = field(default_factory=list)
    alerts: list[FiredAlert] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def error_rate(self) -> float:
        return self.errors / self.predictions if self.predictions else float("nan")

    def latency_quantile(self, q: float) -> float:
        return quantile(q, self.latency) if self.latency is not None else float("nan")


def build(source: Source, model: str, start: float, end: float, *, step: float | None = None,
          description: str = "") -> Report:
    """Read the report of ``model`` over ``[start, end]`` (unix seconds) from ``source``.

    ``step``: the resolution of the plots; by default the range over 120, at least one second.
    """
    if not end > start:
        raise ValueError(f"the report's range must end after it starts: start {start}, end {end}")
    step = step if step is not None else max(1.0, (end - start) / 120)
    where = {S.ML_MODEL_NAME: model}
    report = Report(model, start, end, step, description)

    counts = source.totals(S.ML_PREDICTIONS, (S.ML_MODEL_VERSION, S.ML_PREDICTION_STATUS, S.ERROR_TYPE,
                                              S.ML_PREDICTION_LABEL), where, start, end)
    for (version, status, error_type, label), n in counts.items():
        report.predictions += n
        report.by_version[version] = report.by_version.get(version, 0.0) + n
        if status == "error":
            report.errors += n
            key = error_type or "unknown"
            report.error_types[key] = report.error_types.get(key, 0.0) + n
        elif label:
            report.labels[label] = report.labels.get(label, 0.0) + n

    over_time = source.totals_over_time(S.ML_PREDICTIONS, (S.ML_PREDICTION_STATUS,), where, start, end, step)
    ok, failed = dict(over_time.get(("ok",), [])), dict(over_time.get(("error",), []))
    times = sorted(set(ok) | set(failed))
    window = source.window_seconds(step)
    report.throughput_over_time = [(t, (ok.get(t, 0.0) + failed.get(t, 0.0)) / window) for t in times]
    report.error_rate_over_time = [(t, failed.get(t, 0.0) / total) for t in times
                                   if (total := ok.get(t, 0.0) + failed.get(t, 0.0)) > 0]

    report.latency = source.histogram(S.ML_PREDICTION_DURATION, where, start, end)
    histograms = source.histograms_over_time(S.ML_PREDICTION_DURATION, where, start, end, step)
    for q in QUANTILES:
        report.latency_over_time[f"p{q * 100:g}"] = [(t, value) for t, h in histograms
                                                     if h.count > 0 and not math.isnan(value := quantile(q, h))]
    report.confidence = source.histogram(S.ML_PREDICTION_CONFIDENCE_METRIC, where, start, end)

    _accuracy(source, report, where)
    _drift(source, report, where)
    report.alerts = source.fired_alerts(model, start, end, step)
    return report


def _accuracy(source: Source, report: Report, where: dict[str, str]) -> None:
    by = (S.ML_MODEL_VERSION, S.ML_OUTCOME_CORRECT)
    for (version, correct), n in source.totals(S.ML_OUTCOMES, by, where, report.start, report.end).items():
        right, seen = report.accuracy_by_version.get(version, (0.0, 0.0))
        report.accuracy_by_version[version] = (right + (n if correct == "true" else 0.0), seen + n)
    right = sum(r for r, _ in report.accuracy_by_version.values())
    report.outcomes = sum(s for _, s in report.accuracy_by_version.values())
    report.accuracy = right / report.outcomes if report.outcomes else float("nan")
    over_time = source.totals_over_time(S.ML_OUTCOMES, (S.ML_OUTCOME_CORRECT,), where, report.start, report.end,
                                        report.step)
    yes, no = dict(over_time.get(("true",), [])), dict(over_time.get(("false",), []))
    report.accuracy_over_time = [(t, yes.get(t, 0.0) / seen) for t in sorted(set(yes) | set(no))
                                 if (seen := yes.get(t, 0.0) + no.get(t, 0.0)) > 0]
    estimated = source.gauges_over_time(S.ML_ESTIMATED_ACCURACY, (), where, report.start, report.end, report.step)
    report.estimated_accuracy_over_time = estimated.get((), [])


def _drift(source: Source, report: Report, where: dict[str, str]) -> None:
    start, end, step = report.start, report.end, report.step
    by = (S.ML_FEATURE_NAME, S.ML_DRIFT_METHOD)
    statistics = source.gauges_over_time(S.ML_DRIFT_STATISTIC, by, where, start, end, step)
    p_values = source.gauges_over_time(S.ML_DRIFT_P_VALUE, by, where, start, end, step)
    detected = source.gauges_over_time(S.ML_DRIFT_DETECTED, (S.ML_FEATURE_NAME,), where, start, end, step)
    deciles = source.totals(S.ML_FEATURE_QUANTILE, (S.ML_FEATURE_NAME, S.ML_FEATURE_DECILE), where, start, end)
    per_feature: dict[str, dict[str, float]] = {}
    for (feature, decile), n in deciles.items():
        per_feature.setdefault(feature, {})[decile] = n
    features = sorted({f for f, m in statistics if m in TEST_METHODS} | {f for (f,) in detected} | set(per_feature))
    for feature in features:
        method = next((m for m in TEST_METHODS if (feature, m) in statistics), "")
        series = statistics.get((feature, method), [])
        p_series = p_values.get((feature, method), [])
        flags = detected.get((feature,), [])
        counts = per_feature.get(feature, {})
        report.drift.append(FeatureDrift(
            feature, method, series[-1][1] if series else float("nan"), p_series[-1][1] if p_series else float("nan"),
            bool(flags and flags[-1][1] >= 1), any(v >= 1 for _, v in flags),
            psi([counts.get(str(d), 0.0) for d in range(1, 11)]) if counts else float("nan"), series))
