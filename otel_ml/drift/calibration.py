"""Calibrating the alarm threshold for repeated checks of sliding windows.

Checking a 1000-sample window every 100 samples tests mostly the same data ten times, and 20
features twenty times over: a per-check guarantee says little about how often an unchanged
stream alarms. This module answers the question a monitoring team asks instead, "how many
samples between false alarms?", by simulation at fit time:

1. Simulate a stream where nothing changes, checked exactly as the processor checks it (same
   reference size, windows, schedule, scan and features), against references drawn afresh
   (four per calibration) so that the reference's own sampling error is in the null. KS
   p-values and normal scores are distribution-free for continuous data, so numeric features
   are simulated as independent uniforms, and categorical ones from the reference frequencies,
   the reference's counts drawn from them too. (Correlated real features are fewer effective
   tests: the threshold is then conservative.)
2. Split it into blocks as long as the longest window, and take each block's largest
   ``-log(min p)``. For the minimum of p-values, ``P(-log p_min > x) ~ K exp(-x)``: the block
   maxima follow a Gumbel law with scale 1 whose location ``log K`` (K: the effective number of
   independent tests per block) is estimated by maximum likelihood.
3. The per-test threshold is the ``t`` at which a block alarms with probability
   ``block / expected_samples_between_false_alarms``: ``t = block / (K * ARL)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from otel_ml.drift.chi2 import chi2_test
from otel_ml.drift.ks import KSPValues, columns_sorted, ks_statistics
from otel_ml.drift.reference import ReferenceProfile
from otel_ml.drift.result import EXACT_REPORT_MAX
from otel_ml.drift.scan import Scan


@dataclass(frozen=True)
class Calibration:
    threshold: float                 # per-test p-value threshold
    effective_tests: float           # K: effective independent tests per block
    block: int                       # samples per block
    blocks: int                      # blocks simulated
    expected_samples_between_false_alarms: float


def schedule(window_size: int, long_window_size: int, check_every: int) -> list[tuple[int, int]]:
    """(window, every): each window size with how often (in samples) it is checked."""
    plan = [(window_size, check_every)]
    if long_window_size and long_window_size > window_size:
        plan.append((long_window_size, max(check_every, long_window_size // 10 // check_every * check_every)))
    return plan


def calibrate(reference: ReferenceProfile, window_size: int, long_window_size: int, check_every: int,
              expected_samples_between_false_alarms: float, blocks: int = 40, seed: int = 0,
              p_values: KSPValues | None = None, progress: Callable[[int, int], None] | None = None,
              scan_windows: tuple[int, ...] = (), joint: bool = False, references: int = 4) -> Calibration:
    """Simulate ``blocks`` blocks of an unchanged stream, in ``references`` runs that each draw a
    new reference of the same size (so the reference's own sampling error is part of the null),
    checked exactly as the processor checks, and set the per-test threshold from their maxima."""
    rng = np.random.default_rng(seed)
    p_values = p_values or KSPValues()
    plan = schedule(window_size, long_window_size, check_every)
    k_num = len(reference.numeric_names)
    scanning = bool(scan_windows) and k_num > 0
    block = max(max(w for w, _ in plan), max(scan_windows) if scanning else 0)
    references = max(1, min(references, blocks))
    maxima = np.zeros(blocks)
    done = 0
    for run in range(references):
        run_blocks = blocks // references + (1 if run < blocks % references else 0)
        simulated, rows = _simulated_reference(reference, rng)
        scan = Scan(rows, scan_windows, joint, reference_sorted=simulated.numeric_sorted) if scanning else None
        total = block * (run_blocks + 1)                 # one block of warm-up: every window full
        stream = np.empty((total, k_num + len(reference.categorical_names)))
        stream[:, :k_num] = rng.random((total, k_num))
        for i, name in enumerate(reference.categorical_names):
            freq = reference.frequencies[name]
            stream[:, k_num + i] = rng.choice(len(freq), size=total, p=freq)
        for end in range(check_every, total + 1, check_every):
            if scan is not None:
                scan.add(stream[end - check_every:end, :k_num])
            if end <= block:
                continue
            if progress is not None and (end - block) % block == 0:
                progress(done + (end - block) // block, blocks)
            p = math.inf
            for size, every in plan:
                if (end - block) % every == 0:
                    p = min(p, _min_p(simulated, stream[end - size:end], k_num, p_values))
            if scan is not None:
                found = scan.evaluate().p_value
                if np.isfinite(found).any():
                    p = min(p, float(np.nanmin(found)))
            if math.isfinite(p):
                index = done + (end - block - 1) // block
                maxima[index] = max(maxima[index], -math.log(max(p, 1e-300)))
        done += run_blocks
    location = math.log(blocks / np.sum(np.exp(-maxima)))           # Gumbel MLE with scale 1
    effective = math.exp(location)
    threshold = block / (effective * expected_samples_between_false_alarms)
    return Calibration(min(threshold, 1.0), effective, block, blocks, expected_samples_between_false_alarms)


def _simulated_reference(reference: ReferenceProfile, rng: np.random.Generator) -> tuple[ReferenceProfile,
                                                                                           np.ndarray]:
    """A reference of the same shape drawn from the null: numeric columns uniform (the tests are
    rank-based: any continuous law gives the same), categories drawn from the reference's shares."""
    k_num = len(reference.numeric_names)
    rows = rng.random((reference.rows, k_num)) if k_num else np.empty((0, 0))
    categorical_rows = reference.categorical_rows or reference.rows or 10_000
    frequencies = {name: rng.multinomial(categorical_rows, shares) / categorical_rows
                   for name, shares in reference.frequencies.items()}
    simulated = ReferenceProfile(
        reference.feature_names, reference.numeric_names, reference.categorical_names,
        columns_sorted(rows) if k_num else reference.numeric_sorted, reference.deciles, reference.categories,
        frequencies, categorical_rows, rows if k_num else None)
    return simulated, rows


def _min_p(reference: ReferenceProfile, window: np.ndarray, k_num: int, p_values: KSPValues) -> float:
    """The smallest p-value of one simulated window. Every numeric feature has the same sample
    sizes, so the smallest KS p-value is the p-value of the largest D: one lookup, not k."""
    p = math.inf
    if k_num:
        d = ks_statistics(reference.numeric_sorted, window[:, :k_num])
        m = window.shape[0]
        p = p_values.p_value(float(d.max()), reference.rows, m, asymptotic=m > EXACT_REPORT_MAX)
    for i, name in enumerate(reference.categorical_names):
        frequencies = reference.frequencies[name]
        counts = np.bincount(window[:, k_num + i].astype(int), minlength=len(frequencies))
        p = min(p, chi2_test(reference.category_counts(name), counts)[1])
    return p
