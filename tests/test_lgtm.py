"""Grafana in one container: the shipped dashboards and rules fit grafana/otel-lgtm, and import anywhere.

No container engine runs here, so the image's provisioning is recorded below as facts, read from
its repository at the version the script pins (grafana/docker-otel-lgtm v0.31.0:
docker/grafana-datasources.yaml, docker/prometheus.yaml, docker/run-prometheus.sh,
docker/Dockerfile). When the pin moves, re-read them and update these facts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from otel_ml.semconv import prometheus_label

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts/grafana-lgtm.sh"

LGTM_VERSION = "0.31.0"
LGTM_DATASOURCES = {"prometheus": "prometheus", "tempo": "tempo", "loki": "loki",
                    "grafana-pyroscope-datasource": "pyroscope"}
"""Datasource type -> uid, from the image's grafana-datasources.yaml."""
LGTM_PROMOTED = {
    "service.instance.id", "service.name", "service.namespace", "service.version", "cloud.availability_zone",
    "cloud.region", "container.name", "deployment.environment", "deployment.environment.name", "k8s.cluster.name",
    "k8s.container.name", "k8s.cronjob.name", "k8s.daemonset.name", "k8s.deployment.name", "k8s.job.name",
    "k8s.namespace.name", "k8s.node.name", "k8s.pod.name", "k8s.replicaset.name", "k8s.statefulset.name",
    "host.name", "postgresql.database.name", "postgresql.schema.name", "postgresql.table.name",
    "postgresql.index.name", "database", "kafka.cluster.alias"}
"""The resource attributes its Prometheus promotes to labels (prometheus.yaml, otlp:)."""
LGTM_PROVISIONING = "/otel-lgtm/grafana/conf/provisioning"
LGTM_PROMETHEUS_CONFIG = "/otel-lgtm/prometheus.yaml"
LGTM_PORTS = {3000, 4317, 4318, 9090}

DASHBOARDS = {p.name: json.loads(p.read_text()) for p in sorted((ROOT / "grafana/dashboards").glob("*.json"))}
IMPORTABLE = {p.name: json.loads(p.read_text()) for p in sorted((ROOT / "grafana/importable").glob("*.json"))}
GRAFANA_RULES = yaml.safe_load((ROOT / "grafana/provisioning/alerting/rules.yaml").read_text())


def walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def queries() -> list[str]:
    found = [n["expr"] for d in DASHBOARDS.values() for n in walk(d) if isinstance(n.get("expr"), str)]
    found += [n["expr"] for n in walk(GRAFANA_RULES) if isinstance(n.get("expr"), str)]
    for path in (ROOT / "grafana/rules").glob("*.yml"):
        found += [r["expr"] for g in yaml.safe_load(path.read_text())["groups"] for r in g["rules"]]
    return found


def test_every_datasource_the_dashboards_and_rules_use_is_provisioned_by_the_image():
    used = {(n["type"], n["uid"]) for d in DASHBOARDS.values() for n in walk(d)
            if set(n) == {"type", "uid"} and n["type"] != "dashboard" and not n["uid"].startswith("-")}
    assert used and all(LGTM_DATASOURCES.get(kind) == uid for kind, uid in used), used
    rule_uids = {n["datasourceUid"] for n in walk(GRAFANA_RULES) if "datasourceUid" in n} - {"__expr__"}
    assert rule_uids and rule_uids <= set(LGTM_DATASOURCES.values())


def test_every_resource_label_the_queries_use_is_promoted_by_the_image():
    compose = yaml.safe_load((ROOT / "compose/prometheus.yml").read_text())["otlp"]["promote_resource_attributes"]
    text = "\n".join(queries())
    used = {a for a in compose if re.search(rf"\b{prometheus_label(a)}\b", text)}
    assert "service.name" in used                       # the dashboards filter and group by service
    assert used <= LGTM_PROMOTED, used - LGTM_PROMOTED


