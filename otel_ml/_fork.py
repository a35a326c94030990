"""Fork safety for the SDK that otel_ml depends on: its metric lock and its exporters' connections.

The SDK's measurement consumer holds a lock while its reader thread collects. A process that
forks at that moment (gunicorn forking workers from a master that ``opentelemetry-instrument``
set up) leaves the child with that lock held forever, and the first instrument created in the
child (otel_ml builds its monitor on first use) waits for it until gunicorn kills the worker.
In the child only the forking thread exists, so a fresh lock is safe.

The OTLP/HTTP exporters keep their connections to the collector open between exports (a
``requests`` session or a ``urllib3`` pool manager). A master that exported once before forking
hands that open socket to every worker: their exports interleave on one TCP stream, and the
collector answers a mangled batch with 400 and drops it (with rotel: "failed to decode Protobuf
message"). In the child every pool manager reachable from the providers gets an empty pool, so
that each process opens its own connections; the parent's sockets are left as they are. gRPC
exporters are not touched (gRPC has its own fork support, ``GRPC_ENABLE_FORK_SUPPORT``).
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from collections.abc import Iterator
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


_WALK_DEPTH, _WALK_NODES, _WALK_ITEMS = 16, 2000, 100
_ON_THE_WAY = ("config", "reader", "processor", "exporter", "client", "transport", "session", "adapter", "pool",
               "manager", "delegate", "wrapped")
"""Words in the attribute names from a provider to its exporters' pool managers (SDK 1.45: a
meter provider's ``_sdk_config.metric_readers[i]._exporter._client._transport._session
.adapters['http://'].poolmanager``); only those attributes are followed."""


def _reachable(roots: list[Any]) -> Iterator[Any]:
    """Objects reachable from ``roots`` through containers and the instance attributes named as
    in :data:`_ON_THE_WAY`, breadth first, bounded in depth and count; properties are never called."""
    seen: set[int] = set()
    level = roots
    for _ in range(_WALK_DEPTH):
        following: list[Any] = []
        for obj in level:
            if id(obj) in seen or isinstance(obj, (str, bytes, int, float, type)) or len(seen) >= _WALK_NODES:
                continue
            seen.add(id(obj))
            yield obj
            if isinstance(obj, dict):
                following.extend(list(obj.values())[:_WALK_ITEMS])
            elif isinstance(obj, (list, tuple, set, frozenset)):
                following.extend(list(obj)[:_WALK_ITEMS])
            else:
                attributes = dict(getattr(obj, "__dict__", {}))
                for slot in getattr(type(obj), "__slots__", ()):
                    if isinstance(slot, str) and hasattr(obj, slot):
                        attributes[slot] = getattr(obj, slot)
                following.extend(value for name, value in attributes.items()
                                 if any(word in name.lower() for word in _ON_THE_WAY))
        level = following


def _empty_http_pools(roots: list[Any]) -> int:
    """Give every urllib3 pool manager reachable from ``roots`` (the one in each ``requests``
    adapter too) an empty pool; returns how many. Nothing is closed: the sockets are the parent's."""
    urllib3 = sys.modules.get("urllib3")
    if urllib3 is None:
        return 0
    renewed = 0
    for obj in _reachable(roots):
        if isinstance(obj, urllib3.PoolManager):
            pools = obj.pools
            obj.pools = type(pools)(pools._maxsize, dispose_func=pools.dispose_func)
            renewed += 1
    return renewed


def _providers() -> list[Any]:
    from opentelemetry import metrics, trace

    found = [*list(_PROVIDERS), metrics.get_meter_provider(), trace.get_tracer_provider()]
    logs = sys.modules.get("opentelemetry._logs")
    if logs is not None:
        found.append(logs.get_logger_provider())
    return found


def _fresh_connections_in_child() -> None:
    try:
        _empty_http_pools(_providers())
    except Exception:  # noqa: BLE001 - a forked child must start whatever this finds
        pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_locks_in_child)
    os.register_at_fork(after_in_child=_fresh_connections_in_child)
