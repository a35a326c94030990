"""otel_ml/drift/distances.py and chi2.py against scipy's own implementations."""

import numpy as np
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, wasserstein_distance

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


def test_chi2_equals_scipys_test_of_homogeneity_without_unseen_categories():
    reference, counts = np.array([5000, 3000, 2000]), np.array([46, 36, 18])
    statistic, p = chi2_test(reference, counts)
    expected = chi2_contingency(np.vstack([reference, counts]), correction=False)
    assert abs(statistic - expected.statistic) < 1e-9
    assert abs(p - expected.pvalue) < 1e-12


def test_chi2_pools_the_categories_a_window_is_expected_to_hold_fewer_than_5_of():
    reference, counts = np.array([9000, 900, 60, 40]), np.array([880, 100, 12, 8])
    statistic, p = chi2_test(reference, counts)
    pooled = chi2_contingency(np.array([[9000, 900, 100], [880, 100, 20]]), correction=False)
    assert abs(statistic - pooled.statistic) < 1e-9 and abs(p - pooled.pvalue) < 1e-12


def test_unseen_categories_get_the_exact_conditional_p_value():
    reference, counts = np.array([6000, 4000]), np.array([600, 397])
    _, p = chi2_test(reference, counts, unseen=3)
    n, m = 10_000, 1000
    exact = (m / (n + m)) * ((m - 1) / (n + m - 1)) * ((m - 2) / (n + m - 2))     # all 3 fell in the window
    assert abs(p - min(1.0, 2 * exact)) < 1e-12
