"""The demo service over real HTTP on loopback (werkzeug server thread), with in-memory telemetry."""

from __future__ import annotations

import http.client
import json

import pytest
from openapi_spec_validator import validate

from otel_ml import semconv
from otel_ml.demo.run import Stack
from otel_ml.demo.validation import MAX_BODY_BYTES

TOKEN = "t0ken-for-the-demo-tests"
DEPLOY_TOKEN = "another-t0ken-to-deploy-with"


@pytest.fixture
def served(sinks):
    stack = Stack(seed=3, token=TOKEN, deploy_token=DEPLOY_TOKEN, tracer_provider=sinks.tracer_provider,
                  meter_provider=sinks.meter_provider,
                  logger_provider=sinks.logger_provider)
    sinks.monitors.append(stack.monitor)
    url = stack.start()
    yield stack, Client(url), sinks
    stack.stop()


class Client:
    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)

    def call(self, method: str, path: str, body=None, *, raw: bytes | None = None, token: str | None = None,
             content_type: str = "application/json") -> tuple[int, str, object]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        headers = {"Content-Type": content_type} if content_type else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, response.getheader("Content-Type", ""), json.loads(data) if data else None


def good_row(stack) -> dict:
    return {"features": dict(zip(stack.data.feature_names, map(float, stack.data.serving_x[0])))}


def test_predict_answers_and_is_monitored_under_the_http_span(served):
    stack, client, sinks = served
    status, _, body = client.call("POST", "/predict", good_row(stack))
    assert status == 200
    assert body["label"] in stack.data.labels and 0.5 <= body["confidence"] <= 1 and body["model_version"] == "v1"
    spans = {s.name: s for s in sinks.finished_spans()}
    predict, server = spans["predict breast-cancer"], spans["POST /predict"]
    assert predict.parent.span_id == server.context.span_id
    assert predict.attributes["ml.prediction.id"] == body["prediction_id"]
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="ok") == 1


@pytest.mark.parametrize("mutate, status, fragment", [
    (lambda f: f.pop("mean_area"), 422, "missing feature 'mean_area'"),
    (lambda f: f.update(mean_area="big"), 422, "must be a number, got str"),
    (lambda f: f.update(colour=1), 422, "unknown feature 'colour'"),
])
def test_bad_rows_get_a_problem_document_and_never_reach_the_model(served, mutate, status, fragment):
    stack, client, sinks = served
    body = good_row(stack)
    mutate(body["features"])
    got, content_type, problem = client.call("POST", "/predict", body)
    assert (got, content_type) == (status, "application/problem+json")
    assert problem["status"] == status and fragment in problem["detail"]
    assert sinks.value(semconv.ML_PREDICTIONS) == 0


def test_nan_oversized_and_wrong_content_type(served):
    stack, client, sinks = served
    nan = json.dumps(good_row(stack)).replace(str(float(stack.data.serving_x[0][0])), "NaN", 1).encode()
    assert client.call("POST", "/predict", raw=nan)[2]["detail"] == "feature 'mean_radius' is NaN or infinite"
    status, _, problem = client.call("POST", "/predict", raw=b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}")
    assert status == 413 and str(MAX_BODY_BYTES) in problem["detail"]
    assert client.call("POST", "/predict", raw=b"a=1", content_type="application/x-www-form-urlencoded")[0] == 415
    assert client.call("POST", "/predict", raw=b"{oops")[0] == 400
    assert client.call("GET", "/predict")[0] == 405
    assert sinks.value(semconv.ML_PREDICTIONS) == 0


def test_feedback_and_conversions_are_credited_to_the_prediction(served):
    stack, client, sinks = served
    prediction = client.call("POST", "/predict", good_row(stack))[2]
    other = "benign" if prediction["label"] == "malignant" else "malignant"
    assert client.call("POST", "/feedback", {"prediction_id": prediction["prediction_id"], "actual": other})[0] == 200
    assert sinks.value(semconv.ML_OUTCOMES, ml__outcome__correct="false", ml__model__version="v1") == 1
    assert client.call("POST", "/feedback", {"prediction_id": "nope", "actual": other})[0] == 404
    assert client.call("POST", "/feedback", {"prediction_id": prediction["prediction_id"], "actual": "cat"})[0] == 422
    assert client.call("POST", "/conversion", {"prediction_id": prediction["prediction_id"], "value": 42.5})[0] == 200
    assert sinks.value(semconv.ML_BUSINESS_VALUE, ml__business__event="conversion") == 42.5
    assert client.call("POST", "/conversion", {"prediction_id": prediction["prediction_id"], "value": -1})[0] == 422
    assert client.call("POST", "/conversion", {"prediction_id": "nope", "value": 1})[0] == 404


