"""Prediction log records, emitted by a background thread instead of on the prediction path.

Building an SDK log record costs about a third of the per-prediction work here. The record is
fully decided on the request thread (its timestamp, its trace context, its attributes), queued
in a bounded deque, and handed to the Logs API by one daemon thread a few milliseconds later:
the same record, with the same trace and span ids, off the caller's latency. The CPU cost is
the same; it moves. Failed predictions are not queued: their records go out at once.

Like the SDK's own batch processors: the queue is bounded (the oldest records are dropped
and counted on ``ml.monitor.problems`` when it is full), nothing blocks the caller, the thread
is restarted lazily in a forked child, and :meth:`flush` (called at exit and by
``ModelMonitor.force_flush()``) drains what is left.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

_QUEUES: weakref.WeakSet[LogQueue] = weakref.WeakSet()
_YIELD_EVERY = 8


class LogQueue:
    """A bounded queue of ``logger.emit`` keyword arguments, drained by a daemon thread."""

    def __init__(self, emit: Callable[..., None], on_drop: Callable[[int], None], max_size: int = 8192,
                 interval: float = 0.05) -> None:
        self._emit = emit
        self._on_drop = on_drop
        self.max_size = max_size
        self.interval = interval
        self._items: deque[dict[str, Any]] = deque()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._drain_lock = threading.Lock()
        self.cpu_seconds = 0.0
        """CPU time its thread spent handing records to the SDK (the ``logs`` part of :mod:`otel_ml._cost`)."""
        _QUEUES.add(self)

    def put(self, record: dict[str, Any]) -> None:
        if self._thread is None or self._pid != os.getpid():
            self._start()
        items = self._items
        if len(items) >= self.max_size:
            try:
                items.popleft()
                self._on_drop(1)
            except IndexError:
                pass
        items.append(record)

    def flush(self) -> None:
        """Emit everything queued now, on the calling thread."""
        self._drain()

    def _start(self) -> None:
        with self._drain_lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid = os.getpid()
            thread = threading.Thread(target=self._run, name="otel_ml-logs", daemon=True)
            thread.start()
            self._thread = thread

    def _reset_after_fork(self) -> None:
        """In a forked child: the parent's thread is gone and its locks may be held forever."""
        self._drain_lock = threading.Lock()
        self._wake = threading.Event()
        self._items = deque(self._items)
        self._thread = None
        self._pid = os.getpid()
        self.cpu_seconds = 0.0

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            began = time.thread_time()
            self._drain()
            self.cpu_seconds += time.thread_time() - began

    def _drain(self) -> None:
        items, emit = self._items, self._emit
        with self._drain_lock:
            emitted = 0
            while True:
                try:
                    record = items.popleft()
                except IndexError:
                    return
                try:
                    emit(**record)
                except Exception:  # noqa: BLE001 - counted by the caller's problem reporter
                    self._on_drop(1)
                emitted += 1
                if emitted % _YIELD_EVERY == 0:
                    time.sleep(0)  # hand the GIL back, so a waiting prediction is not held for long


def _reset_all_after_fork() -> None:
    for queue in list(_QUEUES):
        queue._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_all_after_fork)


@atexit.register
def flush_all() -> None:
    """Emit every monitor's queued prediction records (at exit, and before a provider flush)."""
    for queue in list(_QUEUES):
        queue.flush()
