"""otel_ml/_fork.py: the SDK's metric lock, held at fork time, is renewed in the child."""

import os
import time


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
    deadline = time.monotonic() + 10
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not done:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    assert done and os.waitstatus_to_exitcode(status) == 0, "the child deadlocked on the SDK's lock"
