"""otel_ml/instrumentation/flask.py with the contrib Flask instrumentation, in process."""

import logging

import flask
import pytest
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.trace import StatusCode

from otel_ml import semconv
from otel_ml.instrumentation.flask import FlaskModelInstrumentor
from tests.feeds import FeedInto


@pytest.fixture
def app(sinks):
    app = flask.Flask("model-service")

    @app.post("/predict")
    def predict():
        body = flask.request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("features"), list):
            return {"error": "features must be a list"}, 400
        if body["features"][0] < 0:
            raise ValueError("negative amount")
        return {"label": "fraud" if body["features"][0] > 100 else "ok", "confidence": 0.8}

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    FlaskInstrumentor().instrument_app(app, tracer_provider=sinks.tracer_provider,
                                       meter_provider=sinks.meter_provider)
    monitor = sinks.monitor("fraud", feature_names=["amount", "age"])
    FlaskModelInstrumentor.instrument_app(app, monitor)
    yield app
    FlaskInstrumentor().uninstrument_app(app)


def test_prediction_span_is_a_child_of_the_http_span(app, sinks):
    response = app.test_client().post("/predict", json={"features": [150.0, 40]})
    assert response.status_code == 200
    spans = {s.name: s for s in sinks.finished_spans()}
    http, prediction = spans["POST /predict"], spans["predict fraud"]
    assert prediction.parent.span_id == http.context.span_id
    assert prediction.attributes["ml.prediction.label"] == "fraud"
    assert prediction.attributes["ml.prediction.confidence"] == 0.8
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__label="fraud") == 1
    assert app.extensions["otel_ml"].monitor.name == "fraud"


def test_other_routes_are_not_predictions(app, sinks):
    assert app.test_client().get("/healthz").status_code == 200
    assert [s.name for s in sinks.finished_spans()] == ["GET /healthz"]


def test_a_view_that_raises_records_the_error(app, sinks):
    response = app.test_client().post("/predict", json={"features": [-1.0, 40]})
    assert response.status_code == 500
    prediction = next(s for s in sinks.finished_spans() if s.name == "predict fraud")
    assert prediction.status.status_code is StatusCode.ERROR
    assert prediction.attributes["error.type"] == "ValueError"
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error", error__type="ValueError") == 1
    assert any(r.attributes.get("error.type") == "ValueError" for r in sinks.logs())


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2", b"\xff\xfe"], ids=["broken", "truncated", "binary"])
def test_a_malformed_body_gets_the_apps_own_400(app, sinks, body):
    response = app.test_client().post("/predict", data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json() == {"error": "features must be a list"}
    assert sinks.value(semconv.ML_PREDICTIONS) == 0              # the client's error: no prediction
    assert sinks.value(semconv.ML_REQUESTS_REJECTED, http__response__status_code=400) == 1


def test_twice_only_warns_and_uninstrument_removes_the_hooks(app, sinks, caplog):
    with caplog.at_level(logging.WARNING):
        FlaskModelInstrumentor.instrument_app(app, sinks.monitor("other"))
    assert "already instrumented" in caplog.text
    FlaskModelInstrumentor.uninstrument_app(app)
    app.test_client().post("/predict", json={"features": [1.0, 2]})
    assert "predict fraud" not in [s.name for s in sinks.finished_spans()]


def test_features_from_a_dotted_path_and_a_custom_output(sinks):
    app = flask.Flask("custom")

    @app.post("/v1/score")
    def score():
        return {"result": {"class": 1, "p": 0.66}}

    drift_rows = []
    monitor = sinks.monitor("m")
    monitor._recorder.drift_feed = FeedInto(lambda features, label, confidence: drift_rows.append(features))
    FlaskModelInstrumentor.instrument_app(app, monitor, routes=["/v1/score"], features="inputs.row",
                                          output=lambda doc: (doc["result"]["class"], doc["result"]["p"], None))
    app.test_client().post("/v1/score", json={"inputs": {"row": [1, 2, 3]}})
    assert drift_rows == [[1, 2, 3]]
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__label="1") == 1


