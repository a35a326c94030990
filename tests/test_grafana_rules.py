"""grafana/rules/*.yml: valid Prometheus rule files, and their promtool unit tests pass."""

import subprocess

import pytest

from tests.tools import ROOT, require

RULE_FILES = sorted((ROOT / "grafana" / "rules").glob("*.yml"))           # what Prometheus loads
TEST_FILES = sorted((ROOT / "grafana" / "rules" / "tests").glob("*_test.yml"))


@pytest.fixture(scope="module")
def promtool():
    return str(require("promtool"))


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
def test_rule_file_is_valid(promtool, path):
    out = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_rule_unit_tests_pass(promtool, path):
    out = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr


def test_there_are_rules_and_tests():
    assert RULE_FILES and TEST_FILES


def test_the_recorded_fleet_chi2_is_the_alerts_statistic():
    import yaml

    from otel_ml import alerts

    rules = yaml.safe_load((ROOT / "grafana" / "rules" / "drift.yml").read_text())["groups"][0]["rules"]
    (recorded,) = [r for r in rules if r.get("record") == "ml:feature_chi2:1h"]
    assert recorded["expr"].strip() == alerts.fleet_chi2_expr("ml_model_name, ml_model_version", "1h")
