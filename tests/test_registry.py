"""One telemetry model: a metric's name is written once (model/registry.yaml), and a rename is one line.

Code, assets and tests reach every metric through ``otel_ml.semconv`` (OTel names) and
``otel_ml.promql`` (Prometheus names); the generated files are rewritten by ``python -m assets``;
prose (the READMEs, docstrings) is checked by tests/test_docs.py.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assets import registry as registry_module
from otel_ml import semconv
from tests import tools

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = registry_module.load()
GENERATED = re.compile(r"^(grafana/(dashboards/.*\.json|rules/.*|provisioning/(alerting|datasources)/.*|"
                       r"alertmanager/alertmanager\.yml)|otel_ml/semconv\.py|model/registry\.yaml)$")
ATTRIBUTE_NAMES = {a.name for a in REGISTRY.attributes}


def tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in out.split() if not GENERATED.match(f) and (ROOT / f).is_file()]


def code_strings(path: Path) -> list[tuple[int, str]]:
    """The string literals of a Python file that are not docstrings (prose is test_docs' job)."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def spellings() -> dict[str, re.Pattern[str]]:
    """Each metric's spellings in code: its Prometheus family (with a histogram's series), and its
    OTel name unless an attribute has the same name (a span attribute may well be written)."""
    out = {}
    for m in REGISTRY.metrics:
        words = [re.escape(semconv.prometheus_name(m.name)) + r"(?:_bucket|_count|_sum)?"]
        if m.name not in ATTRIBUTE_NAMES:
            words.append(re.escape(m.name))
        out[m.name] = re.compile(r"(?<![\w.])(?:" + "|".join(words) + r")(?![\w.])")
    return out


def test_no_code_asset_or_test_spells_a_metric_name():
    found = []
    patterns = spellings()
    for name in tracked():
        path = ROOT / name
        if name.endswith(".md"):
            continue
        if name.endswith(".py"):
            items = code_strings(path)
        elif name.endswith((".yaml", ".yml", ".toml", ".sh", ".json")) or name == ".ci/run":
            items = list(enumerate(path.read_text().splitlines(), 1))
        else:
            continue
        for line, text in items:
            for metric, pattern in patterns.items():
                if pattern.search(text):
                    found.append(f"{name}:{line}: {metric}")
    assert found == [], "spelled by hand instead of through otel_ml.semconv / otel_ml.promql:\n" + "\n".join(found)


@pytest.mark.slow
def test_renaming_a_metric_changes_one_source_line(tmp_path):
    """In a scratch copy: rename the predictions counter in the registry, regenerate, and the tree is consistent."""
    old = semconv.ML_PREDICTIONS
    new = old.replace("predictions", "inferences")
    old_prometheus, new_prometheus = semconv.prometheus_name(old), new.replace(".", "_") + "_total"
    scratch = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(scratch)], check=True)
    for name in subprocess.run(["git", "diff", "--name-only", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split() + subprocess.run(
            ["git", "ls-files", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True,
            check=True).stdout.split():
        # the working tree as it is, so that the test checks what is about to be committed
        if (ROOT / name).is_file():
            (scratch / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, scratch / name)
        elif (scratch / name).exists():
            (scratch / name).unlink()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "add", "-A"], cwd=scratch, check=True)
    subprocess.run(["git", "commit", "-qm", "as it is", "--allow-empty"], cwd=scratch, check=True, env=env)
    registry = scratch / "model" / "registry.yaml"
    text = registry.read_text()
    assert text.count(f"    name: {old}\n") == 1
    registry.write_text(text.replace(f"    name: {old}\n", f"    name: {new}\n"))

    run = [sys.executable, "-m", "assets"]
    subprocess.run(run, cwd=scratch, check=True)
    subprocess.run([*run, "--check"], cwd=scratch, check=True)
    changed = subprocess.run(["git", "diff", "--numstat"], cwd=scratch, capture_output=True, text=True,
                             check=True).stdout.splitlines()
    by_file = {line.split("\t")[2]: line.split("\t")[:2] for line in changed}
    hand_written = {f: n for f, n in by_file.items() if not GENERATED.match(f) and f != "README.md"}
    assert hand_written == {}, hand_written
    assert by_file["model/registry.yaml"] == ["1", "1"]
    for generated in ("otel_ml/semconv.py", "grafana/dashboards/overview.json", "grafana/rules/alerts.yml",
                      "grafana/provisioning/alerting/rules.yaml", "grafana/rules/tests/alerts_test.yml",
                      "grafana/provisioning/datasources/datasources.yaml", "README.md"):
        assert generated in by_file, generated
    leftovers = subprocess.run(["git", "grep", "-l", "-E", rf"{old_prometheus}|\b{re.escape(old)}\b"], cwd=scratch,
                               capture_output=True, text=True).stdout.split()
    assert leftovers == [], leftovers
    # and the renamed tree works: its names, docs, alert rules under promtool, and the recorder's export
    tests = ["tests/test_semconv.py", "tests/test_registry.py", "tests/test_docs.py", "tests/test_grafana.py",
             "tests/test_grafana_rules.py", "tests/test_monitor.py", "-m", "not slow"]
    if (ROOT / "tests" / "grammars" / "node_modules").exists():
        (scratch / "tests" / "grammars" / "node_modules").symlink_to(ROOT / "tests" / "grammars" / "node_modules")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=scratch,
                            capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(scratch),
                                 "OTEL_ML_STACK_DIR": str(tools.STACK_BIN.parent)})
    assert result.returncode == 0, result.stdout[-3000:]
    assert new_prometheus in (scratch / "grafana" / "rules" / "alerts.yml").read_text()
