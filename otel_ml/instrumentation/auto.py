"""Zero-code monitoring: the ``opentelemetry_instrumentor`` entry point ``otel_ml``.

    export OTEL_ML_MODEL_NAME=fraud OTEL_ML_MODEL_VERSION=v3
    export OTEL_ML_ROUTES=/predict OTEL_ML_FEATURES_FIELD=features
    export OTEL_ML_REFERENCE=reference.csv           # optional: drift against this data
    opentelemetry-instrument python app.py            # or: flask run, gunicorn app:app, uvicorn app:app

Every Flask and FastAPI app the program creates is monitored as
:meth:`FlaskModelInstrumentor.instrument_app` / :meth:`FastAPIModelInstrumentor.instrument_app`
would, with one :class:`~otel_ml.ModelMonitor` per process built from the environment.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=otel_ml`` turns it off.
"""

from __future__ import annotations

import logging
from typing import Any, Collection

from opentelemetry.instrumentation.instrumentor import BaseInstrumentor

_logger = logging.getLogger(__name__)


class MLInstrumentor(BaseInstrumentor):
    """Instruments Flask and FastAPI, whichever are installed."""

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()

    def _instrument(self, **kwargs: Any) -> None:
        self._parts: list[Any] = []
        shared: dict[str, Any] = {}

        def monitor() -> Any:
            if "monitor" not in shared:
                from otel_ml.instrumentation._common import monitor_from_env

                shared["monitor"] = monitor_from_env()
            return shared["monitor"]

        for module, cls in (("otel_ml.instrumentation.flask", "FlaskModelInstrumentor"),
                            ("otel_ml.instrumentation.fastapi", "FastAPIModelInstrumentor")):
            try:
                instrumentor = getattr(__import__(module, fromlist=[cls]), cls)()
            except ImportError:
                continue
            instrumentor.instrument(monitor=_Lazy(monitor), skip_dep_check=True)
            self._parts.append(instrumentor)
        if not self._parts:
            _logger.info("otel_ml: neither Flask nor FastAPI is installed; nothing to instrument")

    def _uninstrument(self, **kwargs: Any) -> None:
        for part in getattr(self, "_parts", []):
            part.uninstrument()


class _Lazy:
    """The process's monitor, built on first use (after the SDK is configured)."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory

    def __getattr__(self, name: str) -> Any:
        return getattr(self._factory(), name)
