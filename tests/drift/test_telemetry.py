"""otel_ml/drift/telemetry.py: per-feature gauges, fleet counters, and events when a state flips."""

import numpy as np

from otel_ml import semconv
from otel_ml.drift import Correction, DriftProcessor


def monitored(sinks):
    rng = np.random.default_rng(8)
    drift = DriftProcessor.fit(rng.normal(size=(3000, 2)), ["a", "b"], window_size=300, long_window_size=0,
                               check_every=100, correction=Correction.BONFERRONI, background=False)
    monitor = sinks.monitor("fraud", "v2", feature_names=["a", "b"], drift=drift)
    return monitor, drift, rng


def run(monitor, rows):
    for row in rows:
        with monitor.predict(row) as p:
            p.record("1", confidence=0.9)


def test_gauges_per_feature(sinks):
    monitor, drift, rng = monitored(sinks)
    run(monitor, rng.normal(size=(300, 2)))
    data = sinks.reader.get_metrics_data()
    statistic = {(p.attributes["ml.feature.name"], p.attributes["ml.drift.method"]): p.value
                 for p in sinks.points(semconv.ML_DRIFT_STATISTIC, data)}
    assert set(statistic) == {(f, m) for f in "ab" for m in ("ks", "psi", "wasserstein", "jensen_shannon")}
    assert statistic[("a", "ks")] == drift.report["a"].statistic
    p_values = {p.attributes["ml.feature.name"]: p.value for p in sinks.points(semconv.ML_DRIFT_P_VALUE, data)}
    assert p_values["a"] == drift.report["a"].p_value and 0 < p_values["a"] <= 1
    assert {p.attributes["ml.feature.name"]: p.value for p in sinks.points(semconv.ML_DRIFT_DETECTED, data)} == \
        {"a": 0, "b": 0}
    assert {p.value for p in sinks.points(semconv.ML_DRIFT_WINDOW_SIZE, data)} == {300}
    (duration,) = sinks.points(semconv.ML_DRIFT_CHECK_DURATION, data)
    assert duration.count == 1 and duration.sum == drift.last_check_seconds > 0
    (threshold,) = sinks.points(semconv.ML_DRIFT_THRESHOLD, data)
    assert threshold.value == 0.05 / 2
    quantiles = sinks.points(semconv.ML_FEATURE_QUANTILE, data)
    assert len(quantiles) == 20 and sum(p.value for p in quantiles) == 600


def test_a_flip_emits_one_span_event_and_one_log_record_per_feature(sinks):
    monitor, drift, rng = monitored(sinks)
    run(monitor, rng.normal(size=(300, 2)))
    run(monitor, rng.normal(size=(300, 2)) + [0, 1.5])       # b drifts
    run(monitor, rng.normal(size=(300, 2)) + [0, 1.5])       # still drifted: no new event
    run(monitor, rng.normal(size=(300, 2)))                  # b back to normal
    spans = [s for s in sinks.finished_spans() if s.name == "drift fraud"]
    events = [(e.name, e.attributes["ml.feature.name"]) for s in spans for e in s.events]
    assert events == [(semconv.ML_DRIFT_DETECTED, "b"), ("ml.drift.resolved", "b")]
    records = [r for r in sinks.logs() if r.event_name == "ml.drift"]
    assert [(r.attributes["ml.drift.state"], r.severity_text) for r in records] == [("detected", "WARN"),
                                                                                    ("resolved", "INFO")]
    assert records[0].trace_id == spans[0].context.trace_id
