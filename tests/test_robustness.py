"""The prediction path never raises: bad features, labels, confidences, broken providers."""

import logging
import math

import numpy as np
import pytest

from otel_ml import semconv


@pytest.mark.parametrize(("features", "expected"), [
    ([1.0, float("nan"), 3.0], {("b", "nan")}),
    ([1.0, math.inf, -math.inf], {("b", "inf"), ("c", "inf")}),
    ([None, 2.0, 3.0], {("a", "missing")}),
    ([1.0, "x", 3.0], {("b", "not_numeric")}),
    ([1.0, 2.0], {("(row)", "wrong_length")}),
    (np.array([1.0, np.nan, 3.0]), {("b", "nan")}),
    ({"a": 1.0, "c": 2.0}, {("b", "missing")}),
    (42, {("(row)", "not_a_row")}),
], ids=["nan", "inf", "none", "text", "short", "numpy-nan", "dict-missing", "scalar"])
def test_bad_features_are_counted_per_feature_and_the_prediction_returns(sinks, features, expected):
    monitor = sinks.monitor(feature_names=["a", "b", "c"])
    with monitor.predict(features) as p:
        p.record("ok", confidence=0.9)
    found = {(pt.attributes[semconv.ML_FEATURE_NAME], pt.attributes[semconv.ML_FEATURE_PROBLEM])
             for pt in sinks.points(semconv.ML_FEATURE_INVALID)}
    assert found == expected
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="ok") == 1


def test_clean_features_count_nothing(sinks):
    monitor = sinks.monitor(feature_names=["a", "b"])
    for row in ([1, 2], np.array([3.0, 4.0]), {"a": 1, "b": 2}):
        with monitor.predict(row) as p:
            p.record("ok")
    assert sinks.points(semconv.ML_FEATURE_INVALID) == []


def test_problems_are_logged_once_and_counted_every_time(sinks, caplog):
    monitor = sinks.monitor(feature_names=["a"])
    with caplog.at_level(logging.WARNING, logger="otel_ml"):
        for _ in range(50):
            with monitor.predict([float("nan")]) as p:
                p.record("x", confidence=float("nan"))
    assert sinks.value(semconv.ML_FEATURE_INVALID) == 50
    assert sinks.value(semconv.ML_MONITOR_PROBLEMS, ml__problem__type="bad_confidence") == 50
    messages = [r.getMessage() for r in caplog.records]
    assert sum("feature_nan" in m for m in messages) == 1
    assert sum("bad_confidence" in m for m in messages) == 1


def test_unbounded_labels_are_capped_on_metrics_but_kept_on_spans(sinks):
    monitor = sinks.monitor(max_labels=5)
    for i in range(200):
        with monitor.predict() as p:
            p.record(f"free text {i}", confidence=0.9)
    labels = {pt.attributes["ml.prediction.label"] for pt in sinks.points(semconv.ML_PREDICTIONS)}
    assert len(labels) == 6 and semconv.OTHER in labels
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__label="other") == 195
    assert sinks.finished_spans()[-1].attributes["ml.prediction.label"] == "free text 199"


def test_allowed_labels_map_the_rest_to_other(sinks):
    monitor = sinks.monitor(labels=["cat", "dog"])
    for label in ("cat", "emu"):
        with monitor.predict() as p:
            p.record(label)
    assert {pt.attributes["ml.prediction.label"] for pt in sinks.points(semconv.ML_PREDICTIONS)} == {"cat", "other"}


@pytest.mark.parametrize("confidence", [1.5, -0.1, float("nan"), "high", object()],
                         ids=["above-one", "negative", "nan", "text", "object"])
def test_bad_confidence_is_dropped(sinks, confidence):
    monitor = sinks.monitor()
    with monitor.predict() as p:
        p.record("x", confidence=confidence)
    assert sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC) == []
    assert "ml.prediction.confidence" not in sinks.finished_spans()[0].attributes
    assert sinks.value(semconv.ML_PREDICTIONS) == 1


def test_unhashable_label_does_not_raise(sinks):
    monitor = sinks.monitor()
    with monitor.predict() as p:
        p.record(["a", "list"], confidence=0.6)
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__label="['a', 'list']") == 1


class _Exploding:
    """A provider whose every instrument raises: a stand-in for a broken SDK or exporter bug."""

    def __getattr__(self, name):
        raise RuntimeError(f"broken provider: {name}")


def test_a_broken_meter_does_not_reach_the_prediction(sinks):
    from otel_ml import ModelMonitor

    monitor = ModelMonitor("m", tracer_provider=sinks.tracer_provider, logger_provider=sinks.logger_provider)
    monitor._recorder.duration = _Exploding()
    with monitor.predict() as p:
        p.record("x", confidence=0.9)
    assert p.id
    (span,) = sinks.finished_spans()      # the span still ended
    assert span.name == "predict m"


def test_a_broken_tracer_does_not_reach_the_prediction(sinks):
    monitor = sinks.monitor()
    monitor._recorder.tracer = _Exploding()
    with monitor.predict() as p:
        p.record("x")
    assert p.id
    assert sinks.finished_spans() == []


def test_active_predictions_come_back_down_when_recording_fails(sinks):
    monitor = sinks.monitor()
    monitor._recorder.duration = _Exploding()
    with monitor.predict() as p:
        p.record("x", confidence=0.9)
    (active,) = sinks.points(semconv.ML_PREDICTION_ACTIVE)
    assert active.value == 0
    assert sinks.value(semconv.ML_MONITOR_PROBLEMS, ml__problem__type="record_failed") == 1