@pytest.fixture
def launched(tmp_path: Path) -> tuple[list[list[str]], str]:
    """scripts/grafana-lgtm.sh run for real, with a stand-in container engine that logs its calls."""
    log, image_config = tmp_path / "calls", tmp_path / "image-prometheus.yaml"
    image_config.write_text("global:\n  scrape_native_histograms: true\notlp:\n"
                            "  keep_identifying_resource_attributes: true\n")
    engine = tmp_path / "engine"
    engine.write_text(f"""#!/usr/bin/env bash
printf '%s\\0' "$@" >> {log}; printf '\\n' >> {log}
case "$1" in
  create) echo container-1 ;;
  cp) [ "$2" = "container-1:{LGTM_PROMETHEUS_CONFIG}" ] && cp {image_config} "$3" ;;
esac
""")
    engine.chmod(0o755)
    work = tmp_path / "work"
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CONTAINER_ENGINE": str(engine), "OTEL_LGTM_WORK": str(work)})
    assert done.returncode == 0, done.stderr
    calls = [c.split("\0")[:-1] for c in log.read_text().split("\n") if c]
    return calls, (work / "prometheus.yaml").read_text()


def test_the_script_mounts_the_dashboards_rules_and_config_where_the_image_reads_them(launched):
    calls, _ = launched
    assert [c[0] for c in calls] == ["create", "cp", "rm", "run"]
    run = calls[-1]
    assert run[-1] == f"grafana/otel-lgtm:{LGTM_VERSION}"
    mounts = dict(run[i + 1].removesuffix(":ro").split(":", 1)[::-1] for i, a in enumerate(run) if a == "-v")
    assert mounts[f"{LGTM_PROVISIONING}/dashboards/otel-ml"] == str(ROOT / "grafana/dashboards")
    provider = yaml.safe_load(Path(mounts[f"{LGTM_PROVISIONING}/dashboards/otel-ml.yaml"]).read_text())
    assert provider["providers"][0]["options"]["path"] == f"{LGTM_PROVISIONING}/dashboards/otel-ml"
    assert Path(mounts[f"{LGTM_PROVISIONING}/alerting/otel-ml-rules.yaml"]) == \
        ROOT / "grafana/provisioning/alerting/rules.yaml"
    assert LGTM_PROMETHEUS_CONFIG in mounts and Path(mounts["/otel-ml/rules"]) == ROOT / "grafana/rules"
    assert all(Path(host).exists() for host in mounts.values())
    ports = {int(run[i + 1].rsplit(":", 1)[1]) for i, a in enumerate(run) if a == "-p"}
    assert ports == LGTM_PORTS and all(run[i + 1].startswith("127.0.0.1:") for i, a in enumerate(run) if a == "-p")


def test_the_image_s_prometheus_config_is_kept_and_loads_the_rule_files(launched):
    _, config = launched
    parsed = yaml.safe_load(config)
    assert parsed["otlp"] == {"keep_identifying_resource_attributes": True}      # the image's own settings
    assert parsed["rule_files"] == ["/otel-ml/rules/*.yml"]


def test_without_a_container_engine_the_script_says_what_it_needs(tmp_path):
    (tmp_path / "dirname").symlink_to(shutil.which("dirname"))              # a PATH with no docker nor podman
    done = subprocess.run([shutil.which("bash"), str(SCRIPT)], capture_output=True, text=True, timeout=60,
                          env={"PATH": str(tmp_path), "HOME": str(tmp_path)})
    assert done.returncode == 1 and "needs docker or podman" in done.stderr


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_the_importable_copy_asks_for_its_datasources_instead_of_fixing_them(name):
    copy = IMPORTABLE[name]
    inputs = {i["name"]: i for i in copy["__inputs"]}
    refs = [n for n in walk(copy) if set(n) == {"type", "uid"} and n["type"] in LGTM_DATASOURCES]
    assert refs and all(re.fullmatch(r"\$\{DS_[A-Z]+\}", n["uid"]) for n in refs), "a fixed uid is left"
    used = {n["uid"][2:-1] for n in refs}
    assert used == set(inputs)                                     # each input declared is used, and vice versa
    assert all(inputs[n["uid"][2:-1]]["pluginId"] == n["type"] and inputs[n["uid"][2:-1]]["type"] == "datasource"
               for n in refs)
    assert copy["id"] is None and copy["uid"] == DASHBOARDS[name]["uid"]
    back = json.loads(json.dumps({k: v for k, v in copy.items() if k not in ("__inputs", "__requires", "id")})
                      .replace('"${DS_PROMETHEUS}"', '"prometheus"').replace('"${DS_LOKI}"', '"loki"')
                      .replace('"${DS_TEMPO}"', '"tempo"'))
    original = {k: v for k, v in DASHBOARDS[name].items() if k != "id"}
    assert back == original                                        # nothing else differs from the provisioned one
