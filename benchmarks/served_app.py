"""The Flask /predict service the served benchmark runs under gunicorn (see served.py).

OTEL_ML_BENCH_MODEL picks the model: ``tiny`` (a 20-feature logistic model in numpy, about 10 us
a prediction) or ``hgb`` (scikit-learn's HistGradientBoostingClassifier, 200 trees, fitted at
import on seeded data: about 1.8 ms a one-row predict_proba). OTEL_ML_BENCH_SETUP picks what
watches it (the setups are listed in served.py).
"""

import os
from collections import deque

import numpy as np
from flask import Flask, jsonify, request

SETUP = os.environ.get("OTEL_ML_BENCH_SETUP", "bare")
MODEL = os.environ.get("OTEL_ML_BENCH_MODEL", "tiny")
FEATURES = [f"f{i}" for i in range(20)]
rng = np.random.default_rng(3)
app = Flask(__name__)

if MODEL == "hgb":
    from sklearn.ensemble import HistGradientBoostingClassifier

    _X = rng.normal(size=(5000, 20))
    _y = (_X[:, 0] + _X[:, 1] * _X[:, 2] + rng.normal(size=5000) > 0).astype(int)
    _forest = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(_X, _y)

    def model(x: np.ndarray) -> tuple[int, float]:
        p = _forest.predict_proba(x.reshape(1, -1))[0]
        label = int(p.argmax())
        return label, float(p[label])
else:
    weights = rng.normal(size=20)

    def model(x: np.ndarray) -> tuple[int, float]:
        p = 1.0 / (1.0 + np.exp(-float(x @ weights)))
        return (1, p) if p >= 0.5 else (0, 1.0 - p)


@app.post("/predict")
def predict():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("features"), list) or len(body["features"]) != 20:
        return jsonify(error="features must be a list of 20 numbers"), 400
    x = np.asarray(body["features"], dtype=float)
    label, confidence = model(x)
    if WATCH is not None:
        WATCH(x, label, confidence)
    return jsonify(label=label, confidence=confidence)


WATCH = None
ATTRIBUTES = {"ml.model.name": "bench", "ml.model.version": "v1"}
if SETUP == "prometheus":
    # the Prometheus way: prometheus-flask-exporter's request metrics and /metrics, plus four of
    # one's own per prediction (a counter, two histograms, a gauge)
    from prometheus_client import Counter, Gauge, Histogram
    from prometheus_flask_exporter import PrometheusMetrics

    PrometheusMetrics(app)
    _count = Counter("bench_predictions_total", "predictions", ["label"])
    _confidence = Histogram("bench_confidence", "confidence", buckets=[0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0])
    _latency = Histogram("bench_predict_seconds", "model time")
    _last = Gauge("bench_last_confidence", "last confidence")

    def WATCH(x, label, confidence):  # noqa: N802
        _count.labels(str(label)).inc()
        _confidence.observe(confidence)
        _latency.observe(0.001)
        _last.set(confidence)

if SETUP == "naive":
    # what a hand-written OpenTelemetry version does: four metrics, one log record and a window
    # of recent features kept for a drift check, per prediction
    from opentelemetry import _logs, metrics

    _meter = metrics.get_meter("naive")
    _count = _meter.create_counter("naive.predictions")
    _confidence = _meter.create_histogram("naive.confidence")
    _latency = _meter.create_histogram("naive.duration", unit="s")
    _active = _meter.create_up_down_counter("naive.active")
    _logger = _logs.get_logger("naive")
    _window: deque = deque(maxlen=1000)

    def WATCH(x, label, confidence):  # noqa: N802
        _active.add(1, ATTRIBUTES)
        attributes = {**ATTRIBUTES, "ml.prediction.label": str(label)}
        _count.add(1, attributes)
        _confidence.record(confidence, attributes)
        _latency.record(0.001, ATTRIBUTES)
        _window.append(x)
        _logger.emit(body="prediction", severity_number=_logs.SeverityNumber.INFO,
                     attributes={**attributes, "ml.prediction.confidence": confidence})
        _active.add(-1, ATTRIBUTES)

if SETUP in ("contrib-plus-span", "contrib-plus-log"):
    # floors: what the SDK alone charges for one more span, or one log record, per request
    from opentelemetry import _logs, trace

    if SETUP == "contrib-plus-span":
        tracer = trace.get_tracer("floor")

        def WATCH(x, label, confidence):  # noqa: N802
            with tracer.start_as_current_span("predict bench", attributes=ATTRIBUTES) as span:
                span.set_attributes({"ml.prediction.label": str(label), "ml.prediction.confidence": confidence})
    else:
        floor_logger = _logs.get_logger("floor")

        def WATCH(x, label, confidence):  # noqa: N802
            floor_logger.emit(body="prediction", severity_number=_logs.SeverityNumber.INFO, event_name="ml.prediction",
                              attributes={**ATTRIBUTES, "ml.prediction.label": str(label),
                                          "ml.prediction.confidence": confidence})

if SETUP not in ("bare", "prometheus"):
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app)
if SETUP.startswith(("otel_ml", "production")):
    import otel_ml
    from otel_ml.drift import DriftProcessor
    from otel_ml.instrumentation.flask import FlaskModelInstrumentor

    drift = None if SETUP.endswith("-no-drift") else \
        DriftProcessor.fit(rng.normal(size=(10_000, 20)), FEATURES, threshold=1e-6)
    # production: OTEL_ML_PROFILE=production, set by served.py; otel_ml in full: the defaults
    monitor = otel_ml.ModelMonitor("bench", version="v1", feature_names=FEATURES, drift=drift)
    FlaskModelInstrumentor.instrument_app(app, monitor)
