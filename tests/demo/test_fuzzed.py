"""The demo service fuzzed from its own OpenAPI document by schemathesis: no request, however
malformed, gets a server error. Bounded (examples and seconds per run) and deterministic."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo.test_service import DEPLOY_TOKEN, TOKEN, served  # noqa: F401 - the fixture
from tests.tools import missing

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
RUNS = {
    "every route, no credentials": ([], 60),
    "deploy, with its token": (["--include-path", "/admin/deploy", "-H", f"Authorization: Bearer {DEPLOY_TOKEN}"],
                               30),
    "rollback, with its token": (["--include-path", "/admin/rollback", "-H", f"Authorization: Bearer {TOKEN}"], 30),
}


@pytest.mark.slow
@pytest.mark.parametrize("run", sorted(RUNS))
def test_no_generated_request_gets_a_server_error(served, run):  # noqa: F811
    if not SCHEMATHESIS.exists():
        missing("schemathesis is not installed: pip install -e '.[dev]'")
    stack, client, sinks = served
    url = f"http://{client.host}:{client.port}"
    extra, seconds = RUNS[run]
    result = subprocess.run([str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--checks", "not_a_server_error",
                             "--max-examples", "25", "--generation-deterministic", "--workers", "1",
                             "--max-time", str(seconds), "--no-color", *extra],
                            capture_output=True, text=True, timeout=seconds + 120)
    summary = result.stdout[-3000:]
    assert result.returncode == 0, summary
    counts = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
    assert counts and counts.group(1) == counts.group(2) and int(counts.group(1)) > 100, summary
    print(f"\nschemathesis ({run}): {counts.group(0)}")
