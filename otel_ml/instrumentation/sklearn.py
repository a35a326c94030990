"""Zero-code monitoring of scikit-learn models: every estimator's ``predict``, ``predict_proba``,
``predict_log_proba`` and ``decision_function``, Pipelines and search estimators included.

Usage::

    opentelemetry-instrument python app.py          # entry point otel_ml_sklearn; or in code:

    from otel_ml.instrumentation.sklearn import SklearnInstrumentor
    SklearnInstrumentor().instrument()

The methods are patched on the classes, so a model built, loaded with ``joblib`` or unpickled
anywhere (inside a view, after instrumenting) is covered. Every class that derives from
``sklearn.base.BaseEstimator`` is patched, also one defined later (a custom estimator, XGBoost's
and LightGBM's scikit-learn classes). Calls made while fitting or scoring (``fit``, ``score``,
...) are not predictions. Each row of an outermost call is one prediction: see
:mod:`otel_ml.instrumentation._scope` for how calls in one request are grouped, and
:mod:`otel_ml.instrumentation._estimators` for what is read. ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=otel_ml_sklearn``
turns it off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from otel_ml import _shutdown
from otel_ml.instrumentation import _monitors
from otel_ml.instrumentation._base import BaseInstrumentor
from otel_ml.instrumentation._calls import call_model, first_argument, inside_model_call
from otel_ml.instrumentation._estimators import (
    NOT_SERVING_METHODS,
    PREDICT_METHODS,
    read_estimator_call,
    unwrap_method,
    wrap_method,
)

_logger = logging.getLogger(__name__)
_instruments = ("scikit-learn >= 1.3",)


def estimator_name(model: Any) -> str:
    """A Pipeline is named after its last step, a search estimator after its best estimator."""
    for attribute in ("_final_estimator", "best_estimator_"):
        try:
            inner = getattr(model, attribute, None)
        except Exception:  # noqa: BLE001
            inner = None
        if inner is not None and inner is not model and inner != "passthrough":
            return estimator_name(inner)
    return type(model).__name__


def monitor_for_estimator(model: Any) -> Any:
    return _monitors.monitor_named(estimator_name(model))


def _inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return first_argument(args, kwargs, "X", "data")


def predicting(original: Callable[..., Any], method: str) -> Callable[..., Any]:
    def monitored(self: Any, *args: Any, **kwargs: Any) -> Any:
        return call_model(monitor_for_estimator, read_estimator_call, method, original, self, args, kwargs, _inputs)
    return monitored


def not_serving(original: Callable[..., Any], method: str) -> Callable[..., Any]:
    def unmonitored(self: Any, *args: Any, **kwargs: Any) -> Any:
        with inside_model_call():
            return original(self, *args, **kwargs)
    return unmonitored


_patched: set[type] = set()


def patch_class(cls: type) -> None:
    """Patch the methods ``cls`` has, where they are defined: on the class or on a mixin of its
    (``LinearClassifierMixin.predict`` serves LogisticRegression and a dozen others)."""
    for owner in cls.__mro__:
        if owner is object or owner in _patched:
            continue
        for name in PREDICT_METHODS:
            wrap_method(owner, name, predicting)
        for name in NOT_SERVING_METHODS:
            wrap_method(owner, name, not_serving)
        _patched.add(owner)


def unpatch_all() -> None:
    for owner in list(_patched):
        for name in (*PREDICT_METHODS, *NOT_SERVING_METHODS):
            unwrap_method(owner, name)
    _patched.clear()


def _subclasses(root: type) -> list[type]:
    found, todo = [], [root]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


class SklearnInstrumentor(BaseInstrumentor):
    """Patches every scikit-learn estimator class, existing and future."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments

    def _instrument(self, **kwargs: Any) -> None:
        try:
            from sklearn.base import BaseEstimator
        except ImportError:
            _logger.debug("otel_ml: scikit-learn is not installed; nothing to instrument")
            return
        _monitors.use_providers(**kwargs)
        _shutdown.install()                 # a bounded exit, run before the SDK's own exit hooks
        self._base = BaseEstimator
        self._own_hook = "__init_subclass__" in BaseEstimator.__dict__
        self._hook = BaseEstimator.__dict__.get("__init_subclass__")
        original = self._hook

        def __init_subclass__(cls: type, /, **init_kwargs: Any) -> None:
            if original is not None:
                original.__get__(None, cls)(**init_kwargs)
            else:
                super(BaseEstimator, cls).__init_subclass__(**init_kwargs)  # type: ignore[misc]
            try:
                patch_class(cls)
            except Exception:  # noqa: BLE001
                _logger.debug("otel_ml: could not instrument %r", cls, exc_info=True)

        BaseEstimator.__init_subclass__ = classmethod(__init_subclass__)
        for cls in _subclasses(BaseEstimator):
            try:
                patch_class(cls)
            except Exception:  # noqa: BLE001
                _logger.debug("otel_ml: could not instrument %r", cls, exc_info=True)

    def _uninstrument(self, **kwargs: Any) -> None:
        base = getattr(self, "_base", None)
        if base is None:
            return
        if self._own_hook:
            base.__init_subclass__ = self._hook
        else:
            del base.__init_subclass__
        unpatch_all()
