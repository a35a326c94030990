"""The install a user runs: a fresh venv, the oldest pip otel-ml supports, no constraints file.

``pyproject.toml`` alone must resolve on the pip a user's venv has: 22.0.2 on Ubuntu 22.04,
23.0.1 on Debian 12 (its ``python3 -m venv``), 23.2.1 with python.org's 3.11, whose resolvers
give up where a newer one backtracks; so every OpenTelemetry contrib package is pinned to one
release train and the SDK to the matching minor. The oldest of them is tested. Needs the
package index, as a user does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OLDEST_PIP = "22.0.2"

pytestmark = pytest.mark.slow


def run(*argv: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    made = run(sys.executable, "-m", "venv", venv)
    assert made.returncode == 0, made.stderr
    pip = run(venv / "bin/python", "-m", "pip", "install", "-q", f"pip=={OLDEST_PIP}")
    assert pip.returncode == 0, pip.stderr
    assert run(venv / "bin/python", "-m", "pip", "--version").stdout.split()[1] == OLDEST_PIP
    return venv


def test_every_extra_installs_without_the_constraints_file(fresh_venv):
    # pip 22.0 has no --dry-run: a real install, which the next test uses
    out = run(fresh_venv / "bin/python", "-m", "pip", "install", "-q", ".[flask,fastapi,demo]")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    found = run(fresh_venv / "bin/python", "-c", "import otel_ml.instrumentation.flask, "
                "otel_ml.instrumentation.fastapi, flask, fastapi, sklearn, waitress")
    assert found.returncode == 0, found.stderr[-2000:]


def test_the_readme_s_first_command_installs_a_working_demo(fresh_venv):
    out = run(fresh_venv / "bin/python", "-m", "pip", "install", "-q", ".[demo]")      # already there: a no-op
    assert out.returncode == 0, out.stderr[-3000:]
    shown = run(fresh_venv / "bin/otel-ml", "demo", "--help", timeout=60)
    assert shown.returncode == 0 and "--scale" in shown.stdout, shown.stdout + shown.stderr
    light = run(fresh_venv / "bin/python", "-c", "import otel_ml, sys; print(sorted(m for m in sys.modules"
                " if m.split('.')[0] in {'numpy', 'scipy', 'flask', 'sklearn'}))", timeout=60)
    assert light.stdout.strip() == "[]", light.stdout + light.stderr
