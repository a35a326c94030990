"""``monitor.wrap(model)``: a scikit-learn style model whose predictions are monitored.

``predict``, ``predict_proba``, ``predict_log_proba`` and ``decision_function`` of the wrapped
model are called unchanged; each call is one prediction span, and each row of ``X`` one
prediction: a classifier's label (or the class of the top probability), its confidence from
``predict_proba``, a regressor's predicted value, the call's duration shared out over the rows,
and one row for the drift processor. Read exactly as the zero-code scikit-learn instrumentation
reads it (:mod:`otel_ml.instrumentation._estimators`), and grouped the same way inside a
request. Every other attribute is the model's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from otel_ml.instrumentation._calls import call_model, first_argument
from otel_ml.instrumentation._estimators import read_estimator_call

if TYPE_CHECKING:
    from otel_ml.monitor import ModelMonitor


def _inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return first_argument(args, kwargs, "X")


class MonitoredModel:
    """The proxy ``monitor.wrap(model)`` returns."""

    def __init__(self, model: Any, monitor: ModelMonitor) -> None:
        self._model = model
        self._monitor = monitor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("predict", args, kwargs)

    def predict_proba(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("predict_proba", args, kwargs)

    def predict_log_proba(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("predict_log_proba", args, kwargs)

    def decision_function(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("decision_function", args, kwargs)

    def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        original = getattr(type(self._model), method, None)
        if original is None:            # a method the model does not have: its own AttributeError
            return getattr(self._model, method)(*args, **kwargs)
        return call_model(lambda _model: self._monitor, read_estimator_call, method,
                          lambda model, *a, **k: getattr(model, method)(*a, **k), self._model, args, kwargs, _inputs)
