"""The same Flask service as zero_code_flask.py, monitored in code: one line for the contrib
HTTP instrumentation, one for otel_ml. The SDK is set up per worker by gunicorn_conf.py."""

from opentelemetry.instrumentation.flask import FlaskInstrumentor
from zero_code_flask import app

import otel_ml
from otel_ml.instrumentation.flask import FlaskModelInstrumentor

FlaskInstrumentor().instrument_app(app)
FlaskModelInstrumentor.instrument_app(app, otel_ml.ModelMonitor("coded", version="v1", feature_names=["a", "b"]))

__all__ = ["app"]
