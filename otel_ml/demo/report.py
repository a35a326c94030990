"""The report ``otel-ml demo`` writes at its end, from its own metric snapshots and the alerts it fired."""

from __future__ import annotations

import os
import time
from typing import Any, TextIO


def write(path: str | None, model: str, metrics: Any, alert_log: Any, started_at: float, out: TextIO) -> str | None:
    """Write the report of ``model`` since ``started_at``; the absolute path written, or ``None``
    (no ``path``, or it could not be written: then one line on ``out`` says why)."""
    if not path:
        return None
    from otel_ml.report import write_report
    from otel_ml.report.snapshots import SnapshotSource

    end = time.time()
    try:
        write_report(SnapshotSource(metrics.snapshots(), alert_log.fired(end)), model, start=started_at,
                     end=end, path=path, step=max(1.0, (end - started_at) / 120),
                     description="the demo's in-process metrics")
    except OSError as error:
        print(f"otel-ml demo: could not write the report to {path}: {error}", file=out, flush=True)
        return None
    return os.path.abspath(path)
