"""Cost of the zero-code scikit-learn instrumentation on real models, against the same models
unmonitored, in one run.

    python benchmarks/model_calls.py [--rounds 5] [--calls 400]

Models: a gradient boosting classifier (100 trees, a one-row ``predict_proba`` of about 0.1 ms
here) and a random forest (100 trees, about 3 ms), fitted on scikit-learn's breast-cancer data.
Calls: one row per call, and batches of 100 rows; each either ``predict_proba`` alone or
``predict`` and ``predict_proba`` on the same rows inside one scope (as a view usually does:
one prediction per row). Rounds alternate monitored and unmonitored (the classes are patched and
unpatched between rounds), so that machine noise hits both alike. Telemetry goes through the
real SDK (batch span and log processors with their threads, the metric SDK aggregating) to
exporters that drop what they get. CPU is the process's CPU time (every thread) over the round,
after flushing what the background threads still held; the figures are medians over rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier

sys.path.insert(0, str(Path(__file__).parent))
from overhead import providers  # noqa: E402

from otel_ml import semconv
from otel_ml.instrumentation import _monitors, prediction_scope  # noqa: E402
from otel_ml.instrumentation.sklearn import SklearnInstrumentor  # noqa: E402


def workloads(model: Any, X: np.ndarray) -> dict[str, tuple[Callable[[int], Any], int]]:
    """name -> (call(i), rows per call)."""
    def one_proba(i: int) -> Any:
        return model.predict_proba(X[i % len(X)][None, :])

    def one_both(i: int) -> Any:
        row = X[i % len(X)][None, :]
        with prediction_scope():
            model.predict(row)
            return model.predict_proba(row)

    def batch_proba(i: int) -> Any:
        return model.predict_proba(X[(i * 100) % 400:(i * 100) % 400 + 100])

    return {"1 row, predict_proba": (one_proba, 1), "1 row, predict + predict_proba": (one_both, 1),
            "100 rows, predict_proba": (batch_proba, 100)}


def measure(call: Callable[[int], Any], calls: int, flush: Callable[[], None]) -> tuple[float, float]:
    """Wall and CPU seconds per call."""
    for i in range(20):
        call(i)
    flush()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(calls):
        call(i)
    flush()
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()

    X, y = load_breast_cancer(return_X_y=True)
    models = {"gradient boosting": GradientBoostingClassifier(n_estimators=100, random_state=0).fit(X, y),
              "random forest": RandomForestClassifier(n_estimators=100, random_state=0).fit(X, y)}
    tracer_provider, _, logger_provider = providers()
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    instrumentor = SklearnInstrumentor()

    def flush() -> None:
        for monitor in _monitors.all_monitors():
            monitor.force_flush()
        tracer_provider.force_flush()
        logger_provider.force_flush()
        meter_provider.force_flush()

    results: dict[tuple[str, str, bool], list[tuple[float, float]]] = {}
    for round_ in range(args.rounds):
        for monitored in ((False, True) if round_ % 2 == 0 else (True, False)):
            if monitored:
                instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider,
                                        logger_provider=logger_provider)
            for model_name, model in models.items():
                for name, (call, _rows) in workloads(model, X).items():
                    # batches: at most 60 calls a round, 6000 log records, under the 8192 the
                    # prediction log queue holds, so that no record is dropped (dropped ones are counted below)
                    calls = args.calls if "1 row" in name else min(max(args.calls // 4, 20), 60)
                    if model_name == "random forest":
                        calls = max(calls // 8, 20)
                    results.setdefault((model_name, name, monitored), []).append(measure(call, calls, flush))
            if monitored:
                instrumentor.uninstrument()

    dropped = _dropped(reader)
    print(f"scikit-learn instrumentation, {args.rounds} interleaved rounds, medians; CPU counts every thread; "
          f"log records dropped: {dropped:.0f}")
    print(f"{'model':18} {'calls':32} {'bare µs':>9} {'monitored µs':>13} {'added wall µs':>14} "
          f"{'added CPU µs':>13} {'per row CPU µs':>15} {'throughput ratio':>17}")
    for model_name, model in models.items():
        for name, (_call, rows) in workloads(model, X).items():
            bare = results[(model_name, name, False)]
            monitored = results[(model_name, name, True)]
            bare_wall, bare_cpu = (statistics.median(r[k] for r in bare) for k in (0, 1))
            mon_wall, mon_cpu = (statistics.median(r[k] for r in monitored) for k in (0, 1))
            print(f"{model_name:18} {name:32} {bare_wall * 1e6:9.0f} {mon_wall * 1e6:13.0f} "
                  f"{(mon_wall - bare_wall) * 1e6:14.0f} {(mon_cpu - bare_cpu) * 1e6:13.0f} "
                  f"{(mon_cpu - bare_cpu) * 1e6 / rows:15.1f} {bare_cpu / mon_cpu:17.2f}")


def _dropped(reader: InMemoryMetricReader) -> float:
    """Prediction log records dropped because their queue was full (ml.monitor.problems)."""
    data = reader.get_metrics_data()
    return sum(p.value for rm in (data.resource_metrics if data else []) for sm in rm.scope_metrics
               for metric in sm.metrics if metric.name == semconv.ML_MONITOR_PROBLEMS
               for p in metric.data.data_points if p.attributes.get("ml.problem.type") == "log_queue_full")


if __name__ == "__main__":
    main()
