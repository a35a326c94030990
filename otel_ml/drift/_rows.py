"""Encoding one sample (features, prediction, confidence) as a row of the ring buffer."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from otel_ml.drift.reference import ReferenceProfile

PREDICTION = "(prediction)"
"""Column name of the model's output (its label or value) in drift results."""
CONFIDENCE = "(confidence)"
"""Column name of the model's confidence in drift results."""
JOINT = "(joint)"
"""Name of the joint (multivariate) check in drift results: how the numeric features move together."""


class RowEncoder:
    """Puts a sample's values in reference column order; categories become their index in the
    reference (``-1`` for a category it never had), anything missing ``None``."""

    def __init__(self, reference: ReferenceProfile) -> None:
        names = list(reference.feature_names)
        self._with_prediction = PREDICTION in names
        self._with_confidence = CONFIDENCE in names
        self._input_names = [n for n in names if n not in (PREDICTION, CONFIDENCE)]
        if names[len(self._input_names):] != [n for n in (PREDICTION, CONFIDENCE) if n in names]:
            raise ValueError(f"{PREDICTION} and {CONFIDENCE} must be the reference's last columns.")
        self._categorical_codes = [(names.index(n), {c: float(i) for i, c in enumerate(reference.categories[n])})
                                   for n in reference.categorical_names]

    def encode(self, features: Any, prediction: Any, confidence: Any) -> list[Any]:
        inputs = self._input_names
        if isinstance(features, Mapping):
            values = [features.get(name) for name in inputs]
        else:
            values = features.tolist() if hasattr(features, "tolist") else list(features)
            if len(values) != len(inputs):          # misaligned: every feature of the row is missing
                values = [None] * len(inputs)
        if self._with_prediction:
            values.append(prediction)
        if self._with_confidence:
            values.append(confidence)
        for position, codes in self._categorical_codes:
            raw = values[position]
            values[position] = None if raw is None else codes.get(str(raw), -1.0)
        return values


def number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def with_outputs(reference: Any, feature_names: Sequence[str] | None, categorical: Iterable[str] | None,
                 predictions: Any, confidences: Any) -> tuple[dict[str, Any], set[str]]:
    """Reference columns plus the model's outputs on the same rows, and the categorical names."""
    columns: dict[str, Any]
    if isinstance(reference, Mapping):
        columns = dict(reference)
    else:
        array = np.asarray(reference)
        if array.ndim != 2:
            raise ValueError(f"The reference must be a table of rows (2-D), got an array of shape {array.shape}.")
        names = list(feature_names) if feature_names is not None else [f"f{i}" for i in range(array.shape[1])]
        if len(names) != array.shape[1]:
            raise ValueError(f"{len(names)} feature names for a reference of {array.shape[1]} columns: "
                             "give one name per column, in column order.")
        columns = {name: array[:, i] for i, name in enumerate(names)}
    forced = set(categorical or ())
    if predictions is not None:
        values = np.asarray(predictions)
        columns[PREDICTION] = values
        if values.dtype.kind in "OUSbi":
            forced.add(PREDICTION)
    if confidences is not None:
        columns[CONFIDENCE] = np.asarray(confidences, dtype=float)
    return columns, forced
