"""The alert rules of otel-ml: one source for Grafana, Prometheus and the demo.

Each :class:`AlertRule` is a PromQL expression, a comparison and a threshold. From them,
``python -m assets`` writes ``grafana/provisioning/alerting/rules.yaml`` (Grafana-managed
rules: query, reduce, threshold) and ``grafana/rules/alerts.yml`` (a Prometheus rule file for
Alertmanager users); a test fails when either file drifts from this module. The demo's
in-process alerts use the same thresholds.

Expressions name their windows ``{rate}`` (the rate window, 5m) and ``{long}`` (1h), so that
tests can evaluate the very same rules over seconds instead of hours.

>>> rule = RULES_BY_NAME["MLHighErrorRate"]
>>> rule.severity, rule.condition()[-8:]
('critical', ') > 0.05')
>>> "5%" in rule.summary_text()
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otel_ml.promql import (
    BY_MODEL,
    BY_VERSION,
    CONFIDENCE,
    CORRECT,
    DECILE,
    DRIFT_DETECTED,
    DRIFT_REFERENCE_ROWS,
    FEATURE,
    FEATURE_QUANTILE,
    MODEL,
    OUTCOMES,
    PREDICTION_DURATION_BUCKET,
    PREDICTIONS,
    SERVICE,
    STATUS,
    VERSION,
)

DEFAULT_WINDOWS: Mapping[str, str] = {"rate": "5m", "long": "1h"}
SEVERITIES = ("info", "warning", "critical")

FLEET_CHI2_CRITICAL = 44.81
"""The chi-squared quantile of 9 degrees of freedom (ten deciles) exceeded with probability 1e-6:
``scipy.stats.chi2.isf(1e-6, 9)`` (checked by a test)."""


def fleet_chi2_expr(by: str, window: str, selector: str = "") -> str:
    """PromQL of the fleet's two-sample chi-squared per feature, over ``window``.

    The decile counts of every instance summed (``B``, total ``N`` per feature) against the
    reference's (``R/10`` rows in each decile, ``R`` from the gauge ``ml.drift.reference.rows``):
    ``sum((B - N/10)^2 / (N/10)) / (1 + N/R)``. The last factor is the reference's own sampling
    error: without it, a window as large as the reference would alarm about twice as often as
    it should (``otel_ml/drift/fleet.py`` computes the same in Python, ``tests/drift/test_fleet.py``
    measures its false alarms by simulation)."""
    counts = f"increase({FEATURE_QUANTILE}{selector}[{window}])"
    per_decile = f"sum by ({by}, {FEATURE}, {DECILE}) ({counts})"
    total = f"sum by ({by}, {FEATURE}) ({counts})"
    rows = f"max by ({by}) ({DRIFT_REFERENCE_ROWS}{selector})"
    # no parenthesis right after group_left (it would be read as its label list): precedence does it
    return (f"sum by ({by}, {FEATURE}) (10 * ({per_decile} - ignoring ({DECILE}) group_left {total} / 10)"
            f" ^ 2 / ignoring ({DECILE}) group_left {total})"
            f" / (1 + {total} / ignoring ({FEATURE}) group_left {rows})")


@dataclass(frozen=True)
class AlertRule:
    """One alert: ``expr op threshold`` held for ``for_``."""

    name: str
    uid: str
    severity: str
    expr: str
    op: str
    threshold: float
    for_: str
    summary: str
    """Human text; ``{threshold}`` is replaced by the formatted threshold."""
    description: str
    dashboard_uid: str
    panel_id: int
    threshold_format: str = "{:g}"
    no_data_state: str = "OK"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.name}: severity must be one of {SEVERITIES}")
        if self.op not in (">", "<"):
            raise ValueError(f"{self.name}: op must be '>' or '<'")

    def query(self, windows: Mapping[str, str] = DEFAULT_WINDOWS) -> str:
        """The expression whose value is compared with the threshold."""
        query = self.expr
        for name, window in windows.items():
            query = query.replace("{" + name + "}", window)
        return " ".join(query.split())

    def condition(self, windows: Mapping[str, str] = DEFAULT_WINDOWS) -> str:
        """The Prometheus alerting expression."""
        return f"({self.query(windows)}) {self.op} {self.threshold:g}"

    def threshold_text(self) -> str:
        return self.threshold_format.format(self.threshold)

    def summary_text(self) -> str:
        return self.summary.format(threshold=self.threshold_text())


RULES: tuple[AlertRule, ...] = (
    AlertRule(
        name="MLHighErrorRate", uid="otel-ml-high-error-rate", severity="critical",
        expr=f"""sum by ({BY_VERSION}) (rate({PREDICTIONS}{{{STATUS}="error"}}[{{rate}}]))
                 / sum by ({BY_VERSION}) (rate({PREDICTIONS}[{{rate}}]))""",
        op=">", threshold=0.05, for_="2m", threshold_format="{:.0%}",
        summary="More than {threshold} of a model version's predictions fail",
        description="The share of failed predictions of this model version is above the threshold. "
                    "A critical alert for the active version makes the rollback webhook restore the previous one.",
        dashboard_uid="otel-ml-overview", panel_id=3),
    AlertRule(
        name="MLHighLatencyP95", uid="otel-ml-high-latency-p95", severity="warning",
        expr=f"""histogram_quantile(0.95, sum by (le, {BY_VERSION})
                 (rate({PREDICTION_DURATION_BUCKET}[{{rate}}])))""",
        op=">", threshold=0.25, for_="5m", threshold_format="{:g} s",
        summary="p95 prediction latency above {threshold}",
        description="95% of predictions should finish within the threshold.",
        dashboard_uid="otel-ml-overview", panel_id=4),
    AlertRule(
        name="MLDataDrift", uid="otel-ml-data-drift", severity="warning",
        expr=f"max by ({BY_VERSION}, {FEATURE}) ({DRIFT_DETECTED})",
        op=">", threshold=0, for_="5m", threshold_format="{:g}",
        summary="An input feature drifted from the reference (drift detected > {threshold})",
        description="The drift processor's test rejects the reference distribution for this feature.",
        dashboard_uid="otel-ml-drift", panel_id=3),
    AlertRule(
        name="MLFleetDrift", uid="otel-ml-fleet-drift", severity="warning",
        expr=fleet_chi2_expr(BY_VERSION, "{long}"),
        op=">", threshold=FLEET_CHI2_CRITICAL, for_="0m", threshold_format="{:g}",
        summary="A feature's values over the whole fleet left the reference's deciles (chi-squared above {threshold})",
        description="The two-sample chi-squared of the last hour's decile counts, summed over every worker "
                    "and replica, against the reference: a false alarm once in a million evaluations per feature.",
        dashboard_uid="otel-ml-drift", panel_id=8),
    AlertRule(
        name="MLLowConfidence", uid="otel-ml-low-confidence", severity="info",
        expr=f"""sum by ({BY_VERSION}) (rate({CONFIDENCE}_bucket{{le="0.7"}}[{{rate}}]))
                 / sum by ({BY_VERSION}) (rate({CONFIDENCE}_count[{{rate}}]))""",
        op=">", threshold=0.25, for_="15m", threshold_format="{:.0%}",
        summary="More than {threshold} of predictions have a confidence of 0.7 or less",
        description="Many uncertain predictions: new kinds of input, or a model that no longer fits.",
        dashboard_uid="otel-ml-overview", panel_id=10),
    AlertRule(
        name="MLNoPredictions", uid="otel-ml-no-predictions", severity="critical",
        expr=f"""(max by ({BY_MODEL}) (max_over_time({PREDICTIONS}[{{long}}])) * 0 + 1
                  unless max by ({BY_MODEL}) (max_over_time({PREDICTIONS}[{{rate}}])))
                 or (sum by ({BY_MODEL}) (increase({PREDICTIONS}[{{rate}}])) == bool 0)""",
        op=">", threshold=0, for_="5m", threshold_format="{:g}",
        summary="A model that predicted in the last hour made no prediction recently "
                "(silent failure; value > {threshold})",
        description="The service stopped exporting predictions (down, or its metrics pipeline broken), "
                    "or it is up and predicts nothing while it did before.",
        dashboard_uid="otel-ml-overview", panel_id=1),
    AlertRule(
        name="MLAccuracyDrop", uid="otel-ml-accuracy-drop", severity="warning",
        expr=f"""(sum by ({BY_VERSION}) (increase({OUTCOMES}{{{CORRECT}="true"}}[{{long}}]))
                  / sum by ({BY_VERSION}) (increase({OUTCOMES}[{{long}}])))
                 and on ({BY_VERSION}) (sum by ({BY_VERSION}) (increase({OUTCOMES}[{{long}}])) >= 50)""",
        op="<", threshold=0.85, for_="10m", threshold_format="{:.0%}",
        summary="Accuracy from feedback below {threshold} (at least 50 outcomes)",
        description="Ground truth shows the model version getting worse.",
        dashboard_uid="otel-ml-performance", panel_id=7),
    AlertRule(
        name="MLTrafficDrop", uid="otel-ml-traffic-drop", severity="warning",
        expr=f"""sum by ({BY_MODEL}) (rate({PREDICTIONS}[{{rate}}]))
                 / sum by ({BY_MODEL}) (rate({PREDICTIONS}[{{long}}] offset {{long}}))""",
        op="<", threshold=0.5, for_="10m", threshold_format="{:.0%}",
        summary="Prediction rate below {threshold} of the rate an hour earlier",
        description="Traffic fell sharply: an upstream caller, a routing change or a partial outage.",
        dashboard_uid="otel-ml-overview", panel_id=7),
)

RULES_BY_NAME: Mapping[str, AlertRule] = {rule.name: rule for rule in RULES}


def _annotations(rule: AlertRule) -> dict[str, str]:
    """Summary (with the threshold) and description (naming the series' labels); no values, so
    that notifications and promtool's expectations are deterministic."""
    labels = [MODEL] + [k for k in (VERSION, FEATURE) if k in rule.expr]
    where = " ".join(f"{{{{ $labels.{k} }}}}" for k in labels) + f" on {{{{ $labels.{SERVICE} }}}}"
    return {"summary": rule.summary_text(), "description": f"{rule.description} ({where})"}


def prometheus_rule_file(windows: Mapping[str, str] = DEFAULT_WINDOWS, interval: str = "1m",
                         for_: str | None = None) -> dict[str, Any]:
    """The rules as a Prometheus (or vmalert) rule file; ``for_`` overrides every rule's ``for``."""
    return {"groups": [{"name": "otel_ml_alerts", "interval": interval, "rules": [
        {"alert": rule.name, "expr": rule.condition(windows), "for": for_ or rule.for_,
         "labels": {"severity": rule.severity},
         "annotations": {**_annotations(rule), "dashboard_uid": rule.dashboard_uid}}
        for rule in RULES]}]}


def grafana_alert_rules(windows: Mapping[str, str] = DEFAULT_WINDOWS,
                        datasource_uid: str = "prometheus") -> dict[str, Any]:
    """The rules as Grafana alerting provisioning: query A, reduce B (last), threshold C."""
    rules = []
    for rule in RULES:
        evaluator = {"type": "gt" if rule.op == ">" else "lt", "params": [rule.threshold]}
        rules.append({
            "uid": rule.uid, "title": rule.name, "condition": "C",
            "data": [
                {"refId": "A", "relativeTimeRange": {"from": 600, "to": 0}, "datasourceUid": datasource_uid,
                 "model": {"refId": "A", "expr": rule.query(windows), "instant": True, "range": False}},
                {"refId": "B", "datasourceUid": "__expr__",
                 "model": {"refId": "B", "type": "reduce", "expression": "A", "reducer": "last",
                           "settings": {"mode": "dropNN"}}},
                {"refId": "C", "datasourceUid": "__expr__",
                 "model": {"refId": "C", "type": "threshold", "expression": "B",
                           "conditions": [{"evaluator": evaluator}]}},
            ],
            "for": rule.for_, "noDataState": rule.no_data_state, "execErrState": "Error", "isPaused": False,
            "labels": {"severity": rule.severity},
            "annotations": _annotations(rule),
            "dashboardUid": rule.dashboard_uid, "panelId": rule.panel_id,
        })
    return {"apiVersion": 1, "groups": [{"orgId": 1, "name": "otel_ml", "folder": "otel_ml", "interval": "1m",
                                         "rules": rules}]}
