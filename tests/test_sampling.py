"""Which successful predictions keep their log record when only a share does
(otel_ml/_sampling.py), and the production profile that turns it on (OTEL_ML_PROFILE)."""

from __future__ import annotations

import random

import pytest

from otel_ml import semconv
from otel_ml._sampling import LogSampling, SlowThreshold
from otel_ml.config import MonitorConfig


def test_the_slow_threshold_settles_near_the_99th_percentile():
    rng = random.Random(4)
    slow = SlowThreshold()
    durations = [rng.lognormvariate(-6, 0.5) for _ in range(60_000)]
    flagged = sum(slow.is_slow(d) for d in durations[10_000:])
    assert 0.005 < flagged / 50_000 < 0.02, flagged
    ordered = sorted(durations[10_000:])
    assert ordered[int(0.97 * 50_000)] < slow.threshold < ordered[int(0.997 * 50_000)]


def test_slow_low_confidence_and_drifted_predictions_are_always_kept_the_rest_sampled():
    drifting = [False]
    sampling = LogSampling(0.1, confidence_below=0.6, drifting=lambda: drifting[0], rng=random.Random(2))
    for _ in range(500):                                     # learn what usual durations are
        sampling.keep(0.9, 0.001)
    kept = sum(sampling.keep(0.9, 0.001) for _ in range(10_000))
    assert 800 < kept < 1_200                                # about 10%
    assert all(sampling.keep(0.55, 0.001) for _ in range(100))
    assert sampling.keep(0.9, 0.5)                           # 500 times the usual
    drifting[0] = True
    assert all(sampling.keep(0.9, 0.001) for _ in range(100))


def test_everything_is_kept_at_ratio_1():
    sampling = LogSampling(1.0, confidence_below=0.6, drifting=None)
    assert all(sampling.keep(0.99, 0.001) for _ in range(1000))


@pytest.mark.parametrize(("env", "args", "expected"), [
    ({}, {}, (1.0, "child")),
    ({"OTEL_ML_PROFILE": "production"}, {}, (0.1, "current")),
    ({"OTEL_ML_PROFILE": "production", "OTEL_ML_LOG_PREDICTIONS": "0.5"}, {}, (0.5, "current")),
    ({"OTEL_ML_PROFILE": "production"}, {"prediction_span": "child", "log_sample_ratio": 0.2}, (0.2, "child")),
    ({}, {"profile": "production"}, (0.1, "current")),
], ids=["default", "production", "production-env-wins", "production-args-win", "production-argument"])
def test_the_production_profile_changes_defaults_and_nothing_that_was_set(env, args, expected):
    config = MonitorConfig.from_env(environ=env, **args)
    assert (config.log_sample_ratio, config.prediction_span) == expected


def test_an_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="OTEL_ML_PROFILE must be 'full' or 'production', got 'fast'"):
        MonitorConfig.from_env(environ={"OTEL_ML_PROFILE": "fast"})


def test_a_production_monitor_logs_every_failure_and_low_confidence_and_a_share_of_the_rest(sinks):
    monitor = sinks.monitor("fraud", profile="production")
    random.seed(3)
    for i in range(1000):
        with monitor.predict([float(i)]) as p:
            p.record("ok", confidence=0.95)
    for i in range(20):
        with monitor.predict([float(i)]) as p:
            p.record("maybe", confidence=0.51)
    for _ in range(5):
        with pytest.raises(RuntimeError), monitor.predict([1.0]):
            raise RuntimeError("model down")
    records = sinks.logs()
    statuses = [r.attributes[semconv.ML_PREDICTION_STATUS] for r in records]
    labels = [r.attributes.get(semconv.ML_PREDICTION_LABEL) for r in records]
    assert statuses.count("error") == 5 and labels.count("maybe") == 20
    assert 50 < labels.count("ok") < 160, labels.count("ok")      # 10% of 1000, and the slow ones
    assert sinks.value(semconv.ML_PREDICTIONS) == 1025           # metrics stay complete
