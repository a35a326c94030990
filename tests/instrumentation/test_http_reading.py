"""The HTTP layer's own reading of predictions (otel_ml/instrumentation/_common.py, _reading.py),
the same cases on Flask and on FastAPI, in process with the contrib instrumentation.

Each app answers like a real model service of its shape would; otel_ml is configured the way a
user would configure it (arguments, or OTEL_ML_* variables), never only with the defaults."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fastapi
import flask
import pytest
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.flask import FlaskInstrumentor

from otel_ml import semconv
from otel_ml.instrumentation.fastapi import FastAPIModelInstrumentor
from otel_ml.instrumentation.flask import FlaskModelInstrumentor
from tests.feeds import FeedInto

Handler = Callable[[Any], "tuple[int, Any]"]
FRAMEWORKS = ["flask", "fastapi"]


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    def __init__(self, framework: str, client: Any) -> None:
        self.framework = framework
        self._client = client

    def post(self, path: str, body: Any = None, form: dict[str, str] | None = None) -> Answer:
        if form is not None:
            response = self._client.post(path, data=form)
        else:
            response = self._client.post(path, json=body)
        data = response.data if self.framework == "flask" else response.content
        return Answer(response.status_code, data, {k.lower(): v for k, v in response.headers.items()})


def flask_path(path: str) -> str:
    return path.replace("{", "<").replace("}", ">")


def build(framework: str, sinks: Any, handler: Handler, route: str = "/predict", *, monitor: Any = None,
          instrument: bool = True, extra_routes: dict[str, Handler] | None = None, **settings: Any) -> Client:
    """An app serving ``handler`` on ``route`` (a FastAPI-style template), with the contrib
    instrumentation and, unless ``instrument`` is false, otel_ml's."""
    routes = {route: handler, **(extra_routes or {})}
    if framework == "flask":
        app = flask.Flask("svc")
        for path, fn in routes.items():
            def view(fn: Handler = fn, **_params: Any) -> Any:
                try:
                    request = flask.request
                    body = request.get_json(silent=True) if request.is_json else request.form.to_dict()
                except RecursionError:                   # an app that shrugs off a hostile body
                    body = None
                status, answer = fn(body)
                return flask.Response(json.dumps(answer), status=status, mimetype="application/json")
            app.add_url_rule(flask_path(path), endpoint=path, view_func=view, methods=["POST"])
        FlaskInstrumentor().instrument_app(app, tracer_provider=sinks.tracer_provider,
                                           meter_provider=sinks.meter_provider)
        if instrument:
            FlaskModelInstrumentor.instrument_app(app, monitor, **settings)
        return Client(framework, app.test_client())
    app = fastapi.FastAPI()
    for path, fn in routes.items():
        async def endpoint(request: fastapi.Request, fn: Handler = fn) -> fastapi.Response:
            raw = await request.body()
            if request.headers.get("content-type", "").startswith("application/json"):
                try:
                    body = json.loads(raw) if raw else None
                except RecursionError:
                    body = None
            else:
                body = dict((await request.form()).items())
            status, answer = fn(body)
            return fastapi.Response(json.dumps(answer), status_code=status, media_type="application/json")
        app.add_api_route(path, endpoint, methods=["POST"])
    FastAPIInstrumentor.instrument_app(app, tracer_provider=sinks.tracer_provider,
                                       meter_provider=sinks.meter_provider, exclude_spans=["receive", "send"])
    if instrument:
        FastAPIModelInstrumentor.instrument_app(app, monitor, **settings)
    return Client(framework, TestClient(app, raise_server_exceptions=False))


