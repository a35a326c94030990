"""configure(): env and arguments, never replacing the application's providers, twice is safe.

Each case runs in a fresh interpreter, since configure() sets process-wide globals.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading

import pytest


def run(code: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "CI"))}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60,
                         env={**clean, "OTEL_ML_SYSTEM_METRICS": "false", **env})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


class WireProbe:
    """A loopback listener that records the first bytes of every connection: enough to tell
    OTLP/HTTP (``POST /v1/traces``, with its headers) from OTLP/gRPC (the HTTP/2 preface)."""

    def __init__(self):
        self.received: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.endpoint = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(65536)
                    self.received.append(data)
                    if data.startswith(b"POST"):
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self):
        self.sock.close()


@pytest.fixture
def probe():
    p = WireProbe()
    yield p
    p.close()


EXPORT_ONE_SPAN = """
import json, otel_ml
t = otel_ml.configure(metrics=False, logs=False, **ARGS)
tracer = t.tracer_provider.get_tracer("probe")
tracer.start_span("probe").end()
t.force_flush(3000)
print(json.dumps({"service": t.tracer_provider.resource.attributes.get("service.name"),
                  "env": t.tracer_provider.resource.attributes.get("deployment.environment.name")}))
"""


def export_one_span(args: str = "{}", **env: str) -> dict:
    return run(EXPORT_ONE_SPAN.replace("**ARGS", f"**{args}"), **env)


def test_environment_is_read(probe):
    got = export_one_span(OTEL_SERVICE_NAME="from-env", OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
                          OTEL_EXPORTER_OTLP_ENDPOINT=probe.endpoint,
                          OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=staging")
    assert got == {"service": "from-env", "env": "staging"}
    assert any(data.startswith(b"PRI * HTTP/2.0") for data in probe.received), probe.received


def test_arguments_win_and_http_protobuf_is_the_default(probe):
    got = export_one_span(f"dict(service_name='from-arg', endpoint='{probe.endpoint}', "
                          "headers='authorization=Bearer%20abc,x-tenant=ml')",
                          OTEL_SERVICE_NAME="from-env", OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert got["service"] == "from-arg"
    (request,) = [data for data in probe.received if data.startswith(b"POST")]
    head = request.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("post /v1/traces http/1.1")
    assert "authorization: bearer abc" in head and "x-tenant: ml" in head
    assert "content-type: application/x-protobuf" in head


def test_twice_is_safe_and_returns_the_first_set_up():
    got = run("""
import json, otel_ml
first = otel_ml.configure(service_name="a")
second = otel_ml.configure(service_name="b")
print(json.dumps({"same": first is second,
                  "service": first.tracer_provider.resource.attributes["service.name"]}))
""")
    assert got == {"same": True, "service": "a"}


def test_the_applications_providers_are_kept():
    got = run("""
import json, otel_ml
from opentelemetry import trace, metrics
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.resources import Resource
mine = TracerProvider(resource=Resource.create({"service.name": "app-owned"}))
trace.set_tracer_provider(mine)
t = otel_ml.configure(service_name="otel-ml")
print(json.dumps({"kept": trace.get_tracer_provider() is mine,
                  "metrics_set": type(metrics.get_meter_provider()).__module__.startswith("opentelemetry.sdk")}))
""")
    assert got == {"kept": True, "metrics_set": True}


def test_sdk_disabled_sets_nothing():
    got = run("""
import json, otel_ml
from opentelemetry import trace
t = otel_ml.configure()
print(json.dumps({"configured": t.configured_by_otel_ml, "type": type(trace.get_tracer_provider()).__name__}))
""", OTEL_SDK_DISABLED="true")
    assert got == {"configured": False, "type": "ProxyTracerProvider"}


def test_system_metrics_are_started():
    got = run("""