def test_prediction_on_the_http_span_with_prediction_span_current(app, sinks):
    app.extensions["otel_ml"].monitor._recorder.annotate_current = True      # as prediction_span="current"
    client = app.test_client()
    assert client.post("/predict", json={"features": [150.0, 40]}).status_code == 200
    assert client.post("/predict", json={"rows": []}).status_code == 400
    ok, bad = sinks.finished_spans()
    assert ok.name == bad.name == "POST /predict"
    assert ok.attributes["ml.prediction.label"] == "fraud" and ok.attributes["ml.model.name"] == "fraud"
    assert ok.attributes["http.route"] == "/predict"
    assert "ml.prediction.status" not in bad.attributes and bad.status.status_code is StatusCode.UNSET
    assert "error.type" not in bad.attributes                   # a 4xx is no server error in HTTP semconv
    assert sinks.value(semconv.ML_REQUESTS_REJECTED, http__response__status_code=400) == 1


def test_the_production_profile_starts_no_span_of_its_own_under_an_unsampled_http_span(sinks, monkeypatch):
    """Sampled out, the HTTP span is not recording but is there: the prediction needs no span
    of its own (starting one costs as much as the rest of the prediction's recording)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

    app = flask.Flask("unsampled")

    @app.post("/predict")
    def predict():
        return {"label": "ok", "confidence": 0.5}          # low: its log record is kept

    monkeypatch.setenv("OTEL_ML_LOG_CONFIDENCE_BELOW", "0.6")
    unsampled = TracerProvider(sampler=ALWAYS_OFF)
    FlaskInstrumentor().instrument_app(app, tracer_provider=unsampled, meter_provider=sinks.meter_provider)
    monitor = sinks.monitor("fraud", profile="production")
    started = []
    real = monitor._recorder.tracer.start_span
    monitor._recorder.tracer.start_span = lambda *a, **k: started.append(a) or real(*a, **k)
    FlaskModelInstrumentor.instrument_app(app, monitor)
    try:
        for _ in range(5):
            assert app.test_client().post("/predict", json={"features": [1, 2]}).status_code == 200
    finally:
        FlaskInstrumentor().uninstrument_app(app)
    assert started == [] and sinks.value(semconv.ML_PREDICTIONS) == 5
    records = sinks.logs()
    assert records and all(r.trace_id != 0 for r in records)      # the HTTP span's trace, sampled out


def test_the_answer_is_read_from_what_the_view_returned_not_parsed_again(sinks, monkeypatch):
    app = flask.Flask("no-reparse")

    @app.post("/predict")
    def predict():
        return {"label": "ok", "confidence": 0.75}

    @app.post("/jsonify")
    def with_jsonify():
        import numpy as np

        return flask.jsonify(label="fine", confidence=np.float64(0.7))     # numpy's, as models answer

    @app.post("/rewritten")
    def rewritten():
        response = flask.jsonify(label="before", confidence=0.1)
        response.set_data(b'{"label": "after", "confidence": 0.9}')
        return response

    FlaskModelInstrumentor.instrument_app(app, sinks.monitor("fraud"), routes=["/predict", "/jsonify", "/rewritten"])
    parsed = []
    real = flask.Response.get_json
    monkeypatch.setattr(flask.Response, "get_json", lambda self, *a, **k: parsed.append(1) or real(self, *a, **k))
    client = app.test_client()
    for path in ("/predict", "/jsonify"):
        assert client.post(path, json={"features": [1, 2]}).status_code == 200
    assert parsed == []
    assert client.post("/rewritten", json={"features": [1, 2]}).status_code == 200
    assert parsed == [1]                             # the body changed after the view: parsed
    labels = sorted(r.attributes[semconv.ML_PREDICTION_LABEL] for r in sinks.logs())
    assert labels == ["after", "fine", "ok"]
