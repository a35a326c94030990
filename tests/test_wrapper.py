"""monitor.wrap(model) on a real scikit-learn model (otel_ml/wrapper.py)."""

import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from otel_ml import semconv
from tests.feeds import FeedInto


def test_wrapped_model_predicts_unchanged_and_is_monitored(sinks):
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    seen = []
    monitor = sinks.monitor("iris", feature_names=["sl", "sw", "pl", "pw"])
    monitor._recorder.drift_feed = FeedInto(lambda row, label, confidence: seen.append((list(row), label)))
    wrapped = monitor.wrap(model)
    assert np.array_equal(wrapped.predict(X[:10]), model.predict(X[:10]))
    np.testing.assert_allclose(wrapped.predict_proba(X[:1]), model.predict_proba(X[:1]))
    assert wrapped.classes_.tolist() == [0, 1, 2]                     # the model's own attributes
    assert sinks.value(semconv.ML_PREDICTIONS) == 11                          # a row is a prediction
    spans = [s for s in sinks.finished_spans() if s.name == "predict iris"]
    assert [s.attributes.get("ml.batch.size") for s in spans] == [10, None]
    assert spans[1].attributes["ml.prediction.label"] == str(model.predict(X[:1])[0])
    (confidence,) = sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)
    assert confidence.count == 1 and abs(confidence.sum - model.predict_proba(X[:1]).max()) < 1e-12
    assert len(seen) == 11 and seen[0][0] == X[0].tolist()
    (duration,) = sinks.points(semconv.ML_PREDICTION_DURATION)
    assert duration.count == 11


def test_a_wrapped_regressor_records_values_not_labels(sinks):
    # before: every predicted number became a label, one metric series each
    from sklearn.ensemble import RandomForestRegressor

    X, y = load_iris(return_X_y=True)
    model = RandomForestRegressor(n_estimators=5, random_state=0).fit(X, y * 1.5)
    monitor = sinks.monitor("regressor")
    predicted = monitor.wrap(model).predict(X[:6])
    assert [p.attributes.get("ml.prediction.label") for p in sinks.points(semconv.ML_PREDICTIONS)] == [None]
    assert sinks.value(semconv.ML_PREDICTIONS) == 6
    (value,) = sinks.points(semconv.ML_PREDICTION_VALUE_METRIC)
    assert value.count == 6 and abs(value.sum - predicted.sum()) < 1e-9


def test_a_wrapped_model_inside_an_instrumented_library_is_counted_once(sinks, instrumented):
    from otel_ml.instrumentation.sklearn import SklearnInstrumentor

    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(X, y)
    instrumented(SklearnInstrumentor)
    sinks.monitor("iris").wrap(model).predict(X[:3])
    assert sinks.value(semconv.ML_PREDICTIONS) == 3
    assert {p.attributes["ml.model.name"] for p in sinks.points(semconv.ML_PREDICTIONS)} == {"iris"}
