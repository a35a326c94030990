"""ml.monitor.time (otel_ml/_cost.py): what otel_ml itself spends, per part, on the request path
and in its own threads."""

from __future__ import annotations

import time

import flask
import numpy as np

from otel_ml import semconv
from otel_ml.drift import DriftProcessor
from otel_ml.instrumentation.flask import FlaskModelInstrumentor

FEATURES = ["a", "b", "c"]


def spent(sinks, part: str) -> float:
    return sinks.value(semconv.ML_MONITOR_TIME, ml__monitor__part=part)


def test_the_request_part_is_the_time_in_otel_mls_hooks_counted_once(sinks):
    """Reading the bodies, recording the rows: more than nothing, and less than the requests took
    (emit_rows inside the request hook is not counted twice)."""
    app = flask.Flask("cost")

    @app.post("/predict")
    def predict():
        time.sleep(0.002)                       # the model: not otel_ml's time
        return {"label": "ok", "confidence": 0.9}

    FlaskModelInstrumentor.instrument_app(app, sinks.monitor("cost", feature_names=FEATURES))
    client = app.test_client()
    began = time.perf_counter()
    for i in range(200):
        assert client.post("/predict", json={"features": [i, 1.0, 2.0]}).status_code == 200
    took = time.perf_counter() - began
    request = spent(sinks, "request")
    assert sinks.value(semconv.ML_PREDICTIONS) == 200
    assert 200 * 5e-6 < request < took - 200 * 0.002, (request, took)
    assert spent(sinks, "logs") > 0                 # 200 records handed over by the log thread


def test_the_drift_part_is_the_cpu_of_the_drift_thread(sinks):
    rng = np.random.default_rng(1)
    drift = DriftProcessor.fit(rng.normal(size=(2000, 3)), FEATURES, window_size=100, long_window_size=0,
                               check_every=100, threshold=1e-6, scan=False)
    monitor = sinks.monitor("cost", feature_names=FEATURES, drift=drift)
    assert spent(sinks, "drift") == 0
    for row in rng.normal(size=(300, 3)):
        with monitor.predict(row.tolist()) as p:
            p.record("ok", confidence=0.9)
    deadline = time.monotonic() + 10
    while drift.report is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert drift.report is not None
    assert 0 < spent(sinks, "drift") < 10
    drift.shutdown()
