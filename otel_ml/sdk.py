"""Opt-in SDK set-up: providers, OTLP exporters and process metrics, from ``OTEL_*`` env.

This is the only place in otel_ml that sets global providers, and it never replaces one the
application (or ``opentelemetry-instrument``) set already. Calling it twice returns the first
set-up.

Usage::

    export OTEL_SERVICE_NAME=fraud-api
    export OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318     # gRPC: http://collector:4317
    export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf             # or grpc
    export OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer%20token"
    export OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=prod"
    export OTEL_METRIC_EXPORT_INTERVAL=15000

    telemetry = otel_ml.configure()          # arguments win over the environment

Read at call time: ``OTEL_SDK_DISABLED``, ``OTEL_EXPORTER_OTLP_PROTOCOL`` (default
``http/protobuf``, as the specification says), ``OTEL_EXPORTER_OTLP_ENDPOINT`` and the
per-signal endpoints, ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_EXPORTER_OTLP_TIMEOUT`` (seconds,
in Python), ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_METRIC_EXPORT_INTERVAL``,
``OTEL_TRACES_SAMPLER`` and its argument, and ``OTEL_ML_SYSTEM_METRICS``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics as metrics_api
from opentelemetry import trace as trace_api

from otel_ml import environment_variables as ev
from otel_ml import logs as otel_ml_logs
from otel_ml._exporters import GRPC, HTTP, collector_address, exporter_args, exporters_for
from otel_ml._log_queue import flush_all as flush_prediction_logs
from otel_ml.config import env_flag

_logger = logging.getLogger(__name__)

SYSTEM_METRICS: dict[str, list[str] | None] = {
    "process.cpu.time": ["user", "system"],
    "process.cpu.utilization": ["user", "system"],
    "process.memory.usage": None,
    "process.memory.virtual": None,
    "process.thread.count": None,
    "process.open_file_descriptor.count": None,
    "system.cpu.utilization": ["idle", "user", "system", "iowait"],
    "system.memory.usage": ["used", "free", "cached"],
    "system.memory.utilization": ["used", "free", "cached"],
    "cpython.gc.collections": None,
}
"""What ``system_metrics=True`` turns on: the process's CPU and memory, and the host's."""


@dataclass(frozen=True)
class Telemetry:
    """The providers otel_ml uses after :func:`configure` (set by it, or found already set)."""

    tracer_provider: Any
    meter_provider: Any
    logger_provider: Any
    configured_by_otel_ml: bool

    def force_flush(self, timeout_millis: int = 10_000) -> None:
        """Push what is buffered now. The SDK reports success even when an export failed, so this
        returns nothing: check the backend."""
        flush_prediction_logs()
        _flush_drift_counts()
        for provider in (self.tracer_provider, self.meter_provider, self.logger_provider):
            flush = getattr(provider, "force_flush", None)
            if flush is not None:
                flush(timeout_millis)

    def shutdown(self) -> None:
        """Flush and shut the providers down, once: the exit hooks then leave them alone."""
        from otel_ml._shutdown import mark_shut_down

        flush_prediction_logs()
        for provider in (self.tracer_provider, self.meter_provider, self.logger_provider):
            stop = getattr(provider, "shutdown", None)
            if stop is not None:
                mark_shut_down(provider)
                stop()


def _flush_drift_counts() -> None:
    import sys

    if "otel_ml.drift._thread" in sys.modules:        # only when drift is in use: no SciPy import here
        sys.modules["otel_ml.drift._thread"].flush_all_counts()


SDK_INTERNAL_METRICS = "OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED"
PRODUCTION_TRACE_RATIO = 0.1
"""Share of traces the production profile (``OTEL_ML_PROFILE=production``) samples."""
"""The SDK's switch for its own metrics (``otel_sdk_exporter_span_exported_total{error_type}``, ...):
configure() sets it to ``true`` when it is unset, so that no span or log record is lost silently."""
DEFAULT_EXPORT_INTERVAL_MILLIS = 10_000
"""configure()'s metric export interval when neither the argument nor ``OTEL_METRIC_EXPORT_INTERVAL`` sets one."""

_lock = threading.Lock()
_configured: Telemetry | None = None


