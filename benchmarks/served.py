"""Served throughput and total CPU per request of a Flask /predict app under gunicorn: otel_ml
against its peers and against the SDK's own floors, in one run.

    python benchmarks/served.py [--models tiny,hgb] [--seconds 10] [--rounds 2]
                                [--setups bare,prometheus,contrib,...] [--protocol grpc]

(needs wrk, ``apt-get install wrk``, and ``pip install -c constraints.txt -e '.[bench]'``)

Every setup runs under gunicorn with one sync worker, loaded by wrk (1 thread, 8 connections,
rows cycling through 256 seeded ones) on loopback, and exports OTLP to a rotel collector that
drops what it gets. Setups are interleaved round by round so that the noise of a shared machine
hits them alike; the table gives medians over rounds, as ratios to contrib alone (the SDK with
the Flask instrumentation) measured in the same run. "CPU/req" is the CPU time of the worker
process, every thread included (the SDK's batch processors, the metric reader, gRPC's own
threads, otel_ml's drift and log threads), divided by the requests it answered. Workers run with
OMP_NUM_THREADS=1, as served workers are (scikit-learn's OpenMP threads would otherwise spin on
both cores and be counted as the model's).

  bare              the app alone
  prometheus        prometheus-flask-exporter, plus four metrics of one's own per prediction
  contrib           opentelemetry-instrumentation-flask: HTTP server span and http.* metrics
  contrib-sampled   contrib with 10% of traces sampled (parentbased_traceidratio 0.1)
  naive             contrib plus a hand-written set: four metrics, one log record, a deque window
  contrib-plus-span contrib plus one more SDK span per request (the SDK's floor for a span)
  contrib-plus-log  contrib plus one SDK log record per request (its floor for a record)
  otel_ml           contrib plus otel_ml's defaults: prediction span, metrics, log record, drift
  otel_ml-no-drift  the same without the drift processor
  production        contrib plus otel_ml with OTEL_ML_PROFILE=production (10% of traces)
  production-no-exemplars   the same with OTEL_METRICS_EXEMPLAR_FILTER=always_off
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
DEFAULT_SETUPS = "bare,prometheus,contrib,contrib-sampled,naive,contrib-plus-span,contrib-plus-log,otel_ml," \
                 "otel_ml-no-drift,production"
SAMPLED = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {port}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process, all its threads (``/proc/<pid>/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wrk(port: int, seconds: int, latency: bool = False) -> str:
    argv = ["wrk", "-t1", "-c8", f"-d{seconds}s", "-s", str(HERE / "post.lua"), f"http://127.0.0.1:{port}/predict"]
    return subprocess.run(argv[:4] + (["--latency"] if latency else []) + argv[4:], capture_output=True, text=True,
                          check=True).stdout


def run_setup(setup: str, model: str, seconds: int, collector: str, protocol: str) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "OTEL_ML_BENCH_SETUP": setup, "OTEL_ML_BENCH_MODEL": model,
           "OTEL_SERVICE_NAME": f"bench-{setup}", "OTEL_EXPORTER_OTLP_ENDPOINT": collector,
           "OTEL_EXPORTER_OTLP_PROTOCOL": protocol, "OTEL_SEMCONV_STABILITY_OPT_IN": "http",
           "OMP_NUM_THREADS": "1"}       # one core a worker, as a served worker is set: no OpenMP threads
    if setup.startswith(("production", "contrib-sampled")):
        env.update(SAMPLED)
    if setup.startswith("production"):
        env["OTEL_ML_PROFILE"] = "production"
    if setup.endswith("-no-exemplars"):
        env["OTEL_METRICS_EXEMPLAR_FILTER"] = "always_off"
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "1", "-c", str(HERE / "served_gunicorn.py"),
                               "-b", f"127.0.0.1:{port}", "--chdir", str(HERE), "served_app:app"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_port(port)
        wrk(port, 4)          # warm-up: the worker imports, fits and calibrates before the measured window
        (worker,) = [int(p) for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                                     text=True).stdout.split()]
        cpu_before = cpu_seconds(worker)
        out = wrk(port, seconds, latency=True)
        cpu = cpu_seconds(worker) - cpu_before
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    if re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"{setup}: errors in the responses:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50_ms": _latency(out, "50%"),
            "p99_ms": _latency(out, "99%"), "cpu_us": cpu / max(requests, 1) * 1e6}


def _latency(out: str, which: str) -> float:
    value, unit = re.search(rf"{re.escape(which)}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def report(model: str, setups: list[str], results: dict[str, list[dict[str, float]]]) -> None:
    med = {s: {k: statistics.median(r[k] for r in results[s]) for k in results[s][0]} for s in setups}
    base = med.get("contrib")
    print(f"\nmodel {model}: medians of {len(results[setups[0]])} rounds")
    print(f"{'setup':18} {'req/s':>7} {'/contrib':>8} {'p99 ms':>7} {'p99/contrib':>11} {'CPU/req us':>10} "
          f"{'CPU-contrib':>11}  req/s per round")
    for s in setups:
        m = med[s]
        ratio = m["rps"] / base["rps"] if base else float("nan")
        p99 = m["p99_ms"] / base["p99_ms"] if base else float("nan")
        extra = m["cpu_us"] - base["cpu_us"] if base else float("nan")
        rounds = " ".join(f"{r['rps']:.0f}" for r in results[s])
        print(f"{s:18} {m['rps']:7.0f} {ratio:8.2f} {m['p99_ms']:7.2f} {p99:11.2f} {m['cpu_us']:10.0f} "
              f"{extra:+11.0f}  {rounds}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="tiny,hgb")
    parser.add_argument("--setups", default=os.environ.get("OTEL_ML_BENCH_SETUPS", DEFAULT_SETUPS))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--protocol", default="grpc", choices=("grpc", "http/protobuf"))
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    import rotel

    setups, models = args.setups.split(","), args.models.split(",")
    grpc_port, http_port = free_port(), free_port()
    collector = subprocess.Popen([str(Path(rotel.__file__).parent / "rotel-agent"), "start",
                                  "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}",
                                  "--otlp-http-endpoint", f"127.0.0.1:{http_port}", "--exporter", "blackhole"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{grpc_port if args.protocol == 'grpc' else http_port}"
    results = {m: {s: [] for s in setups} for m in models}
    try:
        wait_port(grpc_port)
        for _ in range(args.rounds):
            for model in models:
                for setup in setups:
                    results[model][setup].append(run_setup(setup, model, args.seconds, endpoint, args.protocol))
    finally:
        collector.terminate()
        collector.wait(timeout=10)
    print(f"gunicorn -w 1 (sync), wrk -t1 -c8 for {args.seconds} s a setup, {args.rounds} rounds interleaved, "
          f"OTLP {args.protocol} to a collector that drops it")
    for model in models:
        report(model, setups, results[model])
    return 0


if __name__ == "__main__":
    sys.exit(main())
