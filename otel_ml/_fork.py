"""Fork safety for the SDK's metric lock that otel_ml depends on.

The SDK's measurement consumer holds a lock while its reader thread collects. A process that
forks at that moment (gunicorn forking workers from a master that ``opentelemetry-instrument``
set up) leaves the child with that lock held forever, and the first instrument created in the
child (otel_ml builds its monitor on first use) waits for it until gunicorn kills the worker.
In the child only the forking thread exists, so a fresh lock is safe.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

_PROVIDERS: weakref.WeakSet[Any] = weakref.WeakSet()


def track(meter_provider: Any) -> None:
    """Remember an SDK meter provider whose lock must be renewed in a forked child."""
    try:
        _PROVIDERS.add(meter_provider)
    except TypeError:
        pass


def _renew_locks_in_child() -> None:
    from opentelemetry import metrics

    for provider in {*list(_PROVIDERS), metrics.get_meter_provider()}:
        consumer = getattr(provider, "_measurement_consumer", None)
        if consumer is not None and hasattr(consumer, "_lock"):
            consumer._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_locks_in_child)