def labels(sinks: Any) -> dict[str, float]:
    return {p.attributes.get("ml.prediction.label"): p.value for p in sinks.points(semconv.ML_PREDICTIONS)}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_environment_settings_apply_when_a_monitor_is_given(framework, sinks, monkeypatch):
    # before: with a monitor given (as the zero-code entry point always gives one), OTEL_ML_ROUTES
    # and OTEL_ML_FEATURES_FIELD were ignored and /v1/score was never monitored
    monkeypatch.setenv("OTEL_ML_ROUTES", "/v1/score")
    monkeypatch.setenv("OTEL_ML_FEATURES_FIELD", "inputs.row")
    monkeypatch.setenv("OTEL_ML_LABEL_PATH", "result.cls")
    monkeypatch.setenv("OTEL_ML_CONFIDENCE_PATH", "result.p")
    monitor = sinks.monitor("scorer")
    rows = []
    monitor._recorder.drift_feed = FeedInto(lambda row, label, confidence: rows.append((row, label, confidence)))
    client = build(framework, sinks, lambda body: (200, {"result": {"cls": "gold", "p": 0.66}}), "/v1/score",
                   monitor=monitor)
    assert client.post("/v1/score", {"inputs": {"row": [1, 2, 3]}}).status == 200
    assert labels(sinks) == {"gold": 1}
    assert rows == [([1, 2, 3], "gold", 0.66)]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_batch_is_one_prediction_per_row(framework, sinks):
    # before: one prediction labelled "[0, 2, 1, 1, 0]"
    client = build(framework, sinks, lambda body: (200, {"predictions": [0, 2, 1, 1, 0]}),
                   monitor=sinks.monitor("iris"))
    rows = [[5.1, 3.5], [6.7, 3.0], [5.9, 3.0], [6.0, 2.9], [4.9, 3.1]]
    assert client.post("/predict", {"instances": rows}).status == 200
    assert labels(sinks) == {"0": 2, "1": 2, "2": 1}
    (span,) = [s for s in sinks.finished_spans() if s.name == "predict iris"]
    assert span.attributes["ml.batch.size"] == 5
    http = next(s for s in sinks.finished_spans() if s.name.startswith("POST"))
    assert span.parent.span_id == http.context.span_id
    records = sinks.logs()
    assert [r.attributes["ml.prediction.id"] for r in records] == [f"{span.attributes['ml.prediction.id']}.{i}"
                                                                   for i in range(5)]
    assert [r.attributes["ml.prediction.label"] for r in records] == ["0", "2", "1", "1", "0"]
    (duration,) = sinks.points(semconv.ML_PREDICTION_DURATION)
    assert duration.count == 5


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_list_answer_of_objects_and_a_list_body(framework, sinks):
    answer = [{"label": "cat", "probability": 0.9}, {"label": "dog", "probability": 0.6}]
    client = build(framework, sinks, lambda body: (200, answer), monitor=sinks.monitor("pets"))
    assert client.post("/predict", [{"w": 4.0, "h": 20.0}, {"w": 30.0, "h": 60.0}]).status == 200
    assert labels(sinks) == {"cat": 1, "dog": 1}
    assert sorted(p.sum for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)) == [0.6, 0.9]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_float_answer_is_a_regression_value(framework, sinks):
    # before: the value 3.7 became the label "3.7", one metric series per distinct price
    client = build(framework, sinks, lambda body: (200, {"prediction": 3.7}), monitor=sinks.monitor("price"))
    client.post("/predict", {"features": [1.0, 2.0]})
    assert labels(sinks) == {None: 1}
    (value,) = sinks.points(semconv.ML_PREDICTION_VALUE_METRIC)
    assert (value.count, value.sum) == (1, 3.7)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_nested_predict_proba_output_is_a_confidence(framework, sinks):
    # before: [[0.2, 0.8]] was counted as a bad confidence
    client = build(framework, sinks, lambda body: (200, {"probabilities": [[0.2, 0.8]]}),
                   monitor=sinks.monitor("churn"))
    client.post("/predict", {"features": [1.0, 2.0]})
    assert labels(sinks) == {"1": 1}
    (confidence,) = sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)
    assert confidence.sum == 0.8
    assert sinks.value(semconv.ML_MONITOR_PROBLEMS) == 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_paths_reach_into_lists_for_a_batch(framework, sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_FEATURES_FIELD", "payload[*].values")
    monkeypatch.setenv("OTEL_ML_LABEL_PATH", "out[*].klass")
    monkeypatch.setenv("OTEL_ML_CONFIDENCE_PATH", "out[*].probs")
    monitor = sinks.monitor("nested")
    rows = []
    monitor._recorder.drift_feed = FeedInto(lambda row, label, confidence: rows.append(row))
    answer = {"out": [{"klass": "a", "probs": [0.7, 0.3]}, {"klass": "b", "probs": [0.1, 0.9]}]}
    client = build(framework, sinks, lambda body: (200, answer), monitor=monitor)
    client.post("/predict", {"payload": [{"values": [1, 2]}, {"values": [3, 4]}]})
    assert labels(sinks) == {"a": 1, "b": 1}
    assert sorted(p.sum for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)) == [0.7, 0.9]
    assert rows == [[1, 2], [3, 4]]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_bad_path_is_a_clear_error(framework, sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_LABEL_PATH", "result[")
    with pytest.raises(ValueError, match="OTEL_ML_LABEL_PATH: 'result\\[' is not a JMESPath expression"):
        build(framework, sinks, lambda body: (200, {}), monitor=sinks.monitor("m"))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_routes_are_matched_on_their_template(framework, sinks):
    # before (FastAPI): the raw path /models/churn/predict never matched /models/{name}/predict
    route = "/models/{name}/predict"
    client = build(framework, sinks, lambda body: (200, {"label": "stay"}), route, monitor=sinks.monitor("churn"),
                   routes=[route if framework == "fastapi" else flask_path(route)])
    assert client.post("/models/churn/predict", {"features": [1]}).status == 200
    assert labels(sinks) == {"stay": 1}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_form_encoded_features(framework, sinks):
    monitor = sinks.monitor("form", feature_names=["age", "income"])
    rows = []
    monitor._recorder.drift_feed = FeedInto(lambda row, label, confidence: rows.append(row))
    client = build(framework, sinks, lambda body: (200, {"label": "yes"}), monitor=monitor)
    assert client.post("/predict", form={"age": "31", "income": "52000"}).status == 200
    assert rows == [{"age": 31.0, "income": 52000.0}]
    assert sinks.value(semconv.ML_FEATURE_INVALID) == 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_an_error_answer_counts_every_row_of_the_batch(framework, sinks):
    client = build(framework, sinks, lambda body: (503, {"error": "busy"}), monitor=sinks.monitor("m"))
    client.post("/predict", {"features": [[1], [2], [3]]})
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error", error__type="503") == 3


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_prediction_id_header_and_an_outcome_route(framework, sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_PREDICTION_ID_HEADER", "X-Prediction-Id")
    monkeypatch.setenv("OTEL_ML_OUTCOME_ROUTES", "/feedback")
    client = build(framework, sinks, lambda body: (200, {"predictions": ["a", "b"]}),
                   monitor=sinks.monitor("m"), extra_routes={"/feedback": lambda body: (202, {"ok": True})})
    answer = client.post("/predict", {"features": [[1], [2]]})
    base = answer.headers["x-prediction-id"]
    assert client.post("/feedback", {"prediction_id": f"{base}.0", "actual": "a"}).status == 202
    assert client.post("/feedback", [{"prediction_id": f"{base}.1", "actual": "a"},
                                     {"prediction_id": "forged", "actual": "a"}]).status == 202
    assert sinks.value(semconv.ML_OUTCOMES, ml__outcome__correct="true") == 1
    assert sinks.value(semconv.ML_OUTCOMES, ml__outcome__correct="false") == 1
    assert sinks.value(semconv.ML_OUTCOMES_UNMATCHED) == 1
    assert "x-prediction-id" not in client.post("/feedback", {"prediction_id": "x", "actual": 1}).headers


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_ids_the_app_returns_are_the_prediction_ids(framework, sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_PREDICTION_ID_PATH", "results[*].request_id")
    answer = {"results": [{"request_id": "r-1", "label": 1}, {"request_id": "r-2", "label": 0}]}
    monitor = sinks.monitor("m")
    client = build(framework, sinks, lambda body: (200, answer), monitor=monitor)
    client.post("/predict", {"features": [[1], [2]]})
    assert monitor.record_outcome("r-2", actual=0) and monitor.record_outcome("r-1", actual=0)
    assert sinks.value(semconv.ML_OUTCOMES, ml__outcome__correct="true") == 1


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("answer", [{"predictions": [0, 1]}, [{"label": "a"}], {"prediction": 2.5}, {"odd": None},
                                    "text", [[0.5, 0.5]]], ids=["batch", "objects", "value", "odd", "text", "proba"])
def test_responses_are_byte_identical_to_the_uninstrumented_app(framework, sinks, answer, monkeypatch):
    monkeypatch.setenv("OTEL_ML_PREDICTION_ID_HEADER", "X-Prediction-Id")
    bodies = []
    for instrument in (False, True):
        client = build(framework, sinks, lambda body: (200, answer), instrument=instrument,
                       monitor=sinks.monitor("m") if instrument else None)
        got = client.post("/predict", {"features": [[1.0], [2.0]]})
        bodies.append((got.status, got.body, got.headers.get("content-type")))
        if instrument:
            assert "x-prediction-id" in got.headers
    assert bodies[0] == bodies[1]


def test_flask_instrument_takes_the_standard_provider_keywords(sinks):
    # before: instrument(tracer_provider=...) raised a TypeError inside the first request
    instrumentor = FlaskModelInstrumentor()
    instrumentor.instrument(tracer_provider=sinks.tracer_provider, meter_provider=sinks.meter_provider,
                            logger_provider=sinks.logger_provider)
    try:
        app = flask.Flask("zero")
        app.post("/predict")(lambda: {"label": "ok"})
        assert app.test_client().post("/predict", json={"features": [1]}).status_code == 200
    finally:
        instrumentor.uninstrument()
    assert [s.name for s in sinks.finished_spans()] == ["predict model"]
    assert labels(sinks) == {"ok": 1}


def test_fastapi_instrument_takes_the_standard_provider_keywords(sinks):
    instrumentor = FastAPIModelInstrumentor()
    instrumentor.instrument(tracer_provider=sinks.tracer_provider, meter_provider=sinks.meter_provider,
                            logger_provider=sinks.logger_provider)
    try:
        app = fastapi.FastAPI()

        @app.post("/predict")
        def predict(body: dict) -> dict:
            return {"label": "ok"}
        with TestClient(app) as client:
            assert client.post("/predict", json={"features": [1]}).status_code == 200
    finally:
        instrumentor.uninstrument()
    assert labels(sinks) == {"ok": 1}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_body_nested_too_deep_is_still_counted(framework, sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_OUTCOME_ROUTES", "/feedback")
    deep = b"[" * 5000 + b"]" * 5000

    def handler(body: Any) -> tuple[int, Any]:
        return 400, {"error": "bad body"}

    def accept(body: Any) -> tuple[int, Any]:
        return 202, {"accepted": True}

    client = build(framework, sinks, handler, monitor=sinks.monitor("m"), extra_routes={"/feedback": accept})
    for path in ("/predict", "/feedback"):
        body = {"data": deep} if framework == "flask" else {"content": deep}
        raw = client._client.post(path, headers={"Content-Type": "application/json"}, **body)
        assert raw.status_code in (202, 400, 422, 500)
    # the prediction route's request: a 400 is a rejected request, a 500 (the framework's) a failed prediction
    assert sinks.value(semconv.ML_PREDICTIONS) + sinks.value(semconv.ML_REQUESTS_REJECTED) == 1
    assert sinks.value(semconv.ML_MONITOR_PROBLEMS, ml__problem__type="unreadable_outcome") == 1


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_signed_ids_are_matched_by_another_replica(framework, sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_PREDICTION_ID_KEY", "a-shared-secret-of-32-characters!!")
    monkeypatch.setenv("OTEL_ML_PREDICTION_ID_HEADER", "X-Prediction-Id")
    monkeypatch.setenv("OTEL_ML_OUTCOME_ROUTES", "/feedback")
    replicas = [build(framework, sinks, lambda body: (200, {"predictions": ["a", "b", "a"]}),
                      monitor=sinks.monitor("m"),
                      extra_routes={"/feedback": lambda body: (202, {"ok": True})}) for _ in range(2)]
    answer = replicas[0].post("/predict", {"features": [[1], [2], [3]]})
    base = answer.headers["x-prediction-id"]
    assert base.startswith("m1.") and answer.status == 200
    for i, actual in enumerate(["a", "a", "b"]):
        assert replicas[1].post("/feedback", {"prediction_id": f"{base}.{i}", "actual": actual}).status == 202
    replicas[1].post("/feedback", {"prediction_id": base[:-3] + "abc.0", "actual": "a"})
    assert sinks.value(semconv.ML_OUTCOMES, ml__outcome__correct="true") == 1
    assert sinks.value(semconv.ML_OUTCOMES, ml__outcome__correct="false") == 2
    assert sinks.value(semconv.ML_OUTCOMES_UNMATCHED, ml__outcome__reason="invalid") == 1


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_client_error_is_a_rejected_request_not_a_failed_prediction(framework, sinks):
    # before: every 4xx counted as a failed prediction (error.type "400"), so a client sending
    # malformed bodies drove the error-rate alert, and with it the automatic rollback
    def handler(body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or "features" not in body:
            return 400, {"error": "features missing"}
        return 200, {"label": "a", "confidence": 0.9}

    client = build(framework, sinks, handler, monitor=sinks.monitor("m"))
    for _ in range(3):
        assert client.post("/predict", {"oops": 1}).status == 400
    assert client.post("/predict", {"features": [1, 2]}).status == 200
    assert sinks.value(semconv.ML_PREDICTIONS) == 1
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error") == 0
    assert sinks.value(semconv.ML_REQUESTS_REJECTED, http__response__status_code=400) == 3


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_model_call_that_the_app_answers_with_a_4xx_is_rejected_too(framework, sinks, instrumented):
    from sklearn.linear_model import LogisticRegression

    from otel_ml.instrumentation.sklearn import SklearnInstrumentor

    instrumented(SklearnInstrumentor)
    model = LogisticRegression().fit([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]], [0, 1, 1, 0])

    def handler(body: Any) -> tuple[int, Any]:
        try:
            return 200, {"label": int(model.predict([body["features"]])[0])}
        except ValueError as exc:                    # the model refused the input: the client's error
            return 422, {"error": str(exc)}

    client = build(framework, sinks, handler)
    assert client.post("/predict", {"features": [1.0, "not a number"]}).status == 422
    assert client.post("/predict", {"features": [1.0, 0.0]}).status == 200
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__name="LogisticRegression") == 1
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error") == 0
    assert sinks.value(semconv.ML_REQUESTS_REJECTED, http__response__status_code=422,
                       error__type="ValueError") == 1
