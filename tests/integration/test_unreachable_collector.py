"""A dead or black-holed collector never blocks or breaks a prediction."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration import servers

pytestmark = pytest.mark.integration
APP = Path(__file__).parent / "apps" / "unreachable_collector_app.py"


@pytest.fixture
def black_hole():
    """Accepts TCP connections (the kernel completes the handshake) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def dead_port():
    return f"http://127.0.0.1:{servers.free_port()}"      # nothing listens there


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"], ids=["grpc", "http"])
@pytest.mark.parametrize("collector", ["dead_port", "black_hole"])
def test_predictions_go_on(request, collector, protocol):
    endpoint = request.getfixturevalue(collector)
    out = subprocess.run([sys.executable, str(APP), endpoint, protocol], capture_output=True, text=True,
                         timeout=120, env={"OTEL_BSP_SCHEDULE_DELAY": "50", "OTEL_BLRP_SCHEDULE_DELAY": "50",
                                           "PATH": "/usr/bin:/bin", "OTEL_ML_SYSTEM_METRICS": "false"})
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    run, shutdown = lines[0], lines[1]
    assert run["done"] > 500
    # exports time out after 2 s and retry; a prediction that waited on one would take that long
    assert run["slowest_s"] < 0.5, run
    assert shutdown["shutdown_s"] < 60


@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"], ids=["grpc", "http"])
def test_serve_without_a_collector_says_so_once_and_how_to_start_one(dead_port, protocol, tmp_path):
    """``otel-ml serve`` with nothing at the endpoint: one line naming it and the ways out, not one per export."""
    port = servers.free_port()
    service = servers.Process("otel-ml-serve", [sys.executable, "-m", "otel_ml.cli", "serve", "--port", str(port)],
                              tmp_path, env={"OTEL_EXPORTER_OTLP_ENDPOINT": dead_port, "PATH": "/usr/bin:/bin",
                                             "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
                                             "OTEL_METRIC_EXPORT_INTERVAL": "500", "OTEL_BSP_SCHEDULE_DELAY": "100"})
    try:
        service.wait_ready(lambda: servers.http_get(f"http://127.0.0.1:{port}/healthz"), timeout=60)
        for _ in range(20):       # spans and log records to export too; answered or refused, they are not the point
            request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", b"{}", method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                urllib.request.urlopen(request, timeout=10).close()
            except OSError:
                pass
        servers.wait_for(lambda: "cannot reach the collector" in service.log(), 30, "the notice")
        time.sleep(6)       # a dozen metric exports more
    finally:
        service.stop()
    log = service.log()
    assert log.count(f"otel-ml cannot reach the collector at {dead_port}") == 1, log
    assert "OTEL_TRACES_EXPORTER=console" in log and "compose/" in log
    assert "Transient error" not in log and "Failed to export" not in log, log
    assert "held back since" not in log           # the repeat is every 10 minutes


@pytest.fixture
def rejecting_collector():
    """An OTLP/HTTP endpoint that answers every export with 400 Bad Request: reachable, and refusing."""
    import http.server
    import threading

    class Reject(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the handler's API
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(400, "Bad Request")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Reject)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_collector_that_answers_with_an_error_is_reported_as_it_is(rejecting_collector, tmp_path):
    """A 400 is not 'cannot reach': the SDK's own line, with the code, gets through and no notice is said."""
    port = servers.free_port()
    service = servers.Process("otel-ml-serve", [sys.executable, "-m", "otel_ml.cli", "serve", "--port", str(port)],
                              tmp_path, env={"OTEL_EXPORTER_OTLP_ENDPOINT": rejecting_collector,
                                             "PATH": "/usr/bin:/bin", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                                             "OTEL_METRIC_EXPORT_INTERVAL": "500", "OTEL_BSP_SCHEDULE_DELAY": "100"})
    try:
        service.wait_ready(lambda: servers.http_get(f"http://127.0.0.1:{port}/healthz"), timeout=60)
        servers.wait_for(lambda: "code: 400" in service.log(), 30, "the SDK's line for the 400")
    finally:
        service.stop()
    log = service.log()
    assert "Failed to export metrics batch code: 400" in log, log
    assert "cannot reach the collector" not in log, log
