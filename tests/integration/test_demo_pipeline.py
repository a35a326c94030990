"""The demo against real parts: OTLP export to a collector, and a rollback driven by a real alert.

1. ``otel-ml demo`` with ``OTEL_EXPORTER_OTLP_ENDPOINT`` set exports what its summary shows:
   rotel (a real collector) -> VictoriaMetrics, and traces/logs -> an OTLP receiver.
2. ``otel-ml serve`` in its own process exports to VictoriaMetrics; vmalert evaluates the
   project's alert rules (otel_ml.alerts, over seconds) on those metrics; a real Alertmanager
   delivers the critical error-rate alert to the service's ``/admin/rollback`` with the bearer
   token; the service rolls v2 back to v1. Alerts of the other services in the same
   VictoriaMetrics reach the webhook too, and are ignored (their ``service_name`` differs).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
import yaml

from otel_ml import alerts
from otel_ml.demo.data import load
from otel_ml.demo.traffic import Phase, TrafficGenerator
from otel_ml.promql import BUSINESS_VALUE, DRIFT_STATISTIC, OUTCOMES, PREDICTIONS, ROLLBACKS
from tests.integration import servers

pytestmark = pytest.mark.integration
TOKEN = "integration-rollback-token"
DEPLOY_TOKEN = "integration-deploy-token"
WINDOWS = {"rate": "10s", "long": "20s"}

ALERTMANAGER = """
route:
  receiver: rollback
  group_by: [alertname, service_name, ml_model_name, ml_model_version]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: rollback
    webhook_configs:
      - url: http://127.0.0.1:{port}/admin/rollback
        send_resolved: false
        http_config:
          authorization: {{type: Bearer, credentials: {token}}}
