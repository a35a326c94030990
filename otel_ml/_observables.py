"""One observable instrument per meter and name, fed by every live source.

The SDK returns the first instrument when a name is registered twice on one meter, and drops
the second registration's callbacks. Two monitors (two models served by one process, or a model
and its drift processor) would then lose the second one's counts. So each observable instrument
is created once per meter, with a callback that asks every live source in turn; sources are
held weakly, so a monitor that is gone stops reporting.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from opentelemetry.metrics import CallbackOptions, CallbackT, Meter, Observation

_lock = threading.Lock()
_hubs: weakref.WeakKeyDictionary[Any, dict[str, _Hub]] = weakref.WeakKeyDictionary()


class _Hub:
    def __init__(self) -> None:
        self.sources: list[Callable[[], Callable[[CallbackOptions], Iterable[Observation]] | None]] = []

    def __call__(self, options: CallbackOptions) -> Iterable[Observation]:
        out: list[Observation] = []
        alive = []
        for ref in list(self.sources):
            callback = ref()
            if callback is None:
                continue
            alive.append(ref)
            out.extend(callback(options))
        self.sources = alive
        return out


def observe(meter: Meter, create: Callable[[Meter, Sequence[CallbackT]], object],
            callback: Callable[[CallbackOptions], Iterable[Observation]]) -> None:
    """Have ``callback`` report on the instrument that ``create`` makes on ``meter``, made once."""
    name = create.__name__
    ref = weakref.WeakMethod(callback) if hasattr(callback, "__self__") else (lambda: callback)
    with _lock:
        hubs = _hubs.setdefault(meter, {})
        hub = hubs.get(name)
        if hub is None:
            hub = hubs[name] = _Hub()
            create(meter, [hub])
        hub.sources.append(ref)
