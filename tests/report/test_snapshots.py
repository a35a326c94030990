"""SnapshotSource answers as PromQL would over the same samples: increases, windows, gauges, alerts."""

from __future__ import annotations

import math

import pytest

from otel_ml import semconv as S
from otel_ml.report.snapshots import SnapshotSource, points
from otel_ml.report.source import FiredAlert


@pytest.fixture
def recorded(sinks):
    """Counters, a histogram and a gauge recorded through the SDK, snapshotted at t = 0, 10, 20, 30."""
    meter = sinks.meter_provider.get_meter("test")
    counter = meter.create_counter(S.ML_PREDICTIONS)
    histogram = meter.create_histogram(S.ML_PREDICTION_DURATION, explicit_bucket_boundaries_advisory=[0.01, 0.1, 1])
    gauge = meter.create_gauge(S.ML_DRIFT_STATISTIC)
    snapshots = []
    for t, (ok, failed, seconds, statistic) in enumerate([(0, 0, (), 0.1), (4, 1, (0.005, 0.05), 0.2),
                                                          (6, 0, (0.5,), 0.3), (0, 3, (2.0, 0.05), 0.25)]):
        if ok:
            counter.add(ok, {S.ML_MODEL_NAME: "m", S.ML_PREDICTION_STATUS: "ok"})
        if failed:
            counter.add(failed, {S.ML_MODEL_NAME: "m", S.ML_PREDICTION_STATUS: "error"})
        counter.add(100, {S.ML_MODEL_NAME: "other", S.ML_PREDICTION_STATUS: "ok"})
        for s in seconds:
            histogram.record(s, {S.ML_MODEL_NAME: "m"})
        gauge.set(statistic, {S.ML_MODEL_NAME: "m", S.ML_FEATURE_NAME: "age"})
        gauge.set(statistic / 2, {S.ML_MODEL_NAME: "m", S.ML_FEATURE_NAME: "age", "worker": "2"})
        snapshots.append((1000.0 + 10 * t, points(sinks.reader.get_metrics_data())))
    return SnapshotSource(snapshots)


def test_totals_are_increases_over_the_range_for_the_model_asked(recorded):
    where = {S.ML_MODEL_NAME: "m"}
    assert recorded.totals(S.ML_PREDICTIONS, (S.ML_PREDICTION_STATUS,), where, 1000, 1030) == {
        ("ok",): 10.0, ("error",): 4.0}
    # from t=10: the ok series grew by 6, error by 3 (its first sample at t=10 is the base)
    assert recorded.totals(S.ML_PREDICTIONS, (S.ML_PREDICTION_STATUS,), where, 1010, 1030) == {
        ("ok",): 6.0, ("error",): 3.0}
    assert recorded.totals(S.ML_PREDICTIONS, (), {S.ML_MODEL_NAME: "other"}, 1000, 1030) == {(): 300.0}


def test_totals_over_time_are_per_step(recorded):
    series = recorded.totals_over_time(S.ML_PREDICTIONS, (S.ML_PREDICTION_STATUS,), {S.ML_MODEL_NAME: "m"},
                                       1000, 1030, 10)
    assert series[("ok",)] == [(1010.0, 4.0), (1020.0, 6.0), (1030.0, 0.0)]    # no series before its first add
    assert dict(series[("error",)])[1030.0] == 3.0
    assert recorded.window_seconds(10) == 10


def test_histograms_hold_the_observations_of_their_window(recorded):
    whole = recorded.histogram(S.ML_PREDICTION_DURATION, {S.ML_MODEL_NAME: "m"}, 1000, 1030)
    assert whole is not None and whole.count == 5 and math.isclose(whole.total, 2.605)
    assert [n for _, _, n in whole.per_bucket()] == [1, 2, 1, 1]
    steps = dict(recorded.histograms_over_time(S.ML_PREDICTION_DURATION, {S.ML_MODEL_NAME: "m"}, 1000, 1030, 10))
    assert steps[1020.0].count == 1 and steps[1030.0].count == 2
    assert recorded.histogram(S.ML_PREDICTION_DURATION, {S.ML_MODEL_NAME: "nobody"}, 1000, 1030) is None


def test_gauges_take_the_largest_over_workers_at_each_step(recorded):
    series = recorded.gauges_over_time(S.ML_DRIFT_STATISTIC, (S.ML_FEATURE_NAME,), {S.ML_MODEL_NAME: "m"},
                                       1000, 1030, 10)
    assert [v for _, v in series[("age",)]] == pytest.approx([0.1, 0.2, 0.3, 0.25])


def test_a_range_outside_the_snapshots_is_empty(recorded):
    assert recorded.totals_over_time(S.ML_PREDICTIONS, (), {}, 2000, 3000, 10) == {}
    assert SnapshotSource([]).histogram(S.ML_PREDICTION_DURATION, {}, 0, 10) is None


def test_alerts_are_those_of_the_model_that_overlap_the_range():
    alerts = [FiredAlert("A", "critical", {"ml_model_name": "m"}, 10, 20),
              FiredAlert("B", "warning", {"ml_model_name": "other"}, 10, 20),
              FiredAlert("C", "warning", {}, 50, 60)]
    source = SnapshotSource([], alerts)
    assert [a.name for a in source.fired_alerts("m", 0, 30, 1)] == ["A"]
    assert [a.name for a in source.fired_alerts("m", 0, 100, 1)] == ["A", "C"]
