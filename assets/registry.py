"""The telemetry registry (``model/registry.yaml``) read into typed entries.

>>> registry = load()
>>> registry.attribute("ML_MODEL_NAME").name
'ml.model.name'
>>> registry.metric("ML_PREDICTION_DURATION").instrument, registry.metric("ML_PREDICTION_DURATION").unit
('histogram', 's')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "model" / "registry.yaml"

INSTRUMENTS = ("counter", "histogram", "up_down_counter", "observable_counter", "observable_gauge",
               "observable_up_down_counter")
STABILITIES = ("development", "stable")


@dataclass(frozen=True)
class Attribute:
    id: str
    name: str
    type: str
    where: tuple[str, ...]
    brief: str
    values: tuple[str, ...] = ()
    stability: str = "development"


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    instrument: str
    unit: str
    """An OpenTelemetry unit, or ``user`` when the caller gives it."""
    attributes: tuple[str, ...]
    brief: str
    description: str
    buckets: str | None = None
    """A bucket set's id, ``user`` (the caller's), or ``None`` for the SDK's default."""
    stability: str = "development"

    @property
    def factory(self) -> str:
        """The name of its factory in otel_ml.semconv: ``create_`` and the id (less ``_METRIC``)."""
        return "create_" + self.id.lower().removesuffix("_metric")


@dataclass(frozen=True)
class Name:
    """A span, span event or log event name, or another library's name otel_ml reads."""

    id: str
    name: str
    brief: str
    kind: str = ""
    instrument: str = ""
    unit: str = ""
    stability: str = "development"


@dataclass(frozen=True)
class Registry:
    buckets: dict[str, tuple[tuple[float, ...], str]]
    values: dict[str, tuple[str, str]]
    attributes: tuple[Attribute, ...]
    metrics: tuple[Metric, ...]
    spans: tuple[Name, ...]
    events: tuple[Name, ...]
    log_events: tuple[Name, ...]
    external: tuple[Name, ...]

    def metric(self, id: str) -> Metric:
        return {m.id: m for m in self.metrics}[id]

    def attribute(self, id: str) -> Attribute:
        return {a.id: a for a in self.attributes}[id]


def _check(registry: Registry) -> None:
    ids = [e.id for group in (registry.attributes, registry.metrics, registry.spans, registry.events,
                              registry.log_events, registry.external) for e in group]
    ids += list(registry.buckets) + list(registry.values)
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"{REGISTRY.name}: ids used twice: {duplicated}")
    attribute_ids = {a.id for a in registry.attributes}
    for metric in registry.metrics:
        if metric.instrument not in INSTRUMENTS:
            raise ValueError(f"{metric.id}: instrument must be one of {INSTRUMENTS}")
        unknown = [a for a in metric.attributes if a not in attribute_ids]
        if unknown:
            raise ValueError(f"{metric.id}: unknown attributes {unknown}")
        if metric.buckets not in (None, "user", *registry.buckets):
            raise ValueError(f"{metric.id}: unknown bucket set {metric.buckets!r}")
        if metric.buckets is not None and metric.instrument != "histogram":
            raise ValueError(f"{metric.id}: only a histogram has buckets")
    entries: tuple[Attribute | Metric, ...] = (*registry.attributes, *registry.metrics)
    for entry in entries:
        if entry.stability not in STABILITIES:
            raise ValueError(f"{entry.id}: stability must be one of {STABILITIES}")
        if not entry.name.startswith("ml.") and entry.stability != "stable":
            raise ValueError(f"{entry.id}: a name outside ml. must be a stable OpenTelemetry one")


def load(path: Path = REGISTRY) -> Registry:
    """Read and check the registry: ids unique, attributes known, instruments and buckets valid."""
    data = yaml.safe_load(path.read_text())

    def names(key: str) -> tuple[Name, ...]:
        return tuple(Name(**entry) for entry in data.get(key, []))

    registry = Registry(
        buckets={k: (tuple(float(x) for x in v["values"]), v["brief"]) for k, v in data["buckets"].items()},
        values={k: (v["value"], v["brief"]) for k, v in data["values"].items()},
        attributes=tuple(Attribute(**{**a, "where": tuple(a["where"]), "values": tuple(a.get("values", ()))})
                         for a in data["attributes"]),
        metrics=tuple(Metric(**{**m, "attributes": tuple(m["attributes"])}) for m in data["metrics"]),
        spans=names("spans"), events=names("events"), log_events=names("log_events"), external=names("external"),
    )
    _check(registry)
    return registry
