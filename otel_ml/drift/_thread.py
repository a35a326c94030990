"""The drift processor's background thread, and what a forked child needs to own its own."""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from typing import Any

from otel_ml.drift.result import Correction

_logger = logging.getLogger("otel_ml.drift.processor")
_PROCESSORS: weakref.WeakSet[Any] = weakref.WeakSet()


class BackgroundChecks:
    """Runs ``self.check()`` in a daemon thread when ``check_every`` samples have arrived (or
    ``check_interval`` seconds passed), at most every ``min_check_interval`` seconds."""

    ring: Any
    _checked_at: int
    check_every: int
    check_interval: float | None
    min_check_interval: float
    correction: Correction
    _threshold: float | None
    _thread: threading.Thread | None
    _wake: threading.Event
    _stop: threading.Event
    errors: int
    cpu_seconds: float
    """CPU time the background thread spent on checks and calibration (see :mod:`otel_ml._cost`)."""

    def check(self) -> Any:  # pragma: no cover - the processor's
        raise NotImplementedError

    def calibrate(self) -> Any:  # pragma: no cover - the processor's
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="otel_ml-drift", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        if self.correction is Correction.CALIBRATED and self._threshold is None:
            began = time.thread_time()
            self._guarded(self.calibrate)
            self.cpu_seconds += time.thread_time() - began
        last = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(self.check_interval or 1.0)
            self._wake.clear()
            due = self.ring.total - self._checked_at >= self.check_every
            timed = self.check_interval is not None and time.monotonic() - last >= self.check_interval
            if (due or timed) and self.ring.total > self._checked_at:
                last = time.monotonic()
                began = time.thread_time()
                self._guarded(self.check)
                self.cpu_seconds += time.thread_time() - began
                self._stop.wait(max(0.0, self.min_check_interval - (time.monotonic() - last)))

    def _guarded(self, fn: Any) -> None:
        try:
            fn()
        except Exception:  # noqa: BLE001
            self.errors += 1
            _logger.exception("otel_ml drift check failed; the next check will try again")

    def force_flush(self) -> None:
        """Run a check now (on the calling thread) if samples arrived since the last one."""
        if self.ring.total > self._checked_at:
            self._guarded(self.check)

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def track_for_fork(processor: Any) -> None:
    _PROCESSORS.add(processor)


def _reset_after_fork() -> None:
    """A forked child (a gunicorn worker) starts its own drift thread and owns fresh locks."""
    for processor in list(_PROCESSORS):
        processor._thread = None
        processor.cpu_seconds = 0.0
        processor._wake = threading.Event()
        processor._stop = threading.Event()
        processor.ring._lock = threading.Lock()
        processor.fleet._lock = threading.Lock()
        processor.fleet._binning = threading.Lock()


@atexit.register
def flush_all_counts() -> None:
    """Every processor's last samples into its fleet counts, before the SDK's last export (atexit
    runs this first: otel_ml.drift is imported after the providers are built)."""
    for processor in list(_PROCESSORS):
        try:
            processor.flush_counts()
        except Exception:  # noqa: BLE001
            _logger.debug("otel_ml drift: could not count the last samples", exc_info=True)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
