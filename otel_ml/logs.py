"""The one module that touches OpenTelemetry's logs API and SDK (still ``_logs``, still changing).

Keeping every import of ``opentelemetry._logs`` and ``opentelemetry.sdk._logs`` here means a
rename upstream touches a single file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry._logs import Logger, LoggerProvider, SeverityNumber, get_logger

from otel_ml.version import __version__

if TYPE_CHECKING:
    from opentelemetry.sdk.resources import Resource

INFO = SeverityNumber.INFO
WARN = SeverityNumber.WARN
ERROR = SeverityNumber.ERROR

__all__ = ["INFO", "WARN", "ERROR", "Logger", "prediction_logger", "sdk_logger_provider", "in_memory_exporter"]


def prediction_logger(logger_provider: LoggerProvider | None = None) -> Logger:
    """The logger otel_ml emits prediction records on; ``None`` means the global provider."""
    return get_logger("otel_ml", __version__, logger_provider)


def sdk_logger_provider(resource: Resource | None = None, exporter: Any = None, batch: bool = True) -> Any:
    """An SDK ``LoggerProvider``, with the exporter (or each of a list of them) behind a batch (or
    simple) processor. Its per-record counter (``otel.sdk.log.created``, a metric measurement per
    record) goes to a no-op meter; the processors count what they lose per batch."""
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk._logs import LoggerProvider as SdkLoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, SimpleLogRecordProcessor

    provider = SdkLoggerProvider(resource=resource, meter_provider=NoOpMeterProvider())
    for one in exporter if isinstance(exporter, list) else [exporter] if exporter is not None else []:
        processor = BatchLogRecordProcessor(one) if batch else SimpleLogRecordProcessor(one)
        provider.add_log_record_processor(processor)
    return provider


def console_exporter() -> Any:
    """Log records to stdout, one JSON document each (``OTEL_LOGS_EXPORTER=console``)."""
    from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter

    return ConsoleLogRecordExporter()


def in_memory_exporter() -> Any:
    """An in-memory log record exporter, for unit tests (``get_finished_logs()``, ``clear()``)."""
    from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter

    return InMemoryLogRecordExporter()  # type: ignore[no-untyped-call]


def otlp_exporter(protocol: str, **kwargs: Any) -> Any:
    """The OTLP log exporter for ``grpc`` or ``http/protobuf``."""
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    else:
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter  # type: ignore[assignment]
    return OTLPLogExporter(**kwargs)


def global_provider_is_set() -> bool:
    """Whether the application (or ``opentelemetry-instrument``) set a global logger provider."""
    from opentelemetry._logs import get_logger_provider
    from opentelemetry._logs._internal import ProxyLoggerProvider

    return not isinstance(get_logger_provider(), ProxyLoggerProvider)


def global_provider() -> Any:
    """The global logger provider (a proxy until one is set)."""
    from opentelemetry._logs import get_logger_provider

    return get_logger_provider()


def set_global_provider(provider: Any) -> None:
    from opentelemetry._logs import set_logger_provider

    set_logger_provider(provider)
