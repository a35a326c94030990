"""Session fixtures: real VictoriaMetrics, rotel and an OTLP sink, started once, stopped by PID."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests import tools
from tests.integration import servers

collect_ignore_glob = ["apps/*"]          # programs the tests run, not tests


def _require_stack() -> None:
    tools.require("victoria-metrics", "prometheus")


@dataclass
class Pipeline:
    vm: servers.PromQL
    vm_port: int
    sink: servers.OtlpSink
    grpc_endpoint: str
    http_endpoint: str
    rotel: servers.Process


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    """app -> OTLP (gRPC or HTTP) -> rotel -> VictoriaMetrics (metrics) and an OTLP sink (traces, logs)."""
    _require_stack()
    tmp = tmp_path_factory.mktemp("pipeline")
    started = []
    try:
        vm_proc, vm, vm_port = servers.start_victoriametrics(tmp)
        started.append(vm_proc)
        sink = servers.OtlpSink()
        started.append(sink)
        rotel, grpc_port, http_port = servers.start_rotel(
            tmp, f"http://127.0.0.1:{vm_port}/opentelemetry", f"{sink.url}/v1/traces", f"{sink.url}/v1/logs")
        started.append(rotel)
        yield Pipeline(vm, vm_port, sink, f"http://127.0.0.1:{grpc_port}", f"http://127.0.0.1:{http_port}", rotel)
    finally:
        for part in reversed(started):
            part.stop()
