"""False alarms and detection delays of the drift processor, on seeded streams checked every 100 samples.

    python benchmarks/drift_detection.py [--samples 1000000] [--streams 15] [--detector NAME ...]

Every detector is a ``DriftProcessor`` at its defaults (calibrated for 10 million samples
between false alarms) with a 10,000-row reference of 20 features, except where a case says
otherwise; the detectors differ only in the options below, and run on the same seeded streams:

  ks only        the Kolmogorov-Smirnov windows (1000, and 5000 every 500 samples) and the
                 chi-squared test: the detector before the sequential scan
  default        the same plus the sequential scan of window lengths 100 to 3200 (mean and
                 variance of each feature's normal scores, and the joint covariance check), all
                 under one calibrated threshold

Cases:
  unchanged numeric      false-alarm episodes (runs of alarming checks) per million samples
  unchanged categorical  the same, 20 categorical features of 2 to 8 categories of unequal shares
  +0.5 sd, +0.2 sd       a mean shift in 1 of 20 features: median samples until the first alarm
  variance x1.5          the variance of 1 feature multiplied by 1.5
  ramp                   1 feature moves linearly to +0.5 sd over 5000 samples (delay from its start)
  new category 1%        1 of 20 categorical features gets a category the reference never had, 1% of values
  correlation flip       2 features correlated at +0.7 in the reference flip to -0.7 (marginals unchanged)

Delays count from the change; a stream with no alarm within the case's horizon counts as
infinite (the median is then reported as ``> horizon`` when more than half are).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from otel_ml.drift import DriftProcessor, ReferenceProfile

FEATURES, CHECK_EVERY, REFERENCE_ROWS, WARM_UP = 20, 100, 10_000, 6000
CATEGORY_SHARES = [np.array(s) / np.sum(s) for s in
                   ([1, 1], [3, 1], [5, 3, 2], [1, 1, 1, 1], [8, 4, 2, 1], [6, 5, 4, 3, 2, 1],
                    [10, 5, 3, 1, 1, 1, 1, 1], [20, 1, 1])]


def detectors() -> dict[str, dict[str, Any]]:
    import inspect

    options = inspect.signature(DriftProcessor).parameters
    out: dict[str, dict[str, Any]] = {}
    if "scan" in options:
        out["ks only"] = {"scan": False, "multivariate": False}
    out["default"] = {}
    return out


def numeric_reference(rng: np.random.Generator, correlated: bool = False) -> np.ndarray:
    data = rng.normal(size=(REFERENCE_ROWS, FEATURES))
    if correlated:
        data[:, 1] = 0.7 * data[:, 0] + np.sqrt(1 - 0.49) * data[:, 1]
    return data


def categorical_columns(rng: np.random.Generator, rows: int, new_share: float = 0.0) -> dict[str, np.ndarray]:
    columns = {}
    for j in range(FEATURES):
        shares = CATEGORY_SHARES[j % len(CATEGORY_SHARES)]
        values = rng.choice(len(shares), size=rows, p=shares).astype(str)
        if j == 3 and new_share:
            values[rng.random(rows) < new_share] = "new"
        columns[f"c{j}"] = values
    return columns


def as_rows(columns: dict[str, np.ndarray]) -> list[list[Any]]:
    return np.column_stack(list(columns.values())).tolist()


class Stream:
    """One processor fed in steps of CHECK_EVERY, checked after each step."""

    def __init__(self, reference: ReferenceProfile, threshold: float, options: dict[str, Any]) -> None:
        self.processor = DriftProcessor(reference, threshold=threshold, background=False, **options)

    def alarms(self, rows: Any) -> list[bool]:
        out = []
        numeric = isinstance(rows, np.ndarray) and rows.dtype.kind == "f"
        for start in range(0, len(rows), CHECK_EVERY):
            if numeric:
                self.processor.feed_many(rows[start:start + CHECK_EVERY])
            else:
                for row in rows[start:start + CHECK_EVERY]:
                    self.processor.feed(row)
            report = self.processor.check()
            out.append(report is not None and report.drift_detected)
        return out


def episodes(flags: list[bool]) -> int:
    return sum(1 for before, now in zip([False, *flags], flags) if now and not before)


def first_alarm(flags: list[bool]) -> float:
    return next(((k + 1) * CHECK_EVERY for k, flag in enumerate(flags) if flag), float("inf"))


def calibrated(reference: ReferenceProfile, options: dict[str, Any]) -> float:
    processor = DriftProcessor(reference, background=False, **options)
    return processor.calibrate().threshold


def run(args: argparse.Namespace) -> int:
    chosen = {name: opts for name, opts in detectors().items() if not args.detector or name in args.detector}
    rng = np.random.default_rng(2026)
    numeric = ReferenceProfile.fit(numeric_reference(rng))
    correlated = ReferenceProfile.fit(numeric_reference(rng, correlated=True))
    categorical = ReferenceProfile.fit(categorical_columns(rng, REFERENCE_ROWS))
    chunks = max(1, args.samples // 100_000)

    def unchanged_numeric(stream: Stream, seed: int) -> float:
        r = np.random.default_rng(seed)
        flags: list[bool] = []
        for _ in range(chunks):
            flags += stream.alarms(r.normal(size=(100_000, FEATURES)))
        return episodes(flags) / (chunks * 100_000) * 1e6

    def unchanged_categorical(stream: Stream, seed: int) -> float:
        r = np.random.default_rng(seed)
        flags: list[bool] = []
        for _ in range(chunks):
            flags += stream.alarms(as_rows(categorical_columns(r, 100_000)))
        return episodes(flags) / (chunks * 100_000) * 1e6

    def shifted(change: Callable[[np.ndarray, np.random.Generator], np.ndarray], horizon: int,
                reference_data: str = "numeric") -> Callable[[Stream, int], float]:
        def delay(stream: Stream, seed: int) -> float:
            r = np.random.default_rng(seed)
            corr = reference_data == "correlated"
            stream.alarms(numeric_reference(r, corr)[:WARM_UP])
            if stream.processor.drift_detected:
                return float("nan")                                     # alarmed before the change
            return first_alarm(stream.alarms(change(numeric_reference(r, corr)[:horizon], r)))
        return delay

    def new_category(stream: Stream, seed: int) -> float:
        r = np.random.default_rng(seed)
        stream.alarms(as_rows(categorical_columns(r, WARM_UP)))
        return first_alarm(stream.alarms(as_rows(categorical_columns(r, 8000, new_share=0.01))))

    def shift(size: float) -> Callable[[np.ndarray, np.random.Generator], np.ndarray]:
        def change(rows: np.ndarray, _r: np.random.Generator) -> np.ndarray:
            rows[:, 3] += size
            return rows
        return change

    def scale(rows: np.ndarray, _r: np.random.Generator) -> np.ndarray:
        rows[:, 3] *= np.sqrt(1.5)
        return rows

    def ramp(rows: np.ndarray, _r: np.random.Generator) -> np.ndarray:
        rows[:, 3] += 0.5 * np.minimum(np.arange(len(rows)) / 5000, 1.0)
        return rows

    def flip(rows: np.ndarray, _r: np.random.Generator) -> np.ndarray:
        rows[:, 1] -= 2 * 0.7 * rows[:, 0]         # f1 = -0.7 f0 + noise: corr(f0, f1) -0.7, same marginals
        return rows

    cases: list[tuple[str, ReferenceProfile, Callable[[Stream, int], float], int, str]] = [
        ("unchanged numeric", numeric, unchanged_numeric, 1, "episodes / 1e6"),
        ("unchanged categorical", categorical, unchanged_categorical, 1, "episodes / 1e6"),
        ("+0.5 sd in 1 of 20", numeric, shifted(shift(0.5), 3000), args.streams, "median delay"),
        ("+0.2 sd in 1 of 20", numeric, shifted(shift(0.2), 8000), args.streams, "median delay"),
        ("variance x1.5 in 1 of 20", numeric, shifted(scale, 8000), args.streams, "median delay"),
        ("ramp to +0.5 sd over 5000", numeric, shifted(ramp, 8000), args.streams, "median delay"),
        ("new category 1%", categorical, new_category, args.streams, "median delay"),
        ("correlation flip +0.7 to -0.7", correlated, shifted(flip, 8000, "correlated"), args.streams,
         "median delay"),
    ]
    thresholds = {(name, id(ref)): calibrated(ref, opts) for name, opts in chosen.items()
                  for ref in (numeric, categorical, correlated)}
    print(f"drift detection, reference {REFERENCE_ROWS} rows x {FEATURES} features, checked every {CHECK_EVERY}; "
          f"{chunks * 100_000} unchanged samples, {args.streams} streams per change")
    header = f"{'case':32} {'measure':15}" + "".join(f" {name:>22}" for name in chosen)
    print(header)
    for label, reference, measure, streams, unit in cases:
        cells = []
        for name, opts in chosen.items():
            started = time.process_time()
            values = [measure(Stream(reference, thresholds[(name, id(reference))], opts), 1000 + s)
                      for s in range(streams)]
            seconds = time.process_time() - started
            early = sum(1 for v in values if v != v)
            values = [v for v in values if v == v]
            if unit.startswith("episodes"):
                cell = f"{values[0]:.1f}"
            else:
                middle = statistics.median(values) if values else float("inf")
                cell = f"{middle:.0f}" if middle != float("inf") else "> horizon"
                cell += f" [{min(values):.0f}-{max(values):.0f}]" if values else ""
                cell += f" ({early} early)" if early else ""
            cells.append(f"{cell} {seconds:4.0f}s")
        print(f"{label:32} {unit:15}" + "".join(f" {c:>22}" for c in cells), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=1_000_000, help="unchanged samples per false-alarm case")
    parser.add_argument("--streams", type=int, default=15, help="seeded streams per change")
    parser.add_argument("--detector", action="append", help="run only these detectors (repeatable)")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
