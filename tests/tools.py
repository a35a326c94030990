"""The one place that knows where the tests' tools are, and how a missing one is handled.

Real servers and CLIs (Prometheus, promtool, Alertmanager, VictoriaMetrics, vmalert, the Compose
CLI) live in ``.stack/bin`` (``scripts/install-test-stack.sh``; ``OTEL_ML_STACK_DIR`` points
elsewhere), Grafana's query grammars in ``tests/grammars/node_modules`` (npm). A missing tool
fails the test under CI (``CI=true``: ``.ci/run`` installs them all, so missing is a bug) and
skips it elsewhere, with the command that installs it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STACK_BIN = Path(os.environ.get("OTEL_ML_STACK_DIR", ROOT / ".stack")) / "bin"
GRAMMARS = ROOT / "tests" / "grammars"


def missing(message: str) -> None:
    """Fail under CI, skip elsewhere."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def require(*names: str) -> Path:
    """The path of the stack binary ``names[0]`` (every one of ``names`` must be there)."""
    absent = [name for name in names if not (STACK_BIN / name).exists()]
    if absent:
        missing(f"{', '.join(absent)} not installed in {STACK_BIN}: run scripts/install-test-stack.sh")
    return STACK_BIN / names[0]


def require_grammars() -> Path:
    """The parser script of Grafana's LogQL and TraceQL grammars, with node and its packages."""
    if not (GRAMMARS / "node_modules" / "@grafana" / "lezer-logql").exists() or shutil.which("node") is None:
        missing("npm packages missing: (cd tests/grammars && npm ci)")
    return GRAMMARS / "parse.mjs"


def require_browser() -> tuple[str, str]:
    """Debian's headless Chromium and its WebDriver (``apt-get install chromium chromium-driver``)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        missing("Chromium missing: apt-get install chromium chromium-driver")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing("selenium missing: pip install -c constraints.txt -e '.[dev]'")
    return str(browser), str(driver)
