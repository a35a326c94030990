"""The README's code runs as written: its Python in a fresh interpreter, its commands' options exist."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)


def test_the_in_code_example_runs_and_records_a_prediction():
    code = next(body for lang, body in BLOCKS if lang == "python" and "ModelMonitor" in body)
    script = ("class Model:\n    def predict(self, rows):\n        return ['approve' for _ in rows]\n"
              "model, features = Model(), [120.0, 41.0]\n" + code +
              "\nprint('recorded', p.id)\n")
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "console", "OTEL_METRICS_EXPORTER": "none",
           "OTEL_LOGS_EXPORTER": "none", "OTEL_ML_SYSTEM_METRICS": "false"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "recorded" in done.stdout and '"predict fraud"' in done.stdout      # the span, on the console


def test_the_one_line_example_imports():
    code = next(body for lang, body in BLOCKS if lang == "python" and "instrument_app" in body)
    imports = "\n".join(line.split("#")[0] for line in code.splitlines() if line.startswith("from "))
    done = subprocess.run([sys.executable, "-c", imports], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_every_otel_ml_command_and_option_the_readme_gives_exists():
    shell = "\n".join(body for lang, body in BLOCKS if lang == "bash")
    commands = re.findall(r"otel-ml (\w+)((?: --?[\w-]+(?: [^\s-][^\s]*)?)*)", shell)
    assert {c for c, _ in commands} >= {"demo", "report"}
    for command, options in commands:
        shown = subprocess.run([sys.executable, "-m", "otel_ml.cli", command, "--help"], capture_output=True,
                               text=True, timeout=60)
        assert shown.returncode == 0, shown.stderr
        for option in re.findall(r"--[\w-]+", options):
            assert option in shown.stdout, f"otel-ml {command} has no {option}"
