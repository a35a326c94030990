"""otel_ml/instrumentation/sklearn.py on real scikit-learn models, in process."""

from __future__ import annotations

import pickle

import flask
import joblib
import numpy as np
import pandas as pd
import pytest
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.trace import StatusCode
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from otel_ml import semconv
from otel_ml.instrumentation import prediction_scope
from otel_ml.instrumentation.flask import FlaskModelInstrumentor
from otel_ml.instrumentation.sklearn import SklearnInstrumentor
from tests.feeds import FeedInto

NAMES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return pd.DataFrame(X, columns=NAMES), y


def counts(sinks, **attributes):
    return {p.attributes.get("ml.prediction.label"): p.value for p in sinks.points(semconv.ML_PREDICTIONS)
            if attributes.items() <= dict(p.attributes).items()}


def test_a_pipeline_is_one_prediction_per_row_named_after_its_last_step(sinks, instrumented, iris):
    X, y = iris
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)   # fitting: no predictions
    assert sinks.value(semconv.ML_PREDICTIONS) == 0
    instrumented(SklearnInstrumentor)
    expected = model.predict(X.iloc[:7])
    got = counts(sinks, **{"ml.model.name": "LogisticRegression"})
    assert got == {str(k): float(v) for k, v in zip(*np.unique(expected, return_counts=True))}
    (span,) = sinks.finished_spans()                      # the inner estimator's predict is not a second call
    assert span.name == "predict LogisticRegression" and span.attributes["ml.batch.size"] == 7
    (duration,) = sinks.points(semconv.ML_PREDICTION_DURATION)
    assert duration.count == 7


def test_rows_are_named_from_the_dataframe_and_fed_to_drift(sinks, instrumented, iris, monkeypatch):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    instrumented(SklearnInstrumentor)
    from otel_ml.instrumentation import _monitors

    monitor = _monitors.monitor_named("LogisticRegression")
    rows = []
    monitor._recorder.drift_feed = FeedInto(lambda row, label, confidence: rows.append((row, label, confidence)))
    labels = model.predict(X.iloc[:2])
    assert rows == [(dict(zip(NAMES, X.iloc[i].tolist())), int(labels[i]), None) for i in range(2)]


def test_predict_and_predict_proba_on_the_same_rows_are_one_prediction(sinks, instrumented, iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    instrumented(SklearnInstrumentor)
    with prediction_scope():
        labels = model.predict(X.iloc[:3])
        probabilities = model.predict_proba(X.iloc[:3])
    assert sinks.value(semconv.ML_PREDICTIONS) == 3
    assert sum(p.count for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)) == 3
    recorded = sum(p.sum for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC))
    assert abs(recorded - probabilities.max(axis=1).sum()) < 1e-9
    assert counts(sinks) == {str(k): float(v) for k, v in zip(*np.unique(labels, return_counts=True))}
    records = sinks.logs()
    assert len(records) == 3 and all("ml.prediction.confidence" in r.attributes for r in records)


def test_outside_a_scope_each_call_is_recorded_at_once(sinks, instrumented, iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    instrumented(SklearnInstrumentor)
    model.predict_proba(X.iloc[:2])
    assert sinks.value(semconv.ML_PREDICTIONS) == 2


def test_a_regressor_predicts_values(sinks, instrumented, iris):
    X, y = iris
    model = GradientBoostingRegressor(n_estimators=10).fit(X, y.astype(float))
    instrumented(SklearnInstrumentor)
    predicted = model.predict(X.iloc[:4])
    assert counts(sinks) == {None: 4}
    (value,) = sinks.points(semconv.ML_PREDICTION_VALUE_METRIC)
    assert value.count == 4 and abs(value.sum - predicted.sum()) < 1e-9


def test_models_loaded_later_and_classes_defined_later_are_covered(sinks, instrumented, iris, tmp_path):
    X, y = iris
    instrumented(SklearnInstrumentor)
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    pickle.loads(pickle.dumps(loaded)).predict(X.iloc[:1])

    class Threshold(ClassifierMixin, BaseEstimator):            # a user's own estimator
        def fit(self, X, y):
            self.classes_ = np.array(["low", "high"])
            return self

        def predict(self, X):
            return np.where(np.asarray(X)[:, 2] > 3, "high", "low")

    Threshold().fit(X, y).predict(X.iloc[:10])
    assert sum(counts(sinks, **{"ml.model.name": "LogisticRegression"}).values()) == 1
    assert counts(sinks, **{"ml.model.name": "Threshold"}) == {"low": 10}


def test_search_estimators_and_decision_function(sinks, instrumented, iris):
    X, y = iris
    search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=2).fit(X, y)
    instrumented(SklearnInstrumentor)
    assert sinks.value(semconv.ML_PREDICTIONS) == 0              # the search's scoring while fitting was not counted
    search.decision_function(X.iloc[:2])
    assert counts(sinks, **{"ml.model.name": "LogisticRegression"}) == {"0": 2}


def test_available_if_methods_keep_their_check(instrumented, iris):
    X, y = iris
    instrumented(SklearnInstrumentor)
    pipeline = make_pipeline(StandardScaler(), SVC()).fit(X, y)
    assert not hasattr(pipeline, "predict_proba")                  # an SVC has no predict_proba
    assert hasattr(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), "predict_proba")


def test_a_model_that_raises_is_counted_and_its_error_goes_back_unchanged(sinks, instrumented, iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X, y)
    instrumented(SklearnInstrumentor)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(pd.DataFrame(np.ones((3, 2)), columns=NAMES[:2]))     # two of the four features
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error", error__type="ValueError") == 3
    (span,) = sinks.finished_spans()
    assert span.status.status_code is StatusCode.ERROR


def test_uninstrument_restores_the_methods(instrumented, iris):
    from sklearn.linear_model._base import LinearClassifierMixin

    original = LinearClassifierMixin.predict
    instrumentor = instrumented(SklearnInstrumentor)
    assert LinearClassifierMixin.predict is not original
    instrumentor.uninstrument()
    assert LinearClassifierMixin.predict is original
    instrumentor.instrument()                                      # the fixture's uninstrument stays balanced


def test_in_a_flask_view_the_model_call_is_the_prediction(sinks, instrumented, iris):
    X, y = iris
    model = LogisticRegression(max_iter=500).fit(X.to_numpy(), y)
    instrumented(SklearnInstrumentor)
    app = flask.Flask("iris")

    @app.post("/predict")
    def predict():
        rows = np.asarray(flask.request.get_json()["rows"])
        return {"labels": model.predict(rows).tolist(), "p": model.predict_proba(rows).max(axis=1).tolist(),
                "note": "an answer of no usual shape"}

    FlaskInstrumentor().instrument_app(app, tracer_provider=sinks.tracer_provider)
    FlaskModelInstrumentor.instrument_app(app, monitor=None)
    try:
        assert app.test_client().post("/predict", json={"rows": X.to_numpy()[:4].tolist()}).status_code == 200
    finally:
        FlaskInstrumentor().uninstrument_app(app)
    assert sinks.value(semconv.ML_PREDICTIONS) == 4                      # the HTTP layer's reading stood back
    assert sum(p.count for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)) == 4
    spans = {s.name: s for s in sinks.finished_spans()}
    assert spans["predict LogisticRegression"].parent.span_id == spans["POST /predict"].context.span_id
    assert "predict model" not in spans
