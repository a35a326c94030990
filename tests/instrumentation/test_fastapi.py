"""otel_ml/instrumentation/fastapi.py with the contrib FastAPI instrumentation, in process."""

import fastapi
import pytest
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import StatusCode

from otel_ml import semconv
from otel_ml.instrumentation.fastapi import FastAPIModelInstrumentor


@pytest.fixture
def client(sinks):
    app = fastapi.FastAPI()

    @app.post("/predict")
    def predict(body: dict):
        features = body.get("features")
        if not isinstance(features, list):
            raise fastapi.HTTPException(422, "features must be a list")
        if features[0] < 0:
            raise ValueError("negative amount")
        return {"prediction": {"label": "fraud" if features[0] > 100 else "ok", "confidence": 0.9}}

    FastAPIInstrumentor.instrument_app(app, tracer_provider=sinks.tracer_provider,
                                       meter_provider=sinks.meter_provider, exclude_spans=["receive", "send"])
    FastAPIModelInstrumentor.instrument_app(app, sinks.monitor("fraud"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    FastAPIInstrumentor.uninstrument_app(app)


def test_prediction_span_is_a_child_of_the_http_span(client, sinks):
    assert client.post("/predict", json={"features": [150.0, 3]}).json()["prediction"]["label"] == "fraud"
    spans = {s.name: s for s in sinks.finished_spans()}
    assert spans["predict fraud"].parent.span_id == spans["POST /predict"].context.span_id
    assert spans["predict fraud"].attributes["ml.prediction.label"] == "fraud"
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__label="fraud") == 1
    assert client.app.state.otel_ml.monitor.name == "fraud"


def test_a_handler_that_raises_records_the_error(client, sinks):
    assert client.post("/predict", json={"features": [-5.0]}).status_code == 500
    prediction = next(s for s in sinks.finished_spans() if s.name == "predict fraud")
    assert prediction.status.status_code is StatusCode.ERROR
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error", error__type="ValueError") == 1


def test_a_malformed_body_gets_the_apps_own_4xx(client, sinks):
    response = client.post("/predict", content=b"{oops", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert sinks.value(semconv.ML_PREDICTIONS) == 0              # the client's error: no prediction
    assert sinks.value(semconv.ML_REQUESTS_REJECTED, http__response__status_code=422) == 1


def test_other_routes_are_not_predictions(sinks):
    app = fastapi.FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.post("/admin/reload")
    def reload() -> dict:
        return {"reloaded": True}

    FastAPIModelInstrumentor.instrument_app(app, sinks.monitor("fraud"))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/admin/reload").status_code == 200
    assert sinks.value(semconv.ML_PREDICTIONS) == 0 and sinks.finished_spans() == []


def test_twice_only_warns(client, sinks, caplog):
    import logging

    with caplog.at_level(logging.WARNING):
        monitor = FastAPIModelInstrumentor.instrument_app(client.app, sinks.monitor("other"))
    assert "already instrumented" in caplog.text and monitor.name == "fraud"


def test_prediction_on_the_http_span_with_prediction_span_current(sinks):
    app = fastapi.FastAPI()

    @app.post("/predict")
    def predict(body: dict) -> dict:
        if "features" not in body:
            raise fastapi.HTTPException(422, "features missing")
        return {"label": "fraud", "confidence": 0.7}

    FastAPIInstrumentor.instrument_app(app, tracer_provider=sinks.tracer_provider,
                                       meter_provider=sinks.meter_provider, exclude_spans=["receive", "send"])
    FastAPIModelInstrumentor.instrument_app(app, sinks.monitor("fraud", prediction_span="current"))
    with TestClient(app) as client:
        assert client.post("/predict", json={"features": [1.0]}).status_code == 200
        assert client.post("/predict", json={"rows": []}).status_code == 422
    FastAPIInstrumentor.uninstrument_app(app)
    ok, bad = sinks.finished_spans()
    assert ok.name == bad.name == "POST /predict"
    assert ok.attributes["ml.prediction.label"] == "fraud" and ok.attributes["ml.model.name"] == "fraud"
    assert "ml.prediction.status" not in bad.attributes and bad.status.status_code is StatusCode.UNSET
    assert "error.type" not in bad.attributes
    assert sinks.value(semconv.ML_REQUESTS_REJECTED, http__response__status_code=422) == 1


def test_a_streamed_or_large_answer_passes_through_unread(sinks):
    app = fastapi.FastAPI()

    @app.post("/predict")
    def predict(body: dict) -> fastapi.Response:
        return fastapi.Response(b'{"label": "x", "pad": "' + b"y" * (2 << 20) + b'"}', media_type="application/json")

    FastAPIModelInstrumentor.instrument_app(app, sinks.monitor("fraud"))
    with TestClient(app) as client:
        response = client.post("/predict", json={"features": [1.0]})
    assert response.status_code == 200 and len(response.content) > 2 << 20
    assert sinks.value(semconv.ML_PREDICTIONS) == 1                      # counted, its label unread
    assert [p.attributes.get("ml.prediction.label") for p in sinks.points(semconv.ML_PREDICTIONS)] == [None]
