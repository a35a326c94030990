"""otel_ml/_fork.py: the SDK's metric lock, held at fork time, is renewed in the child."""

import os

from tests.forks import exit_code_or_none


def test_a_monitor_can_be_built_in_a_child_forked_while_a_metric_collection_held_the_sdk_lock():
    from opentelemetry.sdk.metrics import MeterProvider

    from otel_ml import ModelMonitor, _fork

    provider = MeterProvider()
    _fork.track(provider)                                   # as the global provider always is
    provider._measurement_consumer._lock.acquire()          # as a collection in progress would
    pid = os.fork()
    if pid == 0:
        ModelMonitor("child", meter_provider=provider)     # registers observable instruments
        os._exit(0)
    provider._measurement_consumer._lock.release()
    assert exit_code_or_none(pid) == 0, "the child deadlocked on the SDK's lock"
