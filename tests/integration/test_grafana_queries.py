"""Every PromQL query of grafana/ against real data, in both ingestion paths, and the alerts end to end.

The demo service runs in its own process with its phased traffic (normal, drift, a faulty v2,
then steady traffic) and its metrics go two ways at once:

- OTLP -> rotel (a real collector) -> VictoriaMetrics, where vmalert evaluates the recording
  rules and the alert rules and sends alerts to a real Alertmanager, which routes critical
  alerts to the service's rollback webhook and every alert to a webhook sink;
- a Prometheus scrape endpoint -> Prometheus 2.53, evaluating the same rule files.

Then every dashboard query, variable, datasource query, recording rule and alert expression must
return data from both. Rules run with short windows (``{rate}`` 15s, ``{long}`` 30s instead of
5m and 1h, ``for`` 0s): the same expressions as in grafana/rules/alerts.yml otherwise. Last, the
service is stopped and the absence rule (MLNoPredictions) must fire in both.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from otel_ml import alerts
from otel_ml.demo.data import load
from otel_ml.demo.traffic import Phase, TrafficGenerator
from tests.integration import servers

pytestmark = pytest.mark.integration
ROOT = servers.ROOT
SERVICE = "otel-ml-e2e"
TOKEN = "grafana-queries-rollback-token"
DEPLOY_TOKEN = "grafana-queries-deploy-token"
WINDOWS = {"rate": "10s", "long": "20s"}
VARIABLES = {"$service": SERVICE, "$model": "breast-cancer", "$version": ".*", "$positive": "malignant",
             "$__rate_interval": "2m", "$__range": "5m", "$$__tags": f'service_name="{SERVICE}"'}
DASHBOARDS = {p.name: json.loads(p.read_text()) for p in sorted((ROOT / "grafana/dashboards").glob("*.json"))}

ALERTMANAGER = """
route:
  receiver: sink
  group_by: [alertname, ml_model_name, ml_model_version, ml_feature_name]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: rollback
      matchers: ['severity="critical"']
      continue: true
    - receiver: sink
receivers:
  - name: sink
    webhook_configs: [{url: "SINK", send_resolved: true}]
  - name: rollback
    webhook_configs:
      - url: SERVICE/admin/rollback
        send_resolved: false
        http_config: {authorization: {type: Bearer, credentials: TOKEN}}
