"""``otel-ml report``: its arguments and what it prints.

>>> duration("90m"), duration("1h30m"), duration("2d"), duration("45")
(5400.0, 5400.0, 172800.0, 45.0)
>>> moment("2026-12-03T10:00:00Z", now=0.0)
1796292000.0
>>> moment("-1h", now=7200.0)
3600.0
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import datetime, timezone
from typing import TextIO

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def duration(text: str) -> float:
    """Seconds in ``30s``, ``15m``, ``1h30m``, ``7d`` (Prometheus's units) or a plain number of seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 30m, 6h, 1h30m or 7d)")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def moment(text: str, now: float | None = None) -> float:
    """Unix seconds from an RFC 3339 time (``2026-12-03T10:00:00Z``), unix seconds, or ``-DURATION`` ago."""
    now = time.time() if now is None else now
    text = text.strip()
    if text.startswith("-"):
        return now - duration(text[1:])
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (give RFC 3339 like 2026-12-03T10:00:00Z, unix seconds, or -2h)") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a header is NAME=VALUE, got {text!r}")
    return name.strip(), value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090", metavar="URL",
                        help="the base of a Prometheus-compatible query API: Prometheus, VictoriaMetrics, "
                             "Mimir (…/prometheus) (default http://127.0.0.1:9090)")
    parser.add_argument("--model", required=True, help="the model's ml.model.name")
    parser.add_argument("--since", type=duration, default=3600.0, metavar="DURATION",
                        help="the range ends now (or at --end) and starts this long before (default 1h)")
    parser.add_argument("--start", type=moment, default=None, metavar="TIME",
                        help="RFC 3339 time, unix seconds or -DURATION; overrides --since")
    parser.add_argument("--end", type=moment, default=None, metavar="TIME", help="default: now")
    parser.add_argument("--step", type=duration, default=None, metavar="DURATION",
                        help="one point per step in the plots (default: the range over 120)")
    parser.add_argument("--sample-interval", type=duration, default=15.0, metavar="DURATION",
                        help="how often each series gets a sample (the scrape or OTLP export interval); windows "
                             "are at least four of them (default 15s)")
    parser.add_argument("--header", type=header, action="append", default=[], metavar="NAME=VALUE",
                        help="an HTTP header for every query (Authorization, X-Scope-OrgID); repeat for more")
    parser.add_argument("-o", "--output", default="otel-ml-report.html", metavar="FILE",
                        help="the HTML file to write (default otel-ml-report.html)")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Build and write the report; a clear line on stderr and exit status 2 when it cannot."""
    import os

    out, err = out or sys.stdout, err or sys.stderr
    from otel_ml import semconv
    from otel_ml.report import write_report
    from otel_ml.report.prometheus import PrometheusSource, QueryError

    end = args.end if args.end is not None else time.time()
    start = args.start if args.start is not None else end - args.since
    if not end > start:
        print(f"otel-ml report: the range must end after it starts (start {start:.0f}, end {end:.0f})", file=err)
        return 2
    source = PrometheusSource(args.prometheus, headers=dict(args.header), sample_interval=args.sample_interval)
    try:
        report = write_report(source, args.model, start=start, end=end, path=args.output, step=args.step,
                              description=args.prometheus)
        models: list[str] = []
        if not report.predictions:
            name = semconv.prometheus_name(semconv.ML_PREDICTIONS)
            label = semconv.prometheus_label(semconv.ML_MODEL_NAME)
            found = source.instant(f"group by ({label}) (last_over_time({name}[{max(1, int(end - start))}s]))", end)
            models = sorted(r["metric"].get(label, "") for r in found)
    except QueryError as error:
        print(f"otel-ml report: {error}", file=err)
        return 2
    except OSError as error:
        print(f"otel-ml report: cannot write {args.output}: {error}", file=err)
        return 2
    print(f"wrote {os.path.abspath(args.output)}: {report.predictions:.0f} predictions of {args.model}, "
          f"{len([d for d in report.drift if d.drifted_in_range])} features drifted, {len(report.alerts)} alerts "
          f"fired, from {args.prometheus}", file=out)
    if not report.predictions:
        print(f"otel-ml report: no predictions of model {args.model!r} in this range; "
              + (f"the models with predictions are: {', '.join(models)}" if models
                 else "no model has any: is this the Prometheus your collector writes to?"), file=err)
    return 0