def test_healthz_and_a_valid_openapi_document_covering_every_route(served):
    stack, client, _ = served
    status, _, health = client.call("GET", "/healthz")
    assert status == 200 and health == {"status": "ok", "model": "breast-cancer", "active_version": "v1",
                                        "versions": ["v1", "v2"]}
    document = client.call("GET", "/openapi.json")[2]
    validate(document)
    routes = {(rule.rule, method.lower()) for rule in stack.app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    described = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert routes == described


def test_admin_needs_the_token(served):
    stack, client, _ = served
    assert client.call("POST", "/admin/deploy", {"version": "v2"})[0] == 401
    assert client.call("POST", "/admin/deploy", {"version": "v2"}, token="wrong-token-wrong-token")[0] == 401
    assert client.call("POST", "/admin/rollback", {"alerts": []}, token="wrong-token-wrong-token")[0] == 401
    assert client.call("POST", "/admin/deploy", {"version": "v9"}, token=DEPLOY_TOKEN)[0] == 422
    assert client.call("POST", "/admin/deploy", {"version": "v2", "fault_rate": 2}, token=DEPLOY_TOKEN)[0] == 422
    assert stack.deployment.active == "v1"


def test_the_rollback_token_cannot_deploy_nor_the_deploy_token_roll_back(served):
    # before: the rollback token was the deploy token, so whoever could roll back (every alerting
    # system holding it) could deploy any version with a 100% fault rate
    stack, client, _ = served
    status, content_type, problem = client.call("POST", "/admin/deploy", {"version": "v2", "fault_rate": 1.0},
                                                token=TOKEN)
    assert status == 401 and content_type.startswith("application/problem+json")
    assert client.call("POST", "/admin/rollback", {"alerts": []}, token=DEPLOY_TOKEN)[0] == 401
    assert stack.deployment.active == "v1"


def test_a_faulty_release_fails_visibly_and_the_webhook_rolls_it_back(served):
    stack, client, sinks = served
    assert client.call("POST", "/admin/deploy", {"version": "v2", "fault_rate": 1.0}, token=DEPLOY_TOKEN)[2] == \
        {"active": "v2", "fault_rate": 1.0}
    status, _, problem = client.call("POST", "/predict", good_row(stack))
    assert status == 503 and "injected fault" in problem["detail"]
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__version="v2", error__type="TimeoutError") == 1
    alert = {"status": "firing", "startsAt": "2099-01-01T00:00:00Z",
             "labels": {"alertname": "MLHighErrorRate", "severity": "critical", "service_name": "otel-ml-demo",
                        "ml_model_name": "breast-cancer", "ml_model_version": "v2"}}
    status, _, answer = client.call("POST", "/admin/rollback", {"alerts": [alert]}, token=TOKEN)
    assert status == 200 and answer["rolled_back"] == {"from": "v2", "to": "v1", "alert": "MLHighErrorRate"}
    assert client.call("POST", "/predict", good_row(stack))[2]["model_version"] == "v1"
    assert sinks.value(semconv.ML_MODEL_ROLLBACKS, ml__model__version="v1", ml__rollback__from_version="v2",
                       ml__rollback__reason="MLHighErrorRate") == 1
    rollback_logs = [r for r in sinks.logs() if r.event_name == "ml.rollback"]
    assert len(rollback_logs) == 1
    assert rollback_logs[0].body == "rolled back breast-cancer from v2 to v1 (MLHighErrorRate)"


def test_without_a_token_the_admin_endpoints_are_off(sinks):
    stack = Stack(seed=3, token=None, tracer_provider=sinks.tracer_provider, meter_provider=sinks.meter_provider,
                  logger_provider=sinks.logger_provider)
    client = Client(stack.start())
    try:
        status, _, problem = client.call("POST", "/admin/rollback", {"alerts": []}, token="anything-at-all-long")
        assert status == 503 and "OTEL_ML_ROLLBACK_TOKEN" in problem["detail"]
        status, _, problem = client.call("POST", "/admin/deploy", {"version": "v2"}, token="anything-at-all-long")
        assert status == 503 and "OTEL_ML_DEPLOY_TOKEN" in problem["detail"]
    finally:
        stack.stop()
