"""promtool scenarios for every alert rule (``grafana/rules/tests/alerts_test.yml``).

For each alert: synthetic series, times at which it must fire (with the labels of the series
that fire) and times at which it must be resolved. Annotations are rendered from the labels.
"""

from __future__ import annotations

from typing import Any

from otel_ml import alerts
from otel_ml.promql import (
    CONFIDENCE,
    CORRECT,
    DECILE,
    DRIFT_DETECTED,
    DRIFT_REFERENCE_ROWS,
    ERROR,
    FEATURE,
    FEATURE_QUANTILE,
    LABEL,
    MODEL,
    OUTCOMES,
    PREDICTION_DURATION_BUCKET,
    PREDICTIONS,
    SERVICE,
    STATUS,
    VERSION,
)

SVC = {SERVICE: "svc", MODEL: "m", VERSION: "v2"}


def _series(name: str, values: str, **labels: str) -> dict[str, str]:
    merged = {**SVC, **labels}
    return {"series": name + "{" + ",".join(f'{k}="{v}"' for k, v in merged.items()) + "}", "values": values}


def _model(name: str) -> dict[str, str]:
    return {SERVICE: "svc", MODEL: name}


SCENARIOS: dict[str, dict[str, Any]] = {
    "MLHighErrorRate": {
        "series": [_series(PREDICTIONS, "0+90x30", **{STATUS: "ok", LABEL: "a"}),
                   _series(PREDICTIONS, "0+10x12 120+0x18", **{STATUS: "error", ERROR: "TimeoutError"})],
        "firing": {"10m": [SVC]}, "resolved": ["1m", "25m"]},
    "MLHighLatencyP95": {
        "series": [_series(PREDICTION_DURATION_BUCKET, "0+0x10 0+100x20", le="0.1"),
                   _series(PREDICTION_DURATION_BUCKET, "0+100x30", le="0.5"),
                   _series(PREDICTION_DURATION_BUCKET, "0+100x30", le="+Inf")],
        "firing": {"9m": [SVC]}, "resolved": ["3m", "28m"]},
    "MLDataDrift": {
        "series": [_series(DRIFT_DETECTED, "0x3 1x10 0x15", **{FEATURE: "mean_texture"})],
        "firing": {"12m": [{**SVC, FEATURE: "mean_texture"}]}, "resolved": ["6m", "20m"]},
    "MLFleetDrift": {
        # 10 deciles of a 1,000-row reference; from 20m the fleet's values pile into decile 10
        "series": [_series(DRIFT_REFERENCE_ROWS, "1000x80"),
                   *(_series(FEATURE_QUANTILE, f"0+10x20 200+{40 if d == 10 else 10}x60",
                             **{FEATURE: "mean_texture", DECILE: str(d)}) for d in range(1, 11)),
                   *(_series(FEATURE_QUANTILE, "0+10x80", **{FEATURE: "mean_radius", DECILE: str(d)})
                     for d in range(1, 11))],
        "firing": {"45m": [{**SVC, FEATURE: "mean_texture"}]}, "resolved": ["15m"]},
    "MLLowConfidence": {
        "series": [_series(CONFIDENCE + "_bucket", "0+40x20 800+0x20", le="0.7"),
                   _series(CONFIDENCE + "_count", "0+100x40")],
        "firing": {"19m": [SVC]}, "resolved": ["10m", "35m"]},
    "MLNoPredictions": {
        "series": [_series(PREDICTIONS, "0+60x10", **{MODEL: "stopped", STATUS: "ok"}),
                   _series(PREDICTIONS, "0+60x10 600x80", **{MODEL: "flat", STATUS: "ok"})],
        "firing": {"25m": [_model("flat"), _model("stopped")], "75m": [_model("flat")]},
        "resolved": ["8m"]},
    "MLAccuracyDrop": {
        "series": [_series(OUTCOMES, "0+90x30 2700+50x40 4700+90x80", **{CORRECT: "true"}),
                   _series(OUTCOMES, "0+10x30 300+50x40 2300+10x80", **{CORRECT: "false"})],
        "firing": {"70m": [SVC]}, "resolved": ["25m", "150m"]},
    "MLTrafficDrop": {
        "series": [_series(PREDICTIONS, "0+100x90 9000+20x60 10200+100x70", **{STATUS: "ok"})],
        "firing": {"150m": [_model("m")]}, "resolved": ["85m", "220m"]},
}


def _render(template: str, labels: dict[str, str]) -> str:
    for key, value in labels.items():
        template = template.replace(f"{{{{ $labels.{key} }}}}", value)
    return template


def alert_tests() -> dict[str, Any]:
    """A promtool unit test file: each alert fires on its scenario and resolves."""
    rules = {r["alert"]: r for r in alerts.prometheus_rule_file()["groups"][0]["rules"]}
    missing = set(rules) ^ set(SCENARIOS)
    if missing:
        raise ValueError(f"alerts without a promtool scenario, or scenarios without an alert: {sorted(missing)}")
    tests = []
    for name, scenario in SCENARIOS.items():
        rule = rules[name]
        cases: list[dict[str, Any]] = [{"eval_time": t, "alertname": name, "exp_alerts": [
            {"exp_labels": {**labels, "severity": rule["labels"]["severity"]},
             "exp_annotations": {k: _render(v, labels) for k, v in rule["annotations"].items()}}
            for labels in firing]} for t, firing in scenario["firing"].items()]
        cases += [{"eval_time": t, "alertname": name, "exp_alerts": []} for t in scenario["resolved"]]
        tests.append({"name": name, "interval": "1m", "input_series": scenario["series"],
                      "alert_rule_test": sorted(cases, key=lambda c: int(c["eval_time"][:-1]))})
    return {"rule_files": ["../alerts.yml"], "evaluation_interval": "1m", "tests": tests}
