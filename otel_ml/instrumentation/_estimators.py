"""Reading a scikit-learn style model call (scikit-learn, XGBoost's and LightGBM's scikit-learn
API, ``monitor.wrap``) and patching predict methods on classes.

Per row: the label from ``predict`` (a classifier's) or the class with the top probability
(``classes_[argmax]``), the confidence from ``predict_proba`` (its largest entry) or
``predict_log_proba``, the value from a regressor's ``predict``. Features are named from
``feature_names_in_``, a DataFrame's columns, or not at all (``f0``, ``f1``, ...).

>>> import numpy as np
>>> class Classifier:
...     classes_ = np.array(["ham", "spam"])
>>> rows, key, out = read_estimator_call(Classifier(), "predict_proba", [[1.0, 2.0]], np.array([[0.3, 0.7]]))
>>> rows, out.labels, out.confidences
([[1.0, 2.0]], ['spam'], [0.7])
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from otel_ml._outputs import RowOutputs

PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
"""The methods whose outermost call is a prediction."""
NOT_SERVING_METHODS = ("fit", "partial_fit", "fit_predict", "fit_transform", "score")
"""Methods that call predict while training or scoring: no prediction is counted inside them."""
_WRAPPED = "__otel_ml_wrapped__"


def as_matrix(X: Any) -> tuple[np.ndarray | None, list[str] | None]:
    """The input as a 2-D array and its column names (a DataFrame's), or ``(None, None)``."""
    columns = getattr(X, "columns", None)
    if columns is not None and hasattr(X, "to_numpy"):
        return X.to_numpy(), [str(c) for c in columns]
    if hasattr(X, "toarray") and hasattr(X, "shape"):       # scipy sparse
        return None, None
    try:
        array = np.asarray(X)
    except Exception:  # noqa: BLE001
        return None, None
    if array.ndim == 1:
        array = array[None, :]
    return (array, None) if array.ndim == 2 else (None, None)


def feature_rows(X: Any, names: Sequence[str] | None = None) -> tuple[list[Any] | None, Hashable | None, int | None]:
    """``(rows, key, n)``: each row a list (or a name -> value mapping when the names are known),
    a key that is equal for equal inputs (to merge ``predict`` and ``predict_proba``), the count."""
    matrix, columns = as_matrix(X)
    if matrix is None:
        n = _length(X)
        return None, ("id", id(X), n), n
    names = columns or ([str(n) for n in names] if names is not None and len(names) == matrix.shape[1] else None)
    values = matrix.tolist()
    rows: list[Any] = [dict(zip(names, row)) for row in values] if names else values
    if matrix.dtype.kind in "fiub":
        key: Hashable = ("rows", matrix.shape, hash(np.ascontiguousarray(matrix).tobytes()))
    else:
        key = ("id", id(X), matrix.shape)
    return rows, key, matrix.shape[0]


def _length(X: Any) -> int | None:
    for attribute in ("num_row", "shape"):
        found = getattr(X, attribute, None)
        try:
            if callable(found):
                return int(found())
            if found is not None:
                return int(found[0])
        except Exception:  # noqa: BLE001
            continue
    return None


_REGRESSORS: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def is_regressor(model: Any) -> bool:
    """scikit-learn's answer (its tags; a Pipeline's are its last step's), asked once per model."""
    try:
        return _REGRESSORS[model]
    except (KeyError, TypeError):
        pass
    answer = getattr(model, "_estimator_type", None) == "regressor"
    try:
        from sklearn.base import is_regressor as sklearn_is_regressor

        answer = answer or bool(sklearn_is_regressor(model))
    except Exception:  # noqa: BLE001
        pass
    try:
        _REGRESSORS[model] = answer
    except TypeError:
        pass
    return answer


def read_estimator_call(model: Any, method: str, X: Any, result: Any) -> tuple[Any, Hashable | None, RowOutputs]:
    """What one scikit-learn style call predicted, row by row (see the module docstring)."""
    rows, key, n = feature_rows(X, getattr(model, "feature_names_in_", None))
    if result is None:
        return rows, key, RowOutputs(n or 1)
    classes = getattr(model, "classes_", None)
    return rows, key, estimator_outputs(method, result, classes, is_regressor(model), n)


def estimator_outputs(method: str, result: Any, classes: Any, regressor: bool, n: int | None = None) -> RowOutputs:
    with np.errstate(all="ignore"):          # a log-probability of 710 overflows exp: inf, then left out
        return _estimator_outputs(method, result, classes, regressor, n)


def _estimator_outputs(method: str, result: Any, classes: Any, regressor: bool, n: int | None) -> RowOutputs:
    out = np.asarray(result)
    if out.ndim == 0:
        out = out[None]
    rows = out.shape[0] if n is None else n
    if method == "predict":
        if regressor or (classes is None and out.dtype.kind == "f"):
            values = out if out.ndim == 1 else out.reshape(out.shape[0], -1)[:, 0]   # multi-output: the first
            return RowOutputs(rows, values=values.tolist())
        return RowOutputs(rows, labels=out.reshape(out.shape[0], -1)[:, 0].tolist() if out.ndim > 1 else out.tolist())
    if method in ("predict_proba", "predict_log_proba"):
        if isinstance(result, list):                # multi-output classifiers: the first output
            out = np.asarray(result[0])
        probabilities = np.exp(out) if method == "predict_log_proba" else out
        if probabilities.ndim == 1:                 # one probability per row: of the positive class
            probabilities = np.stack([1 - probabilities, probabilities], axis=1)
        best = probabilities.argmax(axis=1)
        return RowOutputs(rows, labels=_classes_at(classes, best), confidences=probabilities.max(axis=1).tolist())
    if method == "decision_function":
        best = (out > 0).astype(int) if out.ndim == 1 else out.argmax(axis=1)
        return RowOutputs(rows, labels=_classes_at(classes, best))
    return RowOutputs(rows)


def _classes_at(classes: Any, index: np.ndarray) -> list[Any]:
    chosen = index if classes is None else np.asarray(classes)[index]
    return list(chosen.tolist())


# ---------------------------------------------------------------- patching classes
def wrap_method(owner: type, name: str, make: Callable[[Callable[..., Any], str], Callable[..., Any]]) -> bool:
    """Replace ``owner.name`` (defined on ``owner`` itself) with ``make(original, name)``.

    scikit-learn's ``available_if`` descriptors (``predict_proba`` of an SVC without
    probabilities, of a Pipeline) keep their check: their function is wrapped inside them.
    Returns whether anything was wrapped; a method wrapped already is left alone.
    """
    attribute = owner.__dict__.get(name)
    if attribute is None:
        return False
    if callable(getattr(attribute, "fn", None)) and hasattr(attribute, "__get__") and not callable(attribute):
        if getattr(attribute.fn, _WRAPPED, False):
            return False
        attribute.fn = _mark(make(attribute.fn, name), attribute.fn)
        return True
    if not callable(attribute) or getattr(attribute, _WRAPPED, False) or isinstance(attribute, (staticmethod,
                                                                                                classmethod)):
        return False
    setattr(owner, name, _mark(make(attribute, name), attribute))
    return True


def unwrap_method(owner: type, name: str) -> None:
    attribute = owner.__dict__.get(name)
    if attribute is None:
        return
    inner = getattr(attribute, "fn", None) if not callable(attribute) else attribute
    original = getattr(inner, "__otel_ml_original__", None)
    if original is None:
        return
    if inner is attribute:
        setattr(owner, name, original)
    else:
        attribute.fn = original


def _mark(wrapper: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    functools.update_wrapper(wrapper, original)
    setattr(wrapper, _WRAPPED, True)
    wrapper.__otel_ml_original__ = original  # type: ignore[attr-defined]
    return wrapper

