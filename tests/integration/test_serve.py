"""``otel-ml serve`` in its own process, as compose runs it: a production WSGI server (waitress).

Before, it ran on werkzeug's development server: a body shorter than its Content-Length hung a
thread forever, idle connections were held one thread each with no limit, and SIGTERM killed
it without a final flush.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otel_ml.demo.data import load
from otel_ml.promql import PREDICTIONS
from tests.integration import servers

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.integration


def row() -> bytes:
    data = load(7)
    return json.dumps({"features": dict(zip(data.feature_names, map(float, data.serving_x[0])))}).encode()


def predict(port: int, body: bytes, timeout: float = 10) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def serve(env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN / "otel-ml"), "serve", "--port", str(port)], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    servers.wait_for(lambda: servers.port_open(port) or proc.poll() is not None, 90, "otel-ml serve")
    assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
    return proc


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.communicate(timeout=30)[0]


def test_sigterm_ends_serve_with_a_final_flush(pipeline):
    """A 10-minute metric interval: only the exit's flush can deliver these counts."""
    port, service = servers.free_port(), "serve-sigterm"
    env = {"OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline.http_endpoint,
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "600000",
           "OTEL_ML_SHUTDOWN_TIMEOUT": "5"}
    proc = serve(env, port)
    try:
        body = row()
        assert [predict(port, body) for _ in range(20)] == [200] * 20
        began = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
        took = time.monotonic() - began
    finally:
        stop(proc)
    assert proc.returncode == 0, output[-3000:]
    assert "last export" in output and took < 10, (took, output[-3000:])
    got = pipeline.vm.wait_for(f'sum({PREDICTIONS}{{service_name="{service}"}})', timeout=30,
                               predicate=lambda r: bool(r) and float(r[0]["value"][1]) >= 20)
    assert float(got[0]["value"][1]) == 20
    print(f"\notel-ml serve: SIGTERM to exit {took:.2f} s, 20 of 20 predictions in VictoriaMetrics")


def test_slow_bodies_and_idle_connections_do_not_take_the_service_down(tmp_path):
    port = servers.free_port()
    env = {"OTEL_SERVICE_NAME": "serve-slow", "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
           "OTEL_LOGS_EXPORTER": "none", "OTEL_ML_SERVE_THREADS": "2", "OTEL_ML_SERVE_CONNECTION_LIMIT": "20",
           "OTEL_ML_SERVE_TIMEOUT": "2"}
    proc = serve(env, port)
    held: list[socket.socket] = []
    try:
        body = row()
        for i in range(30):                   # more than the threads, and than the connection limit
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            if i % 2:                         # a body far shorter than its Content-Length
                s.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 5000\r\n\r\n{\"features\":")
            held.append(s)
        began = time.monotonic()
        assert predict(port, body, timeout=15) == 200        # served: waiting at most for the timeout
        served_after = time.monotonic() - began
        time.sleep(3)                                          # past OTEL_ML_SERVE_TIMEOUT
        closed = 0
        for s in held:
            try:
                closed += s.recv(4096) == b"" or b"HTTP/1.1 " in s.recv(4096)
            except OSError:
                closed += 1
        assert closed == len(held), f"{len(held) - closed} of {len(held)} connections still held"
        assert predict(port, body) == 200
    finally:
        for s in held:
            s.close()
        output = stop(proc)
    assert served_after < 6, (served_after, output[-2000:])
    print(f"\notel-ml serve, 2 threads, 20 connections at most: a request behind 30 idle or half-sent "
          f"connections served in {served_after:.2f} s; all 30 dropped after the 2 s timeout")
