"""Where a served app's CPU goes, per request and per thread: one setup of served.py under load.

    python benchmarks/profile_served.py [--setup otel_ml] [--model tiny] [--seconds 12]

(needs wrk and py-spy: ``pip install -c constraints.txt -e '.[bench]'``)

Two readings of the same gunicorn worker under wrk, as served.py runs it:
  * the CPU time of each of the worker's threads (``/proc/<pid>/task``), named after their
    Python threads (``py-spy dump``): the request thread, the SDK's batch span and log record
    processors and metric reader, otel_ml's drift and log threads, and native threads (gRPC);
  * a py-spy profile of the request thread, holding the GIL only, split into otel_ml's own
    work, the SDK (spans, metric measurements, log records), the contrib instrumentation, and
    the rest (Flask, gunicorn, the model).
Each is given in microseconds per request answered.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from served import BIN, HERE, SAMPLED, free_port, wait_port

TICKS = os.sysconf("SC_CLK_TCK")
RATE = 250


def thread_ticks(pid: int) -> dict[int, int]:
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[int(tid)] = int(fields[11]) + int(fields[12])
    return ticks


def python_threads(pid: int) -> dict[int, str]:
    out = subprocess.run([str(BIN / "py-spy"), "dump", "--json", "-p", str(pid)], capture_output=True, text=True,
                         check=True).stdout
    return {t["os_thread_id"]: t["thread_name"] or "?" for t in json.loads(out)}


SDK = ("/opentelemetry/sdk/", "/opentelemetry/trace/", "/opentelemetry/metrics/", "/opentelemetry/_logs/",
       "/opentelemetry/context/", "/opentelemetry/util/", "/opentelemetry/attributes/", "/opentelemetry/semconv/")
SIGNALS = (("/opentelemetry/sdk/trace/", "SDK spans"), ("/opentelemetry/trace/", "SDK spans"),
           ("/opentelemetry/sdk/metrics/", "SDK metric measurements"), ("/opentelemetry/metrics/",
                                                                         "SDK metric measurements"),
           ("/opentelemetry/sdk/_logs/", "SDK log records"), ("/opentelemetry/_logs/", "SDK log records"))


def _stdlib(frame: str) -> bool:
    """A frame of Python's own library (contextlib, threading...): it works for its caller."""
    return f"/python{sys.version_info.major}.{sys.version_info.minor}/" in frame and "site-packages" not in frame


def bucket(frames: list[str]) -> str:
    """Who a request-thread sample belongs to: its innermost frame outside the SDK and API
    (otel_ml, the contrib instrumentation, or the app: Flask, gunicorn, the model), and, when
    the sample is inside the SDK, which signal it is working for."""
    inner = len(frames)
    while inner > 0 and (any(part in frames[inner - 1] for part in SDK) or _stdlib(frames[inner - 1])):
        inner -= 1
    owner = frames[inner - 1] if inner else ""
    who = "otel_ml" if "/otel_ml/" in owner else \
        "contrib" if "/opentelemetry/instrumentation/" in owner else "app (Flask, gunicorn, the model)"
    if inner == len(frames):
        return who if who != "otel_ml" else "otel_ml: its own work"
    signal = next((name for part, name in SIGNALS if part in frames[inner]), "SDK, other") \
        if inner < len(frames) and not _stdlib(frames[inner]) else "Python's library"
    return f"{who}: {signal}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", default="otel_ml")
    parser.add_argument("--model", default="tiny")
    parser.add_argument("--seconds", type=int, default=12)
    args = parser.parse_args(argv)
    import rotel

    grpc_port, http_port, port = free_port(), free_port(), free_port()
    collector = subprocess.Popen([str(Path(rotel.__file__).parent / "rotel-agent"), "start",
                                  "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}",
                                  "--otlp-http-endpoint", f"127.0.0.1:{http_port}", "--exporter", "blackhole"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "OTEL_ML_BENCH_SETUP": args.setup, "OTEL_ML_BENCH_MODEL": args.model, "OMP_NUM_THREADS": "1",
           "OTEL_SERVICE_NAME": f"profile-{args.setup}", "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{grpc_port}",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_SEMCONV_STABILITY_OPT_IN": "http"}
    if args.setup in ("production", "contrib-sampled"):
        env.update(SAMPLED)
    if args.setup == "production":
        env["OTEL_ML_PROFILE"] = "production"
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "1", "-c", str(HERE / "served_gunicorn.py"), "-b",
                               f"127.0.0.1:{port}", "--chdir", str(HERE), "served_app:app"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = None
    try:
        wait_port(grpc_port)
        wait_port(port)
        target = ["-s", str(HERE / "post.lua"), f"http://127.0.0.1:{port}/predict"]
        subprocess.run(["wrk", "-t1", "-c8", "-d4s", *target], capture_output=True, check=True)
        (worker,) = [int(p) for p in subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                                     text=True).stdout.split()]
        names = python_threads(worker)
        load = subprocess.Popen(["wrk", "-t1", "-c8", f"-d{args.seconds + 2}s", *target], stdout=subprocess.PIPE,
                                text=True)
        time.sleep(1)
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "profile.txt"
            before, began = thread_ticks(worker), time.monotonic()
            subprocess.run([str(BIN / "py-spy"), "record", "--gil", "--threads", "--full-filenames", "--format", "raw",
                            "-r", str(RATE),
                            "-d", str(args.seconds), "-p", str(worker), "-o", str(raw)], capture_output=True,
                           check=True)
            after, took = thread_ticks(worker), time.monotonic() - began
            stacks = raw.read_text().splitlines()
        out, _ = load.communicate(timeout=30)
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    finally:
        if load is not None and load.poll() is None:
            load.kill()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        collector.terminate()
        collector.wait(timeout=10)
    requests = rps * took
    per_thread: Counter[str] = Counter()
    for tid, ticks in after.items():
        per_thread[names.get(tid, "native (gRPC and others)")] += ticks - before.get(tid, 0)
    total = sum(per_thread.values()) / TICKS / requests * 1e6
    print(f"setup {args.setup}, model {args.model}: {rps:.0f} req/s, {total:.0f} us of CPU per request")
    print("\nCPU per request, by thread (/proc)")
    for name, ticks in per_thread.most_common():
        print(f"  {name:40} {ticks / TICKS / requests * 1e6:7.0f} us")
    main_thread: Counter[str] = Counter()
    for line in stacks:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if frames[0].endswith("MainThread"):
            main_thread[bucket(frames[1:])] += int(count)
    print("\nthe request thread, holding the GIL (py-spy)")
    for name, samples in main_thread.most_common():
        print(f"  {name:40} {samples / RATE / requests * 1e6:7.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
