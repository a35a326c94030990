"""Stopping a monitored service (otel_ml/_shutdown.py): SIGTERM of `python app.py` sends its last
telemetry, and with the collector black-holed a gunicorn service exits within the bound instead
of waiting out the SDK's export timeouts, and says what it could not send."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from otel_ml.promql import PREDICTIONS
from tests.integration import servers

pytestmark = pytest.mark.integration
APPS = Path(__file__).parent / "apps"
BIN = Path(sys.executable).parent


def post(port: int) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=json.dumps({"features": [1, 2]}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


class BlackHole:
    """A TCP port that accepts connections and never answers (a collector that hangs)."""

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(64)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @classmethod
    def on(cls, port: int) -> BlackHole:
        """A black hole on a port a collector just left."""
        return servers.wait_for(lambda: _try(lambda: cls(port)), 10, f"black hole on port {port}")

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self._held.append(self.sock.accept()[0])
            except OSError:
                continue

    def close(self) -> None:
        """Stop accepting, then close every connection: none may outlive it and hold the port."""
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self.sock.close()


def _try(make):
    try:
        return make()
    except OSError:
        return None


def start(argv: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN / "opentelemetry-instrument"), *argv], cwd=APPS, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    servers.wait_for(lambda: servers.port_open(port) or proc.poll() is not None, 60, "service port")
    assert proc.poll() is None, proc.stdout.read()
    return proc


def test_sigterm_of_python_app_py_sends_the_last_metrics(pipeline):
    """The SDK's default export interval (60 s): only the exit flush can deliver these counts."""
    port, service = servers.free_port(), "shutdown-python"
    env = {"OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline.http_endpoint,
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_ML_MODEL_NAME": "bye", "PYTHONPATH": str(APPS)}
    proc = start([sys.executable, "zero_code_flask.py", str(port)], env, port)
    for _ in range(20):
        post(port)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    took = time.monotonic() - began
    assert proc.returncode == 128 + signal.SIGTERM, output[-3000:]
    got = pipeline.vm.wait_for(f'sum({PREDICTIONS}{{service_name="{service}"}})', timeout=30,
                               predicate=lambda r: bool(r) and float(r[0]["value"][1]) >= 20)
    assert float(got[0]["value"][1]) == 20
    print(f"\npython app.py: SIGTERM to exit {took:.2f} s, 20 of 20 predictions in VictoriaMetrics")


def test_a_black_holed_collector_does_not_hold_up_the_exit(tmp_path):
    hole = BlackHole()
    port = servers.free_port()
    ready = tmp_path / "ready"
    ready.mkdir()
    env = {"GUNICORN_READY_DIR": str(ready), "OTEL_SERVICE_NAME": "shutdown-gunicorn", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{hole.port}",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_ML_MODEL_NAME": "bye", "OTEL_ML_SHUTDOWN_TIMEOUT": "2",
           "OTEL_BSP_SCHEDULE_DELAY": "60000", "OTEL_BLRP_SCHEDULE_DELAY": "60000", "PYTHONPATH": str(APPS)}
    try:
        proc = start([str(BIN / "gunicorn"), "-w", "2", "-c", "gunicorn_ready.py", "-b", f"127.0.0.1:{port}",
                      "zero_code_flask:app"], env, port)
        # the port opens before the workers boot, and a worker still booting loses a SIGTERM (gunicorn_ready.py)
        servers.wait_for(lambda: len(list(ready.iterdir())) == 2 or proc.poll() is not None, 60, "both workers booted")
        for _ in range(30):
            post(port)
        began = time.monotonic()
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        took = time.monotonic() - began
    finally:
        hole.close()
    # workers and master each wait at most 2 s, the workers in parallel; gunicorn's own steps on top
    assert took < 15, (took, output[-3000:])
    assert "did not finish (shutdown) within 2 s" in output
    lost = [int(n) for n in re.findall(r"and the (\d+) spans still queued", output)]
    assert sum(lost) == 60, output[-3000:]        # each request's server span and prediction span, said to be lost
    print(f"\ngunicorn -w 2, collector black-holed, OTEL_ML_SHUTDOWN_TIMEOUT=2: SIGTERM to exit {took:.1f} s")


def test_forked_workers_exit_cleanly_with_the_model_libraries_installed(tmp_path):
    """opentelemetry-instrument loads every otel_ml instrumentor in gunicorn's master. One that
    imported ONNX Runtime there (the app never uses it) left its C++ thread pools to the forked
    workers, which died at exit with SIGSEGV or SIGABRT ("terminate called after throwing an
    instance of 'std::system_error'") and lost what they had not exported: 4 workers of 4."""
    port = servers.free_port()
    ready = tmp_path / "ready"
    ready.mkdir()
    env = {"GUNICORN_READY_DIR": str(ready), "OTEL_SERVICE_NAME": "clean-exit",
           "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{servers.free_port()}",      # nothing listens
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_ML_MODEL_NAME": "bye", "OTEL_ML_SHUTDOWN_TIMEOUT": "2",
           "OTEL_METRIC_EXPORT_INTERVAL": "1000", "PYTHONPATH": str(APPS)}
    proc = start([str(BIN / "gunicorn"), "-w", "4", "-c", "gunicorn_ready.py", "-b", f"127.0.0.1:{port}",
                  "zero_code_flask:app"], env, port)
    try:
        servers.wait_for(lambda: len(list(ready.iterdir())) == 4 or proc.poll() is not None, 60, "workers booted")
        for _ in range(20):
            post(port)
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=90)
    assert "Booting worker" in output
    assert not re.search(r"SIGSEGV|SIGABRT|terminate called", output), output[-3000:]
