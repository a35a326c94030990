"""otel_ml/instrumentation/xgboost.py on real XGBoost models, in process."""

import numpy as np
import pytest
import xgboost as xgb
from sklearn.datasets import load_breast_cancer, load_iris

from otel_ml import semconv
from otel_ml.instrumentation import prediction_scope
from otel_ml.instrumentation.xgboost import XGBoostInstrumentor


def labels(sinks, model):
    return {p.attributes.get("ml.prediction.label"): p.value for p in sinks.points(semconv.ML_PREDICTIONS)
            if p.attributes["ml.model.name"] == model}


def test_the_scikit_learn_api_predict_and_predict_proba_are_one_prediction(sinks, instrumented):
    X, y = load_iris(return_X_y=True)
    model = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    instrumented(XGBoostInstrumentor)
    with prediction_scope():
        predicted = model.predict(X[:6])
        probabilities = model.predict_proba(X[:6])
    assert labels(sinks, "XGBClassifier") == {str(k): float(v) for k, v in zip(*np.unique(predicted,
                                                                                          return_counts=True))}
    confidence = sum(p.sum for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC))
    assert abs(confidence - probabilities.max(axis=1).sum()) < 1e-6
    assert all(s.name == "predict XGBClassifier" for s in sinks.finished_spans())   # Booster.predict inside: not a call


@pytest.mark.parametrize(("objective", "extra"), [("binary:logistic", {}), ("multi:softprob", {"num_class": 3}),
                                                  ("reg:squarederror", {})])
def test_booster_predict_is_read_by_its_objective(sinks, instrumented, objective, extra):
    X, y = load_iris(return_X_y=True)
    if objective.startswith("binary"):
        X, y = load_breast_cancer(return_X_y=True)
    booster = xgb.train({"objective": objective, **extra}, xgb.DMatrix(X, label=y), num_boost_round=3)
    instrumented(XGBoostInstrumentor)
    out = booster.predict(xgb.DMatrix(X[:5]))
    assert sinks.value(semconv.ML_PREDICTIONS) == 5
    if objective == "reg:squarederror":
        (value,) = sinks.points(semconv.ML_PREDICTION_VALUE_METRIC)
        assert abs(value.sum - out.sum()) < 1e-4
    elif objective == "multi:softprob":
        assert labels(sinks, "xgboost.Booster") == {str(k): float(v) for k, v in
                                                    zip(*np.unique(out.argmax(axis=1), return_counts=True))}
    else:
        expected = (out > 0.5).astype(int)
        assert labels(sinks, "xgboost.Booster") == {str(k): float(v) for k, v in zip(*np.unique(expected,
                                                                                                return_counts=True))}
        confidence = sum(p.sum for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC))
        assert abs(confidence - np.where(out > 0.5, out, 1 - out).sum()) < 1e-5


def test_explanations_are_not_predictions(sinks, instrumented):
    X, y = load_breast_cancer(return_X_y=True)
    booster = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(X, label=y), num_boost_round=2)
    instrumented(XGBoostInstrumentor)
    booster.predict(xgb.DMatrix(X[:5]), pred_contribs=True)
    booster.predict(xgb.DMatrix(X[:5]), output_margin=True)
    assert sinks.value(semconv.ML_PREDICTIONS) == 0
    booster.inplace_predict(X[:2])
    assert sinks.value(semconv.ML_PREDICTIONS) == 2
