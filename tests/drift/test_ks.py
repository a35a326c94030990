"""otel_ml/drift/ks.py: the same D and p-values as scipy.stats.ks_2samp, vectorized."""

import numpy as np
import pytest
from scipy.stats import ks_2samp

from otel_ml.drift.ks import KSPValues, columns_sorted, ks_statistics


@pytest.mark.parametrize(("n", "m", "shift", "ties"), [
    (10_000, 1_000, 0.0, False),      # scipy: exact p-values
    (10_000, 1_000, 0.15, False),
    (10_000, 5_000, 0.05, False),
    (20_000, 1_000, 0.1, False),      # scipy: asymptotic (n > 10000)
    (3_000, 700, 0.0, True),          # ties inside and across samples
    (250, 37, 0.6, False),            # small, unequal, very different
], ids=["10k-1k", "10k-1k-shift", "10k-5k", "20k-asymptotic", "ties", "small"])
def test_statistics_and_p_values_equal_scipy(n, m, shift, ties):
    rng = np.random.default_rng(n + m)
    reference, window = rng.normal(size=(n, 6)), rng.normal(shift, 1, size=(m, 6))
    if ties:
        reference, window = np.round(reference, 1), np.round(window, 1)
    d = ks_statistics(columns_sorted(reference), window)
    p = KSPValues().p_values(d, n, m)
    expected = [ks_2samp(reference[:, j], window[:, j]) for j in range(6)]
    np.testing.assert_allclose(d, [e.statistic for e in expected], rtol=0, atol=1e-12)
    np.testing.assert_allclose(p, [e.pvalue for e in expected], rtol=0, atol=1e-9)


def test_critical_statistic_matches_the_p_value_threshold():
    p_values = KSPValues()
    d_star = p_values.critical_statistic(1e-4, 2000, 500)
    lcm = 2000
    assert p_values.p_value(d_star + 0.5 / lcm, 2000, 500) <= 1e-4 < p_values.p_value(d_star - 0.5 / lcm, 2000, 500)


def test_the_reference_is_never_sorted_again():
    rng = np.random.default_rng(0)
    reference = columns_sorted(rng.normal(size=(5000, 4)))
    before = reference.copy()
    ks_statistics(reference, rng.normal(size=(500, 4)))
    assert np.array_equal(reference, before) and reference.flags.c_contiguous
