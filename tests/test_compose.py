"""compose/: validated as far as a machine without a Docker engine can.

The compose file goes through the real Compose CLI (``docker-compose config``, 2.26, which
checks it against the Compose Specification's JSON schema and interpolates compose/.env); the
Prometheus config through promtool; every other config file is parsed and cross-checked
against the compose services, ports and volumes it refers to.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from otel_ml.cli import build_parser
from tests.tools import STACK_BIN, require

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "compose"
SECRETS: dict[str, str] = {}
"""No secret travels in the environment any more: they are files (compose/make-secrets.sh)."""


def tool(name: str) -> Path:
    return require(name)


def compose_config(compose_file: Path = COMPOSE / "compose.yaml", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(tool("docker-compose")), "-f", str(compose_file), "--project-directory", str(COMPOSE),
                           "config", "--format", "json"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env})


@pytest.fixture(scope="module")
def config() -> dict:
    out = compose_config(**SECRETS)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def load(name: str) -> dict:
    return yaml.safe_load((COMPOSE / name).read_text())


def dotenv() -> dict[str, str]:
    return dict(line.split("=", 1) for line in (COMPOSE / ".env").read_text().splitlines()
                if line.strip() and not line.startswith("#"))


def test_the_schema_is_enforced(tmp_path):
    broken = tmp_path / "compose.yaml"
    broken.write_text((COMPOSE / "compose.yaml").read_text().replace("    image: ${LOKI_IMAGE}\n",
                                                                     "    image: ${LOKI_IMAGE}\n    bogus_key: 1\n"))
    out = compose_config(broken, **SECRETS)
    assert out.returncode != 0 and "Additional property bogus_key is not allowed" in out.stderr


SECRET_USERS = {"rollback_token": {"demo", "grafana"}, "deploy_token": {"demo", "traffic"},
                "grafana_admin_password": {"grafana"}, "grafana_secret_key": {"grafana"}}


def test_secrets_are_files_given_only_to_the_services_that_need_them(config):
    # before: the rollback token (which was also the deploy token) sat in three containers' environments
    assert set(config["secrets"]) == set(SECRET_USERS)
    for name, service in config["services"].items():
        given = {s["source"] for s in service.get("secrets", [])}
        assert given == {s for s, users in SECRET_USERS.items() if name in users}, name
        for key in service.get("environment") or {}:
            assert "TOKEN" not in key or key.endswith("_FILE"), (name, key)
            assert "PASSWORD" not in key or key.endswith("__FILE"), (name, key)
    grafana = config["services"]["grafana"]["environment"]
    assert grafana["GF_SECURITY_SECRET_KEY__FILE"] == "/run/secrets/grafana_secret_key"
    demo = config["services"]["demo"]["environment"]
    assert demo["OTEL_ML_ROLLBACK_TOKEN_FILE"] != demo["OTEL_ML_DEPLOY_TOKEN_FILE"]


def test_make_secrets_writes_every_secret_once(tmp_path, config):
    target = tmp_path / "secrets"
    subprocess.run(["sh", str(COMPOSE / "make-secrets.sh"), str(target)], check=True, capture_output=True)
    files = {Path(s["file"]).name for s in config["secrets"].values()}
    assert {p.name for p in target.iterdir()} == files
    values = {p.read_text() for p in target.iterdir()}
    assert len(values) == len(files) and all(len(v) == 64 for v in values)
    assert (target.stat().st_mode & 0o777) == 0o700
    before = (target / "rollback-token").read_text()
    subprocess.run(["sh", str(COMPOSE / "make-secrets.sh"), str(target)], check=True, capture_output=True)
    assert (target / "rollback-token").read_text() == before          # a second run keeps them


def test_only_grafana_and_the_demo_are_published_on_loopback(config):
    published = [(name, p) for name, s in config["services"].items() for p in s.get("ports", [])]
    assert {name for name, _ in published} == {"grafana", "demo"}
    for name, port in published:
        assert port["host_ip"] == "127.0.0.1", (name, port)
    env = dotenv()
    assert {p["published"] for _, p in published} == {env[k] for k in env if k.endswith("_PORT")}


def test_receivers_are_reachable_only_from_the_services_that_write_to_them(config):
    # before: the collector's OTLP ports, and Prometheus's OTLP and remote-write receivers, took
    # series for any service from anyone on the host
    networks = {name: set(s.get("networks", {})) for name, s in config["services"].items()}
    assert networks["otel-collector"] == {"otlp", "backend"} and networks["prometheus"] == {"backend"}
    on_otlp = {name for name, n in networks.items() if "otlp" in n}
    assert on_otlp == {"demo", "otel-collector"}
    on_backend = {name for name, n in networks.items() if "backend" in n}
    assert on_backend == {"otel-collector", "prometheus", "tempo", "loki", "grafana"}
    assert "backend" not in networks["demo"]


def test_every_long_running_container_is_hardened(config):
    for name, service in config["services"].items():
        assert service.get("read_only") is True, name
        assert service.get("cap_drop") == ["ALL"], name
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("mem_limit"), name
        if name != "tempo-init":                      # a chown of a new volume, with CAP_CHOWN alone
            assert service.get("user") and not service["user"].startswith(("0", "root")), name
    assert config["services"]["tempo-init"]["cap_add"] == ["CHOWN"]


def test_images_are_pinned_in_the_env_file(config):
    text = (COMPOSE / "compose.yaml").read_text()
    assert not re.search(r"^\s+image: (?!\$\{)(?!otel-ml-demo:local)", text, re.MULTILINE)
    for key, image in dotenv().items():
        if key.endswith("_IMAGE"):
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", image) and not image.endswith(":latest"), image
    for name, service in config["services"].items():
        assert ":" in service["image"] and not service["image"].endswith(":latest"), name


def test_healthchecks_where_the_images_have_a_client(config):
    services = config["services"]
    assert {n for n, s in services.items() if "healthcheck" in s} == {"prometheus", "loki", "grafana", "demo"}
    for name, service in services.items():
        for dependency, how in service.get("depends_on", {}).items():
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s health"


def test_grafana_has_no_default_password_and_no_anonymous_access(config):
    env = config["services"]["grafana"]["environment"]
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false" and env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert not [k for k in dotenv() if "TOKEN" in k or "PASSWORD" in k or "SECRET" in k]


def test_bind_mounts_exist_in_the_repository(config):
    for name, service in config["services"].items():
        for volume in service.get("volumes", []):
            if volume["type"] == "bind":
                assert Path(volume["source"]).exists(), (name, volume["source"])
                assert volume.get("read_only"), (name, volume["source"])


def test_the_traffic_generator_stays_on_the_demos_loopback(config):
    traffic, demo = config["services"]["traffic"], config["services"]["demo"]
    assert traffic["network_mode"] == "service:demo"
    url = traffic["command"][traffic["command"].index("--url") + 1]
    assert urlsplit(url).hostname == "127.0.0.1"
    assert urlsplit(url).port == int(demo["command"][demo["command"].index("--port") + 1])


def test_the_demo_commands_are_real_cli_commands(config):
    parser = build_parser()
    for name in ("demo", "traffic"):
        command = config["services"][name]["command"]
        assert command[0] == "otel-ml"
        parser.parse_args(command[1:])                      # exits on an unknown option or a bad value
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    assert json.loads(re.search(r"^CMD (.*)$", dockerfile, re.MULTILINE).group(1)) == \
        config["services"]["demo"]["command"]


def test_the_dockerfile_copies_what_exists_and_runs_unprivileged():
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.*)$", dockerfile, re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), source
    assert "-c constraints.txt '.[demo]'" in dockerfile
    assert re.search(r"^USER 10001$", dockerfile, re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".stack", ".git"} <= set(ignored)


def test_the_collectors_pipelines_and_endpoints(config):
    collector = load("otelcol.yaml")
    for pipeline in collector["service"]["pipelines"].values():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline[kind]:
                assert component in collector[kind], component
        assert pipeline["processors"][0] == "memory_limiter"
    listening = {"prometheus": 9090, "loki": load("loki.yaml")["server"]["http_listen_port"],
                 "tempo": int(load("tempo.yaml")["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
                              .rsplit(":", 1)[1])}
    for exporter in collector["exporters"].values():
        endpoint = exporter["endpoint"] if "://" in exporter["endpoint"] else f"grpc://{exporter['endpoint']}"
        host, port = urlsplit(endpoint).hostname, urlsplit(endpoint).port
        assert host in config["services"] and listening[host] == port
    receivers = collector["receivers"]["otlp"]["protocols"]
    assert "ports" not in config["services"]["otel-collector"]            # reached on the otlp network only
    assert all(r["endpoint"].startswith("0.0.0.0:") for r in receivers.values())
    demo_env = config["services"]["demo"]["environment"]
    assert urlsplit(demo_env["OTEL_EXPORTER_OTLP_ENDPOINT"]).port == int(receivers["http"]["endpoint"].rsplit(":",
                                                                                                              1)[1])


def test_the_collector_built_from_the_manifest_takes_compose_s_config_unchanged(tmp_path):
    """The collector of scripts/build-go-stack.sh (compose's version, the manifest's components)
    validates compose/otelcol.yaml as it is; a component it was not built with fails."""
    otelcol = require("otelcol")
    ok = subprocess.run([str(otelcol), "validate", f"--config={COMPOSE / 'otelcol.yaml'}"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    version = re.search(r"OTELCOL_IMAGE=.*:(\S+)", (COMPOSE / ".env").read_text()).group(1)
    shown = subprocess.run([str(otelcol), "--version"], capture_output=True, text=True, timeout=30).stdout
    assert shown.split()[-1] == version, shown
    unknown = (COMPOSE / "otelcol.yaml").read_text().replace("batch: {}", "groupbytrace: {}").replace(
        "[memory_limiter, batch]", "[memory_limiter, groupbytrace]")
    (tmp_path / "otelcol.yaml").write_text(unknown)
    refused = subprocess.run([str(otelcol), "validate", f"--config={tmp_path / 'otelcol.yaml'}"],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "groupbytrace" in refused.stderr, refused.stderr


def test_prometheus_config_with_promtool(tmp_path, config):
    flags = config["services"]["prometheus"]["command"]
    assert {"--web.enable-otlp-receiver", "--web.enable-remote-write-receiver",
            "--enable-feature=exemplar-storage"} <= set(flags)
    prometheus = load("prometheus.yml")
    assert prometheus["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    prometheus["rule_files"] = [str(ROOT / "grafana" / "rules" / "*.yml")]
    promtool = STACK_BIN / "promtool3"     # optional: promtool 2 stands in for it
    if not promtool.exists():                       # promtool 2 does not know the otlp block
        promtool = tool("promtool")
        del prometheus["otlp"]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(prometheus))
    out = subprocess.run([str(promtool), "check", "config", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "is valid prometheus config file syntax" in out.stdout + out.stderr
    assert "rules found" in out.stdout + out.stderr
    assert {"service.name", "service.instance.id"} <= set(load("prometheus.yml")["otlp"]["promote_resource_attributes"])


def test_tempo_and_loki_configs(config):
    tempo = load("tempo.yaml")
    assert tempo["metrics_generator"]["storage"]["remote_write"][0]["url"] == "http://prometheus:9090/api/v1/write"
    volumes = {v["target"] for v in config["services"]["tempo"]["volumes"]}
    for path in (tempo["storage"]["trace"]["wal"]["path"], tempo["storage"]["trace"]["local"]["path"],
                 tempo["metrics_generator"]["storage"]["path"]):
        assert any(path.startswith(v + "/") for v in volumes), path
    loki = load("loki.yaml")
    assert loki["limits_config"]["allow_structured_metadata"] is True and loki["auth_enabled"] is False
    assert loki["common"]["path_prefix"] in {v["target"] for v in config["services"]["loki"]["volumes"]}
    assert loki["schema_config"]["configs"][0]["schema"] == "v13"


def test_grafana_datasources_link_to_each_other(config):
    provisioning = yaml.safe_load((ROOT / "grafana/provisioning/datasources/datasources.yaml").read_text())
    sources = {d["uid"]: d for d in provisioning["datasources"]}
    assert set(sources) == {"prometheus", "tempo", "loki"}
    text = json.dumps(provisioning)
    for uid in re.findall(r'"datasourceUid": "([^"]+)"', text):
        assert uid in sources
    for uid, source in sources.items():
        url = urlsplit(source["url"])
        assert url.hostname in config["services"] and url.hostname == uid
    assert sources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"][0]["name"] == "trace_id"
    assert sources["loki"]["jsonData"]["derivedFields"][0]["datasourceUid"] == "tempo"
    assert sources["tempo"]["jsonData"]["tracesToLogsV2"]["datasourceUid"] == "loki"
    raw = (ROOT / "grafana/provisioning/datasources/datasources.yaml").read_text()
    assert not re.search(r"(?<!\$)\$\{__", raw), "Grafana macros in provisioning YAML must be written $${...}"
    mounted = {v["target"]: v["source"] for v in config["services"]["grafana"]["volumes"] if v["type"] == "bind"}
    provider = yaml.safe_load((ROOT / "grafana/provisioning/dashboards/otel_ml.yaml").read_text())["providers"][0]
    assert provider["options"]["path"] in mounted


def test_shell_free_images_have_no_healthcheck_that_could_never_pass(config):
    for name in ("otel-collector", "tempo"):
        assert "healthcheck" not in config["services"][name]
