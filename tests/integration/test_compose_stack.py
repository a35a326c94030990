"""compose/ run for real: the OpenTelemetry Collector and Prometheus 3, built from their Go modules.

``scripts/build-go-stack.sh`` builds both at the versions compose/.env pins. This module runs them
with compose's own files, substituting only what differs outside containers (host names, ports,
paths; and the demo's metric export interval, 1 s instead of 10 s, so the test is short):

- the collector with ``compose/otelcol.yaml``;
- Prometheus 3 with ``compose/prometheus.yml``, the flags of compose's ``command:`` and the
  unchanged rule files of ``grafana/rules``;
- the demo service with compose's environment, and the demo's traffic (normal, a faulty release, then drifted).

Tempo, Loki and Grafana are AGPL-licensed modules that this project's machines do not build, so
the collector's Tempo exporter (OTLP/gRPC) goes to rotel and its Loki exporter (OTLP/HTTP) to an
:class:`~tests.integration.servers.OtlpSink`: the traces and logs are checked as the real
collector sent them, not as Tempo or Loki store them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from otel_ml import semconv
from otel_ml.demo.data import load
from otel_ml.demo.traffic import Phase, TrafficGenerator
from otel_ml.promql import PREDICTION_DURATION_BUCKET, PREDICTIONS
from tests import tools
from tests.integration import servers
from tests.integration.test_grafana_queries import VARIABLES, dashboard_queries, variable_queries

pytestmark = pytest.mark.integration
ROOT = servers.ROOT
COMPOSE = yaml.safe_load((ROOT / "compose/compose.yaml").read_text())
DEMO_ENV: dict[str, str] = COMPOSE["services"]["demo"]["environment"]
SERVICE = DEMO_ENV["OTEL_SERVICE_NAME"]
TOKEN, DEPLOY_TOKEN = "compose-stack-rollback-token", "compose-stack-deploy-token"


def substitute(expr: str) -> str:
    for name, value in sorted({**VARIABLES, "$service": SERVICE, "$$__tags": f'service_name="{SERVICE}"'}.items(),
                              key=lambda kv: len(kv[0]), reverse=True):
        expr = expr.replace(name, value)
    return expr


def collector_config(ports: dict[str, int]) -> str:
    """compose/otelcol.yaml with compose's host names and container ports replaced by loopback ones."""
    text = (ROOT / "compose/otelcol.yaml").read_text()
    for old, new in [("0.0.0.0:4317", f"127.0.0.1:{ports['grpc']}"), ("0.0.0.0:4318", f"127.0.0.1:{ports['http']}"),
                     ("0.0.0.0:13133", f"127.0.0.1:{ports['health']}"),
                     ("host: 0.0.0.0, port: 8888", f"host: 127.0.0.1, port: {ports['telemetry']}"),
                     ("http://prometheus:9090", f"http://127.0.0.1:{ports['prometheus']}"),
                     ("tempo:4317", f"127.0.0.1:{ports['tempo']}"), ("http://loki:3100", ports["loki"])]:
        assert old in text, f"compose/otelcol.yaml no longer has {old!r}: update this test's substitutions"
        text = text.replace(old, str(new))
    return text


def prometheus_config(ports: dict[str, int]) -> str:
    text = (ROOT / "compose/prometheus.yml").read_text()
    for old, new in [("/etc/prometheus/rules/", f"{ROOT}/grafana/rules/"),
                     ('"localhost:9090"', f'"127.0.0.1:{ports["prometheus"]}"'),
                     ('"otel-collector:8888"', f'"127.0.0.1:{ports["telemetry"]}"')]:
        assert old in text, f"compose/prometheus.yml no longer has {old!r}: update this test's substitutions"
        text = text.replace(old, new)
    return text


