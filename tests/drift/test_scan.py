"""otel_ml/drift/scan.py: normal scores, the scan's null law, and what each statistic sees."""

import numpy as np
import pytest
from scipy.stats import kstest

from otel_ml.drift.scan import Scan, normal_scores


@pytest.mark.parametrize("law", ["normal", "student t(2)", "ties (5 values)", "mixture"])
def test_scores_of_unchanged_values_are_standard_normal_whatever_the_feature(law):
    rng = np.random.default_rng(3)

    def draw(size):
        if law == "normal":
            return rng.normal(size=size)
        if law == "student t(2)":
            return rng.standard_t(2, size=size)
        if law == "ties (5 values)":
            return rng.integers(0, 5, size=size).astype(float)
        return np.where(rng.random(size) < 0.3, rng.normal(5, 0.1, size), rng.exponential(size=size))

    scan = Scan(draw((5000, 2)))
    z = (normal_scores(scan.sorted, draw((4000, 2))) - scan._mean) / scan._sd
    assert abs(z.mean()) < 0.06 and abs(z.std() - 1) < 0.06
    if law != "ties (5 values)":                       # tied scores take 5 values: not a continuous law
        assert kstest(z[:, 0], "norm").pvalue > 1e-3


def test_single_window_p_values_are_uniform_under_no_change():
    """One window length, so each p-value is one test: its null law must be uniform, or the
    calibration's extrapolation to 1e-8 would be off."""
    rng = np.random.default_rng(8)
    reference = rng.standard_t(3, size=(10_000, 4))
    p_values = []
    for _ in range(300):
        scan = Scan(reference, windows=(400,), reference_sorted=None)
        scan.add(rng.standard_t(3, size=(400, 4)))
        p_values.append(scan.evaluate().p_value)
    p = np.array(p_values)
    for kind, columns in (("mean", slice(0, 4)), ("variance", slice(4, 8)), ("covariance", slice(8, None))):
        values = p[:, columns].ravel()
        assert kstest(values, "uniform").pvalue > 1e-3, kind
        assert np.mean(values < 0.01) < 0.025, kind


def test_each_statistic_sees_its_own_change():
    rng = np.random.default_rng(9)
    reference = rng.normal(size=(10_000, 3))
    reference[:, 1] = 0.8 * reference[:, 0] + 0.6 * reference[:, 1]          # corr(f0, f1) = 0.8

    def scanned(change):
        scan = Scan(reference, windows=(100, 400, 1600))
        rows = rng.normal(size=(1600, 3))
        rows[:, 1] = 0.8 * rows[:, 0] + 0.6 * rows[:, 1]
        change(rows)
        scan.add(rows)
        return scan.evaluate()

    def shift(rows):
        rows[:, 2] += 0.5

    def spread(rows):
        rows[:, 2] *= 1.5

    def decorrelate(rows):
        rows[:, 1] = rng.permutation(rows[:, 1])

    shifted, spread_out, decorrelated = scanned(shift), scanned(spread), scanned(decorrelate)
    assert shifted.mean_p[2] < 1e-10 and shifted.mean_p[:2].min() > 1e-4
    assert shifted.joint_p.min() > 1e-4                   # a shift of one feature moves no product
    assert spread_out.variance_p[2] < 1e-10 and spread_out.mean_p[2] > 1e-4
    assert decorrelated.joint_p.min() < 1e-10
    assert decorrelated.mean_p.min() > 1e-4 and decorrelated.variance_p.min() > 1e-4


def test_missing_values_are_left_out_and_blocks_wait_until_complete():
    rng = np.random.default_rng(10)
    scan = Scan(rng.normal(size=(2000, 2)), windows=(100, 200))
    scan.add(rng.normal(size=(150, 2)))
    assert scan.evaluate().window.max() == 100             # 50 rows wait for their block
    rows = rng.normal(size=(50, 2))
    rows[:, 0] = np.nan
    scan.add(rows)
    assert np.isfinite(scan.evaluate().mean_p).all()       # f0: 150 of 200 valid, above half: tested
    rows = rng.normal(size=(100, 2))
    rows[:, 0] = np.nan
    scan.add(rows)                                         # f0: 0 valid of 100, 50 of 200
    result = scan.evaluate()
    assert np.isnan(result.mean_p[0]) and np.isfinite(result.mean_p[1])


def test_the_scan_refuses_windows_too_short_to_test():
    with pytest.raises(ValueError, match="at least 10"):
        Scan(np.random.default_rng(0).normal(size=(200, 2)), windows=(5, 100))
