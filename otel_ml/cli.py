"""The ``otel-ml`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="otel-ml", description="OpenTelemetry monitoring for ML models.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the demo service, its traffic and a live dashboard, all on loopback")
    demo.add_argument("--scale", type=_positive(float), default=1.0,
                      help="multiply every phase's length (default 1: 70 s in all)")
    demo.add_argument("--rate", type=_positive(float), default=40.0, help="predictions per second (default 40)")
    demo.add_argument("--window", type=_positive(float), default=10.0,
                      help="seconds the live figures and alerts look back (default 10)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--no-live", action="store_true", help="print events and status lines instead of redrawing")
    demo.add_argument("--report", default="otel-ml-report.html", metavar="FILE",
                      help="the HTML report written at the end (default otel-ml-report.html; '' for none)")
    serve = sub.add_parser("serve", help="run the demo model service alone, exporting over OTLP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--seed", type=int, default=7)
    serve.add_argument("--prometheus-port", type=int, default=None,
                       help="also serve /metrics for Prometheus on this port (needs opentelemetry-exporter-prometheus)")
    traffic = sub.add_parser("traffic", help="send the demo's phased traffic to a running service (loopback only)")
    traffic.add_argument("--url", default="http://127.0.0.1:8000")
    traffic.add_argument("--scale", type=_positive(float), default=1.0)
    traffic.add_argument("--rate", type=_positive(float), default=40.0)
    traffic.add_argument("--rounds", type=_positive(int), default=1, help="how many times to run the phases")
    traffic.add_argument("--seed", type=int, default=7)
    reference = sub.add_parser(
        "reference", help="fit and calibrate a drift reference once, for OTEL_ML_REFERENCE in every worker",
        description="Fit a drift reference from reference data (.csv with a header row, .parquet, .npy) and "
                    "calibrate its alarm threshold, then write both to one .npz file that every worker "
                    "loads in milliseconds (OTEL_ML_REFERENCE=FILE.npz).")
    reference.add_argument("data", help="reference data: .csv (header row of names), .parquet or .npy")
    reference.add_argument("-o", "--output", required=True, help="the file to write (.npz)")
    reference.add_argument("--features", help="comma-separated columns to use, in order (default: all)")
    reference.add_argument("--categorical", help="comma-separated columns to treat as categories")
    reference.add_argument("--window-size", type=_positive(int), default=None)
    reference.add_argument("--long-window-size", type=int, default=None)
    reference.add_argument("--check-every", type=_positive(int), default=None)
    reference.add_argument("--samples-between-false-alarms", type=_positive(float), default=None,
                           help="the calibrated false-alarm rate: one alarm per this many unchanged samples")
    from otel_ml.report import command as report_command

    report = sub.add_parser(
        "report", help="write one self-contained HTML report of a model from Prometheus, Mimir or VictoriaMetrics",
        description="Read a model's telemetry over a time range from a Prometheus-compatible query API and write "
                    "one HTML file: performance, latency over time, predictions and confidence, accuracy, drift "
                    "per feature and the alerts that fired.")
    report_command.add_arguments(report)
    sub.add_parser("names", help="print every metric with its Prometheus name")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from otel_ml.demo.run import demo as run_demo

        return run_demo(scale=args.scale, rate=args.rate, seed=args.seed, window=args.window,
                        live=False if args.no_live else None, report=args.report or None)
    if args.command == "serve":
        from otel_ml.demo.run import serve as run_serve

        return run_serve(host=args.host, port=args.port, seed=args.seed, prometheus_port=args.prometheus_port)
    if args.command == "traffic":
        from otel_ml.demo.run import traffic as run_traffic

        return run_traffic(url=args.url, scale=args.scale, rate=args.rate, seed=args.seed, rounds=args.rounds)
    if args.command == "reference":
        return fit_reference(args)
    if args.command == "report":
        from otel_ml.report import command as report_command

        return report_command.run(args)
    from otel_ml import semconv

    for name in semconv.ALL_METRICS:
        print(f"{name:32} {semconv.prometheus_name(name)}")
    return 0


def fit_reference(args: argparse.Namespace) -> int:
    """``otel-ml reference``: fit, calibrate with a progress bar on stderr, save."""
    import time

    from otel_ml.drift import DriftProcessor
    from otel_ml.instrumentation._reference import read_table

    def names(raw: str | None) -> list[str] | None:
        return [n.strip() for n in raw.split(",") if n.strip()] if raw else None

    features = names(args.features)
    settings = {key: value for key, value in (
        ("window_size", args.window_size), ("long_window_size", args.long_window_size),
        ("check_every", args.check_every), ("expected_samples_between_false_alarms", args.samples_between_false_alarms),
    ) if value is not None}
    try:
        table = read_table(args.data, features)
        if features is not None and isinstance(table, dict):
            missing = [f for f in features if f not in table]
            if missing:
                raise ValueError(f"{args.data} has no column {missing[0]!r}.")
            table = {f: table[f] for f in features}
        drift = DriftProcessor.fit(table, features if not isinstance(table, dict) else None,
                                   categorical=names(args.categorical), background=False, **settings)
    except ValueError as error:
        print(f"otel-ml reference: {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        print(f"\rcalibrating {len(drift.reference.feature_names)} features [{'#' * filled}{'.' * (width - filled)}] "
              f"{100 * done / max(total, 1):3.0f}%", end="", file=sys.stderr, flush=True)

    calibration = drift.calibrate(progress)
    progress(1, 1)
    drift.save(args.output)
    print(f"\nwrote {args.output}: {drift.reference.rows} rows, {len(drift.reference.feature_names)} features, "
          f"calibrated in {time.perf_counter() - started:.1f} s (per-test threshold {calibration.threshold:.3g}); "
          f"use it with OTEL_ML_REFERENCE={args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
