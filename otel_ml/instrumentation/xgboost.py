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
from collections.abc import Collection, Hashable
from typing import Any

from otel_ml.instrumentation._boosters import BoosterLibraryInstrumentor, Kind, booster_reader, xgboost_kind
from otel_ml.instrumentation._estimators import feature_rows

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


def _kind(booster: Any) -> Kind:
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


def _rows(booster: Any, data: Any) -> tuple[Any, Hashable | None, int | None]:
    return _matrix_rows(data, getattr(booster, "feature_names", None))


read_booster_call = booster_reader(_rows, _kind)


class XGBoostInstrumentor(BoosterLibraryInstrumentor):
    """Patches XGBoost's scikit-learn classes and its Booster."""

    library = "xgboost"
    sklearn_api = _SKLEARN_API
    booster_methods = ("predict", "inplace_predict")
    read_booster = staticmethod(read_booster_call)

    def instrumentation_dependencies(self) -> Collection[str]:
        return (_instruments[0].replace("xgboost", installed_distribution("xgboost", "xgboost-cpu")),)
