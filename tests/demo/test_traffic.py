"""The traffic generator against the real demo service on loopback."""

from __future__ import annotations

import numpy as np
import pytest

from otel_ml import semconv
from otel_ml.demo.data import load
from otel_ml.demo.run import Stack
from otel_ml.demo.traffic import MAX_RATE, NO_TOKEN_HINT, Phase, TrafficGenerator, check_loopback, default_phases

TOKEN = "t0ken-for-the-traffic-tests"


@pytest.mark.parametrize("url", ["http://192.0.2.1:8000", "http://10.1.2.3", "http://host.invalid:80", "http://"])
def test_only_loopback_hosts(url):
    with pytest.raises(ValueError, match="only talks to loopback"):
        check_loopback(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "http://127.8.9.10"])
def test_loopback_hosts_are_allowed(url):
    check_loopback(url)


def test_rate_duration_and_features_are_bounded():
    data = load()
    with pytest.raises(ValueError, match="rate"):
        TrafficGenerator("http://127.0.0.1:1", data, rate=MAX_RATE + 1)
    with pytest.raises(ValueError, match="rate"):
        TrafficGenerator("http://127.0.0.1:1", data, rate=0)
    with pytest.raises(ValueError, match="longer than"):
        TrafficGenerator("http://127.0.0.1:1", data, phases=[Phase("long", 4000)])
    with pytest.raises(ValueError, match="unknown features"):
        TrafficGenerator("http://127.0.0.1:1", data, phases=[Phase("x", 1, shift={"colour": 1})])
    assert [p.name for p in default_phases()] == ["normal", "drift", "bad release", "recovery"]
    assert sum(p.seconds for p in default_phases(0.5)) == 35


@pytest.fixture
def served(sinks):
    stack = Stack(seed=3, token="a-rollback-token-unused-here", deploy_token=TOKEN,
                  tracer_provider=sinks.tracer_provider, meter_provider=sinks.meter_provider,
                  logger_provider=sinks.logger_provider)
    sinks.monitors.append(stack.monitor)
    rows: list[np.ndarray] = []
    predict = stack.service.predict
    stack.service.predict = lambda row: (rows.append(row), predict(row))[1]
    yield stack, stack.start(), rows, sinks
    stack.stop()


def test_phases_rate_feedback_conversions_and_shift(served):
    stack, url, rows, sinks = served
    rate = 60.0
    generator = TrafficGenerator(url, stack.data, rate=rate, feedback_delay=0.3, conversion_rate=0.5,
                                 invalid_rate=0.1, label_noise=0.0, seed=5,
                                 phases=[Phase("normal", 1.5), Phase("drift", 1.5, shift={"mean_texture": 3.0})])
    stats = generator.run()
    assert 0.8 * rate * 3 <= stats.sent <= rate * 3 + 2
    assert stats.statuses[200] + stats.statuses[422] == stats.sent and stats.statuses[422] > 0
    assert stats.feedback == stats.statuses[200] == sinks.value(semconv.ML_OUTCOMES)
    assert stats.conversions == sinks.value(semconv.ML_BUSINESS_EVENTS, ml__business__event="conversion") > 0
    assert sinks.value(semconv.ML_BUSINESS_VALUE) == pytest.approx(stats.conversion_value)
    texture = stack.data.feature_names.index("mean_texture")
    half = len(rows) // 2
    sd = stack.data.serving_x[:, texture].std()
    shift = (np.mean([r[texture] for r in rows[half + 10:]]) - np.mean([r[texture] for r in rows[:half - 10]])) / sd
    assert 2.3 < shift < 3.7
    others = [i for i in range(len(stack.data.feature_names)) if i != texture]
    moved = np.abs(np.mean([r[others] for r in rows[half + 10:]], axis=0)
                   - np.mean([r[others] for r in rows[:half - 10]], axis=0)) / stack.data.serving_x[:,
                                                                                                    others].std(axis=0)
    assert moved.max() < 0.7


@pytest.mark.parametrize("noise, low, high", [(0.0, 0.8, 1.0), (1.0, 0.0, 0.2)])
def test_label_noise_flips_the_feedback(served, noise, low, high):
    stack, url, _, sinks = served
    stats = TrafficGenerator(url, stack.data, rate=60, feedback_delay=0.1, label_noise=noise, invalid_rate=0,
                             phases=[Phase("normal", 1.0)]).run()
    assert low <= sinks.value(semconv.ML_OUTCOMES, ml__outcome__correct="true") / stats.feedback <= high


def test_a_bad_release_phase_deploys_the_faulty_version(served):
    stack, url, _, sinks = served
    stats = TrafficGenerator(url, stack.data, rate=50, token=TOKEN, invalid_rate=0,
                             phases=[Phase("bad", 1.0, deploy="v2", fault_rate=1.0)]).run()
    assert stack.deployment.active == "v2" and stats.statuses["deploy 200"] == 1
    assert stats.statuses[503] == stats.sent > 0
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__version="v2", error__type="TimeoutError") == stats.sent


def test_without_the_token_the_deploy_is_skipped_and_said_why(served):
    stack, url, _, _ = served
    stats = TrafficGenerator(url, stack.data, rate=20, phases=[Phase("bad", 0.2, deploy="v2", fault_rate=1.0)]).run()
    assert stats.statuses["deploy skipped"] == 1 and stack.deployment.active == "v1"
    assert not [s for s in stats.statuses if str(s).startswith("deploy 4")]     # nothing sent to be refused
    assert stats.skipped == [f"phase 'bad' runs on the active version: v2 not deployed, no deploy token (set "
                             f"{NO_TOKEN_HINT})"]


def test_a_wrong_token_is_refused(served):
    stack, url, _, _ = served
    stats = TrafficGenerator(url, stack.data, rate=20, token="not-the-deploy-token",
                             phases=[Phase("bad", 0.2, deploy="v2", fault_rate=1.0)]).run()
    assert stats.statuses["deploy 401"] == 1 and stack.deployment.active == "v1"
