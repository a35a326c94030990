"""Loss is never silent: a collector stopped, then black-holed, then back, under load; the spans
the SDK counts as not exported (its own internal metrics, OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED)
are exactly the spans sent minus the spans that arrived."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration import servers
from tests.integration.test_shutdown import BlackHole

pytestmark = pytest.mark.integration
APPS = Path(__file__).parent / "apps"
BIN = Path(sys.executable).parent
LOST_SPANS = ('sum(otel_sdk_exporter_span_exported_total{service_name="%s",error_type!=""}) '
              'or vector(0)')
DROPPED_SPANS = ('sum(otel_sdk_processor_span_processed_total{service_name="%s",error_type!=""}) '
                 'or vector(0)')


def post(port: int) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=json.dumps({"features": [1, 2]}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def restart_rotel(tmp_path: Path, vm_url: str, sink: servers.OtlpSink, grpc_port: int,
                  http_port: int) -> servers.Process:
    """rotel again on the ports it left, once the kernel lets them go (a client's connection to the
    black hole, closed a moment ago, can hold the port for a while)."""
    attempt = 0

    def start() -> servers.Process | None:
        nonlocal attempt
        attempt += 1
        try:
            return servers.start_rotel(tmp_path, vm_url, f"{sink.url}/v1/traces", f"{sink.url}/v1/logs",
                                       grpc_port=grpc_port, http_port=http_port, name=f"rotel-loss-{attempt + 1}")[0]
        except RuntimeError as exited:
            if "Address already in use" in str(exited):
                return None
            raise

    return servers.wait_for(start, 30, "rotel restarted on its ports", interval=1)


def test_spans_not_exported_are_counted_exactly(pipeline, tmp_path):
    sink = servers.OtlpSink()
    vm_url = f"http://127.0.0.1:{pipeline.vm_port}/opentelemetry"
    collector, grpc_port, http_port = servers.start_rotel(tmp_path, vm_url, f"{sink.url}/v1/traces",
                                                          f"{sink.url}/v1/logs", name="rotel-loss")
    service, port = "loss-counted", servers.free_port()
    env = {**os.environ, "OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{http_port}",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_EXPORTER_OTLP_TIMEOUT": "2",
           "OTEL_METRIC_EXPORT_INTERVAL": "1000", "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_ML_MODEL_NAME": "loss",
           "OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED": "true", "OTEL_LOGS_EXPORTER": "none", "PYTHONPATH": str(APPS)}
    app = subprocess.Popen([str(BIN / "opentelemetry-instrument"), sys.executable, "zero_code_flask.py", str(port)],
                           cwd=APPS, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    hole = None
    requests = 0
    try:
        servers.wait_for(lambda: servers.port_open(port), 60, "app port")

        def load(count: int, seconds: float) -> None:
            nonlocal requests
            for _ in range(count):
                post(port)
                requests += 1
                time.sleep(seconds / count)

        load(40, 2)                                        # the collector up
        collector.stop()                                   # the collector gone: connections refused
        load(40, 4)
        hole = BlackHole.on(http_port)                     # the collector hangs: exports time out
        load(40, 6)
        hole.close()
        hole = None
        collector = restart_rotel(tmp_path, vm_url, sink, grpc_port, http_port)
        load(40, 2)                                        # back
        sent = 2 * requests                                # a server span and a prediction span per request

        def accounted() -> tuple[int, float] | None:
            received = sum(1 for r, _ in sink.spans if r.get("service.name") == service)
            lost = float(pipeline.vm.query(LOST_SPANS % service)[0]["value"][1]) + \
                float(pipeline.vm.query(DROPPED_SPANS % service)[0]["value"][1])
            return (received, lost) if received + lost >= sent else None

        received, lost = servers.wait_for(accounted, 60, "every span received or counted as lost", interval=1)
    finally:
        if hole is not None:
            hole.close()
        app.send_signal(signal.SIGINT)
        try:
            app.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
        collector.stop()
        sink.stop()
    assert lost > 0, "the outage lost nothing: the test did not test"
    assert received + lost == sent, (received, lost, sent)
    print(f"\n{requests} requests, {sent} spans sent: {received} arrived, {lost:.0f} counted as not exported")
