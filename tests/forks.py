"""A bounded wait for a forked child: a deadlocked child is killed, not waited on."""

from __future__ import annotations

import os
import time


def exit_code_or_none(pid: int, timeout: float = 10) -> int | None:
    """The child's exit code, or ``None`` if it had not exited after ``timeout`` seconds (then it is killed)."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.05)
