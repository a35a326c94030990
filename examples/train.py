"""Train the examples' small models on scikit-learn's bundled data sets and write them, with a
reference for drift detection, into ./models. Run once: python train.py

Each reference is written twice: the data (``<name>_reference.csv``) and, fitted and calibrated
once, the drift reference every worker loads in milliseconds (``<name>_reference.npz``, what
``otel-ml reference <name>_reference.csv -o <name>_reference.npz`` writes too)."""

from pathlib import Path

import joblib
import lightgbm as lgb
import numpy as np
import xgboost as xgb
from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge

from otel_ml.drift import DriftProcessor

MODELS = Path(__file__).parent / "models"
CANCER_FEATURES = ["mean_radius", "mean_texture", "mean_perimeter", "mean_area", "mean_smoothness"]


def reference(name: str, X: np.ndarray, columns: list[str]) -> None:
    np.savetxt(MODELS / f"{name}_reference.csv", X, delimiter=",", header=",".join(columns), comments="")
    DriftProcessor.fit(X, columns).save(MODELS / f"{name}_reference.npz")


def main() -> None:
    MODELS.mkdir(exist_ok=True)
    iris = load_iris()
    iris_columns = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    forest = RandomForestClassifier(n_estimators=30, max_depth=4, random_state=0).fit(iris.data, iris.target)
    joblib.dump(forest, MODELS / "iris_forest.joblib")
    reference("iris", iris.data, iris_columns)

    onnx = to_onnx(LogisticRegression(max_iter=500).fit(iris.data, iris.target), iris.data[:1].astype(np.float32))
    (MODELS / "iris.onnx").write_bytes(onnx.SerializeToString())

    cancer = load_breast_cancer()
    X = cancer.data[:, :5]
    xgb.XGBClassifier(n_estimators=20, max_depth=3, random_state=0).fit(X, cancer.target).save_model(
        MODELS / "cancer.ubj")
    reference("cancer", X, CANCER_FEATURES)

    diabetes = load_diabetes()
    lgb.LGBMRegressor(n_estimators=30, verbose=-1, random_state=0).fit(
        diabetes.data, diabetes.target).booster_.save_model(MODELS / "diabetes.txt")
    reference("diabetes", diabetes.data, list(diabetes.feature_names))

    ridge = Ridge(alpha=1.0).fit(diabetes.data[:, :3], diabetes.target)
    np.save(MODELS / "ridge_weights.npy", np.append(ridge.coef_, ridge.intercept_))
    reference("ridge", diabetes.data[:, :3], ["age", "sex", "bmi"])
    rng = np.random.default_rng(0)          # the credit form's applicants, as the numpy model saw them
    applicants = np.column_stack([rng.uniform(0, 5, 2000), rng.uniform(0, 2, 2000), rng.integers(0, 30, 2000)])
    reference("credit", applicants, ["income", "debt", "years"])
    print(f"models written to {MODELS}")


if __name__ == "__main__":
    main()
