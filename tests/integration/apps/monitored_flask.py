"""A Flask model service monitored in code: one line for otel_ml, one for the contrib HTTP
instrumentation. The SDK is set up per worker by gunicorn_conf.py's post_fork."""

import os

from flask import Flask, jsonify, request
from opentelemetry.instrumentation.flask import FlaskInstrumentor

import otel_ml
from otel_ml.instrumentation.flask import FlaskModelInstrumentor

app = Flask(__name__)


@app.post("/predict")
def predict():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("features"), list):
        return jsonify(error="features must be a list of numbers"), 400
    return jsonify(label="high" if sum(body["features"]) > 2 else "low", confidence=0.75, worker=os.getpid())


FlaskInstrumentor().instrument_app(app)
FlaskModelInstrumentor.instrument_app(app, otel_ml.ModelMonitor("coded", version="v1", feature_names=["a", "b"]))
