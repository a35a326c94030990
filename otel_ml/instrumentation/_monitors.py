"""The process's monitors for instrumented apps and model libraries, built from ``OTEL_ML_*``.

With ``OTEL_ML_MODEL_NAME`` set, every instrumented model call and HTTP prediction of the
process goes to one monitor of that name (with drift on ``OTEL_ML_REFERENCE``). Without it, a
model call goes to a monitor named after the model (``RandomForestClassifier``, an ONNX graph's
name) and the HTTP layer's own reading to one named ``model``. Monitors are built on first use,
after the SDK is configured, with the providers the instrumentors were given (``None``: the
global ones).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from otel_ml import environment_variables as ev

if TYPE_CHECKING:
    from otel_ml.monitor import ModelMonitor

DEFAULT_NAME = "model"
_lock = threading.RLock()
_monitors: dict[str, ModelMonitor] = {}
_providers: dict[str, Any] = {}


def use_providers(**providers: Any) -> None:
    """Remember the providers an instrumentor was given (``tracer_provider``, ``meter_provider``,
    ``logger_provider``) for the monitors built afterwards."""
    for key in ("tracer_provider", "meter_provider", "logger_provider"):
        if providers.get(key) is not None:
            _providers[key] = providers[key]


def configured_name() -> str | None:
    return os.environ.get(ev.OTEL_ML_MODEL_NAME, "").strip() or None


def monitor_named(name: str | None = None) -> ModelMonitor:
    """The monitor for a model called ``name`` (``OTEL_ML_MODEL_NAME`` wins when it is set)."""
    key = configured_name() or name or DEFAULT_NAME
    monitor = _monitors.get(key)
    if monitor is None:
        with _lock:
            monitor = _monitors.get(key)
            if monitor is None:
                monitor = _monitors[key] = build_monitor(key, with_reference=key == (configured_name() or DEFAULT_NAME))
    return monitor


def all_monitors() -> list[ModelMonitor]:
    return list(_monitors.values())


def record_outcome(prediction_id: str, actual: Any) -> bool:
    """Ground truth for a prediction of any of the process's monitors; an id none of them knows
    is counted once, as unmatched, on the default monitor."""
    for monitor in all_monitors():
        if monitor.knows(prediction_id):
            return monitor.record_outcome(prediction_id, actual)
    return monitor_named().record_outcome(prediction_id, actual)


def build_monitor(name: str, with_reference: bool = True) -> ModelMonitor:
    from otel_ml.monitor import ModelMonitor

    version = os.environ.get(ev.OTEL_ML_MODEL_VERSION, "").strip() or "unversioned"
    names = [n.strip() for n in os.environ.get(ev.OTEL_ML_FEATURE_NAMES, "").split(",") if n.strip()] or None
    drift = None
    reference = os.environ.get(ev.OTEL_ML_REFERENCE, "").strip()
    if reference and with_reference:
        from otel_ml.instrumentation._reference import load_reference

        drift = load_reference(reference, names)
        names = names or list(drift.reference.feature_names)
    return ModelMonitor(name, version, feature_names=names, drift=drift, **_providers)


def reset() -> None:
    """Forget every monitor and provider (tests)."""
    with _lock:
        _monitors.clear()
        _providers.clear()
