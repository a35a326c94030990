"""The demo model service: a Flask app serving the demo models through :class:`ModelMonitor`.

Routes (described in ``GET /openapi.json``):

- ``POST /predict`` ``{"features": {...}}`` -> label, confidence, prediction id, model version;
- ``POST /feedback`` ``{"prediction_id", "actual"}``: delayed ground truth;
- ``POST /conversion`` ``{"prediction_id", "value"}``: a business event with its value;
- ``GET /healthz``;
- ``POST /admin/rollback``: the alert webhook (bearer token, see :mod:`otel_ml.rollback`);
- ``POST /admin/deploy`` ``{"version", "fault_rate"}``: switch versions, optionally with an
  injected fault (the demo's bad release). Same token; both are off without one.

Bad requests get an RFC 9457 problem document (``application/problem+json``) with a 4xx; the
model's own failure (the injected fault) is a 503. The monitor sees every prediction the model
attempted, and none of the rejected requests.
"""

from __future__ import annotations

import collections
import hmac
import threading
from typing import Any

import flask
from werkzeug.exceptions import HTTPException

from otel_ml.demo import openapi, validation
from otel_ml.demo.data import DemoData, DemoModel
from otel_ml.demo.validation import InvalidRequest
from otel_ml.environment_variables import OTEL_ML_DEPLOY_TOKEN, OTEL_ML_ROLLBACK_TOKEN

EXTENSION = "otel_ml_demo"


class DemoService:
    """What the routes need: the data's schema, the models, the monitor, its deployment, the webhook."""

    def __init__(self, data: DemoData, models: dict[str, DemoModel], monitor: Any, deployment: Any,
                 webhook: Any = None, *, deploy_token: str | None = None) -> None:
        self.data, self.models, self.monitor = data, models, monitor
        self.deployment, self.webhook = deployment, webhook
        self._deploy = f"Bearer {deploy_token.strip()}".encode() if deploy_token and deploy_token.strip() else None
        self._credited: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._credit_lock = threading.Lock()

    def credit_once(self, prediction_id: str) -> bool:
        """Claim the one conversion a prediction may have: ``False`` when it was claimed already.
        Bounded like the monitor's store (an id older than the last 100,000 is unknown there too)."""
        with self._credit_lock:
            if prediction_id in self._credited:
                return False
            self._credited[prediction_id] = None
            if len(self._credited) > 100_000:
                self._credited.popitem(last=False)
            return True

    def may_deploy(self, authorization: str | None) -> bool:
        """Whether ``authorization`` carries the deploy token (compared in constant time)."""
        if self._deploy is None:
            raise InvalidRequest(503, [f"deploying is off: start the service with {OTEL_ML_DEPLOY_TOKEN} set"])
        return hmac.compare_digest((authorization or "").strip().encode(), self._deploy)

    def predict(self, row: Any) -> dict[str, Any]:
        version = self.deployment.active
        model = self.models[version]
        with self.monitor.predict(row) as p:
            label, confidence = model.predict_one(row)
            p.record(label, confidence=confidence)
        return {"prediction_id": p.id, "label": label, "confidence": round(confidence, 6), "model_version": version}


def create_app(service: DemoService, *, tracer_provider: Any = None, meter_provider: Any = None) -> flask.Flask:
    """The Flask app; HTTP server spans and metrics come from the contrib Flask instrumentation."""
    app = flask.Flask("otel_ml_demo")
    app.config["MAX_CONTENT_LENGTH"] = validation.MAX_BODY_BYTES
    app.extensions[EXTENSION] = service
    app.register_blueprint(_routes())
    _instrument(app, tracer_provider, meter_provider)
    return app


def _instrument(app: flask.Flask, tracer_provider: Any, meter_provider: Any) -> None:
    try:
        from opentelemetry.instrumentation.flask import FlaskInstrumentor
    except ImportError:                     # the demo still runs; only the HTTP spans are missing
        return
    FlaskInstrumentor().instrument_app(  # type: ignore[no-untyped-call]
        app, tracer_provider=tracer_provider, meter_provider=meter_provider, excluded_urls="healthz,openapi.json")


def _service() -> DemoService:
    service: DemoService = flask.current_app.extensions[EXTENSION]
    return service


def _problem(error: InvalidRequest) -> flask.Response:
    response = flask.jsonify(error.body())
    response.status_code = error.status
    response.mimetype = "application/problem+json"
    return response


