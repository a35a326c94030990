"""otel_ml/_fork.py: the SDK's metric lock, held at fork time, is renewed in the child."""

import os

from tests.forks import exit_code_or_none


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


class _KeepAliveRecorder:
    """A loopback HTTP/1.1 server that keeps connections open, like a collector, and records the
    client port and the ``x-sender`` header of every POST."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.seen: list[tuple[int, str]] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen.append((self.client_address[1], self.headers.get("x-sender", "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/metrics"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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

    server = _KeepAliveRecorder()
    session = requests.Session()                           # the exporter's default, passed in to label the senders
    exporter = OTLPMetricExporter(endpoint=server.url, session=session)
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
        ports = {sender: {port for port, who in server.seen if who == sender} for sender in ("parent", "child")}
        assert ports["parent"] and ports["child"], server.seen
        assert not ports["parent"] & ports["child"], f"one connection carried both processes' exports: {server.seen}"
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
