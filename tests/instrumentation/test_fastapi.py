"""otel_ml/instrumentation/fastapi.py with the contrib FastAPI instrumentation, in process."""

import fastapi
import pytest
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import StatusCode

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
    assert sinks.value("ml.predictions", ml__prediction__label="fraud") == 1
    assert client.app.state.otel_ml.monitor.name == "fraud"


def test_a_handler_that_raises_records_the_error(client, sinks):
    assert client.post("/predict", json={"features": [-5.0]}).status_code == 500
    prediction = next(s for s in sinks.finished_spans() if s.name == "predict fraud")
    assert prediction.status.status_code is StatusCode.ERROR
    assert sinks.value("ml.predictions", ml__prediction__status="error", error__type="ValueError") == 1


def test_a_malformed_body_gets_the_apps_own_4xx(client, sinks):
    response = client.post("/predict", content=b"{oops", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert sinks.value("ml.predictions", ml__prediction__status="error", error__type="422") == 1
