"""The house rules, run with the tests: ruff (lint, import order) and mypy (strict, otel_ml and assets).

Their settings are in pyproject.toml; the versions CI uses are pinned in constraints.txt.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.tools import missing

ROOT = Path(__file__).resolve().parents[1]


def tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        missing(f"{name} is not installed: pip install -e '.[dev]'")
    assert found is not None
    return found


def test_ruff_is_clean():
    result = subprocess.run([tool("ruff"), "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def test_mypy_strict_is_clean():
    result = subprocess.run([tool("mypy")], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout
