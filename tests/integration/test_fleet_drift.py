"""Fleet-level drift: four worker processes -> VictoriaMetrics; vmalert evaluates
grafana/rules/drift.yml and the alert rules; the recorded PSI is near 0 without drift and above
0.2 with it, and MLFleetDrift fires for a shift that no worker's own test finds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from otel_ml import alerts
from otel_ml.promql import DRIFT_DETECTED, FEATURE_QUANTILE
from tests.integration import servers

pytestmark = pytest.mark.integration
APP = Path(__file__).parent / "apps" / "fleet_worker.py"
RULES = servers.ROOT / "grafana" / "rules" / "drift.yml"
ALERTS = servers.ROOT / "grafana" / "rules" / "alerts.yml"
WORKERS = 4


@pytest.fixture(scope="module")
def fleet(pipeline, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fleet")
    endpoint = f"http://127.0.0.1:{pipeline.vm_port}/opentelemetry"
    workers = [subprocess.Popen([sys.executable, str(APP), endpoint, str(seed)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for seed in range(1, WORKERS + 1)]
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0 and "done" in out, err[-3000:]
    # the same rules, evaluated every second instead of every minute
    rules = tmp / "drift.yml"
    rules.write_text(RULES.read_text().replace("interval: 1m", "interval: 1s"))
    (tmp / "alerts.yml").write_text(ALERTS.read_text().replace("interval: 1m", "interval: 1s"))
    vmalert = servers.start_vmalert(tmp, tmp / "*.yml", f"http://127.0.0.1:{pipeline.vm_port}", notifier=None)
    try:
        pipeline.vm.wait_for('ml:feature_psi{ml_model_name="fleet-shifted"}', timeout=90,
                             predicate=lambda r: len(r) == 3)
        pipeline.vm.wait_for('ml:feature_psi{ml_model_name="fleet-steady"}', timeout=30,
                             predicate=lambda r: len(r) == 3)
        yield pipeline.vm
    finally:
        vmalert.stop()


def psi(vm, model):
    return {r["metric"]["ml_feature_name"]: float(r["value"][1])
            for r in vm.query(f'ml:feature_psi{{ml_model_name="{model}"}}')}


def test_both_workers_feed_the_fleet_counts(fleet):
    steady = f'{FEATURE_QUANTILE}{{ml_model_name="fleet-steady"}}'
    instances = fleet.query(f"count(count by (service_instance_id) ({steady}))")
    assert float(instances[0]["value"][1]) == WORKERS
    totals = fleet.query(f'sum by (ml_feature_name) ({FEATURE_QUANTILE}{{ml_model_name="fleet-steady"}})')
    assert {r["metric"]["ml_feature_name"]: float(r["value"][1]) for r in totals} == {
        "f0": 3000 * WORKERS, "f1": 3000 * WORKERS, "f2": 3000 * WORKERS}


def test_fleet_psi_is_near_zero_without_drift(fleet):
    values = psi(fleet, "fleet-steady")
    print("fleet PSI without drift:", values)
    assert set(values) == {"f0", "f1", "f2"}
    assert all(v < 0.02 for v in values.values()), values


def test_fleet_psi_is_above_the_threshold_for_the_drifted_feature_only(fleet):
    values = psi(fleet, "fleet-shifted")
    print("fleet PSI, f0 moved by +1 sd:", values)
    assert values["f0"] > 0.2, values
    assert values["f1"] < 0.02 and values["f2"] < 0.02, values


def firing(vm, model):
    return {r["metric"]["ml_feature_name"] for r in vm.query(
        f'ALERTS{{alertname="MLFleetDrift",alertstate="firing",ml_model_name="{model}"}}')}


def test_the_fleet_alarm_finds_what_no_single_worker_can(fleet):
    alarmed = servers.wait_for(lambda: firing(fleet, "fleet-subtle"), 60, "MLFleetDrift for fleet-subtle")
    assert alarmed == {"f0"}
    flagged = {(r["metric"].get("service_instance_id"), r["metric"]["ml_feature_name"]): float(r["value"][1])
               for r in fleet.query(f'max by (service_instance_id, ml_feature_name) '
                                    f'(max_over_time({DRIFT_DETECTED}{{ml_model_name="fleet-subtle"}}[1h]))')}
    assert flagged and max(flagged.values()) == 0, {k: v for k, v in flagged.items() if v}   # no worker flagged it
    assert firing(fleet, "fleet-shifted") == {"f0"}
    assert firing(fleet, "fleet-steady") == set()             # and no false alarm without drift
    statistic = {(r["metric"]["ml_model_name"], r["metric"]["ml_feature_name"]): round(float(r["value"][1]), 1)
                 for r in fleet.query(alerts.fleet_chi2_expr("service_name, ml_model_name, ml_model_version", "1h"))
                 if r["metric"]["ml_model_name"].startswith("fleet-")}
    print("fleet chi-squared (threshold", alerts.FLEET_CHI2_CRITICAL, "):", statistic)
