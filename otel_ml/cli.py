"""The ``otel-ml`` command."""

from __future__ import annotations

import argparse
import sys


def _positive(kind: type) -> object:
    def parse(text: str) -> object:
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
    sub.add_parser("names", help="print every metric with its Prometheus name")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from otel_ml.demo.run import demo as run_demo

        return run_demo(scale=args.scale, rate=args.rate, seed=args.seed, window=args.window,
                        live=False if args.no_live else None)
    if args.command == "serve":
        from otel_ml.demo.run import serve as run_serve

        return run_serve(host=args.host, port=args.port, seed=args.seed, prometheus_port=args.prometheus_port)
    if args.command == "traffic":
        from otel_ml.demo.run import traffic as run_traffic

        return run_traffic(url=args.url, scale=args.scale, rate=args.rate, seed=args.seed, rounds=args.rounds)
    from otel_ml import semconv

    for name in semconv.ALL_METRICS:
        print(f"{name:32} {semconv.prometheus_name(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
