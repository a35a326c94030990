"""Prediction log records still queued when a short script exits reach the collector.

otel_ml queues successful predictions' records for a background thread; at exit the queue is
flushed. The providers that ``otel_ml.configure()`` builds register their own exit hooks after
``import otel_ml``, and atexit runs the newest first: without care, the provider shut down before
the queue was flushed and the records were dropped ("Processor is already shutdown").
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration import servers

pytestmark = pytest.mark.integration

SCRIPT = """
import sys
import otel_ml

otel_ml.configure(service_name="exit-flush", endpoint=sys.argv[1], protocol="http/protobuf", metrics=False,
                  traces=False, system_metrics=False)
monitor = otel_ml.ModelMonitor("exit", version="v1")
for _ in range(50):
    with monitor.predict([1.0]) as p:
        p.record("a", confidence=0.9)
"""


def test_records_queued_at_exit_reach_the_collector(tmp_path):
    sink = servers.OtlpSink()
    try:
        script = tmp_path / "app.py"
        script.write_text(SCRIPT)
        done = subprocess.run([sys.executable, str(script), sink.url], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "already shutdown" not in done.stderr
        records = [r for resource, r in sink.logs if resource.get("service.name") == "exit-flush"]
        assert len(records) == 50
    finally:
        sink.stop()
