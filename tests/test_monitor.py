"""Per-prediction span, metrics and log record (otel_ml/monitor.py, otel_ml/_recorder.py)."""

import pytest
from opentelemetry.trace import SpanKind, StatusCode

from otel_ml import semconv


def test_span_is_a_child_of_the_current_span_and_carries_the_prediction(sinks):
    monitor = sinks.monitor(feature_names=["amount", "age"])
    tracer = sinks.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("POST /predict") as parent:
        with monitor.predict([120.0, 31]) as p:
            p.record(1, confidence=0.93)
    span = next(s for s in sinks.finished_spans() if s.name == "predict fraud")
    assert span.parent.span_id == parent.get_span_context().span_id
    assert span.kind is SpanKind.INTERNAL
    assert dict(span.attributes) == {
        "ml.model.name": "fraud", "ml.model.version": "v3", "ml.prediction.id": p.id,
        "ml.prediction.status": "ok", "ml.prediction.label": "1", "ml.prediction.confidence": 0.93,
    }


def test_model_spans_inside_the_block_are_children_of_the_prediction(sinks):
    monitor = sinks.monitor()
    tracer = sinks.tracer_provider.get_tracer("model")
    with monitor.predict() as p:
        with tracer.start_as_current_span("feature lookup"):
            pass
        p.record("a", confidence=0.5)
    spans = {s.name: s for s in sinks.finished_spans()}
    assert spans["feature lookup"].parent.span_id == spans["predict fraud"].context.span_id


def test_metrics_per_prediction(sinks):
    monitor = sinks.monitor()
    for label, confidence in [("fraud", 0.97), ("ok", 0.62), ("ok", 0.88)]:
        with monitor.predict() as p:
            p.record(label, confidence=confidence)
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__label="ok", ml__prediction__status="ok") == 2
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__label="fraud") == 1
    (duration,) = sinks.points(semconv.ML_PREDICTION_DURATION)
    assert duration.count == 3
    assert dict(duration.attributes) == {"ml.model.name": "fraud", "ml.model.version": "v3",
                                         "ml.prediction.status": "ok"}
    assert list(duration.explicit_bounds) == list(semconv.DURATION_BUCKETS)
    assert 0 < duration.sum < 1.0
    confidence = {p.attributes["ml.prediction.label"]: p for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)}
    assert list(confidence["ok"].explicit_bounds) == [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0]
    assert confidence["ok"].count == 2 and confidence["ok"].sum == pytest.approx(1.5)
    (active,) = sinks.points(semconv.ML_PREDICTION_ACTIVE)
    assert active.value == 0


def test_active_predictions_counts_those_in_progress(sinks):
    monitor = sinks.monitor()
    with monitor.predict() as outer:
        with monitor.predict():
            (active,) = sinks.points(semconv.ML_PREDICTION_ACTIVE)
            assert active.value == 2
        outer.record("x")


def test_exemplars_link_histograms_to_the_sampled_span(sinks):
    monitor = sinks.monitor()
    with monitor.predict() as p:
        p.record("fraud", confidence=0.9)
    span = sinks.finished_spans()[0]
    data = sinks.reader.get_metrics_data()
    for name in ("ml.prediction.duration", "ml.prediction.confidence"):
        (point,) = sinks.points(name, data)
        assert [e.trace_id for e in point.exemplars] == [span.context.trace_id]
        assert [e.span_id for e in point.exemplars] == [span.context.span_id]


def test_no_exemplar_without_a_sampled_span(sinks):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    from otel_ml import ModelMonitor

    monitor = ModelMonitor("m", tracer_provider=TracerProvider(sampler=ALWAYS_OFF),
                           meter_provider=sinks.meter_provider, logger_provider=sinks.logger_provider)
    with monitor.predict() as p:
        p.record("x", confidence=0.9)
    (point,) = sinks.points(semconv.ML_PREDICTION_DURATION)
    assert point.count == 1 and list(point.exemplars) == []


def test_one_log_record_correlated_with_the_span_and_without_raw_features(sinks):
    monitor = sinks.monitor(feature_names=["amount", "age"])
    with monitor.predict([120.0, 31]) as p:
        p.record(1, confidence=0.93)
    (record,) = sinks.logs()
    span = sinks.finished_spans()[0]
    assert record.trace_id == span.context.trace_id and record.span_id == span.context.span_id
    assert record.event_name == "ml.prediction"
    assert record.severity_text == "INFO"
    attributes = dict(record.attributes)
    assert attributes["ml.prediction.id"] == p.id
    assert attributes["ml.prediction.label"] == "1"
    assert attributes["ml.model.version"] == "v3"
    assert attributes["ml.prediction.duration"] > 0
    assert "ml.prediction.features" not in attributes
    assert "120.0" not in str(record.attributes) and "120.0" not in str(record.body)


