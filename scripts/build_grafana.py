"""Write grafana/: the dashboards and the alert rules, from code.

    python scripts/build_grafana.py          # rewrite the files
    python scripts/build_grafana.py --check  # exit 1 if a committed file differs (CI runs the same check)

The alert rules come from ``otel_ml.alerts`` (one source for Grafana-managed rules, the
Prometheus rule file and the demo). Dashboards are built here, so that panel ids, datasource
uids and variables stay consistent; each JSON file is a bare dashboard model, as Grafana's file
provisioning reads it.
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

from otel_ml import alerts  # noqa: E402

PROMETHEUS = {"type": "prometheus", "uid": "prometheus"}
LOKI = {"type": "loki", "uid": "loki"}
TEMPO = {"type": "tempo", "uid": "tempo"}
SEL = 'service_name=~"$service",ml_model_name=~"$model",ml_model_version=~"$version"'
HTTP = 'service_name=~"$service",http_route="/predict"'
RATE = "[$__rate_interval]"
RANGE = "[$__range]"


def prom(expr: str, legend: str = "", ref: str = "A", *, exemplar: bool = False, instant: bool = False,
         fmt: str | None = None) -> dict[str, Any]:
    target: dict[str, Any] = {"refId": ref, "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend,
                              "range": not instant, "instant": instant}
    if exemplar:
        target["exemplar"] = True
    if fmt:
        target["format"] = fmt
    return target


def loki(expr: str, ref: str = "A", *, query_type: str = "range") -> dict[str, Any]:
    return {"refId": ref, "datasource": LOKI, "expr": expr, "queryType": query_type}


def traceql(query: str, ref: str = "A", limit: int = 20) -> dict[str, Any]:
    return {"refId": ref, "datasource": TEMPO, "queryType": "traceql", "query": query, "limit": limit,
            "tableType": "traces"}


def panel(pid: int, title: str, kind: str, targets: list[dict], grid: tuple[int, int, int, int], *,
          unit: str | None = None, description: str = "", datasource: dict = PROMETHEUS, **options: Any) -> dict:
    x, y, w, h = grid
    field_config: dict[str, Any] = {"defaults": dict(options.pop("fieldConfigDefaults", {})), "overrides": []}
    if unit:
        field_config["defaults"]["unit"] = unit
    body = {"id": pid, "title": title, "type": kind, "datasource": datasource, "targets": targets,
            "gridPos": {"x": x, "y": y, "w": w, "h": h}, "fieldConfig": field_config, "description": description}
    body.update(options)
    return body


def row(pid: int, title: str, y: int) -> dict:
    return {"id": pid, "title": title, "type": "row", "collapsed": False, "panels": [],
            "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}}


def query_variable(name: str, label: str, query: str) -> dict:
    return {"name": name, "label": label, "type": "query", "datasource": PROMETHEUS,
            "query": {"query": query, "refId": f"{name}-variable"}, "definition": query, "refresh": 2,
            "multi": True, "includeAll": True, "allValue": ".*", "current": {}, "sort": 1}


def variables() -> list[dict]:
    return [
        query_variable("service", "Service", "label_values(ml_predictions_total, service_name)"),
        query_variable("model", "Model", 'label_values(ml_predictions_total{service_name=~"$service"}, ml_model_name)'),
        query_variable("version", "Version", 'label_values(ml_predictions_total{service_name=~"$service",'
                                             'ml_model_name=~"$model"}, ml_model_version)'),
    ]


def dashboard(uid: str, title: str, description: str, panels: list[dict], extra: list[dict] | None = None,
              time_from: str = "now-1h") -> dict:
    return {
        "uid": uid, "title": title, "description": description, "tags": ["otel-ml", "ml"],
        "editable": True, "graphTooltip": 1, "schemaVersion": 41, "version": 1, "refresh": "30s",
        "time": {"from": time_from, "to": "now"}, "timezone": "browser", "fiscalYearStartMonth": 0,
        "annotations": {"list": []},
        "links": [{"type": "dashboards", "tags": ["otel-ml"], "asDropdown": False, "title": "otel-ml",
                   "includeVars": True, "keepTime": True}],
        "templating": {"list": variables() + (extra or [])},
        "panels": panels,
    }


def overview() -> dict:
    return dashboard("otel-ml-overview", "otel-ml / Overview",
                     "System, model and business view of monitored models.", [
        row(100, "System", 0),
        panel(1, "Request and prediction rate", "timeseries", [
            prom(f"sum by (http_route) (rate(http_server_request_duration_seconds_count{{service_name=~\"$service\"}}{RATE}))",
                 "{{http_route}} requests"),
            prom(f"sum by (ml_model_version) (rate(ml_predictions_total{{{SEL}}}{RATE}))", "{{ml_model_version}} predictions",
                 "B")], (0, 1, 8, 8), unit="reqps"),
        panel(2, "Active requests and predictions", "timeseries", [
            prom('sum(http_server_active_requests{service_name=~"$service"})', "HTTP requests"),
            prom(f"sum(ml_prediction_active{{{SEL}}})", "predictions", "B")], (8, 1, 8, 8), unit="short"),
        panel(3, "Error rate by type", "timeseries", [
            prom(f"sum by (ml_model_version, error_type) (rate(ml_predictions_total{{{SEL},ml_prediction_status=\"error\"}}{RATE}))"
                 f" / ignoring (error_type) group_left sum by (ml_model_version) (rate(ml_predictions_total{{{SEL}}}{RATE}))",
                 "{{ml_model_version}} {{error_type}}")], (16, 1, 8, 8), unit="percentunit"),
        panel(4, "Prediction latency p50 / p95 / p99", "timeseries", [
            prom(f"histogram_quantile({q}, sum by (le) (rate(ml_prediction_duration_seconds_bucket{{{SEL}}}{RATE})))",
                 f"p{round(q * 100)}", ref, exemplar=True)
            for q, ref in ((0.5, "A"), (0.95, "B"), (0.99, "C"))], (0, 9, 8, 8), unit="s",
            description="Exemplars link to the prediction's trace in Tempo."),
        panel(5, "CPU", "timeseries", [
            prom(f"sum by (service_instance_id) (rate(process_cpu_time_seconds_total{{service_name=~\"$service\"}}{RATE}))",
                 "{{service_instance_id}}")], (8, 9, 8, 8), unit="percentunit",
            description="CPU seconds per second of each service process."),
        panel(6, "Memory", "timeseries", [
            prom('sum by (service_instance_id) (process_memory_usage_bytes{service_name=~"$service"})',
                 "{{service_instance_id}}")], (16, 9, 8, 8), unit="bytes"),
        row(101, "Model", 17),
        panel(7, "Prediction distribution", "timeseries", [
            prom(f"sum by (ml_prediction_label) (rate(ml_predictions_total{{{SEL},ml_prediction_status=\"ok\"}}{RATE}))",
                 "{{ml_prediction_label}}")], (0, 18, 8, 8), unit="reqps",
            options={"legend": {"displayMode": "table", "placement": "right"}},
            fieldConfigDefaults={"custom": {"stacking": {"mode": "normal"}}}),
        panel(8, "Confidence", "heatmap", [
            prom(f"sum by (le) (rate(ml_prediction_confidence_bucket{{{SEL}}}{RATE}))", "{{le}}", fmt="heatmap")],
            (8, 18, 8, 8), options={"calculate": False, "yAxis": {"unit": "percentunit"}}),
        panel(9, "Mean confidence per label", "timeseries", [
            prom(f"sum by (ml_prediction_label) (rate(ml_prediction_confidence_sum{{{SEL}}}{RATE}))"
                 f" / sum by (ml_prediction_label) (rate(ml_prediction_confidence_count{{{SEL}}}{RATE}))",
                 "{{ml_prediction_label}}")], (16, 18, 4, 8), unit="percentunit"),
        panel(10, "Low-confidence share (<= 0.7)", "timeseries", [
            prom(f"sum(rate(ml_prediction_confidence_bucket{{{SEL},le=\"0.7\"}}{RATE}))"
                 f" / sum(rate(ml_prediction_confidence_count{{{SEL}}}{RATE}))", "share")],
            (20, 18, 4, 8), unit="percentunit"),
        row(102, "Business", 26),
        panel(11, "Conversions per version", "timeseries", [
            prom(f"sum by (ml_model_version) (rate(ml_business_events_total{{{SEL},ml_business_event=\"conversion\"}}{RATE}))",
                 "{{ml_model_version}}")], (0, 27, 8, 8), unit="reqps"),
        panel(12, "Revenue per version", "bargauge", [
            prom(f"sum by (ml_model_version) (increase(ml_business_value_total{{{SEL}}}{RANGE}))",
                 "{{ml_model_version}}", instant=True)], (8, 27, 8, 8), unit="currencyUSD"),
        panel(13, "Rollbacks", "table", [
            prom(f"sum by (ml_rollback_from_version, ml_model_version, ml_rollback_reason) "
                 f"(increase(ml_model_rollbacks_total{{service_name=~\"$service\",ml_model_name=~\"$model\"}}{RANGE}))",
                 instant=True, fmt="table")], (16, 27, 8, 8)),
    ])


def drift() -> dict:
    features = f'{SEL},ml_feature_name!~"\\\\(.*\\\\)"'
    return dashboard("otel-ml-drift", "otel-ml / Drift",
                     "Input, prediction and confidence drift against the reference.", [
        panel(1, "KS statistic per feature", "timeseries", [
            prom(f'max by (ml_feature_name) (ml_drift_statistic{{{features},ml_drift_method="ks"}})',
                 "{{ml_feature_name}}")], (0, 0, 12, 8), unit="short"),
        panel(2, "KS p-value per feature", "timeseries", [
            prom(f'min by (ml_feature_name) (ml_drift_p_value{{{features},ml_drift_method="ks"}})',
                 "{{ml_feature_name}}")], (12, 0, 12, 8), unit="short",
            fieldConfigDefaults={"custom": {"scaleDistribution": {"type": "log", "log": 10}}}),
        panel(3, "Drifted features", "table", [
            prom(f"max by (ml_model_version, ml_feature_name) (max_over_time(ml_drift_detected{{{SEL}}}{RANGE}))",
                 instant=True, fmt="table")], (0, 8, 8, 9),
            description="1: drift detected at some point in the time range; 0: not."),
        panel(4, "Fleet PSI per feature (last hour, all instances)", "timeseries", [
            prom('max by (ml_feature_name) (ml:feature_psi:1h{ml_model_name=~"$model",ml_model_version=~"$version"})',
                 "{{ml_feature_name}}")], (8, 8, 8, 9), unit="short",
            description="From the recording rules in grafana/rules/drift.yml. Above 0.2: significant shift."),
        panel(5, "PSI per feature (this window)", "bargauge", [
            prom(f'max by (ml_feature_name) (ml_drift_statistic{{{features},ml_drift_method="psi"}})',
                 "{{ml_feature_name}}", instant=True)], (16, 8, 8, 9), unit="short"),
        panel(6, "Prediction and confidence drift", "timeseries", [
            prom(f'max by (ml_feature_name, ml_drift_method) (ml_drift_statistic{{{SEL},'
                 f'ml_feature_name=~"\\\\(prediction\\\\)|\\\\(confidence\\\\)",ml_drift_method=~"ks|chi2"}})',
                 "{{ml_feature_name}} {{ml_drift_method}}")], (0, 17, 12, 8), unit="short"),
        panel(7, "Tested window size", "timeseries", [
            prom(f"min by (ml_feature_name) (ml_drift_window_size{{{SEL}}})", "{{ml_feature_name}}")],
            (12, 17, 12, 8), unit="short"),
    ])


def performance() -> dict:
    positive = {"name": "positive", "label": "Positive class", "type": "query", "datasource": PROMETHEUS,
                "query": {"query": 'label_values(ml_outcomes_total{ml_model_name=~"$model"}, ml_outcome_label)',
                          "refId": "positive-variable"},
                "definition": 'label_values(ml_outcomes_total{ml_model_name=~"$model"}, ml_outcome_label)',
                "refresh": 2, "multi": False, "includeAll": False, "current": {}, "sort": 1}
    outcomes = f"ml_outcomes_total{{{SEL}"
    stat = {"reduceOptions": {"calcs": ["lastNotNull"], "values": False}, "colorMode": "value"}
    return dashboard("otel-ml-performance", "otel-ml / Performance summary",
                     "Totals and percentiles over the chosen time range.", [
        panel(1, "Total requests", "stat", [
            prom(f"sum(increase(http_server_request_duration_seconds_count{{{HTTP}}}{RANGE}))", instant=True)],
            (0, 0, 4, 5), unit="short", options=stat),
        panel(2, "Success rate", "stat", [
            prom(f'sum(increase(http_server_request_duration_seconds_count{{{HTTP},http_response_status_code=~"2.."}}{RANGE}))'
                 f" / sum(increase(http_server_request_duration_seconds_count{{{HTTP}}}{RANGE}))", instant=True)],
            (4, 0, 4, 5), unit="percentunit", options=stat),
        panel(3, "Average latency", "stat", [
            prom(f"sum(increase(http_server_request_duration_seconds_sum{{{HTTP}}}{RANGE}))"
                 f" / sum(increase(http_server_request_duration_seconds_count{{{HTTP}}}{RANGE}))", instant=True)],
            (8, 0, 4, 5), unit="s", options=stat),
        *[panel(pid, title, "stat", [
            prom(f"histogram_quantile({q}, sum by (le) (increase(http_server_request_duration_seconds_bucket{{{HTTP}}}{RANGE})))",
                 instant=True)], (x, 0, 4, 5), unit="s", options=stat, description=description)
          for pid, title, q, x, description in (
              (4, "p95 latency", 0.95, 12, ""), (5, "p99 latency", 0.99, 16, ""),
              (6, "Max latency (bucket bound)", 1, 20,
               "The upper bound of the highest non-empty latency bucket: histograms do not keep the exact maximum."))],
        panel(7, "Accuracy", "stat", [
            prom(f'sum(increase({outcomes},ml_outcome_correct="true"}}{RANGE})) / sum(increase({outcomes}}}{RANGE}))',
                 instant=True)], (0, 5, 8, 5), unit="percentunit", options=stat,
            description="Share of predictions whose ground truth (from /feedback) matched."),
        panel(8, "Precision ($positive)", "stat", [
            prom(f'sum(increase({outcomes},ml_prediction_label="$positive",ml_outcome_correct="true"}}{RANGE}))'
                 f' / sum(increase({outcomes},ml_prediction_label="$positive"}}{RANGE}))', instant=True)],
            (8, 5, 8, 5), unit="percentunit", options=stat),
        panel(9, "Recall ($positive)", "stat", [
            prom(f'sum(increase({outcomes},ml_outcome_label="$positive",ml_outcome_correct="true"}}{RANGE}))'
                 f' / sum(increase({outcomes},ml_outcome_label="$positive"}}{RANGE}))', instant=True)],
            (16, 5, 8, 5), unit="percentunit", options=stat),
        panel(10, "Accuracy per version", "timeseries", [
            prom(f'sum by (ml_model_version) (rate({outcomes},ml_outcome_correct="true"}}{RATE}))'
                 f" / sum by (ml_model_version) (rate({outcomes}}}{RATE}))", "{{ml_model_version}}")],
            (0, 10, 24, 8), unit="percentunit"),
    ], extra=[positive], time_from="now-30m")


def logs_and_traces() -> dict:
    stream = '{service_name=~"$service"}'
    return dashboard("otel-ml-logs-traces", "otel-ml / Logs and traces",
                     "Prediction log records (Loki) and traces (Tempo), linked by trace id.", [
        panel(1, "Prediction logs", "logs", [
            loki(f'{stream} | ml_model_name=~"$model" | ml_model_version=~"$version"')], (0, 0, 24, 10),
            datasource=LOKI, options={"showTime": True, "wrapLogMessage": True, "enableLogDetails": True},
            description="Each record's trace_id links to its trace in Tempo (Loki derived field)."),
        panel(2, "Failed predictions and rollbacks", "logs", [
            loki(f'{stream} | severity_text=~"ERROR|WARN" | ml_model_name=~"$model"')], (0, 10, 12, 8),
            datasource=LOKI),
        panel(3, "Log records by severity", "timeseries", [
            loki(f'sum by (severity_text) (count_over_time({stream} | ml_model_name=~"$model" [$__auto]))')],
            (12, 10, 12, 8), datasource=LOKI, unit="short"),
        panel(4, "Prediction traces", "table", [
            traceql('{ resource.service.name =~ "$service" && name =~ "predict .*" && span.ml.model.version =~ "$version" }')],
            (0, 18, 12, 9), datasource=TEMPO),
        panel(5, "Slow or failed predictions", "table", [
            traceql('{ resource.service.name =~ "$service" && name =~ "predict .*" && (duration > 100ms || status = error) }')],
            (12, 18, 12, 9), datasource=TEMPO),
    ], time_from="now-15m")


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


DASHBOARDS = {"overview.json": overview, "drift.json": drift, "performance.json": performance,
              "logs-traces.json": logs_and_traces}


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
