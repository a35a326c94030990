"""Zero-code monitoring of XGBoost models: the scikit-learn API (``XGBClassifier``,
``XGBRegressor``, ... ``predict`` and ``predict_proba``) and ``Booster.predict`` /
``Booster.inplace_predict``.

Usage::

    opentelemetry-instrument python app.py          # entry point otel_ml_xgboost; or in code:

    from otel_ml.instrumentation.xgboost import XGBoostInstrumentor
    XGBoostInstrumentor().instrument()

A booster's output is read by its objective (:mod:`otel_ml.instrumentation._boosters`); calls
asking for margins, leaves or contributions (SHAP values) are explanations, not predictions.
Features are named from the booster's ``feature_names``. ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=otel_ml_xgboost``
turns it off.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Collection, Hashable

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

from otel_ml._outputs import RowOutputs
from otel_ml.instrumentation import _monitors
from otel_ml.instrumentation._boosters import booster_method, booster_outputs, remembered_kind, xgboost_kind
from otel_ml.instrumentation._estimators import feature_rows, unwrap_method, wrap_method
from otel_ml.instrumentation.sklearn import not_serving, predicting

_logger = logging.getLogger(__name__)
_instruments = ("xgboost >= 2.0",)
_SKLEARN_API = ("XGBModel", "XGBClassifier", "XGBRegressor", "XGBRanker", "XGBRFClassifier", "XGBRFRegressor")


def installed_distribution(*names: str) -> str:
    """The first of ``names`` that is an installed distribution (``xgboost`` or ``xgboost-cpu``)."""
    from importlib.metadata import PackageNotFoundError, version

    for name in names:
        try:
            version(name)
            return name
        except PackageNotFoundError:
            continue
    return names[0]


def _kind(booster: Any) -> str:
    try:
        objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
    except Exception:  # noqa: BLE001
        objective = ""
    return xgboost_kind(objective)


def _matrix_rows(data: Any, names: Any) -> tuple[Any, Hashable | None, int | None]:
    get_data = getattr(data, "get_data", None)       # a DMatrix: its rows as a sparse matrix
    if get_data is not None:
        try:
            if data.num_row() <= 10_000:
                return feature_rows(get_data().toarray(), names)
            return None, ("id", id(data)), int(data.num_row())
        except Exception:  # noqa: BLE001
            return None, ("id", id(data)), None
    return feature_rows(data, names)


def read_booster_call(booster: Any, method: str, data: Any, result: Any) -> tuple[Any, Hashable | None, RowOutputs]:
    rows, key, n = _matrix_rows(data, getattr(booster, "feature_names", None))
    if result is None:
        return rows, key, RowOutputs(n or 1)
    return rows, key, booster_outputs(remembered_kind(booster, _kind), result)  # type: ignore[arg-type]


class XGBoostInstrumentor(BaseInstrumentor):
    """Patches XGBoost's scikit-learn classes and its Booster."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return (_instruments[0].replace("xgboost", installed_distribution("xgboost", "xgboost-cpu")),)

    def _instrument(self, **kwargs: Any) -> None:
        try:
            import xgboost
        except ImportError:
            _logger.debug("otel_ml: XGBoost is not installed; nothing to instrument")
            return
        _monitors.use_providers(**kwargs)
        self._owners = [getattr(xgboost, name) for name in _SKLEARN_API if hasattr(xgboost, name)]
        for cls in self._owners:
            for name in ("predict", "predict_proba"):
                wrap_method(cls, name, predicting)
            for name in ("fit",):
                wrap_method(cls, name, not_serving)
        self._booster = xgboost.Booster
        for name in ("predict", "inplace_predict"):
            wrap_method(xgboost.Booster, name, booster_method("xgboost.Booster", read_booster_call))

    def _uninstrument(self, **kwargs: Any) -> None:
        for cls in getattr(self, "_owners", []):
            for name in ("predict", "predict_proba", "fit"):
                unwrap_method(cls, name)
        booster = getattr(self, "_booster", None)
        if booster is not None:
            for name in ("predict", "inplace_predict"):
                unwrap_method(booster, name)

