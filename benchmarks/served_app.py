"""The Flask /predict service the served benchmark runs under gunicorn, in the setup chosen by
OTEL_ML_BENCH_SETUP (see served.py): bare, contrib, otel_ml, production, and for a breakdown
otel_ml-no-drift, otel_ml-no-log; a "-current" suffix puts the prediction on the HTTP span."""

import os

import numpy as np
from flask import Flask, jsonify, request

SETUP = os.environ.get("OTEL_ML_BENCH_SETUP", "bare")
FEATURES = [f"f{i}" for i in range(20)]
rng = np.random.default_rng(3)
weights = rng.normal(size=20)
app = Flask(__name__)


def model(x: np.ndarray) -> tuple[int, float]:
    p = 1.0 / (1.0 + np.exp(-float(x @ weights)))
    return (1, p) if p >= 0.5 else (0, 1.0 - p)


@app.post("/predict")
def predict():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("features"), list) or len(body["features"]) != 20:
        return jsonify(error="features must be a list of 20 numbers"), 400
    label, confidence = model(np.asarray(body["features"], dtype=float))
    if FLOOR is not None:
        FLOOR(label, confidence)
    return jsonify(label=label, confidence=confidence)


FLOOR = None
if SETUP in ("contrib-plus-span", "contrib-plus-log"):
    # floors: what the SDK alone charges for one more span, or one log record, per request
    from opentelemetry import _logs, trace

    ATTRIBUTES = {"ml.model.name": "bench", "ml.model.version": "v1", "ml.prediction.status": "ok"}
    if SETUP == "contrib-plus-span":
        tracer = trace.get_tracer("floor")

        def FLOOR(label, confidence):  # noqa: N802
            with tracer.start_as_current_span("predict bench", attributes=ATTRIBUTES) as span:
                span.set_attributes({"ml.prediction.label": str(label), "ml.prediction.confidence": confidence})
    else:
        floor_logger = _logs.get_logger("floor")

        def FLOOR(label, confidence):  # noqa: N802
            floor_logger.emit(body="prediction", severity_number=_logs.SeverityNumber.INFO, event_name="ml.prediction",
                              attributes={**ATTRIBUTES, "ml.prediction.label": str(label),
                                          "ml.prediction.confidence": confidence})

if SETUP != "bare":
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app)
if SETUP.startswith("otel_ml") or SETUP.startswith("production"):
    import otel_ml
    from otel_ml.drift import DriftProcessor
    from otel_ml.instrumentation.flask import FlaskModelInstrumentor

    drift = None if SETUP == "otel_ml-no-drift" else \
        DriftProcessor.fit(rng.normal(size=(10_000, 20)), FEATURES, threshold=1e-6)
    log_ratio = 0.1 if SETUP.startswith("production") else 0.0 if SETUP == "otel_ml-no-log" else 1.0
    monitor = otel_ml.ModelMonitor("bench", version="v1", feature_names=FEATURES, drift=drift,
                                   log_sample_ratio=log_ratio,
                                   prediction_span="current" if SETUP.endswith("-current") else None)
    FlaskModelInstrumentor.instrument_app(app, monitor)
