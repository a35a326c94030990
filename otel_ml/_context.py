"""The two context variables the prediction paths share (no imports, so any module can use them)."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

INSIDE_MODEL_CALL: ContextVar[bool] = ContextVar("otel_ml_inside_model_call", default=False)
"""True while an outermost model call runs: the calls it makes are not predictions of their own."""
PREDICTION_SCOPE: ContextVar[Any] = ContextVar("otel_ml_prediction_scope", default=None)
"""The :class:`otel_ml.instrumentation._scope.Scope` of the current request, if any."""
