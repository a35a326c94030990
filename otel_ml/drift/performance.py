"""Accuracy before the labels arrive: confidence-based performance estimation (CBPE).

Ground truth often comes days late, or never. A classifier's confidence, once calibrated, says
how often it is right: if predictions of confidence 0.8 are right 80% of the time on labelled
reference data, a window of production predictions is expected to be right on the mean of their
calibrated confidences. This is the estimate NannyML's CBPE popularized, here online, over the
drift processor's short window, so it follows the traffic as the covariates move.

Fitting, on reference rows with labels (validation data, not the training data the model has
seen): per predicted class, an isotonic regression of "right" on the confidence (pool adjacent
violators), and the shares of the true classes among its mistakes. Then, for a window:

- accuracy: the mean calibrated confidence;
- precision of class ``c``: expected right among the predictions of ``c`` over their number;
- recall of class ``c``: that, over the expected members of ``c``: right predictions of ``c`` plus
  the expected mistakes of other predictions whose true class is ``c`` (their mistake share).

What it cannot see: **concept drift**. The estimate assumes that ``P(label | inputs)`` stays as it
was on the reference; if the world changes so that the same inputs now mean another label, the
model stays as confident as before and the estimate stays where it was while the realized
accuracy falls. It tracks covariate shift (inputs moving to regions where the model is less, or
more, sure). Pair it with the realized accuracy once labels arrive, and with the drift tests.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> confidence = rng.uniform(0.5, 1.0, 4000)
>>> predicted = rng.choice(["cat", "dog"], 4000)
>>> right = rng.random(4000) < confidence                  # calibrated: right as often as confident
>>> truth = np.where(right, predicted, np.where(predicted == "cat", "dog", "cat"))
>>> estimator = PerformanceEstimator.fit(predicted, confidence, truth, positive="dog")
>>> estimate = estimator.estimate(predicted[:1000], confidence[:1000])
>>> abs(estimate.accuracy - float(np.mean(right[:1000]))) < 0.03
True
>>> sorted(estimator.classes), estimator.positive
(['cat', 'dog'], 'dog')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_ROWS = 200
"""Labelled reference rows needed to fit the estimator at all."""
MIN_CLASS_ROWS = 50
"""A predicted class with fewer reference rows uses the calibration of all classes pooled."""


@dataclass(frozen=True)
class Estimate:
    """Estimated performance over ``rows`` predictions; precision and recall of the positive class
    (NaN without one, or when the window holds no prediction of it)."""

    accuracy: float
    precision: float
    recall: float
    rows: int


def isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool adjacent violators: the non-decreasing step function closest to ``y`` (sorted by
    ``x``) in least squares, as (block upper edges, block values).

    >>> edges, values = isotonic(np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.0, 1.0, 0.0, 1.0]))
    >>> edges.tolist(), values.tolist()
    ([0.1, 0.3, 0.4], [0.0, 0.5, 1.0])
    """
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order].astype(float)
    values: list[float] = []
    weights: list[float] = []
    edges: list[float] = []
    for xi, yi in zip(x, y):
        values.append(float(yi))
        weights.append(1.0)
        edges.append(float(xi))
        while len(values) > 1 and values[-2] > values[-1]:
            w = weights[-2] + weights[-1]
            values[-2] = (values[-2] * weights[-2] + values[-1] * weights[-1]) / w
            weights[-2] = w
            edges[-2] = edges[-1]
            del values[-1], weights[-1], edges[-1]
    return np.array(edges), np.array(values)


@dataclass(frozen=True)
class _Calibration:
    edges: np.ndarray
    values: np.ndarray

    def __call__(self, confidence: np.ndarray) -> np.ndarray:
        index = np.minimum(np.searchsorted(self.edges, confidence, side="left"), len(self.values) - 1)
        return np.asarray(self.values[index], dtype=float)


