"""Write grafana/: the dashboards and the alert rules, from code.

    python scripts/build_grafana.py          # rewrite the files
    python scripts/build_grafana.py --check  # exit 1 if a committed file differs (CI runs the same check)

The alert rules come from ``otel_ml.alerts`` (one source for Grafana-managed rules, the
Prometheus rule file and the demo), with promtool scenarios for each; the dashboards from
``scripts/dashboards.py``, so that panel ids, datasource uids and variables stay consistent
(each JSON file is a bare dashboard model, as Grafana's file provisioning reads it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from dashboards import DASHBOARDS  # noqa: E402

from otel_ml import alerts  # noqa: E402

# ---------------------------------------------------------------- promtool scenarios
# For each alert: synthetic series, times at which it must fire (with the labels of the series
# that fire) and times at which it must be resolved. Annotations are rendered from the labels.
SVC = {"service_name": "svc", "ml_model_name": "m", "ml_model_version": "v2"}


def _series(name: str, values: str, **labels: str) -> dict[str, str]:
    merged = {**SVC, **labels}
    return {"series": name + "{" + ",".join(f'{k}="{v}"' for k, v in merged.items()) + "}", "values": values}


SCENARIOS: dict[str, dict[str, Any]] = {
    "MLHighErrorRate": {
        "series": [_series("ml_predictions_total", "0+90x30", ml_prediction_status="ok", ml_prediction_label="a"),
                   _series("ml_predictions_total", "0+10x12 120+0x18", ml_prediction_status="error",
                           error_type="TimeoutError")],
        "firing": {"10m": [SVC]}, "resolved": ["1m", "25m"]},
    "MLHighLatencyP95": {
        "series": [_series("ml_prediction_duration_seconds_bucket", "0+0x10 0+100x20", le="0.1"),
                   _series("ml_prediction_duration_seconds_bucket", "0+100x30", le="0.5"),
                   _series("ml_prediction_duration_seconds_bucket", "0+100x30", le="+Inf")],
        "firing": {"9m": [SVC]}, "resolved": ["3m", "28m"]},
    "MLDataDrift": {
        "series": [_series("ml_drift_detected", "0x3 1x10 0x15", ml_feature_name="mean_texture")],
        "firing": {"12m": [{**SVC, "ml_feature_name": "mean_texture"}]}, "resolved": ["6m", "20m"]},
    "MLFleetDrift": {
        # 10 deciles of a 1,000-row reference; from 20m the fleet's values pile into decile 10
        "series": [_series("ml_drift_reference_rows", "1000x80"),
                   *(_series("ml_feature_quantile_total", f"0+10x20 200+{40 if d == 10 else 10}x60",
                             ml_feature_name="mean_texture", ml_feature_decile=str(d)) for d in range(1, 11)),
                   *(_series("ml_feature_quantile_total", "0+10x80", ml_feature_name="mean_radius",
                             ml_feature_decile=str(d)) for d in range(1, 11))],
        "firing": {"45m": [{**SVC, "ml_feature_name": "mean_texture"}]}, "resolved": ["15m"]},
    "MLLowConfidence": {
        "series": [_series("ml_prediction_confidence_bucket", "0+40x20 800+0x20", le="0.7"),
                   _series("ml_prediction_confidence_count", "0+100x40")],
        "firing": {"19m": [SVC]}, "resolved": ["10m", "35m"]},
    "MLNoPredictions": {
        "series": [_series("ml_predictions_total", "0+60x10", ml_model_name="stopped", ml_prediction_status="ok"),
                   _series("ml_predictions_total", "0+60x10 600x80", ml_model_name="flat", ml_prediction_status="ok")],
        "firing": {"25m": [{"service_name": "svc", "ml_model_name": "flat"},
                           {"service_name": "svc", "ml_model_name": "stopped"}],
                   "75m": [{"service_name": "svc", "ml_model_name": "flat"}]},
        "resolved": ["8m"]},
    "MLAccuracyDrop": {
        "series": [_series("ml_outcomes_total", "0+90x30 2700+50x40 4700+90x80", ml_outcome_correct="true"),
                   _series("ml_outcomes_total", "0+10x30 300+50x40 2300+10x80", ml_outcome_correct="false")],
        "firing": {"70m": [SVC]}, "resolved": ["25m", "150m"]},
    "MLTrafficDrop": {
        "series": [_series("ml_predictions_total", "0+100x90 9000+20x60 10200+100x70", ml_prediction_status="ok")],
        "firing": {"150m": [{"service_name": "svc", "ml_model_name": "m"}]}, "resolved": ["85m", "220m"]},
}


def _render(template: str, labels: dict[str, str]) -> str:
    for key, value in labels.items():
        template = template.replace("{{ $labels.%s }}" % key, value)
    return template


def promtool_tests() -> dict:
    """A promtool unit test file: each alert fires on its scenario and resolves."""
    rules = {r["alert"]: r for r in alerts.prometheus_rule_file()["groups"][0]["rules"]}
    tests = []
    for name, scenario in SCENARIOS.items():
        rule = rules[name]
        cases = [{"eval_time": t, "alertname": name, "exp_alerts": [
            {"exp_labels": {**labels, "severity": rule["labels"]["severity"]},
             "exp_annotations": {k: _render(v, labels) for k, v in rule["annotations"].items()}}
            for labels in firing]} for t, firing in scenario["firing"].items()]
        cases += [{"eval_time": t, "alertname": name, "exp_alerts": []} for t in scenario["resolved"]]
        tests.append({"name": name, "interval": "1m", "input_series": scenario["series"],
                      "alert_rule_test": sorted(cases, key=lambda c: int(c["eval_time"][:-1]))})
    return {"rule_files": ["../alerts.yml"], "evaluation_interval": "1m", "tests": tests}


def rendered() -> dict[Path, str]:
    """Every generated file with its text."""
    files = {ROOT / "grafana" / "dashboards" / name: json.dumps(build(), indent=2) + "\n"
             for name, build in DASHBOARDS.items()}
    header = "# Generated by scripts/build_grafana.py from otel_ml/alerts.py: edit those, not this file.\n"
    files[ROOT / "grafana" / "provisioning" / "alerting" / "rules.yaml"] = header + yaml.safe_dump(
        alerts.grafana_alert_rules(), sort_keys=False, width=1000)
    files[ROOT / "grafana" / "rules" / "alerts.yml"] = header + yaml.safe_dump(
        alerts.prometheus_rule_file(), sort_keys=False, width=1000)
    files[ROOT / "grafana" / "rules" / "tests" / "alerts_test.yml"] = (
        "# promtool test rules grafana/rules/tests/alerts_test.yml\n" + header
        + yaml.safe_dump(promtool_tests(), sort_keys=False, width=1000))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    args = parser.parse_args(argv)
    stale = []
    for path, text in rendered().items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print("out of date (run python scripts/build_grafana.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