def _body() -> bytes:
    if flask.request.mimetype != "application/json":
        raise InvalidRequest(415 if flask.request.mimetype else 400,
                             [f"send Content-Type: application/json, not {flask.request.mimetype or 'nothing'}"])
    return flask.request.get_data(cache=False)


def _routes() -> flask.Blueprint:
    routes = flask.Blueprint("demo", __name__)

    @routes.errorhandler(InvalidRequest)
    def invalid(error: InvalidRequest) -> flask.Response:
        return _problem(error)

    @routes.app_errorhandler(HTTPException)
    def http_error(error: HTTPException) -> flask.Response:
        detail = (f"the body is larger than {validation.MAX_BODY_BYTES} bytes" if error.code == 413
                  else error.description or error.name)
        return _problem(InvalidRequest(error.code or 500, [detail]))

    @routes.post("/predict")
    def predict() -> Any:
        service = _service()
        row = validation.features(_body(), service.data.feature_names)
        try:
            return service.predict(row)
        except TimeoutError as exc:          # already recorded by the monitor: span, count, log
            raise InvalidRequest(503, [str(exc)]) from None

    @routes.post("/feedback")
    def feedback() -> Any:
        service = _service()
        body = validation.fields(_body(), {"prediction_id": str, "actual": str})
        if body["actual"] not in service.data.labels:
            raise InvalidRequest(422, [f"actual must be one of {list(service.data.labels)}"])
        if not service.monitor.record_outcome(body["prediction_id"], body["actual"]):
            raise InvalidRequest(404, [f"no recent prediction {body['prediction_id']!r}"])
        return {"recorded": True}

    @routes.post("/conversion")
    def conversion() -> Any:
        service = _service()
        body = validation.fields(_body(), {"prediction_id": str, "value": (int, float)})
        if body["value"] < 0:
            raise InvalidRequest(422, ["value must not be negative"])
        prediction_id = body["prediction_id"]
        if not service.monitor.knows(prediction_id):      # counted as unmatched, and refused
            service.monitor.record_business_event("conversion", body["value"], prediction_id=prediction_id)
            raise InvalidRequest(404, [f"no recent prediction {prediction_id!r}"])
        if not service.credit_once(prediction_id):       # one conversion per prediction: no replays
            raise InvalidRequest(409, [f"a conversion for {prediction_id!r} is recorded already"])
        service.monitor.record_business_event("conversion", body["value"], prediction_id=prediction_id)
        return {"recorded": True}

    @routes.get("/healthz")
    def healthz() -> Any:
        service = _service()
        return {"status": "ok", "model": service.monitor.name, "active_version": service.deployment.active,
                "versions": list(service.deployment.versions)}

    @routes.get("/openapi.json")
    def openapi_json() -> Any:
        return openapi.document(_service().data)

    @routes.post("/admin/rollback")
    def rollback() -> Any:
        webhook = _admin()
        authorization = flask.request.headers.get("Authorization")
        if not webhook.authorized(authorization):          # before the body is even read
            raise InvalidRequest(401, ["missing or wrong bearer token"])
        payload = validation.alerts(validation.json_object(flask.request.get_data(cache=False)))
        status, body = webhook.handle(authorization, payload)
        return body, status

    @routes.post("/admin/deploy")
    def deploy() -> Any:
        service = _service()
        if not service.may_deploy(flask.request.headers.get("Authorization")):     # the deploy token only
            raise InvalidRequest(401, ["missing or wrong bearer token"])
        body = validation.fields(_body(), {"version": str})
        if body["version"] not in service.models:
            raise InvalidRequest(422, [f"version must be one of {list(service.models)}"])
        fault_rate = body.get("fault_rate", 0.0)
        if isinstance(fault_rate, bool) or not isinstance(fault_rate, (int, float)) or not 0 <= fault_rate <= 1:
            raise InvalidRequest(422, ["fault_rate must be a number from 0 to 1"])
        service.models[body["version"]].fault_rate = float(fault_rate)
        service.deployment.deploy(body["version"])
        return {"active": service.deployment.active, "fault_rate": float(fault_rate)}

    return routes


def _admin() -> Any:
    webhook = _service().webhook
    if webhook is None:
        raise InvalidRequest(503, [f"the admin endpoints are off: start the service with {OTEL_ML_ROLLBACK_TOKEN} set"])
    return webhook
