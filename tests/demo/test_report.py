"""The demo's report: written where asked, or one line saying why not; never a traceback at the end of a run."""

from __future__ import annotations

import io

from otel_ml.demo.alerts import AlertLog
from otel_ml.demo.observe import MetricHistory
from otel_ml.demo.report import write


def test_written_where_asked_or_not_at_all(sinks, tmp_path):
    monitor = sinks.monitor("churn", "v1")
    with monitor.predict([1.0]) as p:
        p.record("stay", confidence=0.9)
    history = MetricHistory(sinks.reader)
    history.collect()
    out = io.StringIO()
    assert write(None, "churn", history, AlertLog(), 0.0, out) is None
    path = write(str(tmp_path / "r.html"), "churn", history, AlertLog(), 0.0, out)
    assert path == str(tmp_path / "r.html") and "churn" in (tmp_path / "r.html").read_text()
    assert write(str(tmp_path / "missing" / "r.html"), "churn", history, AlertLog(), 0.0, out) is None
    assert "could not write the report to" in out.getvalue() and "missing" in out.getvalue()
