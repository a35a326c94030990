"""Fresh providers with in-memory sinks for every test; no global provider is touched."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_ml import ModelMonitor, logs


@dataclass
class Sinks:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    logger_provider: Any
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader
    log_exporter: Any

    monitors: list[ModelMonitor] = field(default_factory=list)

    def monitor(self, name: str = "fraud", version: str = "v3", **kwargs: Any) -> ModelMonitor:
        monitor = ModelMonitor(name, version, tracer_provider=self.tracer_provider,
                               meter_provider=self.meter_provider, logger_provider=self.logger_provider, **kwargs)
        self.monitors.append(monitor)
        return monitor

    def finished_spans(self) -> list[Any]:
        return list(self.spans.get_finished_spans())

    def logs(self) -> list[Any]:
        """The log records emitted so far (prediction records are flushed from the monitor's queue)."""
        from otel_ml.instrumentation import _monitors

        for monitor in [*self.monitors, *_monitors.all_monitors()]:
            monitor.force_flush()
        return [data.log_record for data in self.log_exporter.get_finished_logs()]

    def points(self, metric_name: str, data: Any = None) -> list[Any]:
        """Every data point of one metric, across scopes, from ``data`` or a new collection.

        Exemplars are reset by each collection: read several metrics' exemplars from one ``data``."""
        data = data or self.reader.get_metrics_data()
        found = []
        for resource_metrics in data.resource_metrics if data else []:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == metric_name:
                        found.extend(metric.data.data_points)
        return found

    def value(self, metric_name: str, **attributes: str) -> float:
        """Sum of a counter's points (or a histogram's counts) whose attributes include ``attributes``."""
        wanted = {k.replace("__", "."): v for k, v in attributes.items()}
        total = 0.0
        for point in self.points(metric_name):
            if wanted.items() <= dict(point.attributes).items():
                total += getattr(point, "value", None) if hasattr(point, "value") else point.count
        return total


@pytest.fixture
def sinks() -> Sinks:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    log_exporter = logs.in_memory_exporter()
    logger_provider = logs.sdk_logger_provider(exporter=log_exporter, batch=False)
    yield Sinks(tracer_provider, meter_provider, logger_provider, spans, reader, log_exporter)
    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees another's OTEL_ML_* settings."""
    for name in list(os.environ):
        if name.startswith("OTEL_ML_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _fresh_process_monitors() -> None:
    """The zero-code monitors (one per process) are built anew for each test."""
    from otel_ml.instrumentation import _monitors

    _monitors.reset()
    yield
    _monitors.reset()


@pytest.fixture
def instrumented(sinks: Any) -> Callable[[type], Any]:
    """``instrumented(SklearnInstrumentor)`` instruments with the in-memory providers of ``sinks``."""
    started: list[Any] = []

    def instrument(cls: type) -> Any:
        instrumentor = cls()
        instrumentor.instrument(tracer_provider=sinks.tracer_provider, meter_provider=sinks.meter_provider,
                                logger_provider=sinks.logger_provider)
        started.append(instrumentor)
        return instrumentor

    yield instrument
    for instrumentor in reversed(started):
        instrumentor.uninstrument()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every integration test is slow too: ``-m "not slow"`` is the quick run."""
    for item in items:
        if item.get_closest_marker("integration") is not None:
            item.add_marker(pytest.mark.slow)
