"""Property tests of the HTTP reading (otel_ml/instrumentation/_reading.py) and of the model
output readers: whatever the bodies or arrays, nothing raises, and every request is counted with
all its signals (a count, a duration, a log record per row)."""

from __future__ import annotations

import json

import flask
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from otel_ml import semconv
from otel_ml.instrumentation._estimators import estimator_outputs
from otel_ml.instrumentation._reading import Reading, compile_path
from otel_ml.instrumentation.flask import FlaskModelInstrumentor

SCALARS = st.none() | st.booleans() | st.integers(min_value=-(10 ** 400), max_value=10 ** 400) | \
    st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20)
JSON = st.recursive(SCALARS, lambda children: st.lists(children, max_size=6) |
                    st.dictionaries(st.sampled_from(["features", "instances", "predictions", "label", "confidence",
                                                     "probabilities", "value", "result", "score",
                                                     "x"]) | st.text(max_size=5),
                                    children, max_size=6), max_leaves=30)
READINGS = [Reading(), Reading(task="classification"), Reading(task="regression"),
            Reading(label=compile_path("result[*].label"), confidence=compile_path("result[*].p"))]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(document=JSON)
def test_reading_any_document_never_raises_and_lines_up_rows(document):
    for reading in READINGS:
        rows, batch = reading.features_of(document)
        assert rows is None or (isinstance(rows, list) and len(rows) >= 1)
        outputs = reading.outputs_of(document)
        assert outputs.n >= 1
        for column in (outputs.labels, outputs.confidences, outputs.values):
            assert column is None or len(column) == outputs.n


@settings(max_examples=200, deadline=None, derandomize=True)
@given(result=hnp.arrays(st.sampled_from([np.float64, np.int64, np.float32]),
                         hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)),
       method=st.sampled_from(["predict", "predict_proba", "predict_log_proba", "decision_function"]),
       regressor=st.booleans(), with_classes=st.booleans())
def test_estimator_outputs_of_any_array_line_up_or_raise_to_the_guard(result, method, regressor, with_classes):
    classes = np.arange(result.shape[-1] if result.ndim > 1 and result.shape[-1] else 2) if with_classes else None
    try:
        outputs = estimator_outputs(method, result, classes, regressor)
    except (ValueError, IndexError):
        return                   # an array no model answers: call_model counts it as unreadable_output
    for column in (outputs.labels, outputs.confidences, outputs.values):
        assert column is None or len(column) == outputs.n


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=JSON, answer=JSON, status=st.sampled_from([200, 200, 200, 400, 500]))
def test_every_request_is_counted_with_all_its_signals(sinks, request, answer, status):
    app = flask.Flask("property")

    @app.post("/predict")
    def predict():
        return flask.Response(json.dumps(answer), status=status, mimetype="application/json")

    name = f"m{len(sinks.monitors)}"                    # one monitor per example, its own label cap
    monitor = sinks.monitor(name, max_labels=5)
    FlaskModelInstrumentor.instrument_app(app, monitor)
    before = sinks.value(semconv.ML_PREDICTIONS)
    rejected_before = sinks.value(semconv.ML_REQUESTS_REJECTED)
    response = app.test_client().post("/predict", data=json.dumps(request), content_type="application/json")
    assert response.status_code == status and response.data == json.dumps(answer).encode()
    counted = sinks.value(semconv.ML_PREDICTIONS) - before
    rejected = sinks.value(semconv.ML_REQUESTS_REJECTED) - rejected_before
    assert (counted, rejected) == (0, 1) if status == 400 else counted >= 1 and rejected == 0
    assert sum(p.count for p in sinks.points(semconv.ML_PREDICTION_DURATION)) == sinks.value(semconv.ML_PREDICTIONS)
    assert len(sinks.logs()) == sinks.value(semconv.ML_PREDICTIONS)
    labels = {p.attributes.get("ml.prediction.label") for p in sinks.points(semconv.ML_PREDICTIONS)
              if p.attributes["ml.model.name"] == name}
    assert len(labels - {None, "other"}) <= 5
