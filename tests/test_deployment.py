"""Deploys and rollbacks switch the monitor's version and record each rollback."""

import threading

import pytest

from otel_ml import semconv
from otel_ml.deployment import Deployment


def test_rollback_walks_back_through_the_history(sinks):
    monitor = sinks.monitor("churn", "v1")
    deployment = Deployment(monitor, ["v1", "v2", "v3"], meter_provider=sinks.meter_provider,
                            logger_provider=sinks.logger_provider)
    deployment.deploy("v2")
    deployment.deploy("v3")
    deployment.deploy("v3")                      # already serving: no new history entry
    assert deployment.history == ("v1", "v2", "v3")
    assert deployment.rollback("HighErrorRate") == ("v3", "v2") and monitor.version == "v2"
    assert deployment.rollback("HighLatency") == ("v2", "v1") and monitor.version == "v1"
    assert deployment.rollback("again") is None
    assert sinks.value(semconv.ML_MODEL_ROLLBACKS, ml__rollback__from_version="v3", ml__model__version="v2",
                       ml__rollback__reason="HighErrorRate") == 1
    assert sinks.value(semconv.ML_MODEL_ROLLBACKS) == 2
    records = [(r.event_name, r.severity_text, r.body) for r in sinks.logs()]
    assert ("ml.rollback", "WARN", "rolled back churn from v3 to v2 (HighErrorRate)") in records
    assert sum(1 for r in records if r[0] == "ml.deployment") == 3


def test_predictions_after_a_rollback_carry_the_restored_version(sinks):
    monitor = sinks.monitor("churn", "v1")
    deployment = Deployment(monitor, ["v1", "v2"], meter_provider=sinks.meter_provider)
    deployment.deploy("v2")
    with monitor.predict([1.0]) as p:
        p.record("yes", confidence=0.9)
    deployment.rollback()
    with monitor.predict([1.0]) as p:
        p.record("yes", confidence=0.9)
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__version="v2") == 1
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__version="v1") == 1


def test_unknown_versions_are_refused(sinks):
    with pytest.raises(ValueError, match="'v0' is not one of"):
        Deployment(sinks.monitor("churn", "v0"), ["v1"])
    deployment = Deployment(sinks.monitor("churn", "v1"), ["v1"])
    with pytest.raises(ValueError, match="Unknown model version 'v9'"):
        deployment.deploy("v9")


def test_concurrent_rollbacks_take_out_one_version_each(sinks):
    deployment = Deployment(sinks.monitor("churn", "v1"), ["v1", "v2"], meter_provider=sinks.meter_provider)
    deployment.deploy("v2")
    results = []
    threads = [threading.Thread(target=lambda: results.append(deployment.rollback("x"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [("v2", "v1")] + [None] * 7
    assert sinks.value(semconv.ML_MODEL_ROLLBACKS) == 1
