"""Start and stop the real servers the integration tests talk to, on loopback, by PID.

VictoriaMetrics (OTLP metrics in, PromQL out), Prometheus (scrape path), rotel (a real OTLP
collector), and :class:`OtlpSink`, a plain HTTP server that decodes the OTLP protobuf rotel
forwards, so tests assert on spans and log records exactly as they crossed the wire.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.tools import ROOT, STACK_BIN  # noqa: F401 - the one place for the tool paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something truthy; bounded by ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: nothing after {timeout:.0f}s")
        time.sleep(interval)


def http_get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Process:
    """A server process with its output in a log file; stopped by its PID."""

    def __init__(self, name: str, argv: list[str], log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env={**os.environ, **(env or {})})

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_ready(self, check: Callable[[], Any], timeout: float = 30) -> None:
        def ready() -> Any:
            if not self.alive():
                self._log.close()
                raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.log()[-3000:]}")
            return check()
        try:
            wait_for(ready, timeout, f"{self.name} readiness")
        except TimeoutError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


class PromQL:
    """The Prometheus HTTP query API, as served by Prometheus and VictoriaMetrics."""

    def __init__(self, base_url: str, flush: Callable[[], None] | None = None) -> None:
        self.base_url = base_url
        self._flush = flush or (lambda: None)

    def get(self, path: str, **params: Any) -> Any:
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params, doseq=True)}"
        body = json.loads(http_get(url))
        if body.get("status") != "success":
            raise AssertionError(f"{url}: {body}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant query, now or at the unix time ``at``."""
        self._flush()
        return self.get("/api/v1/query", query=expr, **({"time": f"{at:.3f}"} if at is not None else {}))["result"]

    def names(self, prefix: str = "") -> set[str]:
        self._flush()
        return {n for n in self.get("/api/v1/label/__name__/values") if n.startswith(prefix)}

    def wait_for(self, expr: str, timeout: float = 30, predicate: Callable[[list], bool] = bool) -> list:
        return wait_for(lambda: (lambda r: r if predicate(r) else None)(self.query(expr)), timeout, expr, 0.25)


def start_victoriametrics(tmp: Path) -> tuple[Process, PromQL, int]:
    port = free_port()
    proc = Process("victoria-metrics", [
        str(STACK_BIN / "victoria-metrics"), f"-httpListenAddr=127.0.0.1:{port}", f"-storageDataPath={tmp / 'vm'}",
        "-opentelemetry.usePrometheusNaming", "-search.latencyOffset=0s", "-search.disableCache", "-loggerLevel=WARN",
    ], tmp)
    base = f"http://127.0.0.1:{port}"
    proc.wait_ready(lambda: http_get(f"{base}/health"))
    # a pushed series becomes searchable ~10 s later unless the buffers are flushed
    return proc, PromQL(base, flush=lambda: http_get(f"{base}/internal/force_flush")), port


def start_prometheus(tmp: Path, scrape_targets: list[str], *, labels: dict[str, str] | None = None,
                     rule_files: list[Path] | None = None) -> tuple[Process, PromQL]:
    """Prometheus scraping ``scrape_targets`` every second (with ``labels`` added to their series),
    evaluating ``rule_files`` every second."""
    port = free_port()
    config = tmp / "prometheus.yml"
    config.write_text(json.dumps({  # JSON is YAML
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(p) for p in rule_files or []],
        "scrape_configs": [{"job_name": "otel-ml",
                            "static_configs": [{"targets": scrape_targets, "labels": labels or {}}]}],
    }))
    proc = Process("prometheus", [
        str(STACK_BIN / "prometheus"), f"--config.file={config}", f"--storage.tsdb.path={tmp / 'prom'}",
        f"--web.listen-address=127.0.0.1:{port}", "--enable-feature=exemplar-storage",
    ], tmp)
    base = f"http://127.0.0.1:{port}"
    proc.wait_ready(lambda: http_get(f"{base}/-/ready"))
    return proc, PromQL(base)


def rotel_binary() -> Path:
    import rotel

    return Path(rotel.__file__).parent / "rotel-agent"