class PerformanceEstimator:
    """Estimates accuracy (and a chosen class's precision and recall) from confidences; see the
    module's text. Fit with :meth:`fit`; :class:`~otel_ml.drift.DriftProcessor` runs it on its
    short window when fitted with ``labels=``."""

    def __init__(self, classes: Sequence[str], calibrations: dict[str, _Calibration],
                 mistakes: dict[str, dict[str, float]], positive: str | None) -> None:
        self.classes = tuple(str(c) for c in classes)
        self._calibrations = calibrations
        self._mistakes = mistakes
        self.positive = positive

    @classmethod
    def fit(cls, predictions: Any, confidences: Any, labels: Any, positive: Any = None) -> PerformanceEstimator:
        """Fit on reference rows: the model's predicted classes, their confidences and the true labels.

        ``positive`` is the class whose precision and recall are estimated; by default the
        larger of two classes in sort order (``1`` of ``0``/``1``), none for more classes.
        """
        predicted = np.asarray(predictions).astype(str)
        confidence = np.asarray(confidences, dtype=float)
        truth = np.asarray(labels).astype(str)
        if not predicted.shape == confidence.shape == truth.shape or predicted.ndim != 1:
            raise ValueError(f"predictions, confidences and labels must be 1-D and of one length, got "
                             f"{predicted.shape}, {confidence.shape} and {truth.shape}.")
        keep = np.isfinite(confidence)
        predicted, confidence, truth = predicted[keep], confidence[keep], truth[keep]
        if len(predicted) < MIN_ROWS:
            raise ValueError(f"Estimating performance needs at least {MIN_ROWS} labelled reference rows with a "
                             f"finite confidence, got {len(predicted)}: label more of the reference, or leave "
                             "labels out (the realized accuracy still comes from the outcomes).")
        classes = sorted(str(c) for c in set(predicted) | set(truth))
        if positive is None and len(classes) == 2:
            positive = classes[1]
        if positive is not None:
            positive = str(positive)
            if positive not in classes:
                raise ValueError(f"positive={positive!r} is not a class of the reference ({classes}).")
        right = predicted == truth
        pooled = _Calibration(*isotonic(confidence, right))
        calibrations, mistakes = {}, {}
        for c in classes:
            mine = predicted == c
            calibrations[c] = _Calibration(*isotonic(confidence[mine], right[mine])) \
                if np.count_nonzero(mine) >= MIN_CLASS_ROWS else pooled
            wrong = truth[mine & ~right]
            mistakes[c] = {t: float(np.mean(wrong == t)) for t in classes if t != c} if len(wrong) else \
                {t: 1.0 / max(len(classes) - 1, 1) for t in classes if t != c}
        return cls(classes, calibrations, mistakes, positive)

    def estimate(self, predictions: Any, confidences: Any) -> Estimate:
        """The estimate over a window of predicted classes and their confidences (unknown classes and
        non-finite confidences are left out)."""
        predicted = np.asarray(predictions).astype(str)
        confidence = np.asarray(confidences, dtype=float)
        keep = np.isfinite(confidence) & np.isin(predicted, self.classes)
        predicted, confidence = predicted[keep], confidence[keep]
        if not len(predicted):
            return Estimate(math.nan, math.nan, math.nan, 0)
        p_right = np.empty(len(predicted))
        for c in np.unique(predicted):
            mine = predicted == c
            p_right[mine] = self._calibrations[str(c)](confidence[mine])
        precision = recall = math.nan
        if self.positive is not None:
            mine = predicted == self.positive
            true_positive = float(p_right[mine].sum())
            missed = sum(float((1 - p_right[predicted == c]).sum()) * self._mistakes[c].get(self.positive, 0.0)
                         for c in self.classes if c != self.positive)
            if mine.any():
                precision = true_positive / int(mine.sum())
            if true_positive + missed > 0:
                recall = true_positive / (true_positive + missed)
        return Estimate(float(p_right.mean()), precision, recall, len(predicted))

    # ---------------------------------------------------------------- persistence (plain JSON)
    def to_json(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "positive": self.positive, "mistakes": self._mistakes,
                "calibrations": {c: [k.edges.tolist(), k.values.tolist()] for c, k in self._calibrations.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PerformanceEstimator:
        calibrations = {c: _Calibration(np.array(e, dtype=float), np.array(v, dtype=float))
                        for c, (e, v) in data["calibrations"].items()}
        return cls(data["classes"], calibrations, data["mistakes"], data["positive"])
