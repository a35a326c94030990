"""``otel-ml report``: one self-contained HTML page about a model over a time range.

The page holds a performance summary, latency percentiles, throughput and error rate over time,
the prediction and confidence distributions, accuracy (realized, and estimated from the
confidences) when there is any, drift per feature (the last statistic and p-value, whether it
drifted, the fleet PSI over the range, the statistic over time) and the alerts that fired. It
reads from any :class:`~otel_ml.report.source.Source`:

- :class:`~otel_ml.report.prometheus.PrometheusSource`: a Prometheus-compatible query API
  (Prometheus, Mimir, VictoriaMetrics), which is what ``otel-ml report --prometheus URL`` uses;
- :class:`~otel_ml.report.snapshots.SnapshotSource`: in-process metric snapshots, which is what
  ``otel-ml demo`` uses for the report it writes at its end.

>>> import pathlib, tempfile
>>> from otel_ml.report.snapshots import SnapshotSource
>>> path = pathlib.Path(tempfile.mkdtemp()) / "report.html"
>>> report = write_report(SnapshotSource([]), "fraud", start=0.0, end=600.0, path=path)
>>> report.predictions, path.read_text().startswith("<!doctype html>")
(0.0, True)
"""

from __future__ import annotations

import os

from otel_ml.report.content import Report, build
from otel_ml.report.html import render
from otel_ml.report.source import Source

__all__ = ["Report", "Source", "build", "render", "write_report"]


def write_report(source: Source, model: str, *, start: float, end: float, path: str | os.PathLike[str],
                 step: float | None = None, description: str = "") -> Report:
    """Build the report of ``model`` over ``[start, end]`` (unix seconds) and write it to ``path``.

    The file is written next to its final name and renamed into place, so that a reader never
    sees half a page. Returns the :class:`Report`, for its numbers."""
    report = build(source, model, start, end, step=step, description=description)
    page = render(report)
    target = os.fspath(path)
    partial = f"{target}.partial"
    with open(partial, "w", encoding="utf-8") as file:
        file.write(page)
    os.replace(partial, target)
    return report
