"""Zero-code monitoring of LightGBM models: the scikit-learn API (``LGBMClassifier``,
``LGBMRegressor``, ``LGBMRanker``: ``predict`` and ``predict_proba``) and ``Booster.predict``.

Usage::

    opentelemetry-instrument python app.py          # entry point otel_ml_lightgbm; or in code:

    from otel_ml.instrumentation.lightgbm import LightGBMInstrumentor
    LightGBMInstrumentor().instrument()

A booster's output is read by its objective (:mod:`otel_ml.instrumentation._boosters`); calls
asking for raw scores, leaves or contributions are explanations, not predictions. Features are
named from ``Booster.feature_name()``. ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=otel_ml_lightgbm``
turns it off.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Hashable
from typing import Any

from otel_ml.instrumentation._boosters import BoosterLibraryInstrumentor, Kind, booster_reader, lightgbm_kind
from otel_ml.instrumentation._estimators import feature_rows

_instruments = ("lightgbm >= 4.0",)
_GENERATED = re.compile(r"Column_\d+")
_SKLEARN_API = ("LGBMModel", "LGBMClassifier", "LGBMRegressor", "LGBMRanker")


def _kind(booster: Any) -> Kind:
    objective = str((getattr(booster, "params", None) or {}).get("objective", ""))
    if not objective:
        try:
            for line in booster.model_to_string(num_iteration=1).splitlines()[:20]:
                if line.startswith("objective="):
                    objective = line.split("=", 1)[1]
                    break
        except Exception:  # noqa: BLE001
            pass
    return lightgbm_kind(objective)


def _rows(booster: Any, data: Any) -> tuple[Any, Hashable | None, int | None]:
    try:
        names = booster.feature_name()
    except Exception:  # noqa: BLE001
        names = None
    if names and all(_GENERATED.fullmatch(str(n)) for n in names):
        names = None                        # trained on an array: Column_0, Column_1, ... are no names
    return feature_rows(data, names) if not isinstance(data, str) else (None, ("file", data), None)


read_booster_call = booster_reader(_rows, _kind)


class LightGBMInstrumentor(BoosterLibraryInstrumentor):
    """Patches LightGBM's scikit-learn classes and its Booster."""

    library = "lightgbm"
    sklearn_api = _SKLEARN_API
    booster_methods = ("predict",)
    read_booster = staticmethod(read_booster_call)

    def instrumentation_dependencies(self) -> Collection[str]:
        return _instruments
