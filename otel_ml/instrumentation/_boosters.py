"""What XGBoost's and LightGBM's own ``Booster.predict`` answered, row by row.

A booster's output means what its objective says: a probability of the positive class
(``binary:logistic``, ``binary``), a row of class probabilities (``multi:softprob``,
``multiclass``), class indices (``multi:softmax``), or a value (every regression, ranking,
count and survival objective). The objective is read once per booster and remembered.

>>> import numpy as np
>>> booster_outputs("binary", np.array([0.9, 0.2])).labels
[1, 0]
>>> [round(c, 2) for c in booster_outputs("binary", np.array([0.9, 0.2])).confidences]
[0.9, 0.8]
>>> booster_outputs("regression", np.array([1.5])).values
[1.5]
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from otel_ml import _shutdown
from otel_ml._outputs import RowOutputs
from otel_ml.instrumentation import _monitors
from otel_ml.instrumentation._base import BaseInstrumentor
from otel_ml.instrumentation._calls import Reader, call_model, first_argument, inside_model_call
from otel_ml.instrumentation._estimators import unwrap_method, wrap_method

_logger = logging.getLogger(__name__)
Kind = Literal["binary", "multiclass", "labels", "regression"]
EXPLAINING = ("output_margin", "pred_leaf", "pred_contribs", "pred_contrib", "approx_contribs",
              "pred_interactions", "raw_score", "training")
"""Keyword arguments that make a booster call an explanation or a margin, not a prediction."""
_KIND_ATTRIBUTE = "_otel_ml_kind"


def explaining(kwargs: dict[str, Any]) -> bool:
    return any(kwargs.get(k) for k in EXPLAINING)


def xgboost_kind(objective: str) -> Kind:
    if objective in ("binary:logistic",):
        return "binary"
    if objective == "multi:softprob":
        return "multiclass"
    if objective in ("multi:softmax", "binary:hinge"):
        return "labels"
    return "regression"


def lightgbm_kind(objective: str) -> Kind:
    name = objective.split()[0] if objective else ""
    if name in ("binary", "cross_entropy", "xentropy"):
        return "binary"
    if name in ("multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"):
        return "multiclass"
    return "regression"


def remembered_kind(booster: Any, find: Callable[[Any], Kind]) -> Kind:
    kind: Kind | None = getattr(booster, _KIND_ATTRIBUTE, None)
    if kind is None:
        kind = find(booster)
        try:
            setattr(booster, _KIND_ATTRIBUTE, kind)
        except Exception:  # noqa: BLE001
            pass
    return kind


def booster_outputs(kind: Kind, result: Any) -> RowOutputs:
    out = np.asarray(result)
    if out.ndim == 0:
        out = out[None]
    n = out.shape[0]
    if kind == "multiclass" or (out.ndim == 2 and out.shape[1] > 1 and kind != "regression"):
        return RowOutputs(n, labels=out.argmax(axis=1).tolist(), confidences=out.max(axis=1).tolist())
    flat = out.reshape(n, -1)[:, 0]
    if kind == "binary":
        positive = flat > 0.5
        return RowOutputs(n, labels=positive.astype(int).tolist(),
                          confidences=np.where(positive, flat, 1 - flat).tolist())
    if kind == "labels":
        return RowOutputs(n, labels=flat.astype(int).tolist())
    return RowOutputs(n, values=flat.tolist())


RowsReader = Callable[[Any, Any], "tuple[Any, Any, int | None]"]


def booster_reader(read_rows: RowsReader, find_kind: Callable[[Any], Kind]) -> Reader:
    """A :data:`~._calls.Reader` of ``Booster.predict``: the library's ``read_rows(booster, data)``
    gives the rows, the objective (``find_kind(booster)``, asked once per booster) the outputs."""
    def read(booster: Any, method: str, data: Any, result: Any) -> tuple[Any, Any, RowOutputs]:
        rows, key, n = read_rows(booster, data)
        if result is None:
            return rows, key, RowOutputs(n or 1)
        return rows, key, booster_outputs(remembered_kind(booster, find_kind), result)
    return read


def booster_method(monitor_name: str, read: Reader) -> Callable[[Callable[..., Any], str], Callable[..., Any]]:
    """A maker of monitored ``Booster.predict`` methods, for :func:`~._estimators.wrap_method`:
    predictions go to the monitor ``monitor_name`` (or ``OTEL_ML_MODEL_NAME``'s)."""
    def monitor_for(_booster: Any) -> Any:
        return _monitors.monitor_named(monitor_name)

    def make(original: Callable[..., Any], method: str) -> Callable[..., Any]:
        def monitored(self: Any, *args: Any, **kwargs: Any) -> Any:
            if explaining(kwargs):
                with inside_model_call():
                    return original(self, *args, **kwargs)
            return call_model(monitor_for, read, method, original, self, args, kwargs,
                              lambda a, k: first_argument(a, k, "data"))
        return monitored
    return make


class BoosterLibraryInstrumentor(BaseInstrumentor):
    """What the XGBoost and LightGBM instrumentors share: the library's scikit-learn classes
    (``predict``, ``predict_proba``; ``fit`` makes no predictions) and its ``Booster`` methods."""

    library = ""
    """The module to patch (``xgboost``, ``lightgbm``)."""
    sklearn_api: tuple[str, ...] = ()
    booster_methods: tuple[str, ...] = ("predict",)
    read_booster: Reader

    def _instrument(self, **kwargs: Any) -> None:
        from otel_ml.instrumentation.sklearn import not_serving, predicting

        try:
            module = importlib.import_module(self.library)
        except ImportError:
            _logger.debug("otel_ml: %s is not installed; nothing to instrument", self.library)
            return
        _monitors.use_providers(**kwargs)
        _shutdown.install()                 # a bounded exit, run before the SDK's own exit hooks
        self._owners = [getattr(module, name) for name in self.sklearn_api if hasattr(module, name)]
        for cls in self._owners:
            for name in ("predict", "predict_proba"):
                wrap_method(cls, name, predicting)
            wrap_method(cls, "fit", not_serving)
        self._booster = module.Booster
        make = booster_method(f"{self.library}.Booster", type(self).read_booster)
        for name in self.booster_methods:
            wrap_method(module.Booster, name, make)

    def _uninstrument(self, **kwargs: Any) -> None:
        for cls in getattr(self, "_owners", []):
            for name in ("predict", "predict_proba", "fit"):
                unwrap_method(cls, name)
        booster = getattr(self, "_booster", None)
        if booster is not None:
            for name in self.booster_methods:
                unwrap_method(booster, name)
