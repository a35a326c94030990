"""Per-prediction cost of otel_ml, against no monitoring and a naive version, in one run.

    python benchmarks/overhead.py [--rounds 7] [--calls 3000]

Every setup runs the same model (a 20-feature logistic regression in numpy) on the same rows,
interleaved round by round so that machine noise hits them alike. Telemetry goes through the
real SDK pipeline (batch span and log processors in their background threads, the metric SDK
aggregating) to exporters that drop what they get, so no network time is counted. The cost
of a setup is its per-call p50 minus the bare model's p50.

Setups:
  bare        the model alone
  naive       what the tutorial-style code does: instruments created on every call, a span,
              a counter, two histograms, an up-down counter in and out, a JSON log line through
              stdlib logging (to a file)
  otel_ml     ModelMonitor in full: span, duration and confidence histograms (with exemplars),
              prediction tally, one log record, the prediction store, feature check
  production  otel_ml with 10% of traces sampled and 10% of successful predictions logged;
              every metric stays complete
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from otel_ml import ModelMonitor, logs

FEATURES = [f"f{i}" for i in range(20)]


class DropSpans(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def drop_logs() -> Any:
    from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

    class DropLogs(LogRecordExporter):
        def export(self, batch: Any) -> LogRecordExportResult:
            return LogRecordExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

        def force_flush(self, timeout_millis: int = 0) -> bool:
            return True

    return DropLogs()


def batch_log_processor(exporter: Any, **kwargs: Any) -> Any:
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    return BatchLogRecordProcessor(exporter, **kwargs)


def providers(sampler: Any = None) -> tuple[TracerProvider, MeterProvider, Any]:
    tracer_provider = TracerProvider(sampler=sampler) if sampler else TracerProvider()
    # queues large enough that nothing is dropped: a dropped span or log would flatter the numbers
    tracer_provider.add_span_processor(BatchSpanProcessor(DropSpans(), max_queue_size=1 << 17))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    logger_provider = logs.sdk_logger_provider()
    logger_provider.add_log_record_processor(batch_log_processor(drop_logs(), max_queue_size=1 << 17))
    return tracer_provider, meter_provider, logger_provider


def make_model(seed: int = 3) -> tuple[Callable[[np.ndarray], tuple[int, float]], np.ndarray]:
    rng = np.random.default_rng(seed)
    weights, rows = rng.normal(size=20), rng.normal(size=(4096, 20))

    def model(x: np.ndarray) -> tuple[int, float]:
        p = 1.0 / (1.0 + np.exp(-float(x @ weights)))
        return (1, p) if p >= 0.5 else (0, 1.0 - p)

    return model, rows


def setups(model: Callable, log_path: str) -> dict[str, Callable[[np.ndarray], Any]]:
    full = ModelMonitor("bench", "v1", feature_names=FEATURES, **dict(zip(
        ("tracer_provider", "meter_provider", "logger_provider"), providers())))
    prod = ModelMonitor("bench", "v1", feature_names=FEATURES, log_sample_ratio=0.1, **dict(zip(
        ("tracer_provider", "meter_provider", "logger_provider"), providers(ParentBased(TraceIdRatioBased(0.1))))))
    naive_tp, naive_mp, _ = providers()
    naive_tracer = naive_tp.get_tracer("naive")
    naive_log = logging.getLogger("naive-bench")
    naive_log.propagate = False
    naive_log.setLevel(logging.INFO)
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(asctime)s - %(name)s - %(levelname)s - %(message)s"))
    naive_log.addHandler(handler)

    def bare(x: np.ndarray) -> Any:
        return model(x)

    def naive(x: np.ndarray) -> Any:
        meter = naive_mp.get_meter("naive")
        count = meter.create_counter("predictions_total")
        latency = meter.create_histogram("prediction_latency_seconds", unit="s")
        confidence_h = meter.create_histogram("model_confidence")
        active = meter.create_up_down_counter("active_requests")
        active.add(1)
        start = time.perf_counter()
        with naive_tracer.start_as_current_span("predict", attributes={"model_version": "v1"}):
            label, confidence = model(x)
            elapsed = time.perf_counter() - start
            latency.record(elapsed, {"model_version": "v1"})
            confidence_h.record(confidence, {"model_version": "v1"})
            count.add(1, {"model_version": "v1", "status": "success"})
            naive_log.info("Prediction: %s", json.dumps({
                "timestamp": time.time(), "model_version": "v1", "prediction": {"class": label,
                                                                                "confidence": confidence},
                "latency_ms": elapsed * 1000}))
        active.add(-1)
        return label, confidence

    def monitored(monitor: ModelMonitor) -> Callable[[np.ndarray], Any]:
        def call(x: np.ndarray) -> Any:
            with monitor.predict(x) as p:
                label, confidence = model(x)
                p.record(label, confidence=confidence)
            return label, confidence
        return call

    return {"bare": bare, "naive": naive, "otel_ml": monitored(full), "production": monitored(prod)}


def measure(fn: Callable, rows: np.ndarray, calls: int) -> tuple[list[int], float]:
    """Per-call wall times (ns) and the process CPU time per call (all threads, so the SDK's
    background export work counts too)."""
    timings = []
    clock = time.perf_counter_ns
    cpu_started = time.process_time_ns()
    for i in range(calls):
        x = rows[i % len(rows)]
        started = clock()
        fn(x)
        timings.append(clock() - started)
    return timings, (time.process_time_ns() - cpu_started) / calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)
    model, rows = make_model()
    with tempfile.TemporaryDirectory() as tmp:
        fns = setups(model, os.path.join(tmp, "naive.log"))
        for fn in fns.values():      # warm up: instruments, attribute caches, code paths
            measure(fn, rows, 500)
        round_p50: dict[str, list[float]] = {name: [] for name in fns}
        round_cpu: dict[str, list[float]] = {name: [] for name in fns}
        every: dict[str, list[int]] = {name: [] for name in fns}
        for _ in range(args.rounds):
            for name, fn in fns.items():
                timings, cpu = measure(fn, rows, args.calls)
                round_p50[name].append(statistics.median(timings) / 1000)
                round_cpu[name].append(cpu / 1000)
                every[name].extend(timings)
    # the median over rounds of each round's p50: one noisy round cannot move it
    p50 = {name: statistics.median(v) for name, v in round_p50.items()}
    cpu = {name: statistics.median(v) for name, v in round_cpu.items()}
    p99 = {name: float(np.percentile(v, 99)) / 1000 for name, v in every.items()}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.rounds} rounds x {args.calls} calls, "
          "interleaved; cost = setup minus bare")
    print(f"{'setup':11} {'p50 us':>7} {'p99 us':>7} {'cost p50 us':>11} {'cost CPU us':>11} {'cost / naive':>12}"
          f"  {'p50 range over rounds':>22}")
    results = {}
    naive_cost = p50["naive"] - p50["bare"]
    for name in fns:
        cost = p50[name] - p50["bare"]
        cpu_cost = cpu[name] - cpu["bare"]
        ratio = cost / naive_cost if name != "bare" else 0.0
        low, high = min(round_p50[name]), max(round_p50[name])
        results[name] = {"p50_us": p50[name], "p99_us": p99[name], "cost_p50_us": cost, "cost_cpu_us": cpu_cost,
                         "cost_vs_naive": ratio, "round_p50_us": round_p50[name]}
        print(f"{name:11} {p50[name]:7.1f} {p99[name]:7.1f} {cost:11.1f} {cpu_cost:11.1f} {ratio:12.2f}"
              f"  {low:10.1f} .. {high:.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
