"""Reading ``(label, confidence, value)`` out of whatever a predict function returned.

One result is one prediction (:func:`interpret`); a model call on several rows gives a
:class:`RowOutputs`, one entry per row. A float is a regression value and an int, a string or
a bool a class label, unless ``task`` says otherwise; a list of numbers where a confidence is
expected is a probability vector, whose largest entry is the confidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from otel_ml.features import short_text

Task = Literal["auto", "classification", "regression"]
LABEL_KEYS = ("label", "class", "prediction", "predicted_class", "category")
CONFIDENCE_KEYS = ("confidence", "probability", "score", "probabilities", "proba", "probas", "probs", "scores")
VALUE_KEYS = ("value", "prediction_value", "predicted_value")


@dataclass(frozen=True)
class RowOutputs:
    """What a model answered for ``n`` rows: each field a list of ``n`` entries, or ``None``."""

    n: int
    labels: Sequence[Any] | None = None
    confidences: Sequence[Any] | None = None
    values: Sequence[Any] | None = None


def as_list(values: Any) -> list[Any] | None:
    """One output of a batch (a list, a tuple, a numpy array) as a list; ``None`` stays ``None``."""
    return None if values is None else (values.tolist() if hasattr(values, "tolist") else list(values))


def row_at(values: Sequence[Any] | None, i: int) -> Any:
    """Row ``i`` of one output, or ``None`` (no such output, or fewer of it than rows).

    >>> row_at([1, 2], 1), row_at([1, 2], 2), row_at(None, 0)
    (2, None, None)
    """
    return values[i] if values is not None and i < len(values) else None


def interpret(result: Any, task: Task = "auto") -> tuple[Any, Any, Any]:
    """``(label, confidence, value)`` of one prediction result.

    >>> interpret(("spam", 0.9))
    ('spam', 0.9, None)
    >>> interpret({"label": 1, "confidence": 0.7})
    (1, 0.7, None)
    >>> interpret(3.25), interpret({"prediction": 3.25})
    ((None, None, 3.25), (None, None, 3.25))
    >>> interpret({"prediction": 3.0}, task="classification")
    (3.0, None, None)
    >>> interpret("ham")
    ('ham', None, None)
    >>> interpret({"probabilities": [0.2, 0.8]})          # a probability vector: its top class
    (1, 0.8, None)
    """
    if isinstance(result, Mapping):
        if any(k in result for k in VALUE_KEYS):
            return None, None, next(result[k] for k in VALUE_KEYS if k in result)
        label = next((result[k] for k in LABEL_KEYS if k in result), None)
        confidence = next((result[k] for k in CONFIDENCE_KEYS if k in result), None)
        return one(label, confidence, None, task)
    if isinstance(result, tuple) and len(result) == 2:
        return one(result[0], result[1], None, task)
    return one(result, None, None, task)


def one(label: Any, confidence: Any, value: Any, task: Task = "auto") -> tuple[Any, Any, Any]:
    """Settle one row's ``(label, confidence, value)``: a float label is a value (``task="auto"``),
    a probability vector gives the confidence and, without a label, the top class's index.

    >>> one(None, [[0.1, 0.9]], None)                    # predict_proba's nested output, one row
    (1, 0.9, None)
    >>> one([0.3, 0.7], None, None)                      # a prediction that is a probability vector
    (1, 0.7, None)
    >>> one(2.5, None, None), one(2.5, None, None, "classification")
    ((None, None, 2.5), (2.5, None, None))
    >>> one(1, None, None, "regression")
    (None, None, 1)
    """
    if confidence is None and value is None and (isinstance(label, (list, tuple)) or _is_array(label)):
        vector = _vector(label)
        if vector and all(0.0 <= p <= 1.0 for p in vector) and abs(sum(vector) - 1.0) < 1e-3:
            label, confidence = None, vector            # a prediction that is a probability vector
    if isinstance(confidence, (list, tuple)) or _is_array(confidence):
        vector = _vector(confidence)
        if vector:
            best = max(range(len(vector)), key=vector.__getitem__)
            confidence = vector[best]
            if label is None and value is None and task != "regression":
                label = best
        else:
            confidence = None
    if label is not None and value is None:
        scalar = _scalar(label)
        if task == "regression" and _is_number(scalar):
            return None, None, scalar          # a number past a float's range is counted as a bad value
        if task == "auto" and isinstance(scalar, float):
            return None, confidence, scalar
        label = scalar
    return label, confidence, value


def label_text(label: Any) -> str:
    """A label as text for spans, logs and the store; never raises.

    >>> label_text(1), label_text("cat"), label_text(True)
    ('1', 'cat', 'True')
    """
    try:
        text = label if isinstance(label, str) else str(_scalar(label))
    except Exception:  # noqa: BLE001 - a hostile __str__, or nesting too deep to print
        return f"<{type(label).__name__}>"
    return short_text(text)


def _scalar(value: Any) -> Any:
    item = getattr(value, "item", None)           # numpy scalar or 0-d array
    if item is not None and getattr(value, "ndim", 1) == 0:
        try:
            return item()
        except Exception:  # noqa: BLE001
            return value
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_array(value: Any) -> bool:
    return hasattr(value, "ndim") and getattr(value, "ndim", 0) > 0


def _vector(raw: Any) -> list[float]:
    """A flat list of floats from a probability vector, or one nested once (``[[p0, p1]]``)."""
    values = raw.tolist() if hasattr(raw, "tolist") else list(raw)
    if len(values) == 1 and isinstance(values[0], (list, tuple)):
        values = list(values[0])
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError, OverflowError):
        return []
