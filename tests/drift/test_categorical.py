"""Categorical drift keeps its false-alarm promise (two-sample test, the reference's sampling
error in the calibration) and still finds a new category fast. Seeded streams of 20
categorical features of 2 to 8 categories with unequal shares, checked every 100 samples."""

import numpy as np
import pytest

from otel_ml.drift import DriftProcessor, ReferenceProfile
from tests.drift.streams import alarms
from tests.drift.streams import episodes as count_episodes

pytestmark = pytest.mark.slow        # a statistical run

FEATURES, CHECK_EVERY = 20, 100
SHARES = [np.array(s) / np.sum(s) for s in ([1, 1], [3, 1], [5, 3, 2], [1, 1, 1, 1], [8, 4, 2, 1],
                                             [6, 5, 4, 3, 2, 1], [10, 5, 3, 1, 1, 1, 1, 1], [20, 1, 1])]


def codes(rng, rows):
    return np.column_stack([rng.choice(len(s), size=rows, p=s) for s in
                            (SHARES[j % len(SHARES)] for j in range(FEATURES))]).astype(float)


def reference_of(rows, seed):
    data = codes(np.random.default_rng(seed), rows)
    # categories named by their code: the reference's sorted categories are then the codes' order
    return ReferenceProfile.fit({f"c{j}": data[:, j].astype(int).astype(str) for j in range(FEATURES)})




@pytest.mark.parametrize("reference_rows", [2000, 10_000])
def test_unchanged_categorical_streams_alarm_at_the_calibrated_rate(reference_rows):
    """With a 2,000-row reference the long window (5,000) is 2.5 times the reference: treating
    the reference's shares as exact inflated the statistic 3.5-fold there."""
    reference = reference_of(reference_rows, seed=reference_rows)
    processor = DriftProcessor(reference, background=False)
    processor.calibrate()
    rng = np.random.default_rng(7)
    flags = []
    for _ in range(5):
        flags += alarms(processor, codes(rng, 100_000))
    episodes = count_episodes(flags)
    print(f"reference {reference_rows}: {episodes} false-alarm episodes in 500,000 samples, "
          f"threshold {processor.threshold:.3g}")
    assert len(flags) == 5000
    assert episodes <= 1               # calibrated for 1 in 10 million samples: 0.05 expected


def test_a_new_category_at_one_percent_is_found_within_a_median_of_1000_samples():
    reference = reference_of(10_000, seed=1)
    threshold = DriftProcessor(reference, background=False).calibrate().threshold
    delays = []
    for i in range(11):
        rng = np.random.default_rng(100 + i)
        processor = DriftProcessor(reference, threshold=threshold, background=False)
        assert not any(alarms(processor, codes(rng, 6000)))
        rows = codes(rng, 5000)
        rows[rng.random(5000) < 0.01, 3] = -1.0            # a category the reference never had
        flags = alarms(processor, rows)
        first = next(((k + 1) * CHECK_EVERY for k, flag in enumerate(flags) if flag), np.inf)
        delays.append(first)
        if first < np.inf:
            assert processor.report.drifted == ("c3",)
    print("delays, new category at 1%:", sorted(delays), "median", np.median(delays))
    assert np.median(delays) <= 1000
