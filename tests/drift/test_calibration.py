"""Repeated checks of sliding windows, calibrated for the run between false alarms (the default).

Seeded streams of 20 standard-normal features against a 10000-sample reference, checked every
100 samples with the default windows (1000, and 5000 every 500 samples), threshold calibrated
for 10 million samples between false alarms.
"""

import numpy as np
import pytest

from otel_ml.drift import DriftProcessor, ReferenceProfile

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


def alarms(processor, rows):
    """drift_detected after each check, feeding ``rows`` in steps of CHECK_EVERY."""
    out = []
    for start in range(0, len(rows), CHECK_EVERY):
        processor.feed_many(rows[start:start + CHECK_EVERY])
        report = processor.check()
        out.append(report is not None and report.drift_detected)
    return out


def test_calibration_is_sane(calibrated):
    _, calibration = calibrated
    # between one test per block and every test of every check in it (50 + 10 checks x 20 features)
    assert 20 <= calibration.effective_tests <= 60 * FEATURES
    assert 1e-9 < calibration.threshold < 1e-4


def test_a_million_unchanged_samples_give_at_most_one_false_alarm_episode(calibrated):
    reference, calibration = calibrated
    rng = np.random.default_rng(12)
    processor = fresh(reference, calibration)
    flags = []
    for _ in range(10):
        flags += alarms(processor, rng.normal(size=(100_000, FEATURES)))
    episodes = sum(1 for before, now in zip([False] + flags, flags) if now and not before)
    assert len(flags) == 10_000
    assert episodes <= 1


def detection_delays(reference, calibration, shift, streams, seed, limit):
    delays = []
    for i in range(streams):
        rng = np.random.default_rng(seed + i)
        processor = fresh(reference, calibration)
        alarms(processor, rng.normal(size=(6000, FEATURES)))            # every window full, no drift
        drifted = rng.normal(size=(limit, FEATURES))
        drifted[:, 3] += shift                                            # one feature of 20 moves
        flags = alarms(processor, drifted)
        first = next((k for k, flag in enumerate(flags) if flag), None)
        delays.append((first + 1) * CHECK_EVERY if first is not None else np.inf)
        assert processor.report.drifted in ((), ("f3",)) or "f3" in processor.report.drifted
    return delays


def test_half_a_standard_deviation_is_found_within_a_median_of_1000_samples(calibrated):
    delays = detection_delays(*calibrated, shift=0.5, streams=15, seed=100, limit=3000)
    print("delays, +0.5 sd:", sorted(delays), "median", np.median(delays))
    assert np.median(delays) <= 1000


def test_a_fifth_of_a_standard_deviation_is_found_within_a_median_of_5000_samples(calibrated):
    delays = detection_delays(*calibrated, shift=0.2, streams=15, seed=200, limit=8000)
    print("delays, +0.2 sd:", sorted(delays), "median", np.median(delays))
    assert np.median(delays) <= 5000
