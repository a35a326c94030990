"""grafana/: dashboards, datasources and alerting, checked offline.

Generated files are up to date with their sources; dashboards and alert rules are structurally
sound; every LogQL and TraceQL query parses with Grafana's own lezer grammars (npm); the
Grafana-managed rules and the Prometheus rule file say the same thing; Alertmanager's routing
config is valid and routes by severity. (Every PromQL query runs against real data in
tests/integration/test_grafana_queries.py.)
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from assets import __main__ as assets_main
from otel_ml import alerts
from tests.tools import require, require_grammars

ROOT = Path(__file__).resolve().parents[1]
GRAFANA = ROOT / "grafana"
DASHBOARDS = {p.name: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}
DATASOURCES = yaml.safe_load((GRAFANA / "provisioning/datasources/datasources.yaml").read_text())["datasources"]
GRAFANA_RULES = yaml.safe_load((GRAFANA / "provisioning/alerting/rules.yaml").read_text())
NOTIFICATIONS = yaml.safe_load((GRAFANA / "provisioning/alerting/notifications.yaml").read_text())
PROMETHEUS_RULES = yaml.safe_load((GRAFANA / "rules/alerts.yml").read_text())


def panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def queries(kind: str) -> list[tuple[str, str]]:
    """(where, expression) of every query of a datasource type in the dashboards."""
    out = []
    for name, dashboard in DASHBOARDS.items():
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                if target["datasource"]["type"] == kind:
                    out.append((f"{name} #{panel['id']} {panel['title']}", target.get("expr") or target.get("query")))
    return out


def test_generated_files_are_up_to_date():
    assert assets_main.stale(write=False) == []


def test_four_dashboards_with_readable_uids_and_the_variables():
    assert {d["uid"] for d in DASHBOARDS.values()} == {"otel-ml-overview", "otel-ml-drift", "otel-ml-performance",
                                                      "otel-ml-logs-traces"}
    for dashboard in DASHBOARDS.values():
        names = [v["name"] for v in dashboard["templating"]["list"]]
        assert names[:3] == ["service", "model", "version"]
        assert dashboard["schemaVersion"] >= 39 and dashboard.get("id") is None


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_panel_ids_are_unique_and_panels_are_complete(name):
    ids = [p["id"] for p in panels(DASHBOARDS[name])]
    assert len(ids) == len(set(ids))
    for panel in panels(DASHBOARDS[name]):
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"]) and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            refs = [t["refId"] for t in panel["targets"]]
            assert refs and len(refs) == len(set(refs)), panel["title"]


def test_every_datasource_uid_exists():
    uids = {d["uid"]: d["type"] for d in DATASOURCES}
    used = []
    for dashboard in DASHBOARDS.values():
        used += [v["datasource"] for v in dashboard["templating"]["list"]]
        for panel in panels(dashboard):
            if "datasource" in panel:
                used.append(panel["datasource"])
            used += [t["datasource"] for t in panel.get("targets", [])]
    assert used
    for datasource in used:
        assert uids.get(datasource["uid"]) == datasource["type"], datasource
    for rule in GRAFANA_RULES["groups"][0]["rules"]:
        for query in rule["data"]:
            assert query["datasourceUid"] in uids or query["datasourceUid"] == "__expr__"


def test_alert_conditions_and_expressions_are_well_formed():
    rules = GRAFANA_RULES["groups"][0]["rules"]
    assert {r["title"] for r in rules} == {r.name for r in alerts.RULES}
    dashboards = {d["uid"]: {p["id"] for p in panels(d)} for d in DASHBOARDS.values()}
    for rule in rules:
        refs = {q["refId"]: q for q in rule["data"]}
        assert rule["condition"] in refs
        for query in rule["data"]:
            assert query["model"]["refId"] == query["refId"]
            if query["datasourceUid"] == "__expr__":
                assert query["model"]["expression"] in refs
        threshold = refs[rule["condition"]]["model"]
        assert threshold["type"] == "threshold" and len(threshold["conditions"]) == 1
        assert rule["labels"]["severity"] in alerts.SEVERITIES
        assert rule["panelId"] in dashboards[rule["dashboardUid"]], rule["title"]
    assert {r["labels"]["severity"] for r in rules} == set(alerts.SEVERITIES)


def test_grafana_and_prometheus_rules_say_the_same_thing():
    prometheus = {r["alert"]: r for r in PROMETHEUS_RULES["groups"][0]["rules"]}
    for rule in GRAFANA_RULES["groups"][0]["rules"]:
        twin = prometheus[rule["title"]]
        query = next(q for q in rule["data"] if q["refId"] == "A")["model"]["expr"]
        evaluator = next(q for q in rule["data"] if q["refId"] == "C")["model"]["conditions"][0]["evaluator"]
        op = {"gt": ">", "lt": "<"}[evaluator["type"]]
        assert twin["expr"] == f"({query}) {op} {evaluator['params'][0]:g}"
        assert twin["for"] == rule["for"] and twin["labels"] == rule["labels"]
        assert twin["annotations"]["summary"] == rule["annotations"]["summary"]


@pytest.mark.parametrize("rule", alerts.RULES, ids=lambda r: r.name)
def test_each_rules_text_matches_its_threshold(rule):
    shown = [float(n) / (100 if unit == "%" else 1)
             for n, unit in re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)(%| s\b)?", rule.summary_text())]
    assert any(n == pytest.approx(rule.threshold) for n in shown), (rule.summary_text(), rule.threshold)
    assert rule.condition().endswith(f"{rule.op} {rule.threshold:g}")


def expanded_strings(value, key: str = ""):
    """String values Grafana expands $VAR in: all but alert annotations and query models."""
    if key in ("annotations", "model"):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from expanded_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from expanded_strings(v, key)
    elif isinstance(value, str):
        yield value


def test_no_environment_variable_is_left_unset():
    compose = yaml.safe_load((ROOT / "compose/compose.yaml").read_text())
    environment = compose["services"]["grafana"]["environment"]
    used = set()
    for path in (GRAFANA / "provisioning").rglob("*.yaml"):
        for text in expanded_strings(yaml.safe_load(path.read_text())):
            text = re.sub(r"\$__file\{[^}]*\}", "", text.replace("$$", ""))     # files: checked below
            used.update(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
    assert used == {"OTEL_ML_ROLLBACK_URL", "OTEL_ML_SLACK_WEBHOOK_URL", "OTEL_ML_ALERT_EMAILS"}
    files = set()
    for path in (GRAFANA / "provisioning").rglob("*.yaml"):
        for text in expanded_strings(yaml.safe_load(path.read_text())):
            files.update(re.findall(r"\$__file\{(/run/secrets/[a-z_]+)\}", text))
    assert files == {"/run/secrets/rollback_token"}
    granted = {f"/run/secrets/{s}" for s in compose["services"]["grafana"]["secrets"]}
    assert files <= granted
    for name in used:
        assert str(environment.get(name,
                                   "")).strip(), f"{name} is used by Grafana provisioning but compose does not set it"


def test_notifications_route_every_severity_and_critical_to_the_rollback_webhook():
    receivers = {c["name"]: c for c in NOTIFICATIONS["contactPoints"]}
    policy = NOTIFICATIONS["policies"][0]
    assert policy["receiver"] in receivers
    routed: dict[str, list[str]] = {s: [] for s in alerts.SEVERITIES}
    for route in policy["routes"]:
        assert route["receiver"] in receivers
        (key, op, value), = route["object_matchers"]
        assert key == "severity"
        for severity in alerts.SEVERITIES:
            if (op == "=" and severity == value) or (op == "=~" and re.fullmatch(value, severity)):
                routed[severity].append(route["receiver"])
    assert routed["critical"][0] == "otel-ml-rollback" and all(routed.values())
    webhook = receivers["otel-ml-rollback"]["receivers"][0]
    assert webhook["type"] == "webhook" and webhook["settings"]["authorization_scheme"] == "Bearer"


def grammar_parser() -> Path:
    return require_grammars()


def parse(items: list[dict]) -> list[dict]:
    out = subprocess.run(["node", str(grammar_parser())], input=json.dumps(items), capture_output=True, text=True,
                         timeout=60, cwd=ROOT / "tests" / "grammars")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_grammar_parser_rejects_broken_queries():
    results = parse([{"lang": "logql", "expr": '{service_name="x" | oops'},
                     {"lang": "traceql", "expr": "{ name = }"}])
    assert [r["ok"] for r in results] == [False, False]


def test_every_logql_and_traceql_query_parses():
    logql = queries("loki") + [("datasource tracesToLogsV2", next(
        d for d in DATASOURCES if d["uid"] == "tempo")["jsonData"]["tracesToLogsV2"]["query"]
        .replace("$${__tags}", 'service_name="x"').replace("$${__trace.traceId}", "abc"))]
    traceql = queries("tempo")
    assert len(logql) >= 4 and len(traceql) >= 2
    substituted = [e.replace("$__auto", "1m") for _, e in logql]
    results = parse([{"lang": "logql", "expr": e} for e in substituted] + [{"lang": "traceql", "expr": e} for _,
                                                                           e in traceql])
    for (where, expr), result in zip(logql + traceql, results):
        assert result["ok"], f"{where}: {expr}: {result['error']}"


def test_alertmanager_config_is_valid_and_routes_by_severity():
    amtool = require("amtool")
    config = GRAFANA / "alertmanager" / "alertmanager.yml"
    out = subprocess.run([str(amtool), "check-config", str(config)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    expected = {"critical": "rollback,slack,email", "warning": "slack,email", "info": "email"}
    for severity, receivers in expected.items():
        out = subprocess.run([str(amtool), "config", "routes", "test", f"--config.file={config}",
                              f"severity={severity}", "alertname=X"], capture_output=True, text=True, timeout=30)
        assert out.stdout.strip() == receivers, (severity, out.stdout, out.stderr)
