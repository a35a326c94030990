"""What Flask and FastAPI instrumentation share: which requests are predictions, where their
features and outputs are, and the monitor to use.

>>> features = json_field("inputs.row")
>>> features({"inputs": {"row": [1, 2]}}), features({"other": 1}), features("not json")
([1, 2], None, None)
>>> read_output({"prediction": "spam", "confidence": 0.9})
('spam', 0.9, None)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from otel_ml._outputs import interpret

Extractor = Callable[[Any], Any]
OutputReader = Callable[[Any], "tuple[Any, Any, Any]"]
DEFAULT_ROUTES = ("/predict",)
MAX_BODY = 1 << 20
"""Request and response bodies larger than this (1 MiB) are passed through unread."""


def json_field(path: str) -> Extractor:
    """A getter for a dotted path in a JSON document (``None`` when it is not there)."""
    keys = [key for key in path.split(".") if key]

    def get(document: Any) -> Any:
        for key in keys:
            if not isinstance(document, dict):
                return None
            document = document.get(key)
        return document

    return get


def read_output(document: Any) -> tuple[Any, Any, Any]:
    """``(label, confidence, value)`` from a response document, looking inside ``prediction``
    when it is an object."""
    if isinstance(document, dict) and isinstance(document.get("prediction"), dict):
        return interpret(document["prediction"])
    return interpret(document) if isinstance(document, (dict, float)) else (None, None, None)


@dataclass
class AppMonitoring:
    """Per-app state: kept in ``app.extensions["otel_ml"]`` (Flask) or ``app.state.otel_ml`` (FastAPI)."""

    monitor: Any
    routes: frozenset[str]
    features: Extractor
    output: OutputReader
    methods: frozenset[str] = field(default_factory=lambda: frozenset({"POST", "PUT"}))

    def is_prediction(self, method: str, route: str | None) -> bool:
        return method in self.methods and route is not None and ("*" in self.routes or route in self.routes)


def app_monitoring(monitor: Any, routes: Iterable[str] | None, features: Extractor | str | None,
                   output: OutputReader | None) -> AppMonitoring:
    if monitor is None:
        monitor = monitor_from_env()
    extractor = json_field(features) if isinstance(features, str) else features or json_field("features")
    return AppMonitoring(monitor, frozenset(routes or DEFAULT_ROUTES), extractor, output or read_output)


def monitor_from_env() -> Any:
    """A :class:`~otel_ml.ModelMonitor` configured by ``OTEL_ML_MODEL_NAME`` and
    ``OTEL_ML_MODEL_VERSION``, with drift on ``OTEL_ML_REFERENCE`` when it is set."""
    from otel_ml.monitor import ModelMonitor

    name = os.environ.get("OTEL_ML_MODEL_NAME", "").strip() or "model"
    version = os.environ.get("OTEL_ML_MODEL_VERSION", "").strip() or "unversioned"
    names = [n.strip() for n in os.environ.get("OTEL_ML_FEATURE_NAMES", "").split(",") if n.strip()] or None
    drift = None
    reference = os.environ.get("OTEL_ML_REFERENCE", "").strip()
    if reference:
        from otel_ml.instrumentation._reference import load_reference

        drift = load_reference(reference, names)
        names = names or list(drift.reference.feature_names)
    return ModelMonitor(name, version, feature_names=names, drift=drift)


def env_routes() -> list[str] | None:
    raw = os.environ.get("OTEL_ML_ROUTES", "").strip()
    return [r.strip() for r in raw.split(",") if r.strip()] or None


def env_features() -> str | None:
    return os.environ.get("OTEL_ML_FEATURES_FIELD", "").strip() or None
