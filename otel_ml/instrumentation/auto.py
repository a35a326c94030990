"""Zero-code monitoring: the ``opentelemetry_instrumentor`` entry points of otel_ml.

    export OTEL_ML_MODEL_NAME=fraud OTEL_ML_MODEL_VERSION=v3
    export OTEL_ML_REFERENCE=reference.csv           # optional: drift against this data
    opentelemetry-instrument python app.py            # or: flask run, gunicorn app:app, uvicorn app:app

Entry points (each can be turned off with ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``):

- ``otel_ml``: every Flask and FastAPI app the program creates, as
  :meth:`FlaskModelInstrumentor.instrument_app` / :meth:`FastAPIModelInstrumentor.instrument_app`
  would do it, configured from ``OTEL_ML_*`` (routes, where features and outputs are);
- ``otel_ml_sklearn``, ``otel_ml_xgboost``, ``otel_ml_lightgbm``, ``otel_ml_onnxruntime``: the
  predict calls of those libraries, wherever the app makes them.

Monitors are built on first use, one per model (:mod:`otel_ml.instrumentation._monitors`), with
the providers ``opentelemetry-instrument`` hands every instrumentor.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from otel_ml.instrumentation._base import BaseInstrumentor

_logger = logging.getLogger(__name__)


class MLInstrumentor(BaseInstrumentor):
    """Instruments Flask and FastAPI, whichever are installed."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        from otel_ml import _shutdown

        _shutdown.install()                 # a bounded exit, run before the SDK's own exit hooks
        self._parts: list[Any] = []
        for module, cls in (("otel_ml.instrumentation.flask", "FlaskModelInstrumentor"),
                            ("otel_ml.instrumentation.fastapi", "FastAPIModelInstrumentor")):
            try:
                instrumentor = getattr(__import__(module, fromlist=[cls]), cls)()
            except ImportError:
                continue
            instrumentor.instrument(**{k: v for k, v in kwargs.items() if k != "skip_dep_check"},
                                    skip_dep_check=True)
            self._parts.append(instrumentor)
        if not self._parts:
            _logger.info("otel_ml: neither Flask nor FastAPI is installed; nothing to instrument")

    def _uninstrument(self, **kwargs: Any) -> None:
        for part in getattr(self, "_parts", []):
            part.uninstrument()
