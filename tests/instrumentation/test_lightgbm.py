"""otel_ml/instrumentation/lightgbm.py on real LightGBM models, in process."""

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from otel_ml import semconv
from otel_ml.instrumentation import _monitors, prediction_scope
from otel_ml.instrumentation.lightgbm import LightGBMInstrumentor
from tests.feeds import FeedInto


def labels(sinks):
    return {p.attributes.get("ml.prediction.label"): p.value for p in sinks.points(semconv.ML_PREDICTIONS)}


def test_the_scikit_learn_api_on_a_dataframe(sinks, instrumented):
    data = load_iris(as_frame=True)
    model = lgb.LGBMClassifier(n_estimators=5, verbose=-1).fit(data.data, data.target)
    instrumented(LightGBMInstrumentor)
    rows = []
    _monitors.monitor_named("LGBMClassifier")._recorder.drift_feed = FeedInto(lambda row, label, c: rows.append(row))
    with prediction_scope():
        predicted = model.predict(data.data.iloc[:4])
        model.predict_proba(data.data.iloc[:4])
    assert labels(sinks) == {str(k): float(v) for k, v in zip(*np.unique(predicted, return_counts=True))}
    assert sum(p.count for p in sinks.points(semconv.ML_PREDICTION_CONFIDENCE_METRIC)) == 4
    assert rows[0] == data.data.iloc[0].to_dict()


@pytest.mark.parametrize("objective", ["binary", "multiclass", "regression"])
def test_booster_predict_is_read_by_its_objective_also_once_loaded_from_a_file(sinks, instrumented, objective,
                                                                               tmp_path):
    loader = {"binary": load_breast_cancer, "multiclass": load_iris, "regression": load_diabetes}[objective]
    X, y = loader(return_X_y=True)
    params = {"objective": objective, "verbose": -1, **({"num_class": 3} if objective == "multiclass" else {})}
    lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=3).save_model(tmp_path / "model.txt")
    booster = lgb.Booster(model_file=tmp_path / "model.txt")
    instrumented(LightGBMInstrumentor)
    out = booster.predict(X[:5])
    assert sinks.value(semconv.ML_PREDICTIONS) == 5
    if objective == "regression":
        (value,) = sinks.points(semconv.ML_PREDICTION_VALUE_METRIC)
        assert abs(value.sum - out.sum()) < 1e-6
    else:
        expected = out.argmax(axis=1) if out.ndim == 2 else (out > 0.5).astype(int)
        assert labels(sinks) == {str(k): float(v) for k, v in zip(*np.unique(expected, return_counts=True))}
    booster.predict(X[:5], pred_contrib=True)
    assert sinks.value(semconv.ML_PREDICTIONS) == 5


def test_booster_features_are_named_from_the_model(sinks, instrumented):
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    booster = lgb.train({"objective": "binary", "verbose": -1}, lgb.Dataset(X, label=y), num_boost_round=2)
    instrumented(LightGBMInstrumentor)
    rows = []
    _monitors.monitor_named("lightgbm.Booster")._recorder.drift_feed = FeedInto(lambda row, label, c: rows.append(row))
    booster.predict(X.to_numpy()[:1])
    assert list(rows[0]) == booster.feature_name()
    assert pd.Series(rows[0]).to_numpy().tolist() == X.to_numpy()[0].tolist()
