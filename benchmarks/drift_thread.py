"""What the drift processor costs in a served process at a steady rate: CPU of a core and per row.

    python benchmarks/drift_thread.py [--rates 300,1000] [--seconds 10]

A stream of rows (20 standard-normal features, the reference 10,000 rows of the same) is fed at
each rate for the given time, the way a served app feeds it (``update(row, label, confidence)``
on the request thread, the checks in the processor's background thread), and the whole
process's CPU time is read. The same loop appending the rows to a list instead is the baseline
measured in the same run; the difference is the processor's cost, given as a share of one core
and in microseconds per row, with the checks it ran per second.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from otel_ml.drift import DriftProcessor

FEATURES = [f"f{i}" for i in range(20)]


def stream(rate: float, seconds: float, sink, rows: list) -> tuple[float, int]:
    began_cpu, began, n = time.process_time(), time.monotonic(), 0
    per_tick = max(1, int(rate / 100))
    while time.monotonic() - began < seconds:
        tick = time.monotonic()
        for _ in range(per_tick):
            sink(rows[n % len(rows)])
            n += 1
        time.sleep(max(0.0, 0.01 - (time.monotonic() - tick)))
    return time.process_time() - began_cpu, n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="300,1000")
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(50_000, 20)).tolist()
    print(f"{'rows/s':>7} {'CPU, processor':>15} {'CPU, baseline':>14} {'cost, % of a core':>18} "
          f"{'us per row':>11} {'checks/s':>9}")
    for rate in (float(r) for r in args.rates.split(",")):
        drift = DriftProcessor.fit(rng.normal(size=(10_000, 20)), FEATURES, threshold=1e-6)
        checks = [0]
        drift.on_check(lambda last, report, checks=checks: checks.__setitem__(0, checks[0] + 1))
        for row in rows[:5000]:                      # fill the windows first
            drift.update(row, 1, 0.8)
        time.sleep(1.0)
        baseline: list = []
        base_cpu, base_n = stream(rate, args.seconds, baseline.append, rows)
        first = checks[0]
        cpu, n = stream(rate, args.seconds, lambda row, drift=drift: drift.update(row, 1, 0.8), rows)
        ran = checks[0] - first
        drift.shutdown()
        cost = cpu - base_cpu * n / max(base_n, 1)
        print(f"{n / args.seconds:7.0f} {cpu:14.2f}s {base_cpu:13.2f}s {cost / args.seconds * 100:17.1f}% "
              f"{cost / n * 1e6:11.1f} {ran / args.seconds:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
