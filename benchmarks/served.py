"""Served throughput of a Flask /predict app under gunicorn, bare vs instrumented, in one run.

    python benchmarks/served.py [--seconds 10] [--rounds 3] [--workers 2]     (needs wrk: apt-get install wrk)

Setups, interleaved round by round on loopback (gunicorn sync workers, wrk 1 thread, 8
connections), each exporting over OTLP/gRPC to a rotel collector that drops what it gets:
  bare        the app alone
  contrib     opentelemetry-instrumentation-flask (HTTP server span, http.* metrics)
  otel_ml     contrib + otel_ml in full: prediction span, metrics, log record, drift feed
  production  contrib + otel_ml with 10% of traces sampled (parent-based) and 10% of
              successful predictions logged; every metric complete
For a breakdown, OTEL_ML_BENCH_SETUPS=contrib,otel_ml,otel_ml-no-drift,otel_ml-no-log also runs
otel_ml without its drift processor, and without prediction log records. A "-current" suffix
(otel_ml-current, production-current) puts the prediction's attributes on the HTTP server span
instead of a child span (prediction_span="current"). Floors, without otel_ml: contrib-plus-span
(contrib + one more SDK span per request) and contrib-plus-log (contrib + one SDK log record).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SETUPS = tuple(os.environ.get("OTEL_ML_BENCH_SETUPS", "bare,contrib,otel_ml,production").split(","))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def run_setup(setup: str, seconds: int, workers: int, collector: str) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "OTEL_ML_BENCH_SETUP": setup, "OTEL_SERVICE_NAME": f"bench-{setup}",
           "OTEL_EXPORTER_OTLP_ENDPOINT": collector, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
           "OTEL_METRIC_EXPORT_INTERVAL": "5000", "OTEL_SEMCONV_STABILITY_OPT_IN": "http"}
    if setup.startswith("production"):
        env.update(OTEL_TRACES_SAMPLER="parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG="0.1")
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(workers), "-c", str(HERE / "served_gunicorn.py"),
                               "-b", f"127.0.0.1:{port}", "--chdir", str(HERE), "served_app:app"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_port(port)
        # warm-up: workers import, fit and calibrate their caches before the measured window
        subprocess.run(["wrk", "-t1", "-c8", "-d5s", "-s", str(HERE / "post.lua"), f"http://127.0.0.1:{port}/predict"],
                       capture_output=True, check=True)
        out = subprocess.run(["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "-s", str(HERE / "post.lua"),
                              f"http://127.0.0.1:{port}/predict"], capture_output=True, text=True, check=True).stdout
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"{setup}: errors in the responses:\n{out}")
    return {"rps": rps, "p50_ms": _latency(out, "50%"), "p99_ms": _latency(out, "99%")}


def _latency(out: str, which: str) -> float:
    value, unit = re.search(rf"{re.escape(which)}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    import rotel

    grpc_port, http_port = free_port(), free_port()
    collector = subprocess.Popen([str(Path(rotel.__file__).parent / "rotel-agent"), "start",
                                  "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}",
                                  "--otlp-http-endpoint", f"127.0.0.1:{http_port}", "--exporter", "blackhole"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict[str, list[dict[str, float]]] = {s: [] for s in SETUPS}
    try:
        wait_port(grpc_port)
        for _ in range(args.rounds):
            for setup in SETUPS:
                results[setup].append(run_setup(setup, args.seconds, args.workers, f"http://127.0.0.1:{grpc_port}"))
    finally:
        collector.terminate()
        collector.wait(timeout=10)
    print(f"gunicorn -w {args.workers} (sync), wrk -t1 -c8, {args.rounds} rounds x {args.seconds} s, interleaved; "
          f"medians over rounds")
    rps = {s: statistics.median(r["rps"] for r in results[s]) for s in SETUPS}
    print(f"{'setup':11} {'req/s':>8} {'vs bare':>8} {'vs contrib':>10} {'p50 ms':>7} {'p99 ms':>7}  req/s per round")
    for s in SETUPS:
        p50 = statistics.median(r["p50_ms"] for r in results[s])
        p99 = statistics.median(r["p99_ms"] for r in results[s])
        rounds = " ".join(f"{r['rps']:.0f}" for r in results[s])
        to_bare, to_contrib = rps[s] / rps.get("bare", float("nan")), rps[s] / rps["contrib"]
        print(f"{s:11} {rps[s]:8.0f} {to_bare:8.2f} {to_contrib:10.2f} {p50:7.2f} {p99:7.2f}  {rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
