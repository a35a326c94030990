"""Calibrating the alarm threshold for repeated checks of sliding windows.

Checking a 1000-sample window every 100 samples tests mostly the same data ten times, and 20
features twenty times over: a per-check guarantee says little about how often an unchanged
stream alarms. This module answers the question a monitoring team asks instead, "how many
samples between false alarms?", by simulation at fit time:

1. Simulate a stream where nothing changes, checked exactly as the processor checks it (same
   reference size, windows, schedule and features). KS p-values are distribution-free for
   continuous data, so numeric features are simulated as independent uniforms, and categorical
   ones from the reference frequencies. (Correlated real features are fewer effective tests:
   the threshold is then conservative.)
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
              p_values: KSPValues | None = None, progress: Callable[[int, int], None] | None = None) -> Calibration:
    rng = np.random.default_rng(seed)
    p_values = p_values or KSPValues()
    plan = schedule(window_size, long_window_size, check_every)
    block = max(w for w, _ in plan)
    k_num = len(reference.numeric_names)
    simulated = ReferenceProfile(
        reference.feature_names, reference.numeric_names, reference.categorical_names,
        columns_sorted(rng.random((reference.rows, k_num))) if k_num else reference.numeric_sorted,
        reference.deciles, reference.categories, reference.frequencies)
    total = block * (blocks + 1)                     # one block of warm-up: every window full
    stream = np.empty((total, k_num + len(reference.categorical_names)))
    stream[:, :k_num] = rng.random((total, k_num))
    for i, name in enumerate(reference.categorical_names):
        freq = reference.frequencies[name]
        stream[:, k_num + i] = rng.choice(len(freq), size=total, p=freq)
    maxima = np.zeros(blocks)
    for end in range(block + check_every, total + 1, check_every):
        if progress is not None and (end - block) % block == 0:
            progress(end - block, total - block)
        for size, every in plan:
            if (end - block) % every:
                continue
            p = _min_p(simulated, stream[end - size:end], k_num, p_values)
            if math.isfinite(p):
                index = (end - block - 1) // block
                maxima[index] = max(maxima[index], -math.log(max(p, 1e-300)))
    location = math.log(blocks / np.sum(np.exp(-maxima)))           # Gumbel MLE with scale 1
    effective = math.exp(location)
    threshold = block / (effective * expected_samples_between_false_alarms)
    return Calibration(min(threshold, 1.0), effective, block, blocks, expected_samples_between_false_alarms)


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
        p = min(p, chi2_test(frequencies, counts)[1])
    return p
