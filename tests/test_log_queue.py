"""Prediction log records leave the prediction path (otel_ml/_log_queue.py)."""

import os
import threading
import time

from otel_ml._log_queue import LogQueue
from tests.forks import exit_code_or_none


def test_records_are_emitted_by_the_background_thread_in_order():
    emitted, done = [], threading.Event()

    def emit(**record):
        emitted.append(record["n"])
        if len(emitted) == 100:
            done.set()

    queue = LogQueue(emit, on_drop=lambda n: None, interval=0.01)
    for n in range(100):
        queue.put({"n": n})
    assert done.wait(5), emitted
    assert emitted == list(range(100))


def test_a_full_queue_drops_the_oldest_and_counts_them():
    dropped, emitted = [], []
    queue = LogQueue(lambda **r: emitted.append(r["n"]), on_drop=dropped.append, max_size=10, interval=60)
    queue._thread = threading.current_thread()      # no worker: let the queue fill up
    for n in range(25):
        queue.put({"n": n})
    queue.flush()
    assert emitted == list(range(15, 25))
    assert sum(dropped) == 15


def test_a_failing_emit_is_counted_and_the_rest_still_go_out():
    dropped, emitted = [], []

    def emit(**record):
        if record["n"] == 1:
            raise RuntimeError("exporter bug")
        emitted.append(record["n"])

    queue = LogQueue(emit, on_drop=dropped.append, interval=60)
    queue._thread = threading.current_thread()
    for n in range(3):
        queue.put({"n": n})
    queue.flush()
    assert (emitted, sum(dropped)) == ([0, 2], 1)


def test_a_fork_while_the_parent_is_draining_does_not_deadlock_the_child():
    """The parent's drain thread holds the queue's lock (inside emit) at the moment of the fork;
    the child must still emit its own records."""
    read_end, write_end = os.pipe()
    draining = threading.Event()
    written: list[int] = []

    def emit(**record):
        if os.getpid() == parent:
            draining.set()
            time.sleep(0.5)                       # hold the drain lock across the fork
        os.write(write_end, b"%d" % record["n"])
        written.append(record["n"])

    parent = os.getpid()
    queue = LogQueue(emit, on_drop=lambda n: None, interval=0.01)
    queue.put({"n": 1})
    assert draining.wait(5)
    pid = os.fork()
    if pid == 0:
        queue.put({"n": 2})
        end = time.monotonic() + 5
        while 2 not in written and time.monotonic() < end:     # emitted, not only taken off the queue
            time.sleep(0.01)
        os._exit(0 if 2 in written else 1)
    assert exit_code_or_none(pid) == 0, "the child deadlocked"
    time.sleep(0.6)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        assert sorted(f.read()) == sorted(b"12")