import json, otel_ml
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry import metrics
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
otel_ml.configure(traces=False, logs=False, system_metrics=True)
names = {m.name for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
print(json.dumps(sorted(names)))
""")
    assert {"process.cpu.time", "process.memory.usage", "system.cpu.utilization", "system.memory.usage"} <= set(got)


def test_bad_protocol_is_a_clear_error():
    out = subprocess.run([sys.executable, "-c", "import otel_ml; otel_ml.configure(protocol='udp')"],
                         capture_output=True, text=True, timeout=60)
    assert "protocol must be 'grpc' or 'http/protobuf', got 'udp'" in out.stderr


EXPORT_INTERVAL = """
import json, otel_ml
t = otel_ml.configure(traces=False, logs=False, system_metrics=False, endpoint="http://127.0.0.1:9", **ARGS)
(reader,) = t.meter_provider._metric_readers
print(json.dumps({"interval": reader._export_interval_millis}))
"""


@pytest.mark.parametrize(("args", "env", "expected"), [
    ("{}", {}, 10_000), ("{}", {"OTEL_METRIC_EXPORT_INTERVAL": "2500"}, 2500),
    ("dict(export_interval_millis=750)", {"OTEL_METRIC_EXPORT_INTERVAL": "2500"}, 750)],
    ids=["default", "env", "argument"])
def test_metrics_are_exported_every_10_s_unless_told_otherwise(args, env, expected):
    assert run(EXPORT_INTERVAL.replace("**ARGS", f"**{args}"), **env) == {"interval": expected}


INTERNAL_METRICS = """
import json, os, otel_ml
otel_ml.configure(metrics=False, logs=False, system_metrics=False, endpoint="http://127.0.0.1:9")
print(json.dumps({"enabled": os.environ.get("OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED")}))
"""


@pytest.mark.parametrize(("env", "expected"), [({}, "true"), ({"OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED": "false"},
                                                                "false")], ids=["default", "told-not-to"])
def test_the_sdk_counts_its_own_losses_unless_told_not_to(env, expected):
    assert run(INTERNAL_METRICS, **env) == {"enabled": expected}


CONSOLE = """
import json, otel_ml
t = otel_ml.configure(system_metrics=False, export_interval_millis=100000, **ARGS)
t.tracer_provider.get_tracer("probe").start_span("probe-span").end()
t.meter_provider.get_meter("probe").create_counter("probe.count").add(3)
t.force_flush(3000)
print(json.dumps({"done": True}))
"""


def test_console_exporters_print_to_stdout_and_none_sends_nothing(probe):
    args = f"dict(endpoint='{probe.endpoint}')"
    code = CONSOLE.replace("**ARGS", f"**{args}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "CI"))}
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60,
                         env={**env, "OTEL_ML_SYSTEM_METRICS": "false", "OTEL_TRACES_EXPORTER": "console",
                              "OTEL_METRICS_EXPORTER": "console", "OTEL_LOGS_EXPORTER": "none"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert '"name": "probe-span"' in out.stdout and '"name": "probe.count"' in out.stdout
    assert probe.received == []                       # nothing went to the collector


def test_an_unknown_exporter_is_a_clear_error():
    out = subprocess.run([sys.executable, "-c", "import otel_ml; otel_ml.configure()"], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "OTEL_TRACES_EXPORTER": "zipkin",
                                          "OTEL_ML_SYSTEM_METRICS": "false"})
    assert out.returncode != 0
    assert "OTEL_TRACES_EXPORTER must be a comma-separated list of otlp, console, none, got 'zipkin'" in out.stderr


PER_ITEM_COUNTERS = """
import json, otel_ml
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
reader = InMemoryMetricReader()
t = otel_ml.configure(system_metrics=False, endpoint="http://127.0.0.1:9", timeout=0.2, metric_readers=[reader])
tracer = t.tracer_provider.get_tracer("probe")
for _ in range(5):
    tracer.start_span("probe").end()
from otel_ml import logs
logs.global_provider().get_logger("probe").emit(body="probe")
t.tracer_provider.force_flush(3000)
logs.global_provider().force_flush(3000)
names = {m.name for rm in reader.get_metrics_data().resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
print(json.dumps(sorted(n for n in names if n.startswith("otel.sdk."))))
"""


def test_the_sdk_counts_its_batches_not_each_span_and_record():
    """The SDK's per-item counters (spans started and live, log records created) cost three metric
    measurements per span on the prediction path; what is lost is counted per batch by the
    processors and exporters, and stays."""
    names = run(PER_ITEM_COUNTERS)
    assert "otel.sdk.processor.span.processed" in names and "otel.sdk.exporter.span.exported" in names, names
    assert "otel.sdk.processor.log.processed" in names, names
    assert not {"otel.sdk.span.started", "otel.sdk.span.live", "otel.sdk.log.created"} & set(names), names


SAMPLER = """
import json, otel_ml
t = otel_ml.configure(metrics=False, logs=False, system_metrics=False, endpoint="http://127.0.0.1:9")
print(json.dumps({"sampler": t.tracer_provider.sampler.get_description()}))
"""


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "ParentBased{root:AlwaysOnSampler"),
    ({"OTEL_ML_PROFILE": "production"}, "ParentBased{root:TraceIdRatioBased{0.1}"),
    ({"OTEL_ML_PROFILE": "production", "OTEL_TRACES_SAMPLER": "always_on"}, "AlwaysOnSampler"),
], ids=["default", "production", "production-sampler-set"])
def test_the_production_profile_samples_a_tenth_of_traces_unless_a_sampler_is_set(env, expected):
    assert run(SAMPLER, **env)["sampler"].startswith(expected)
