"""Cost of one drift check (reference 10,000 x 20, window 1,000) and of feeding one sample.

    python benchmarks/drift.py [--rounds 7]

In the same run, interleaved round by round:
  scipy loop     scipy.stats.ks_2samp per feature (what the textbook detector does every check)
  numpy plain    a vectorized numpy KS that sorts the reference again on every check and takes
                 asymptotic p-values (scipy's algorithm without the Python loop over features)
  otel_ml KS     otel_ml.drift.ks: the reference sorted once, two searchsorted per feature, exact
                 p-values from the process-wide cache (steady state)
  otel_ml check  DriftProcessor.check(): the KS test, the three distances, fleet binning, report
and the request path: DriftProcessor.feed() of one row (numpy and list), against a bare
list append.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from scipy.stats import ks_2samp, kstwo

from otel_ml.drift import DriftProcessor, ReferenceProfile
from otel_ml.drift.ks import SHARED_P_VALUES, columns_sorted, ks_statistics


def scipy_loop(reference: np.ndarray, window: np.ndarray) -> np.ndarray:
    return np.array([ks_2samp(reference[:, j], window[:, j]).pvalue for j in range(reference.shape[1])])


def numpy_plain(reference: np.ndarray, window: np.ndarray) -> np.ndarray:
    ref, win = np.sort(reference, axis=0), np.sort(window, axis=0)
    n, m = len(ref), len(win)
    d = np.empty(ref.shape[1])
    for j in range(ref.shape[1]):
        everything = np.concatenate([ref[:, j], win[:, j]])
        d[j] = np.max(np.abs(np.searchsorted(ref[:, j], everything, side="right") / n
                             - np.searchsorted(win[:, j], everything, side="right") / m))
    return kstwo.sf(d, np.round(n * m / (n + m)))


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(5)
    reference = rng.normal(size=(10_000, 20))
    windows = [rng.normal(size=(1000, 20)) for _ in range(8)]
    sorted_reference = columns_sorted(reference)
    processor = DriftProcessor(ReferenceProfile.fit(reference), long_window_size=0, threshold=1e-6,
                               background=False)
    for w in windows:                                        # warm the p-value cache: steady state
        SHARED_P_VALUES.p_values(ks_statistics(sorted_reference, w), 10_000, 1000)
    processor.feed_many(windows[0])
    processor.check()
    setups: dict[str, Callable[[np.ndarray], object]] = {
        "scipy loop": lambda w: scipy_loop(reference, w),
        "numpy plain": lambda w: numpy_plain(reference, w),
        "otel_ml KS": lambda w: SHARED_P_VALUES.p_values(ks_statistics(sorted_reference, w), 10_000, 1000),
        "otel_ml check": lambda w: (processor.feed_many(w[:100]), processor.check()),
    }
    results: dict[str, list[float]] = {name: [] for name in setups}
    for r in range(args.rounds):
        for name, fn in setups.items():
            w = windows[r % len(windows)]
            results[name].append(timed(lambda fn=fn, w=w: fn(w), 3 if name == "scipy loop" else 20))
    print(f"one drift check, reference 10000 x 20, window 1000; median over {args.rounds} interleaved rounds")
    base = statistics.median(results["scipy loop"])
    for name, values in results.items():
        value = statistics.median(values)
        print(f"  {name:14} {value * 1e3:8.3f} ms   {base / value:7.1f}x faster than the scipy loop"
              f"   (rounds {min(values) * 1e3:.3f} .. {max(values) * 1e3:.3f} ms)")

    rows = rng.normal(size=(4096, 20))
    row_lists = rows.tolist()
    feeder = DriftProcessor(ReferenceProfile.fit(reference), long_window_size=0, threshold=1e-6, background=False)
    sink: list[object] = []
    per_sample = {"list.append": lambda i: sink.append(row_lists[i]),
                  "feed(numpy row)": lambda i: feeder.feed(rows[i]),
                  "feed(list row)": lambda i: feeder.feed(row_lists[i])}
    costs: dict[str, list[float]] = {name: [] for name in per_sample}
    for _ in range(args.rounds):
        for name, fn in per_sample.items():
            started = time.perf_counter_ns()
            for i in range(4096):
                fn(i)
            costs[name].append((time.perf_counter_ns() - started) / 4096 / 1000)
            sink.clear()
    print("request path, per sample (20 features)")
    for name, values in costs.items():
        print(f"  {name:16} {statistics.median(values):6.2f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
