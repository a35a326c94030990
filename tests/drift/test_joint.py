"""The joint check: a change in how features move together, with every marginal unchanged, is
found; unchanged streams of correlated features alarm at the calibrated rate."""

import numpy as np
import pytest

from otel_ml.drift import DriftProcessor, ReferenceProfile
from otel_ml.drift.processor import JOINT
from tests.drift.streams import alarms
from tests.drift.streams import episodes as count_episodes

pytestmark = pytest.mark.slow        # a statistical run

FEATURES, CHECK_EVERY = 20, 100


def correlated(rng, rows, rho=0.7):
    data = rng.normal(size=(rows, FEATURES))
    data[:, 1] = rho * data[:, 0] + np.sqrt(1 - rho * rho) * data[:, 1]
    return data




@pytest.fixture(scope="module")
def calibrated():
    reference = ReferenceProfile.fit(correlated(np.random.default_rng(31), 10_000))
    return reference, DriftProcessor(reference, background=False).calibrate().threshold


def test_a_correlation_flip_with_unchanged_marginals_is_found_and_named_joint(calibrated):
    reference, threshold = calibrated
    delays, ks_only = [], []
    for i in range(9):
        for scan, out in ((True, delays), (False, ks_only)):
            rng = np.random.default_rng(200 + i)
            options = {} if scan else {"scan": False, "multivariate": False}
            processor = DriftProcessor(reference, threshold=threshold, background=False, **options)
            assert not any(alarms(processor, correlated(rng, 6000)))
            flipped = correlated(rng, 3000, rho=-0.7)          # f1's own law is still standard normal
            flags = alarms(processor, flipped)
            out.append(next(((k + 1) * CHECK_EVERY for k, flag in enumerate(flags) if flag), np.inf))
            if scan and out[-1] < np.inf:
                assert processor.report.drifted == (JOINT,)
                assert processor.report[JOINT].method == "covariance"
    print("delays, correlation +0.7 to -0.7:", sorted(delays), "without the joint check:", sorted(ks_only))
    assert np.median(delays) <= 300
    assert all(d == np.inf for d in ks_only)           # every test of one feature is blind to it


def test_unchanged_correlated_streams_alarm_at_the_calibrated_rate(calibrated):
    reference, threshold = calibrated
    processor = DriftProcessor(reference, threshold=threshold, background=False)
    rng = np.random.default_rng(33)
    flags = []
    for _ in range(5):
        flags += alarms(processor, correlated(rng, 100_000))
    episodes = count_episodes(flags)
    print(f"{episodes} false-alarm episodes in 500,000 samples")
    assert episodes <= 1
