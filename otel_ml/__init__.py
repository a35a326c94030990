"""otel_ml: OpenTelemetry traces, metrics and logs for machine-learning models in production.

>>> import otel_ml
>>> monitor = otel_ml.ModelMonitor("doc-model", version="v1")
>>> with monitor.predict([1.0, 2.0]) as p:
...     p.record("yes", confidence=0.9)
>>> len(p.id)
16

Importing this package loads the OpenTelemetry API only: no SDK exporter, no Flask, FastAPI or
SciPy. :func:`configure` (which sets up the SDK) is loaded on first use.
"""

from typing import TYPE_CHECKING, Any

from otel_ml.config import MonitorConfig
from otel_ml.monitor import ModelMonitor
from otel_ml.prediction import Prediction
from otel_ml.version import __version__

if TYPE_CHECKING:
    from otel_ml.sdk import Telemetry, configure

__all__ = ["ModelMonitor", "MonitorConfig", "Prediction", "Telemetry", "configure", "__version__"]

_LAZY = {"configure": "otel_ml.sdk", "Telemetry": "otel_ml.sdk"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'otel_ml' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