def test_raw_features_only_when_opted_in_and_redacted(sinks):
    def redact(values):
        return {k: ("***" if k == "ssn" else v) for k, v in values.items()}

    monitor = sinks.monitor(feature_names=["amount", "ssn", "age"], capture_features=["amount", "ssn"],
                            redact=redact)
    with monitor.predict([120.0, "078-05-1120", 31]) as p:
        p.record(0, confidence=0.8)
    (record,) = sinks.logs()
    assert dict(record.attributes["ml.prediction.features"]) == {"amount": 120.0, "ssn": "***"}
    assert "078-05-1120" not in str(sinks.finished_spans()[0].attributes)


def test_regression_gets_a_value_histogram_and_no_confidence(sinks):
    monitor = sinks.monitor("price", value_unit="EUR", value_buckets=[10, 100, 1000])
    with monitor.predict() as p:
        p.record(value=250.0)
    (value,) = sinks.points(semconv.ML_PREDICTION_VALUE_METRIC)
    assert (value.count, value.sum, list(value.explicit_bounds)) == (1, 250.0, [10, 100, 1000])
    assert sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC) == []
    span = sinks.finished_spans()[0]
    assert span.attributes["ml.prediction.value"] == 250.0
    assert "ml.prediction.label" not in span.attributes
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__name="price") == 1
    assert all("ml.prediction.label" not in p.attributes for p in sinks.points(semconv.ML_PREDICTIONS))


def test_an_exception_is_recorded_and_re_raised_unchanged(sinks):
    monitor = sinks.monitor()

    class ModelTimeout(RuntimeError):
        pass

    with pytest.raises(ModelTimeout, match="backend slow"):
        with monitor.predict():
            raise ModelTimeout("backend slow")
    span = sinks.finished_spans()[0]
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes["error.type"] == "ModelTimeout"
    assert [e.name for e in span.events] == ["exception"]
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error") == 1
    (duration,) = sinks.points(semconv.ML_PREDICTION_DURATION)
    assert duration.attributes["ml.prediction.status"] == "error"
    (record,) = sinks.logs()
    assert record.severity_text == "ERROR" and record.attributes["error.type"] == "ModelTimeout"


def test_decorator_reads_label_and_confidence(sinks):
    monitor = sinks.monitor()

    @monitor.track
    def classify(features):
        return ("spam", 0.75)

    assert classify([1, 2]) == ("spam", 0.75)
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__label="spam") == 1
    (point,) = sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)
    assert point.sum == 0.75


def test_set_version_moves_new_predictions_to_the_new_version(sinks):
    monitor = sinks.monitor(version="v1")
    with monitor.predict() as p:
        p.record("a")
    monitor.set_version("v2")
    with monitor.predict() as p:
        p.record("a")
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__version="v1") == 1
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__version="v2") == 1


def test_two_models_in_one_process_both_report(sinks):
    """The SDK keeps only the first observable instrument of a name per meter; both monitors'
    counts must still come through."""
    fraud, churn = sinks.monitor("fraud"), sinks.monitor("churn")
    for monitor, n in ((fraud, 2), (churn, 3)):
        for _ in range(n):
            with monitor.predict() as p:
                p.record("x")
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__name="fraud") == 2
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__name="churn") == 3
    assert {p.attributes["ml.model.name"] for p in sinks.points(semconv.ML_PREDICTION_ACTIVE)} == {"fraud", "churn"}


def test_prediction_span_current_annotates_the_enclosing_span(sinks):
    monitor = sinks.monitor(prediction_span="current")
    tracer = sinks.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("POST /predict") as server:
        with monitor.predict([1.0, 2.0]) as p:
            p.record("fraud", confidence=0.8)
    spans = sinks.finished_spans()
    assert [s.name for s in spans] == ["POST /predict"]
    assert spans[0].attributes["ml.prediction.id"] == p.id and spans[0].attributes["ml.model.name"] == "fraud"
    assert spans[0].attributes["ml.prediction.label"] == "fraud"
    assert monitor._store.get(p.id)[0].span_context.span_id == server.get_span_context().span_id
    records = sinks.logs()
    assert records[0].span_id == server.get_span_context().span_id


def test_prediction_span_current_leaves_the_http_status_alone_but_records_exceptions(sinks):
    monitor = sinks.monitor(prediction_span="current")
    tracer = sinks.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("POST /predict"):
        with monitor.predict([1.0]) as p:
            p.fail("422")
    with pytest.raises(TimeoutError):
        with tracer.start_as_current_span("POST /predict"):
            with monitor.predict([1.0]):
                raise TimeoutError("slow")
    first, second = sinks.finished_spans()
    assert first.status.status_code.name == "UNSET" and first.attributes["ml.prediction.status"] == "error"
    assert "error.type" not in first.attributes and second.attributes["error.type"] == "TimeoutError"
    assert second.status.status_code.name == "ERROR" and second.events[0].name == "exception"
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error") == 2


def test_prediction_span_current_without_a_recording_span_makes_a_child(sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_PREDICTION_SPAN", "current")
    monitor = sinks.monitor()
    with monitor.predict([1.0]) as p:
        p.record("ok", confidence=0.9)
    assert [s.name for s in sinks.finished_spans()] == ["predict fraud"]
    with pytest.raises(ValueError, match="prediction_span must be 'child' or 'current'"):
        sinks.monitor(prediction_span="server")
