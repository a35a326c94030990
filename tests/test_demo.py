"""`otel-ml demo` runs on the embedded default and its summary is read from real telemetry."""

import re
import subprocess
import sys


def test_quick_demo_summarises_what_it_monitored():
    out = subprocess.run([sys.executable, "-m", "otel_ml.cli", "demo", "--predictions", "600", "--seed", "3"],
                         capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    text = out.stdout
    total = int(re.search(r"predictions\s+(\d+) in", text).group(1))
    assert total == 600
    ok = sum(int(n) for n in re.findall(r"ok\s+[01]\s+(\d+)", text))
    errors = int(re.search(r"error TimeoutError\s+(\d+)", text).group(1))
    assert ok + errors == 600 and errors > 0
    accuracy = float(re.search(r"accuracy\s+([\d.]+)%", text).group(1))
    assert 60 < accuracy < 100                  # a trained model, not a coin
    assert int(re.search(r"bad features\s+(\d+)", text).group(1)) > 0
