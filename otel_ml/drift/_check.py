"""One drift check of one window: per-feature statistics, p-values and distances (no decisions)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from otel_ml.drift.chi2 import chi2_test
from otel_ml.drift.distances import decile_shares, jensen_shannon_per_row, psi_per_row, wasserstein_per_row
from otel_ml.drift.ks import KSPValues, ks_statistic, ks_statistics
from otel_ml.drift.reference import ReferenceProfile

MIN_VALID_SHARE = 0.5
"""A feature whose window holds fewer valid values than this share of the window is not tested."""


@dataclass(frozen=True)
class Columns:
    """Where each reference column sits in the ring buffer's rows."""

    numeric: np.ndarray          # buffer column of each numeric reference column
    categorical: np.ndarray      # buffer column of each categorical reference column


@dataclass
class WindowStats:
    names: list[str]
    methods: list[str]
    statistic: np.ndarray
    p_value: np.ndarray
    valid: np.ndarray
    psi: np.ndarray
    jensen_shannon: np.ndarray
    wasserstein: np.ndarray


def evaluate(reference: ReferenceProfile, columns: Columns, window: np.ndarray, p_values: KSPValues | None,
             distances: bool = True) -> WindowStats:
    """Statistics of every reference column over ``window`` (rows of the ring buffer)."""
    m = window.shape[0]
    k_num, k_cat = len(reference.numeric_names), len(reference.categorical_names)
    k = k_num + k_cat
    stat, p, valid = np.full(k, np.nan), np.full(k, np.nan), np.zeros(k, dtype=int)
    psi, js, wd = np.full(k, np.nan), np.full(k, np.nan), np.full(k, np.nan)
    n = reference.rows
    if k_num:
        numeric = window[:, columns.numeric]
        finite = np.isfinite(numeric)
        counts = finite.sum(axis=0)
        valid[:k_num] = counts
        clean = counts == m
        every = bool(clean.all())
        ref_clean = reference.numeric_sorted if every else reference.numeric_sorted[clean]
        if clean.any():
            stat[:k_num][clean] = ks_statistics(ref_clean, numeric if every else numeric[:, clean])
        for j in np.flatnonzero(~clean & (counts >= MIN_VALID_SHARE * m)):
            stat[j] = ks_statistic(reference.numeric_sorted[j], numeric[finite[:, j], j])
        if p_values is not None:               # else KS p-values are left for FeatureDrift to compute
            for j in np.flatnonzero(np.isfinite(stat[:k_num])):
                p[j] = p_values.p_value(float(stat[j]), n, int(counts[j]))
        if distances:
            shares = decile_shares(reference.deciles, numeric)
            psi[:k_num] = psi_per_row(np.full(10, 0.1), shares)
            js[:k_num] = jensen_shannon_per_row(np.full((k_num, 10), 0.1), shares + 1e-12)
            if clean.any():
                wd[:k_num][clean] = wasserstein_per_row(ref_clean, numeric if every else numeric[:, clean])
    for i, name in enumerate(reference.categorical_names):
        codes = window[:, columns.categorical[i]]
        codes = codes[np.isfinite(codes)].astype(int)
        valid[k_num + i] = len(codes)
        if len(codes) < MIN_VALID_SHARE * m:
            continue
        frequencies = reference.frequencies[name]
        counts_cat = np.bincount(codes[codes >= 0], minlength=len(frequencies))
        unseen = int(np.count_nonzero(codes < 0))
        stat[k_num + i], p[k_num + i] = chi2_test(reference.category_counts(name), counts_cat, unseen)
        if distances:
            observed = np.append(counts_cat, unseen) / len(codes)
            expected = np.append(frequencies, 0.0)
            psi[k_num + i] = float(psi_per_row(expected[None], observed[None])[0])
            js[k_num + i] = float(jensen_shannon_per_row(expected[None] + 1e-12, observed[None] + 1e-12)[0])
    names = list(reference.numeric_names) + list(reference.categorical_names)
    methods = ["ks"] * k_num + ["chi2"] * k_cat
    return WindowStats(names, methods, stat, p, valid, psi, js, wd)
