"""otel_ml/_fork.py: in a forked child the SDK's metric lock is renewed and the OTLP/HTTP connection pools are empty."""

import os

from tests.forks import exit_code_or_none
from tests.integration.servers import PostReceiver


def test_a_monitor_can_be_built_in_a_child_forked_while_a_metric_collection_held_the_sdk_lock():
    from opentelemetry.sdk.metrics import MeterProvider

    from otel_ml import ModelMonitor, _fork

    provider = MeterProvider()
    _fork.track(provider)                                   # as the global provider always is
    provider._measurement_consumer._lock.acquire()          # as a collection in progress would
    pid = os.fork()
    if pid == 0:
        ModelMonitor("child", meter_provider=provider)     # registers observable instruments
        os._exit(0)
    provider._measurement_consumer._lock.release()
    assert exit_code_or_none(pid) == 0, "the child deadlocked on the SDK's lock"


def test_a_forked_child_exports_on_its_own_connection_not_on_one_inherited_from_its_parent():
    """gunicorn forks workers from a master that ``opentelemetry-instrument`` set up: a keep-alive
    connection the master's OTLP/HTTP exporter had pooled is inherited by every worker, their
    requests interleave on it, and the collector answers 400 to a mangled batch (seen with rotel:
    'failed to decode Protobuf message'). Each process must open its own connection."""
    import requests
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    import otel_ml  # noqa: F401 - registers otel_ml's fork handlers, as the instrumentor's import does
    from otel_ml import _fork

    senders: list[str] = []
    server = PostReceiver(lambda path, headers, body: senders.append(headers.get("x-sender", "")), keep_alive=True)
    session = requests.Session()                           # the exporter's default, passed in to label the senders
    exporter = OTLPMetricExporter(endpoint=f"{server.url}/v1/metrics", session=session)
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(metric_readers=[reader])
    _fork.track(provider)
    counter = provider.get_meter("test").create_counter("forked")
    try:
        session.headers["x-sender"] = "parent"
        counter.add(1)
        reader.collect()                                    # the parent's connection is now pooled
        pid = os.fork()
        if pid == 0:
            session.headers["x-sender"] = "child"
            counter.add(1)
            reader.collect()
            os._exit(0)
        assert exit_code_or_none(pid) == 0
        counter.add(1)
        reader.collect()
        seen = list(zip(server.client_ports, senders))
        ports = {sender: {port for port, who in seen if who == sender} for sender in ("parent", "child")}
        assert ports["parent"] and ports["child"], seen
        assert not ports["parent"] & ports["child"], f"one connection carried both processes' exports: {seen}"
    finally:
        provider.shutdown()
        server.stop()


def test_the_span_and_log_exporters_pools_are_found_from_their_providers_too():
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from otel_ml import _fork

    tracer_provider, logger_provider = TracerProvider(), LoggerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint="http://127.0.0.1:9/v1/traces")))
    tracer_provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint="http://127.0.0.1:9/v1/traces")))
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint="http://127.0.0.1:9/v1/logs")))
    try:
        # each requests session holds two pool managers, for http:// and https://
        assert _fork._empty_http_pools([tracer_provider]) == 4
        assert _fork._empty_http_pools([logger_provider]) == 2
    finally:
        tracer_provider.shutdown()
        logger_provider.shutdown()
