"""otel_ml/drift/processor.py: the request path, bad input, the background thread, flips."""

import math
import threading

import numpy as np
import pytest

from otel_ml.drift import PREDICTION, Correction, DriftProcessor, ReferenceProfile


def processor(**kwargs):
    rng = np.random.default_rng(1)
    options = dict(window_size=200, long_window_size=0, check_every=50, correction=Correction.BONFERRONI,
                   background=False)
    options.update(kwargs)
    return DriftProcessor.fit({"a": rng.normal(size=2000), "b": rng.normal(size=2000),
                               "color": rng.choice(["red", "blue"], size=2000)}, **options), rng


@pytest.mark.parametrize(("row", "invalid"), [
    ([float("nan"), 1.0, "red"], {"a": 1}), ([math.inf, None, "red"], {"a": 1, "b": 1}),
    ({"a": 1.0, "color": "red"}, {"b": 1}), ([1.0, 2.0], {"a": 1, "b": 1, "color": 1}),
    ([1.0, "text", None], {"b": 1, "color": 1}),
], ids=["nan", "inf-none", "missing-key", "wrong-length", "text"])
def test_bad_values_are_counted_per_feature_and_left_out(row, invalid):
    drift, rng = processor()
    drift.update(row)
    for _ in range(249):
        drift.update([rng.normal(), rng.normal(), "red" if rng.random() < 0.5 else "blue"])
    report = drift.report
    names = list(drift.reference.feature_names)
    counts = dict(zip(names, drift.fleet.invalid_counts.tolist()))
    assert {k: v for k, v in counts.items() if v} == invalid
    assert all(report[name].window_size == 200 for name in names)          # the bad row left the window
    assert not report.drift_detected


def test_an_unseen_category_is_drift():
    drift, rng = processor()
    for i in range(400):
        drift.update([rng.normal(), rng.normal(), "green" if i >= 200 and rng.random() < 0.3 else "red"])
    assert "color" in drift.report.drifted


@pytest.mark.parametrize(("data", "message"), [
    ({"a": np.ones(500)}, "constant"),
    ({"a": np.arange(50.0)}, "at least 100 are needed. Fit the reference on more rows.*min_rows=50"),
    ({"a": np.append(np.arange(499.0), np.nan)}, "1 NaN or infinite values"),
    (np.zeros((10, 3, 2)), "must be 2-D"),
], ids=["constant", "too-few-rows", "nan", "3-d"])
def test_bad_references_get_a_clear_error_at_fit_time(data, message):
    with pytest.raises(ValueError, match=message):
        ReferenceProfile.fit(data)


def test_output_and_confidence_are_monitored_too():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3000, 2))
    drift = DriftProcessor.fit(x, ["a", "b"], predictions=(x[:, 0] > 0).astype(int),
                               confidences=rng.uniform(0.5, 1.0, 3000), window_size=300, long_window_size=0,
                               check_every=100, correction=Correction.BONFERRONI, background=False)
    for _ in range(600):
        row = rng.normal(size=2)
        drift.update(row, prediction=1, confidence=0.99)       # the model now always says 1, sure of it
    assert set(drift.report.drifted) == {PREDICTION, "(confidence)"}


def test_the_background_thread_runs_the_checks():
    drift, rng = processor(background=True)
    seen = threading.Event()
    checker = []
    drift.on_check(lambda before, report: (checker.append(threading.current_thread().name), seen.set()))
    for _ in range(400):
        drift.feed([rng.normal(), rng.normal(), "red"])
    assert seen.wait(10)
    assert checker[0] == "otel_ml-drift"
    drift.shutdown()
    assert drift.report is not None and drift.report.samples_seen >= 200


def test_arguments_are_checked():
    reference = ReferenceProfile.fit({"a": np.arange(200.0)})
    with pytest.raises(ValueError, match="long_window_size must be larger"):
        DriftProcessor(reference, window_size=500, long_window_size=300)
    with pytest.raises(TypeError, match="correction must be a Correction"):
        DriftProcessor(reference, correction="bonferroni")


@pytest.mark.parametrize("names", [["a", "b"], ["a", "b", "c", "d"]], ids=["fewer", "more"])
def test_names_that_do_not_match_the_columns_are_refused_at_fit_time(names):
    # before: two names for three columns fitted two columns, and every served row (three values)
    # was then dropped as misaligned: window 0, statistic NaN, no error anywhere
    with pytest.raises(ValueError, match=f"{len(names)} feature names for a reference of 3 columns"):
        DriftProcessor.fit(np.random.default_rng(0).normal(size=(500, 3)), names)


def test_min_rows_accepts_a_smaller_reference_down_to_20_rows():
    data = np.random.default_rng(0).normal(size=(50, 2))
    assert DriftProcessor.fit(data, ["a", "b"], min_rows=50, threshold=1e-6).reference.rows == 50
    with pytest.raises(ValueError, match="min_rows must be at least 20"):
        DriftProcessor.fit(data, ["a", "b"], min_rows=10)


def test_the_thread_computes_the_distances_every_few_seconds_and_holds_them_between(monkeypatch):
    """The distances are read once an export; the tests, at every check."""
    from otel_ml.drift import processor as module

    rng = np.random.default_rng(5)
    drift = DriftProcessor.fit(rng.normal(size=(2000, 3)), ["a", "b", "c"], window_size=200, long_window_size=0,
                               check_every=10**9, check_interval=None, threshold=1e-6, scan=False)
    for row in rng.normal(size=(200, 3)):
        drift.feed(row)
    first = {f.name: f for f in drift.check().features}
    for row in rng.normal(2.0, 1.0, size=(200, 3)):
        drift.feed(row)
    held = {f.name: f for f in drift.check().features}
    assert held["a"].statistic > first["a"].statistic + 0.3 and held["a"].drift_detected
    assert held["a"].psi == first["a"].psi and held["a"].wasserstein == first["a"].wasserstein
    monkeypatch.setattr(module, "DISTANCES_EVERY", 0.0)
    fresh = {f.name: f for f in drift.check().features}
    assert fresh["a"].psi > first["a"].psi + 1 and fresh["a"].wasserstein > 1.5
    drift.shutdown()
