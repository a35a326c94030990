"""A dead or black-holed collector never blocks or breaks a prediction."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
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
