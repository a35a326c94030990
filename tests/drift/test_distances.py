"""otel_ml/drift/distances.py and chi2.py against scipy's own implementations."""

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, wasserstein_distance

from otel_ml.drift.chi2 import chi2_test
from otel_ml.drift.distances import jensen_shannon, psi, wasserstein_per_row
from otel_ml.drift.ks import columns_sorted


def test_wasserstein_is_close_to_scipy():
    rng = np.random.default_rng(0)
    reference, window = rng.normal(size=(4000, 3)), rng.normal(0.3, 1.2, size=(1000, 3))
    ours = wasserstein_per_row(columns_sorted(reference), window)
    expected = [wasserstein_distance(reference[:, j], window[:, j]) / reference[:, j].std() for j in range(3)]
    np.testing.assert_allclose(ours, expected, rtol=0.005)


def test_jensen_shannon_equals_scipy():
    p, q = np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.25, 0.25, 0.4, 0.1])
    assert abs(jensen_shannon(p, q) - jensenshannon(p, q, base=2)) < 1e-12


def test_psi_is_symmetric_in_its_terms_and_zero_only_for_equal_shares():
    p, q = np.full(10, 0.1), np.linspace(0.05, 0.15, 10) / np.linspace(0.05, 0.15, 10).sum()
    assert psi(p, p) == 0 and psi(p, q) > 0
    assert abs(psi(p, q) - psi(q, p)) < 1e-12


def test_chi2_equals_scipy_without_unseen_categories():
    frequencies, counts = np.array([0.5, 0.3, 0.2]), np.array([46, 36, 18])
    statistic, p = chi2_test(frequencies, counts, unseen=0, unseen_share=1e-12)
    expected = chisquare(counts, frequencies * counts.sum())
    # our test has one more (empty) cell, for unseen categories: one more degree of freedom
    assert abs(statistic - expected.statistic) < 1e-6
    assert p > expected.pvalue
