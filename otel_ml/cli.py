"""The ``otel-ml`` command."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="otel-ml", description="OpenTelemetry monitoring for ML models.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a real model with otel_ml monitoring and print what it saw")
    demo.add_argument("--predictions", type=int, default=2000, help="how many predictions (default 2000)")
    demo.add_argument("--seed", type=int, default=7)
    sub.add_parser("names", help="print every metric with its Prometheus name")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from otel_ml.demo.quick import run

        return run(predictions=args.predictions, seed=args.seed)
    from otel_ml import semconv

    for name in semconv.ALL_METRICS:
        print(f"{name:32} {semconv.prometheus_name(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
