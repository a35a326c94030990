"""The demo's HTTP server: waitress, a production WSGI server, with its limits from ``OTEL_ML_SERVE_*``.

A client that sends its body slowly or idles holds a connection (at most
``OTEL_ML_SERVE_CONNECTION_LIMIT`` of them), not a thread, and is dropped after
``OTEL_ML_SERVE_TIMEOUT`` seconds.

>>> serve_settings({"OTEL_ML_SERVE_THREADS": "2"})
{'threads': 2, 'connection_limit': 100, 'timeout': 30.0}
>>> serve_settings({"OTEL_ML_SERVE_TIMEOUT": "0"})
Traceback (most recent call last):
...
ValueError: OTEL_ML_SERVE_TIMEOUT must be above 0, got '0'
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from otel_ml.demo.validation import MAX_BODY_BYTES
from otel_ml.environment_variables import (
    OTEL_ML_SERVE_CONNECTION_LIMIT,
    OTEL_ML_SERVE_THREADS,
    OTEL_ML_SERVE_TIMEOUT,
)


def serve_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``threads``, ``connection_limit`` and ``timeout`` of the server, from ``OTEL_ML_SERVE_*``."""
    env = os.environ if environ is None else environ

    def positive(name: str, default: float) -> float:
        raw = (env.get(name) or "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise ValueError(f"{name} must be a number, got {raw!r}") from None
        if value <= 0:
            raise ValueError(f"{name} must be above 0, got {raw!r}")
        return value

    return {"threads": int(positive(OTEL_ML_SERVE_THREADS, 8)),
            "connection_limit": int(positive(OTEL_ML_SERVE_CONNECTION_LIMIT, 100)),
            "timeout": positive(OTEL_ML_SERVE_TIMEOUT, 30.0)}


def start(app: Any, host: str, port: int) -> tuple[Any, str]:
    """Serve ``app`` in a background thread; returns the server and its URL."""
    from waitress.server import create_server

    settings = serve_settings()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)    # "task queue depth" under load
    server = create_server(app, host=host, port=port, ident="otel-ml-demo",
                           threads=settings["threads"], connection_limit=settings["connection_limit"],
                           channel_timeout=settings["timeout"], cleanup_interval=max(1, int(settings["timeout"] / 2)),
                           max_request_body_size=4 * MAX_BODY_BYTES, asyncore_use_poll=True)
    threading.Thread(target=server.run, name="otel-ml-demo-http", daemon=True).start()
    return server, f"http://{host}:{server.effective_port}"


def stop(server: Any, timeout: float = 5.0) -> None:
    """Stop accepting, let the requests in progress finish and their answers go out (for up to
    ``timeout`` seconds each), then close every connection and the server's trigger.

    waitress's own ``server.close()`` closes the trigger that a finishing request pulls to wake the
    I/O loop, so the listening socket is closed alone first (a request still in progress then
    logged "Exception when servicing ... Bad file descriptor")."""
    from waitress import wasyncore

    wasyncore.dispatcher.close(server)               # the listening socket only: no new connections
    server.task_dispatcher.shutdown(timeout=timeout)     # the requests being handled finish
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(getattr(c, "total_outbufs_len", 0) for c in list(server._map.values())):
        time.sleep(0.01)                             # their answers are written by the I/O loop
    for channel in list(server._map.values()):       # idle and half-sent ones are dropped
        if channel is not server.trigger:
            channel.close()
    server.trigger.close()                           # the map is empty: the I/O loop ends
