"""Repeated checks of sliding windows, calibrated for the run between false alarms (the default).

Seeded streams of 20 standard-normal features against a 10000-sample reference, checked every
100 samples with the default windows (1000, and 5000 every 500 samples), threshold calibrated
for 10 million samples between false alarms.
"""

import numpy as np
import pytest

from otel_ml.drift import DriftProcessor, ReferenceProfile
from tests.drift.streams import alarms
from tests.drift.streams import episodes as count_episodes

pytestmark = pytest.mark.slow        # a statistical run: minutes on 2 cores

FEATURES, CHECK_EVERY = 20, 100


@pytest.fixture(scope="module")
def calibrated():
    rng = np.random.default_rng(11)
    reference = ReferenceProfile.fit(rng.normal(size=(10_000, FEATURES)))
    processor = DriftProcessor(reference, background=False)
    processor.calibrate()
    return reference, processor.calibration


def fresh(reference, calibration):
    return DriftProcessor(reference, threshold=calibration.threshold, background=False)




def test_calibration_is_sane(calibrated):
    reference, calibration = calibrated
    scan = DriftProcessor(reference, background=False)
    channels = 2 * FEATURES + FEATURES * (FEATURES - 1) // 2          # mean, variance, every pair
    # between one test per block and every test of every check in it: 50 checks of the short
    # window and the scan's channels at each of its windows, 10 of the long one
    every_test = 50 * (FEATURES + channels * len(scan.scan_windows)) + 10 * FEATURES
    assert 20 <= calibration.effective_tests <= every_test
    assert 1e-11 < calibration.threshold < 1e-4


def test_a_million_unchanged_samples_give_at_most_one_false_alarm_episode(calibrated):
    reference, calibration = calibrated
    rng = np.random.default_rng(12)
    processor = fresh(reference, calibration)
    flags = []
    for _ in range(10):
        flags += alarms(processor, rng.normal(size=(100_000, FEATURES)))
    episodes = count_episodes(flags)
    assert len(flags) == 10_000
    assert episodes <= 1


def detection_delays(reference, calibration, change, streams, seed, limit):
    """Samples from the change to the first alarm, per seeded stream; the alarm must name f3."""
    delays = []
    for i in range(streams):
        rng = np.random.default_rng(seed + i)
        processor = fresh(reference, calibration)
        assert not any(alarms(processor, rng.normal(size=(6000, FEATURES))))    # every window full, no drift
        drifted = rng.normal(size=(limit, FEATURES))
        change(drifted)                                                   # one feature of 20 changes
        flags = alarms(processor, drifted)
        first = next((k for k, flag in enumerate(flags) if flag), None)
        delays.append((first + 1) * CHECK_EVERY if first is not None else np.inf)
        if first is not None:
            assert "f3" in processor.report.drifted
    return delays


def shift(size):
    def change(rows):
        rows[:, 3] += size
    return change


def test_half_a_standard_deviation_is_found_within_a_median_of_200_samples(calibrated):
    delays = detection_delays(*calibrated, shift(0.5), streams=15, seed=100, limit=3000)
    print("delays, +0.5 sd:", sorted(delays), "median", np.median(delays))
    assert np.median(delays) <= 200


def test_a_fifth_of_a_standard_deviation_is_found_within_a_median_of_1000_samples(calibrated):
    delays = detection_delays(*calibrated, shift(0.2), streams=15, seed=200, limit=8000)
    print("delays, +0.2 sd:", sorted(delays), "median", np.median(delays))
    assert np.median(delays) <= 1000


def test_a_variance_grown_by_half_is_found_within_a_median_of_1000_samples(calibrated):
    def scale(rows):
        rows[:, 3] *= np.sqrt(1.5)
    delays = detection_delays(*calibrated, scale, streams=15, seed=300, limit=8000)
    print("delays, variance x1.5:", sorted(delays), "median", np.median(delays))
    assert np.median(delays) <= 1000


def test_a_ramp_to_half_a_standard_deviation_over_5000_samples_is_found_within_a_median_of_2500(calibrated):
    def ramp(rows):
        rows[:, 3] += 0.5 * np.minimum(np.arange(len(rows)) / 5000, 1.0)
    delays = detection_delays(*calibrated, ramp, streams=15, seed=400, limit=8000)
    print("delays, ramp:", sorted(delays), "median", np.median(delays))
    assert np.median(delays) <= 2500


def test_the_scan_alone_would_be_slower_on_a_large_shift_than_with_it():
    """The comparison that motivates the scan, in one run: the KS windows alone, calibrated the
    same way, need more samples for +0.5 sd than the default."""
    rng = np.random.default_rng(21)
    reference = ReferenceProfile.fit(rng.normal(size=(10_000, FEATURES)))
    medians = {}
    for scan in (False, True):
        options = {"scan": scan, "multivariate": scan}
        threshold = DriftProcessor(reference, background=False, **options).calibrate().threshold
        delays = []
        for i in range(7):
            r = np.random.default_rng(500 + i)
            processor = DriftProcessor(reference, threshold=threshold, background=False, **options)
            alarms(processor, r.normal(size=(6000, FEATURES)))
            drifted = r.normal(size=(3000, FEATURES))
            drifted[:, 3] += 0.5
            delays.append(next(((k + 1) * CHECK_EVERY for k, f in enumerate(alarms(processor, drifted)) if f),
                               np.inf))
        medians[scan] = np.median(delays)
    print("median delay, +0.5 sd: KS windows alone", medians[False], "with the scan", medians[True])
    assert medians[True] < medians[False]