"""


def env(pipeline, service: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "OTEL_SERVICE_NAME": service,
            "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline.http_endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_ML_ROLLBACK_TOKEN": TOKEN, "OTEL_ML_DEPLOY_TOKEN": DEPLOY_TOKEN}


def total(vm, expr: str) -> float:
    return sum(float(r["value"][1]) for r in vm.query(expr))


def test_the_demo_exports_what_its_summary_shows(pipeline):
    service = "otel-ml-demo-export"
    out = subprocess.run([sys.executable, "-m", "otel_ml.cli", "demo", "--scale", "0.3", "--rate", "50", "--no-live"],
                         capture_output=True, text=True, timeout=180, env=env(pipeline, service))
    assert out.returncode == 0, out.stderr[-3000:]
    shown = {k: int(v) for k, v in (item.rsplit(" ", 1) for item in
                                    re.search(r"^predictions\s+(.*)$", out.stdout, re.MULTILINE).group(1).split(", "))}
    sel = f'service_name="{service}",ml_model_name="breast-cancer"'
    vm = pipeline.vm
    vm.wait_for(f'sum({PREDICTIONS}{{{sel}}})', timeout=30,
                predicate=lambda r: r and float(r[0]["value"][1]) == sum(shown.values()))
    assert total(vm, f'{PREDICTIONS}{{{sel},ml_prediction_label="benign"}}') == shown["benign"]
    assert total(vm, f'{PREDICTIONS}{{{sel},error_type="TimeoutError",ml_model_version="v2"}}') == \
        shown["error TimeoutError"]
    assert total(vm, f'{ROLLBACKS}{{{sel},ml_model_version="v1",ml_rollback_from_version="v2"}}') == 1
    assert total(vm, f'{OUTCOMES}{{{sel}}}') > 0 and total(vm, f'{BUSINESS_VALUE}{{{sel}}}') > 0
    assert total(vm, f'http_server_request_duration_seconds_count{{service_name="{service}",http_route="/predict"}}') \
        >= sum(shown.values())
    assert {r["metric"]["ml_feature_name"] for r in vm.query(f'{DRIFT_STATISTIC}{{{sel},ml_drift_method="ks"}}')} \
        == set(load().feature_names) | {"(confidence)"}
    servers.wait_for(lambda: any(r.event_name == "ml.rollback" for res, r in pipeline.sink.logs
                                 if res.get("service.name") == service), 15, "the rollback log record")
    names = {s.name for res, s in pipeline.sink.spans if res.get("service.name") == service}
    assert {"POST /predict", "predict breast-cancer", "drift breast-cancer"} <= names


@pytest.fixture
def served_service(pipeline, tmp_path):
    port = servers.free_port()
    service = servers.Process("otel-ml-serve", [sys.executable, "-m", "otel_ml.cli", "serve", "--port", str(port)],
                              tmp_path, env=env(pipeline, "otel-ml-demo-rollback"))
    url = f"http://127.0.0.1:{port}"
    try:
        service.wait_ready(lambda: servers.http_get(f"{url}/healthz"), timeout=60)
        yield url, service
    finally:
        service.stop()


def diagnose(pipeline, am_url: str, generator) -> str:
    """What each part saw, for a rollback that did not happen."""
    def fetch(url: str) -> str:
        try:
            return servers.http_get(url).decode()[:1500]
        except OSError as exc:
            return repr(exc)

    expr = alerts.RULES_BY_NAME["MLHighErrorRate"].query(WINDOWS)
    v2 = pipeline.vm.query(f'{PREDICTIONS}{{ml_model_version="v2"}}')
    return (f"traffic: {generator.stats}\nrule value in VictoriaMetrics: {pipeline.vm.query(expr)}\n"
            f"v2 series in VictoriaMetrics: {v2}\nAlertmanager alerts: {fetch(am_url + '/api/v2/alerts')}")


def active_version(url: str) -> str:
    return json.loads(servers.http_get(f"{url}/healthz"))["active_version"]


def test_a_real_alert_through_alertmanager_rolls_the_bad_release_back(pipeline, served_service, tmp_path):
    url, service = served_service
    port = int(url.rsplit(":", 1)[1])
    alertmanager, am_url = servers.start_alertmanager(tmp_path, ALERTMANAGER.format(port=port, token=TOKEN))
    rules = tmp_path / "rules.yml"            # the project's rules, over seconds instead of minutes
    rules.write_text(yaml.safe_dump(alerts.prometheus_rule_file(WINDOWS, interval="1s", for_="0s")))
    vmalert = servers.start_vmalert(tmp_path, rules, f"http://127.0.0.1:{pipeline.vm_port}", am_url)
    try:
        data = load()
        TrafficGenerator(url, data, rate=40, invalid_rate=0, phases=[Phase("normal", 3)]).run()
        generator = TrafficGenerator(url, data, rate=40, invalid_rate=0, token=DEPLOY_TOKEN,
                                     phases=[Phase("bad release", 40, deploy="v2", fault_rate=0.4)])
        started = time.monotonic()
        stop = threading.Event()
        thread = threading.Thread(target=generator.run, args=(stop,))
        thread.start()
        try:
            servers.wait_for(lambda: generator.stats.versions["v2"] > 0, 10, "traffic on v2")
            try:
                servers.wait_for(lambda: active_version(url) == "v1", 45, "the rollback to v1")
            except TimeoutError as exc:
                raise AssertionError(diagnose(pipeline, am_url, generator)) from exc
            took = time.monotonic() - started
        finally:
            stop.set()
            thread.join(15)
        assert generator.stats.statuses[503] > 0
        sel = 'service_name="otel-ml-demo-rollback"'
        pipeline.vm.wait_for(f'{ROLLBACKS}{{{sel},ml_model_version="v1",ml_rollback_from_version="v2",'
                             f'ml_rollback_reason="MLHighErrorRate"}} == 1', timeout=20)
        assert total(pipeline.vm, f'{ROLLBACKS}{{{sel}}}') == 1    # other services' alerts did nothing
        with urllib.request.urlopen(f"{am_url}/metrics", timeout=5) as response:
            am_metrics = response.read().decode()
        def webhook(metric: str) -> float:
            return sum(float(v) for v in re.findall(rf'^{metric}\{{[^}}]*integration="webhook"[^}}]*\}} (\S+)$',
                                                    am_metrics, re.MULTILINE))

        assert webhook("alertmanager_notifications_total") >= 1
        assert webhook("alertmanager_notifications_failed_total") == 0
        print(f"rolled back {took:.1f} s after the bad release started")
    finally:
        vmalert.stop()
        alertmanager.stop()
