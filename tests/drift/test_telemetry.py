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


def test_the_scan_the_joint_check_and_the_estimate_are_exported(sinks):
    """Calibrated (the default correction, here with a given threshold): the scan's mean and
    variance tests per feature, the joint check as the feature (joint), and the accuracy
    estimated from confidences, each on its gauge."""
    rng = np.random.default_rng(12)
    x = rng.normal(size=(3000, 2))
    predicted = np.where(x[:, 0] > 0, "yes", "no")
    confidence = 0.5 + 0.5 * np.tanh(np.abs(x[:, 0]))
    truth = np.where(rng.random(3000) < confidence, predicted, np.where(predicted == "yes", "no", "yes"))
    drift = DriftProcessor.fit(x, ["a", "b"], predictions=predicted, confidences=confidence, labels=truth,
                               window_size=300, long_window_size=0, check_every=100, threshold=1e-6,
                               background=False)
    monitor = sinks.monitor("fraud", "v2", feature_names=["a", "b"], drift=drift)
    for row in rng.normal(size=(400, 2)):
        with monitor.predict(row) as p:
            p.record("yes" if row[0] > 0 else "no", confidence=float(0.5 + 0.5 * np.tanh(abs(row[0]))))
    data = sinks.reader.get_metrics_data()
    statistic = {(p.attributes["ml.feature.name"], p.attributes["ml.drift.method"]): p.value
                 for p in sinks.points(semconv.ML_DRIFT_STATISTIC, data)}
    assert statistic[("a", "mean")] == drift.report["a"].mean_shift
    assert statistic[("b", "variance")] == drift.report["b"].variance_change
    assert statistic[("(joint)", "covariance")] == drift.report["(joint)"].statistic
    p_values = {(p.attributes["ml.feature.name"], p.attributes["ml.drift.method"]): p.value
                for p in sinks.points(semconv.ML_DRIFT_P_VALUE, data)}
    assert 0 < p_values[("(joint)", "covariance")] <= 1 and 0 < p_values[("a", "mean")] <= 1
    (accuracy,) = sinks.points(semconv.ML_ESTIMATED_ACCURACY, data)
    assert accuracy.value == drift.report.estimate.accuracy and 0.6 < accuracy.value < 1
    (precision,) = sinks.points(semconv.ML_ESTIMATED_PRECISION, data)
    assert precision.attributes[semconv.ML_PREDICTION_LABEL] == "yes"
    assert precision.value == drift.report.estimate.precision
