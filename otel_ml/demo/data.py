"""The demo's data and models: scikit-learn's bundled breast-cancer data set, two real models.

The ten ``mean_*`` measurements of the Wisconsin diagnostic data set (569 rows, shipped inside
scikit-learn, no download) predict ``malignant`` or ``benign``. The rows are split once,
seeded: the model versions are trained on 60%, and the other 40% are the "production"
population the traffic generator sends and the drift reference is fitted on.

- ``v1``: standardised logistic regression.
- ``v2``: gradient-boosted trees (a little more accurate on the held-out rows).

>>> data = load()
>>> data.feature_names[:3], data.labels
(('mean_radius', 'mean_texture', 'mean_perimeter'), ('malignant', 'benign'))
>>> models = train(data)
>>> label, confidence = models["v1"].predict_one(data.serving_x[0])
>>> label in data.labels and 0.5 <= confidence <= 1
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import numpy as np

VERSIONS = ("v1", "v2")


@dataclass(frozen=True)
class DemoData:
    feature_names: tuple[str, ...]
    labels: tuple[str, ...]
    train_x: np.ndarray
    train_y: np.ndarray
    serving_x: np.ndarray
    serving_y: np.ndarray


def load(seed: int = 7) -> DemoData:
    """The breast-cancer data set, its ten ``mean_*`` features, split 60/40 (stratified, seeded)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    raw = load_breast_cancer()
    columns = [i for i, name in enumerate(raw.feature_names) if name.startswith("mean ")]
    names = tuple(str(raw.feature_names[i]).replace(" ", "_") for i in columns)
    x = raw.data[:, columns]
    train_x, serving_x, train_y, serving_y = train_test_split(x, raw.target, test_size=0.4, random_state=seed,
                                                              stratify=raw.target)
    return DemoData(names, tuple(str(t) for t in raw.target_names), train_x, train_y, serving_x, serving_y)


class DemoModel:
    """A fitted scikit-learn classifier behind a one-row ``predict_one`` that returns
    ``(label, confidence)``, with an optional injected fault (the demo's bad release)."""

    def __init__(self, version: str, estimator: Any, labels: tuple[str, ...]) -> None:
        self.version = version
        self.estimator = estimator
        self.labels = labels
        self.fault_rate = 0.0
        self._random = random.Random(version)

    def predict_one(self, row: np.ndarray) -> tuple[str, float]:
        if self.fault_rate and self._random.random() < self.fault_rate:
            raise TimeoutError(f"model {self.version}: upstream feature service timed out (injected fault)")
        probabilities = self.estimator.predict_proba(row.reshape(1, -1))[0]
        best = int(np.argmax(probabilities))
        return self.labels[best], float(probabilities[best])


def train(data: DemoData, seed: int = 7) -> dict[str, DemoModel]:
    """Fit ``v1`` (logistic regression) and ``v2`` (gradient boosting) on the training rows."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    v1 = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(data.train_x, data.train_y)
    v2 = GradientBoostingClassifier(random_state=seed).fit(data.train_x, data.train_y)
    return {"v1": DemoModel("v1", v1, data.labels), "v2": DemoModel("v2", v2, data.labels)}