"""


def substitute(expr: str) -> str:
    for name in sorted(VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, VARIABLES[name])
    return expr


def dashboard_queries() -> list[tuple[str, str]]:
    found = []
    for name, dashboard in DASHBOARDS.items():
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                if target["datasource"]["type"] == "prometheus":
                    found.append((f"{name}#{panel['id']}{target['refId']}", target["expr"]))
    return found


def variable_queries() -> list[tuple[str, str]]:
    return sorted({(v["name"], v["definition"]) for d in DASHBOARDS.values() for v in d["templating"]["list"]})


def datasource_queries() -> list[tuple[str, str]]:
    datasources = yaml.safe_load((ROOT / "grafana/provisioning/datasources/datasources.yaml").read_text())
    tempo = next(d for d in datasources["datasources"] if d["uid"] == "tempo")
    return [(q["name"], q["query"]) for q in tempo["jsonData"]["tracesToMetrics"]["queries"]]


def recording_rules() -> list[str]:
    rules = yaml.safe_load((ROOT / "grafana/rules/drift.yml").read_text())
    return [r["record"] for g in rules["groups"] for r in g["rules"]]


class Stack:
    def __init__(self, vm, prometheus, url, sink, service, generator, data_stop, rolled_back_at):
        self.vm, self.prometheus, self.url, self.sink = vm, prometheus, url, sink
        self.service, self.generator, self.data_stop = service, generator, data_stop
        self.rolled_back_at = rolled_back_at
        self.evidence: list[str] = []

    def both(self):
        return (("VictoriaMetrics (OTLP)", self.vm), ("Prometheus (scrape)", self.prometheus))

    def query_both(self, where: str, expr: str, at: float | None = None) -> None:
        """Assert ``expr`` returns finite data from both (now, or at ``at``); note what it returned."""
        seen = []
        for name, tsdb in self.both():
            result = tsdb.query(expr, at)
            values = [float(r["value"][1]) for r in result]
            finite = [v for v in values if v == v and abs(v) != float("inf")]
            assert finite, f"{name}: no data for {where}: {expr} -> {result}"
            seen.append(f"{name.split()[0]}: {len(result)} series ({len(finite)} finite), first {finite[0]:.4g}")
        self.evidence.append(f"{where}: " + "; ".join(seen))


@pytest.fixture(scope="module")
def stack(pipeline, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("grafana-queries")
    rules_dir = tmp / "rules"
    rules_dir.mkdir()
    drift = (ROOT / "grafana/rules/drift.yml").read_text().replace("interval: 1m", "interval: 1s")
    (rules_dir / "drift.yml").write_text(drift)
    (rules_dir / "alerts.yml").write_text(yaml.safe_dump(alerts.prometheus_rule_file(WINDOWS, interval="1s", for_="0s"),
                                                         sort_keys=False))
    sink = servers.WebhookSink()
    started: list = [sink]
    try:
        port, metrics_port = servers.free_port(), servers.free_port()
        url = f"http://127.0.0.1:{port}"
        service = servers.Process("otel-ml-serve", [
            sys.executable, "-m", "otel_ml.cli", "serve", "--port", str(port), "--prometheus-port", str(metrics_port)],
            tmp, env={"OTEL_SERVICE_NAME": SERVICE, "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline.http_endpoint,
                      "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
                      "OTEL_ML_ROLLBACK_TOKEN": TOKEN, "OTEL_ML_DEPLOY_TOKEN": DEPLOY_TOKEN})
        started.append(service)
        service.wait_ready(lambda: servers.http_get(f"{url}/healthz"), timeout=60)
        prometheus_proc, prometheus = servers.start_prometheus(
            tmp, [f"127.0.0.1:{metrics_port}"], labels={"service_name": SERVICE},
            rule_files=[rules_dir / "drift.yml", rules_dir / "alerts.yml"])
        started.append(prometheus_proc)
        config = ALERTMANAGER.replace("SINK", sink.url).replace("SERVICE", url).replace("TOKEN", TOKEN)
        alertmanager, am_url = servers.start_alertmanager(tmp, config)
        started.append(alertmanager)
        started.append(servers.start_vmalert(tmp, rules_dir / "*.yml", f"http://127.0.0.1:{pipeline.vm_port}", am_url))
        generator = TrafficGenerator(url, load(), rate=40, token=DEPLOY_TOKEN, feedback_delay=1.0, seed=11, phases=[
            Phase("normal", 25), Phase("drift", 12, shift={"mean_texture": 2.0, "mean_smoothness": 2.0}),
            Phase("bad release", 15, deploy="v2", fault_rate=0.4), Phase("steady", 300)])
        stop = threading.Event()
        traffic = threading.Thread(target=generator.run, args=(stop,), daemon=True)
        traffic.start()
        servers.wait_for(lambda: generator.stats.phase == "bad release", 60, "the bad release")
        servers.wait_for(lambda: json.loads(servers.http_get(f"{url}/healthz"))["active_version"] == "v1", 30,
                         "the rollback", interval=0.2)
        rolled_back_at = time.time()
        servers.wait_for(lambda: generator.stats.phase == "steady", 30, "the phases before steady traffic")
        time.sleep(5)
        live = Stack(pipeline.vm, prometheus, url, sink, service, generator, stop, rolled_back_at)
        yield live
        report = Path(tmp_path_factory.getbasetemp()) / "grafana-queries.txt"
        report.write_text("\n".join(live.evidence) + "\n")
        print(f"\nwhat each query returned: {report}")
        stop.set()
        traffic.join(15)
    finally:
        for part in reversed(started):
            part.stop()


def test_the_bad_release_was_rolled_back_through_alertmanager(stack):
    assert json.loads(servers.http_get(f"{stack.url}/healthz"))["active_version"] == "v1"
    assert stack.generator.stats.statuses[503] > 0


def test_drift_and_error_rate_alerts_reach_the_webhook(stack):
    def fired(name: str) -> list[dict]:          # the session's VictoriaMetrics also holds other tests' services
        return [a["labels"] for a in stack.sink.alerts()
                if a["labels"]["alertname"] == name and a["labels"].get("service_name") == SERVICE]

    servers.wait_for(lambda: fired("MLDataDrift") and fired("MLHighErrorRate"), 30, "drift and error-rate alerts")
    drifted = sorted({x["ml_feature_name"] for x in fired("MLDataDrift")})
    failing = sorted({x["ml_model_version"] for x in fired("MLHighErrorRate")})
    stack.evidence.append(f"webhook sink got MLDataDrift for {drifted} and MLHighErrorRate for {failing}")
    assert {"mean_texture", "mean_smoothness"} <= {labels["ml_feature_name"] for labels in fired("MLDataDrift")}
    assert {(labels["ml_model_version"], labels["severity"]) for labels in fired("MLHighErrorRate")} == \
        {("v2", "critical")}


def test_prometheus_fires_the_same_alerts_on_the_scrape_path(stack):
    names = {r["metric"]["alertname"] for r in stack.prometheus.query(
        f'max_over_time(ALERTS{{alertstate="firing",service_name="{SERVICE}"}}[5m])')}
    assert {"MLDataDrift", "MLHighErrorRate"} <= names


@pytest.mark.parametrize("where, expr", dashboard_queries(), ids=[w for w, _ in dashboard_queries()])
def test_every_dashboard_query_returns_data(stack, where, expr):
    stack.query_both(where, substitute(expr))


@pytest.mark.parametrize("variable, definition", variable_queries(), ids=[v for v, _ in variable_queries()])
def test_every_dashboard_variable_has_values(stack, variable, definition):
    metric, label = definition.removeprefix("label_values(").removesuffix(")").rsplit(", ", 1)
    for name, tsdb in stack.both():
        values = tsdb.get(f"/api/v1/label/{label}/values", **{"match[]": substitute(metric)})
        assert values, f"{name}: no values for ${variable} ({definition})"


@pytest.mark.parametrize("where, expr", datasource_queries(), ids=[w for w, _ in datasource_queries()])
def test_datasource_trace_to_metrics_queries_return_data(stack, where, expr):
    stack.query_both(f"tempo datasource: {where}", substitute(expr))


@pytest.mark.parametrize("record", recording_rules())
def test_every_recording_rule_returns_data(stack, record):
    stack.query_both(f"recording rule {record}", f'{record}{{ml_model_name="breast-cancer"}}')


@pytest.mark.parametrize("rule", alerts.RULES, ids=lambda r: r.name)
def test_every_alert_expression_returns_data(stack, rule):
    stack.query_both(f"alert {rule.name} (at the rollback)", rule.query(WINDOWS), at=stack.rolled_back_at)


def test_the_absence_rule_fires_when_the_demo_stops(stack):
    """Runs last: no MLNoPredictions while the service predicts; stop it, and the alert fires in both."""
    labels = f'alertname="MLNoPredictions",alertstate="firing",service_name="{SERVICE}"'
    assert stack.prometheus.query(f"max_over_time(ALERTS{{{labels}}}[10m])") == [], "a false alarm while predicting"
    before = stack.vm.query(f"max_over_time(ALERTS{{{labels}}}[10m])")
    stack.evidence.append(f"MLNoPredictions before the stop: Prometheus none; VictoriaMetrics {len(before)} firing"
                          " (vmalert reads VictoriaMetrics without a flush: a late write can look like a gap)")
    stack.data_stop.set()
    stack.service.stop()
    stopped = time.monotonic()
    seen: dict[str, float] = {}
    deadline = stopped + 90
    while len(seen) < 2 and time.monotonic() < deadline:      # each must be seen firing now, after the stop
        for name, tsdb in stack.both():
            if name not in seen and tsdb.query(f"ALERTS{{{labels}}}"):
                seen[name] = time.monotonic() - stopped
        time.sleep(0.25)
    assert set(seen) == {name for name, _ in stack.both()}, f"fired only in {seen}"
    for name, after in seen.items():
        stack.evidence.append(f"alert MLNoPredictions firing in {name} {after:.1f} s after the stop")
    assert any(a["labels"]["alertname"] == "MLNoPredictions" for a in stack.sink.alerts())