def configure(*, service_name: str | None = None, endpoint: str | None = None, protocol: str | None = None,
              headers: Mapping[str, str] | str | None = None, resource_attributes: Mapping[str, Any] | None = None,
              export_interval_millis: float | None = None, timeout: float | None = None,
              traces: bool = True, metrics: bool = True, logs: bool = True,
              system_metrics: bool | None = None, metric_readers: Sequence[Any] = (),
              span_processors: Sequence[Any] = ()) -> Telemetry:
    """Set up tracing, metrics and logs over OTLP, unless the application already has.

    Parameters
    ----------
    service_name, resource_attributes
        Win over ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``.
    endpoint, protocol, headers, timeout
        The collector: base URL (``/v1/<signal>`` is added for HTTP), ``grpc`` or
        ``http/protobuf``, headers (a mapping or ``k=v,k2=v2``), export timeout in seconds.
    (Also: the SDK's own metrics, which count the spans, log records and metric points it drops
    or fails to export, are turned on unless ``OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED`` is set;
    they count per batch. Its per-item counters, of spans started and live and of log records
    created, are left out: three metric measurements per span, paid on the request thread. An
    unreachable collector is said once, with how to start one, instead of at every export:
    :mod:`otel_ml._unreachable`.)
    export_interval_millis
        How often metrics are exported (``OTEL_METRIC_EXPORT_INTERVAL``). Default 10000, not the
        SDK's 60000: a worker killed without its exit hooks loses on average half an interval of
        counts, and alerts see a change one interval late.
    traces, metrics, logs, system_metrics
        Which parts to set up.
    metric_readers, span_processors
        Added next to the OTLP ones in the providers this call creates (such as a Prometheus
        reader, or an in-memory reader for a live console). Not applied to providers that were
        already set.
    """
    global _configured
    with _lock:
        if _configured is not None:
            _logger.debug("otel_ml.configure() was called before; returning the first set-up")
            return _configured
        if env_flag("OTEL_SDK_DISABLED", False):
            return _current(configured=False)
        from opentelemetry.sdk.resources import Resource

        attributes = dict(resource_attributes or {})
        if service_name:
            attributes["service.name"] = service_name
        resource = Resource.create(attributes)
        protocol = (protocol or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip() or HTTP).lower()
        if protocol not in (GRPC, HTTP):
            raise ValueError(f"protocol must be 'grpc' or 'http/protobuf', got {protocol!r}.")
        per_signal = exporter_args(protocol, endpoint, headers, timeout)
        # the SDK counts what it drops or fails to export only when asked: ask, unless told not to
        os.environ.setdefault(SDK_INTERNAL_METRICS, "true")
        did_set = False
        if traces and _unset(trace_api.get_tracer_provider(), trace_api.ProxyTracerProvider):
            tracer_provider = _tracer_provider(resource, protocol, per_signal)
            for processor in span_processors:
                tracer_provider.add_span_processor(processor)
            trace_api.set_tracer_provider(tracer_provider)
            did_set = True
        if metrics and _unset(metrics_api.get_meter_provider(), _proxy_meter_provider_type()):
            metrics_api.set_meter_provider(_meter_provider(resource, protocol, per_signal, export_interval_millis,
                                                                  metric_readers))
            did_set = True
        if logs and not otel_ml_logs.global_provider_is_set():
            otel_ml_logs.set_global_provider(otel_ml_logs.sdk_logger_provider(resource, [
                otel_ml_logs.otlp_exporter(protocol, **per_signal.get("logs", {})) if name == "otlp"
                else otel_ml_logs.console_exporter() for name in exporters_for("logs")]))
            did_set = True
        if did_set and any("otlp" in exporters_for(signal) for signal in ("traces", "metrics", "logs")):
            from otel_ml._unreachable import say_once

            say_once(collector_address(protocol, endpoint))
        if system_metrics if system_metrics is not None else env_flag(ev.OTEL_ML_SYSTEM_METRICS, True):
            _start_system_metrics()
        # a bounded exit, registered after the providers' own exit hooks so that it runs first
        # (it flushes otel_ml's queued prediction records, then shuts every provider down at once)
        from otel_ml import _shutdown

        _shutdown.install()
        _configured = _current(configured=did_set)
        return _configured


def current_telemetry() -> Telemetry:
    """The global providers, whoever set them, as a :class:`Telemetry` to flush or shut down."""
    return _current(configured=False)


def _current(configured: bool) -> Telemetry:
    return Telemetry(trace_api.get_tracer_provider(), metrics_api.get_meter_provider(), otel_ml_logs.global_provider(),
                     configured)


def _unset(provider: Any, proxy_type: type) -> bool:
    if isinstance(provider, proxy_type):
        return True
    _logger.info("otel_ml.configure(): keeping the %s the application set", type(provider).__name__)
    return False


def _proxy_meter_provider_type() -> type:
    from opentelemetry.metrics._internal import _ProxyMeterProvider

    return _ProxyMeterProvider


def _tracer_provider(resource: Any, protocol: str, args: dict[str, dict[str, Any]]) -> Any:
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    if protocol == GRPC:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # type: ignore[assignment]
    # the sampler comes from OTEL_TRACES_SAMPLER (in the production profile, without it, 10% of
    # traces, parent-based); the SDK's per-span counters (spans started and live: three metric
    # measurements per span, on the request thread) go to a no-op meter, while the batch processor
    # and exporter, built below with the global one, count what they lose per batch
    sampler = None
    if not os.environ.get("OTEL_TRACES_SAMPLER", "").strip() and \
            os.environ.get(ev.OTEL_ML_PROFILE, "").strip().lower() == "production":
        sampler = ParentBased(TraceIdRatioBased(PRODUCTION_TRACE_RATIO))
    provider = TracerProvider(resource=resource, meter_provider=NoOpMeterProvider(), sampler=sampler)
    for name in exporters_for("traces"):
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(**args["traces"])) if name == "otlp"
                                    else SimpleSpanProcessor(ConsoleSpanExporter()))
    return provider


def _meter_provider(resource: Any, protocol: str, args: dict[str, dict[str, Any]],
                    interval: float | None, extra_readers: Sequence[Any] = ()) -> Any:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader

    if protocol == GRPC:
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter  # type: ignore[assignment]
    if interval is None and not os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "").strip():
        interval = DEFAULT_EXPORT_INTERVAL_MILLIS
    readers = [PeriodicExportingMetricReader(OTLPMetricExporter(**args["metrics"]) if name == "otlp"
                                             else ConsoleMetricExporter(), export_interval_millis=interval)
               for name in exporters_for("metrics")]
    return MeterProvider(resource=resource, metric_readers=[*readers, *extra_readers])


def _start_system_metrics() -> None:
    try:
        from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
    except ImportError:
        _logger.warning("otel_ml: opentelemetry-instrumentation-system-metrics is not installed; no CPU/memory metrics")
        return
    instrumentor = SystemMetricsInstrumentor(config=SYSTEM_METRICS)
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def _reset_for_tests() -> None:
    """Forget an earlier :func:`configure` (the global providers themselves stay set)."""
    global _configured
    _configured = None
