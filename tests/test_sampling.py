"""Which successful predictions keep their log record when only a share does
(otel_ml/_sampling.py), and the production profile that turns it on (OTEL_ML_PROFILE)."""

from __future__ import annotations

import random

import pytest

from otel_ml import semconv
from otel_ml._sampling import DRIFT_ONSET_RECORDS, LogSampling, RunningQuantile
from otel_ml.config import MonitorConfig


def test_the_running_quantiles_settle_near_their_tails():
    rng = random.Random(4)
    slow, unsure = RunningQuantile(0.01, upper=True), RunningQuantile(0.02, upper=False)
    durations = [rng.lognormvariate(-6, 0.5) for _ in range(60_000)]
    confidences = [rng.betavariate(8, 2) for _ in range(60_000)]
    for d in durations[:10_000]:
        slow.beyond(d)
    flagged = sum(slow.beyond(d) for d in durations[10_000:])
    assert 0.005 < flagged / 50_000 < 0.02, flagged
    ordered = sorted(durations[10_000:])
    assert ordered[int(0.97 * 50_000)] < slow.estimate < ordered[int(0.997 * 50_000)]
    for c in confidences[:10_000]:
        unsure.beyond(c)
    low = sum(unsure.beyond(c) for c in confidences[10_000:])
    assert 0.01 < low / 50_000 < 0.04, low


def test_a_bounded_share_is_kept_whatever_the_confidences_and_however_long_a_drift_lasts():
    rng = random.Random(2)
    drifting = [False]
    sampling = LogSampling(0.1, drifting=lambda: drifting[0], rng=random.Random(2))
    for _ in range(2_000):                                     # learn what usual rows are
        sampling.keep(rng.uniform(0.5, 0.7), rng.uniform(0.001, 0.002))
    kept = sum(sampling.keep(rng.uniform(0.5, 0.7), rng.uniform(0.001, 0.002)) for _ in range(20_000))
    assert 0.10 < kept / 20_000 < 0.16, kept                 # 10% and the tails: not every low confidence
    assert sampling.keep(0.6, 0.5)                             # 250 times the usual duration
    assert sampling.keep(0.01, 0.0015)                         # far below the usual confidences
    drifting[0] = True
    onset = sum(sampling.keep(0.6, 0.0015) for _ in range(DRIFT_ONSET_RECORDS))
    assert onset == DRIFT_ONSET_RECORDS                        # the records around the change, whole
    later = sum(sampling.keep(rng.uniform(0.5, 0.7), rng.uniform(0.001, 0.002)) for _ in range(20_000))
    assert later / 20_000 < 0.16, later                        # then the usual sample again


def test_a_confidence_floor_when_set_keeps_everything_below_it():
    sampling = LogSampling(0.1, confidence_below=0.6, rng=random.Random(1))
    assert all(sampling.keep(0.55, 0.001) for _ in range(300))


def test_everything_is_kept_at_ratio_1():
    sampling = LogSampling(1.0, drifting=None)
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


def test_a_production_monitor_logs_every_failure_and_low_confidence_and_a_share_of_the_rest(sinks, monkeypatch):
    monkeypatch.setenv("OTEL_ML_LOG_CONFIDENCE_BELOW", "0.6")
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
