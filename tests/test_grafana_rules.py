"""grafana/rules/*.yml: valid Prometheus rule files, and their promtool unit tests pass."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROMTOOL = ROOT / ".stack" / "bin" / "promtool"
RULE_FILES = sorted((ROOT / "grafana" / "rules").glob("*.yml"))           # what Prometheus loads
TEST_FILES = sorted((ROOT / "grafana" / "rules" / "tests").glob("*_test.yml"))


@pytest.fixture(scope="module")
def promtool():
    if not PROMTOOL.exists():
        pytest.fail(f"{PROMTOOL} missing: run scripts/install-test-stack.sh")
    return str(PROMTOOL)


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