def start_rotel(tmp: Path, metrics_url: str, traces_url: str, logs_url: str, *, grpc_port: int | None = None,
                http_port: int | None = None, name: str = "rotel") -> tuple[Process, int, int]:
    """rotel receiving OTLP gRPC and HTTP (on free ports, or the ones given: a restart),
    forwarding OTLP/HTTP: metrics to VictoriaMetrics, traces and logs to an :class:`OtlpSink`."""
    grpc_port, http_port = grpc_port or free_port(), http_port or free_port()
    proc = Process(name, [
        str(rotel_binary()), "start",
        "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}", "--otlp-http-endpoint", f"127.0.0.1:{http_port}",
        "--exporter", "otlp", "--otlp-exporter-protocol", "http",
        "--otlp-exporter-endpoint", metrics_url,
        "--otlp-exporter-metrics-endpoint", f"{metrics_url}/v1/metrics",
        "--otlp-exporter-traces-endpoint", traces_url, "--otlp-exporter-logs-endpoint", logs_url,
        "--batch-timeout", "100ms",
    ], tmp)
    proc.wait_ready(lambda: port_open(grpc_port) and port_open(http_port))
    return proc, grpc_port, http_port


class PostReceiver:
    """A loopback HTTP server that hands every POST body to ``receive(path, headers, body)`` and answers 200.

    ``keep_alive``: HTTP/1.1, connections left open between requests as a collector does;
    ``client_ports`` has the client port of every request, in order."""

    def __init__(self, receive: Callable[[str, Any, bytes], None], content_type: str = "application/json",
                 keep_alive: bool = False) -> None:
        self.client_ports: list[int] = []
        ports = self.client_ports

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802
                ports.append(self.client_address[1])
                receive(self.path, self.headers, self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class OtlpSink:
    """An OTLP/HTTP receiver for traces and logs that keeps the decoded requests."""

    def __init__(self) -> None:
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        self.spans: list[tuple[dict[str, Any], Any]] = []   # (resource attributes, span)
        self.logs: list[tuple[dict[str, Any], Any]] = []
        self.paths: list[str] = []
        sink = self

        def receive(path: str, headers: Any, body: bytes) -> None:
            if headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            sink.paths.append(path)
            if "trace" in path:
                for rs in ExportTraceServiceRequest.FromString(body).resource_spans:
                    resource = attributes_of(rs.resource.attributes)
                    sink.spans.extend((resource, s) for ss in rs.scope_spans for s in ss.spans)
            else:
                for rl in ExportLogsServiceRequest.FromString(body).resource_logs:
                    resource = attributes_of(rl.resource.attributes)
                    sink.logs.extend((resource, r) for sl in rl.scope_logs for r in sl.log_records)

        self._receiver = PostReceiver(receive, "application/x-protobuf")
        self.url = self._receiver.url

    def stop(self) -> None:
        self._receiver.stop()


def attributes_of(key_values: Any) -> dict[str, Any]:
    """OTLP KeyValue list -> dict of Python values."""
    out = {}
    for kv in key_values:
        value = kv.value
        kind = value.WhichOneof("value")
        if kind == "kvlist_value":
            out[kv.key] = attributes_of(value.kvlist_value.values)
        elif kind == "array_value":
            out[kv.key] = [getattr(v, v.WhichOneof("value")) for v in value.array_value.values]
        else:
            out[kv.key] = getattr(value, kind) if kind else None
    return out


def start_alertmanager(tmp: Path, config: str) -> tuple[Process, str]:
    """Alertmanager on loopback with ``config`` (YAML text); no cluster listener."""
    path = tmp / "alertmanager.yml"
    path.write_text(config)
    port = free_port()
    proc = Process("alertmanager", [
        str(STACK_BIN / "alertmanager"), f"--config.file={path}", f"--storage.path={tmp / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn",
    ], tmp)
    base = f"http://127.0.0.1:{port}"
    proc.wait_ready(lambda: http_get(f"{base}/-/ready"))
    return proc, base


def start_vmalert(tmp: Path, rules: Path, datasource: str, notifier: str | None) -> Process:
    """vmalert evaluating ``rules`` every second against ``datasource`` (VictoriaMetrics)."""
    port = free_port()
    proc = Process("vmalert", [
        str(STACK_BIN / "vmalert"), f"-rule={rules}", f"-datasource.url={datasource}", f"-remoteWrite.url={datasource}",
        *([f"-notifier.url={notifier}"] if notifier else ["-notifier.blackhole"]),
        "-evaluationInterval=1s", "-rule.evalDelay=0s", f"-httpListenAddr=127.0.0.1:{port}", "-loggerLevel=WARN",
    ], tmp)
    proc.wait_ready(lambda: http_get(f"http://127.0.0.1:{port}/health"))
    return proc


class WebhookSink:
    """Keeps the JSON bodies POSTed to it (an Alertmanager webhook receiver)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self._receiver = PostReceiver(lambda path, headers, body: self.bodies.append(json.loads(body or b"null")))
        self.url = self._receiver.url

    def alerts(self, status: str = "firing") -> list[dict[str, Any]]:
        return [a for body in list(self.bodies) for a in body.get("alerts", []) if a.get("status") == status]

    def stop(self) -> None:
        self._receiver.stop()