def prometheus_flags(config: Path, data: Path, port: int) -> list[str]:
    """compose's ``command:`` for Prometheus, with the container paths replaced."""
    flags = list(COMPOSE["services"]["prometheus"]["command"])
    paths = {"--config.file": str(config), "--storage.tsdb.path": str(data)}
    out = [f"{f.split('=')[0]}={paths[f.split('=')[0]]}" if f.split("=")[0] in paths else f for f in flags]
    assert len([f for f in out if f not in flags]) == len(paths), f"compose's Prometheus flags changed: {flags}"
    return [*out, f"--web.listen-address=127.0.0.1:{port}"]


def roll_back(url: str, version: str) -> dict:
    """POST a firing critical alert for ``version`` to the demo's rollback webhook, with its token."""
    labels = {"alertname": "MLHighErrorRate", "severity": "critical", "service_name": SERVICE,
              "ml_model_name": "breast-cancer", "ml_model_version": version}
    body = json.dumps({"alerts": [{"status": "firing", "labels": labels,
                                   "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]}).encode()
    request = urllib.request.Request(f"{url}/admin/rollback", body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["rolled_back"]


class Stack:
    def __init__(self, prometheus, collector_health, tempo, loki, generator, started):
        self.prometheus, self.collector_health, self.tempo, self.loki = prometheus, collector_health, tempo, loki
        self.generator, self.started = generator, started


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    otelcol, prometheus3 = tools.require("otelcol"), tools.require("prometheus3")
    tmp = tmp_path_factory.mktemp("compose-stack")
    ports = {name: servers.free_port() for name in ("grpc", "http", "health", "telemetry", "prometheus", "serve")}
    started: list = []
    try:
        loki = servers.OtlpSink()
        started.append(loki)
        ports["loki"] = loki.url
        tempo_sink = servers.OtlpSink()
        started.append(tempo_sink)
        rotel, ports["tempo"], _ = servers.start_rotel(tmp, tempo_sink.url, f"{tempo_sink.url}/v1/traces",
                                                       f"{tempo_sink.url}/v1/logs", name="tempo-stand-in")
        started.append(rotel)

        (tmp / "prometheus.yml").write_text(prometheus_config(ports))
        prometheus_proc = servers.Process("prometheus3", [str(prometheus3), *prometheus_flags(
            tmp / "prometheus.yml", tmp / "prometheus-data", ports["prometheus"])], tmp)
        started.append(prometheus_proc)
        base = f"http://127.0.0.1:{ports['prometheus']}"
        prometheus_proc.wait_ready(lambda: servers.http_get(f"{base}/-/ready"), timeout=60)

        (tmp / "otelcol.yaml").write_text(collector_config(ports))
        collector = servers.Process("otelcol", [str(otelcol), f"--config={tmp / 'otelcol.yaml'}"], tmp)
        started.append(collector)
        health = f"http://127.0.0.1:{ports['health']}/"
        collector.wait_ready(lambda: servers.http_get(health), timeout=60)

        env = {**{k: str(v) for k, v in DEMO_ENV.items() if not k.endswith("_FILE")},
               "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{ports['http']}",
               "OTEL_METRIC_EXPORT_INTERVAL": "1000",
               "OTEL_ML_ROLLBACK_TOKEN": TOKEN, "OTEL_ML_DEPLOY_TOKEN": DEPLOY_TOKEN}
        url = f"http://127.0.0.1:{ports['serve']}"
        started_at = time.time()
        service = servers.Process("otel-ml-serve", [sys.executable, "-m", "otel_ml.cli", "serve", "--port",
                                                    str(ports["serve"])], tmp, env=env)
        started.append(service)
        service.wait_ready(lambda: servers.http_get(f"{url}/healthz"), timeout=60)
        generator = TrafficGenerator(url, load(), rate=40, token=DEPLOY_TOKEN, feedback_delay=1.0, seed=5, phases=[
            Phase("normal", 20), Phase("bad release", 10, deploy="v2", fault_rate=0.4),
            Phase("drift", 300, shift={"mean_texture": 2.0, "mean_smoothness": 2.0})])
        stop = threading.Event()
        traffic = threading.Thread(target=generator.run, args=(stop,), daemon=True)
        traffic.start()
        servers.wait_for(lambda: generator.stats.phase == "drift", 60, "the drift phase")
        rolled_back = roll_back(url, "v2")        # what Grafana's contact point would send (Grafana is not run)
        assert rolled_back == {"from": "v2", "to": "v1", "alert": "MLHighErrorRate"}, rolled_back
        time.sleep(10)
        yield Stack(servers.PromQL(base), health, tempo_sink, loki, generator, started_at)
        stop.set()
        traffic.join(15)
    finally:
        for part in reversed(started):
            part.stop()


def test_the_collector_is_healthy_and_scraped_by_prometheus(stack):
    assert json.loads(servers.http_get(stack.collector_health))["status"] == "Server available"
    up = stack.prometheus.wait_for('up{job="otel-collector"} == 1', timeout=40)
    assert up, "Prometheus does not scrape the collector's own metrics"
    accepted = stack.prometheus.query('sum({__name__=~"otelcol_receiver_accepted_metric_points.*"})')
    assert accepted and float(accepted[0]["value"][1]) > 0, "the collector reports no metric point accepted"


def test_the_predictions_arrive_with_the_promoted_resource_attributes(stack):
    series = stack.prometheus.query(f"{PREDICTIONS}")
    assert series, f"no {PREDICTIONS} in Prometheus 3"
    labels = series[0]["metric"]
    assert labels.get("service_name") == SERVICE
    assert labels.get("deployment_environment_name") == "demo"
    assert "service_instance_id" in labels
    assert stack.prometheus.query(f'target_info{{service_name="{SERVICE}"}}'), "no target_info (identifying attributes)"


def test_exemplars_link_latency_to_the_traces(stack):
    end = time.time()
    found = stack.prometheus.get("/api/v1/query_exemplars", query=PREDICTION_DURATION_BUCKET,
                                 start=end - 300, end=end)
    exemplars = [e for series in found for e in series["exemplars"]]
    assert exemplars, "Prometheus 3 stored no exemplar for the prediction latency"
    trace_ids = {e["labels"].get("trace_id") for e in exemplars}
    assert all(re.fullmatch(r"[0-9a-f]{32}", t or "") for t in trace_ids)
    sent = {s.trace_id.hex() for _, s in stack.tempo.spans}
    assert trace_ids & sent, "no exemplar's trace reached the Tempo exporter"


@pytest.mark.parametrize("where, expr", dashboard_queries(), ids=[w for w, _ in dashboard_queries()])
def test_every_dashboard_query_returns_data_from_prometheus_3(stack, where, expr):
    expr = substitute(expr)
    result = servers.wait_for(lambda: stack.prometheus.query(expr), 75, f"{where}: {expr}", interval=1)
    values = [float(r["value"][1]) for r in result]
    assert any(v == v and abs(v) != float("inf") for v in values), f"{where}: only {values}"


@pytest.mark.parametrize("variable, definition", variable_queries(), ids=[v for v, _ in variable_queries()])
def test_every_dashboard_variable_has_values(stack, variable, definition):
    metric, label = definition.removeprefix("label_values(").removesuffix(")").rsplit(", ", 1)
    assert stack.prometheus.get(f"/api/v1/label/{label}/values", **{"match[]": substitute(metric)})


def test_the_rule_files_load_and_evaluate_in_prometheus_3(stack):
    def evaluated() -> list:
        groups = stack.prometheus.get("/api/v1/rules")["groups"]
        return groups if groups and all(g["lastEvaluation"] > "2000" for g in groups) else []

    groups = servers.wait_for(evaluated, 90, "every rule group evaluated once", interval=1)
    files = {Path(g["file"]).name for g in groups}
    assert files == {p.name for p in (ROOT / "grafana/rules").glob("*.yml")}
    broken = [(r["name"], r.get("lastError")) for g in groups for r in g["rules"] if r["health"] != "ok"]
    assert not broken, broken


def test_prediction_traces_and_logs_pass_through_the_collector(stack):
    spans = [s for resource, s in stack.tempo.spans if resource.get("service.name") == SERVICE
             and any(kv.key == semconv.ML_MODEL_NAME for kv in s.attributes)]
    assert spans, "no prediction span reached the Tempo exporter"
    records = [r for resource, r in stack.loki.logs if resource.get("service.name") == SERVICE]
    assert records, "no log record reached the Loki exporter"
    span_ids = {s.trace_id for s in spans}
    assert any(r.trace_id in span_ids for r in records), "no log record carries a prediction's trace id"


def test_the_report_from_prometheus_holds_what_prometheus_holds_and_opens_in_a_browser(stack, tmp_path):
    """``otel-ml report`` against this Prometheus 3, fed by the demo service through the collector."""
    import os
    import shutil

    from otel_ml.report import build
    from otel_ml.report.prometheus import PrometheusSource
    from tests.browser import open_report

    firing = stack.prometheus.wait_for('ALERTS{alertstate="firing"}', timeout=150)
    end = time.time()
    out = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "otel_ml.cli", "report", "--prometheus", stack.prometheus.base_url,
                           "--model", "breast-cancer", "--start", f"{stack.started:.3f}", "--end", f"{end:.3f}",
                           "--sample-interval", "1s", "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith(f"wrote {out}"), done.stdout + done.stderr
    report = build(PrometheusSource(stack.prometheus.base_url, sample_interval=1), "breast-cancer", stack.started, end)

    span = f"{int(end - stack.started) + 1}s"

    def bounds(selector: str) -> tuple[float, float]:
        """The series' summed growth from their first sample in the range to their last, and their
        summed last values: increase() over the range lies between them (it misses what a series held
        at its first sample, since the counter's start, and extrapolates a little past its last).
        One PromQL expression each, so that the series match on their labels: Prometheus 3's
        last_over_time() keeps the metric name, min_over_time() drops it."""
        def total(expr: str) -> float:
            return sum(float(r["value"][1]) for r in stack.prometheus.query(expr, at=end))
        latest = f"max_over_time({PREDICTIONS}{selector}[{span}])"
        return total(f"{latest} - min_over_time({PREDICTIONS}{selector}[{span}])"), total(latest)

    model = f'{semconv.prometheus_label(semconv.ML_MODEL_NAME)}="breast-cancer"'
    grown, counted = bounds(f"{{{model}}}")
    assert grown <= report.predictions <= 1.02 * counted, (grown, report.predictions, counted)
    grown, failed = bounds(f'{{{model},{semconv.prometheus_label(semconv.ML_PREDICTION_STATUS)}="error"}}')
    # the error series are short (v2 only, then rolled back): increase()'s extrapolation past their
    # last sample, up to 1.1 sample intervals, weighs more on them, hence the wider upper bound
    assert failed > 0 and grown <= report.errors <= 1.05 * failed, (grown, report.errors, failed)
    assert set(report.by_version) == {"v1", "v2"}
    assert 0.6 < report.accuracy < 1.0 and report.outcomes > 100
    assert 0 < report.latency_quantile(0.5) <= report.latency_quantile(0.99) < 1.0
    drifted = {d.feature for d in report.drift if d.drifted_in_range and not d.feature.startswith("(")}
    assert drifted == {"mean_texture", "mean_smoothness"}, report.drift
    texture = next(d for d in report.drift if d.feature == "mean_texture")
    assert texture.fleet_psi > 0.2 and texture.method == "ks" and texture.p_value < 0.01
    assert {r["metric"]["alertname"] for r in firing} <= {a.name for a in report.alerts}
    assert all(a.severity in ("warning", "critical") and a.first <= a.last for a in report.alerts)

    opened = open_report(out, screenshot=tmp_path / "report.png")
    assert [e for e in opened.console if e["level"] in ("SEVERE", "WARNING")] == [], opened.console
    assert opened.plots and all(n > 0 for n in opened.plots.values()), opened.plots
    if os.environ.get("REPORT_SCREENSHOT"):        # how docs/images/report.png is made
        shutil.copy(tmp_path / "report.png", os.environ["REPORT_SCREENSHOT"])
