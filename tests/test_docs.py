"""Every sign true: the modules, files and settings that docstrings and READMEs name exist."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from otel_ml import environment_variables

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "otel_ml").rglob("*.py"))
DOCS = [ROOT / "README.md", ROOT / "examples" / "README.md"]
MODULE = re.compile(r"\botel_ml(?:\.[a-z_][a-z0-9_]*)+")
FILE = re.compile(r"(?<![\w/.@-])((?:otel_ml|scripts|grafana|tests|examples|benchmarks|compose)/[\w./-]*\w)")
SETTING = re.compile(r"\bOTEL_ML_[A-Z_]*[A-Z]\b")


def docstrings(path: Path) -> str:
    tree = ast.parse(path.read_text())
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))]
    return "\n".join(ast.get_docstring(n) or "" for n in nodes)


def texts() -> list[tuple[str, str]]:
    return [(str(p.relative_to(ROOT)), docstrings(p)) for p in SOURCES] + \
        [(str(p.relative_to(ROOT)), p.read_text()) for p in DOCS]


def exists_as_module_or_attribute(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            if cut == len(parts):
                return True
            imported = importlib.import_module(module)
            value = imported
            for name in parts[cut:]:
                if not hasattr(value, name):
                    return False
                value = getattr(value, name)
            return True
    return False


TEXTS = texts()


@pytest.mark.parametrize(("where", "text"), TEXTS, ids=[where for where, _ in TEXTS])
def test_every_module_and_file_named_exists(where, text):
    modules = {m.rstrip(".") for m in MODULE.findall(text)}
    missing = sorted(m for m in modules if not exists_as_module_or_attribute(m))
    assert not missing, f"{where} names modules that do not exist: {missing}"
    files = {f.rstrip(".") for f in FILE.findall(text) if "*" not in f and "<" not in f}
    absent = sorted(f for f in files if not (ROOT / f).exists() and not (ROOT / f).with_suffix("").exists())
    assert not absent, f"{where} names files that do not exist: {absent}"


def test_every_setting_read_or_named_is_documented():
    documented = {v for k, v in vars(environment_variables).items() if k.startswith("OTEL_ML_")}
    named = set()
    for path in [*SOURCES, *DOCS]:
        named |= set(SETTING.findall(path.read_text()))
    assert named - documented == set(), f"undocumented in otel_ml/environment_variables.py: {sorted(named - documented)}"


def test_the_settings_module_documents_each_setting():
    source = (ROOT / "otel_ml" / "environment_variables.py").read_text()
    for name in (v for k, v in vars(environment_variables).items() if k.startswith("OTEL_ML_")):
        assert f".. envvar:: {name}" in source, name
