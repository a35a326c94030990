"""Instrumentation of existing apps and models: :mod:`.flask`, :mod:`.fastapi` (HTTP),
:mod:`.sklearn`, :mod:`.xgboost`, :mod:`.lightgbm`, :mod:`.onnxruntime` (model libraries) and
:mod:`.auto` (the zero-code entry points).

This package imports no web framework and no model library; each module imports its own.
:func:`prediction_scope` groups the model calls of a block as one HTTP request does.
"""

from typing import Any

__all__ = ["prediction_scope"]


def __getattr__(name: str) -> Any:
    if name == "prediction_scope":
        from otel_ml.instrumentation._scope import prediction_scope

        return prediction_scope
    raise AttributeError(f"module 'otel_ml.instrumentation' has no attribute {name!r}")
