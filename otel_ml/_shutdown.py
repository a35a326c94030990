"""A bounded shutdown: at exit, what the SDK holds is sent within ``OTEL_ML_SHUTDOWN_TIMEOUT``
seconds (default 5), also when the collector is down or black-holed; and ``SIGTERM`` ends a
plain ``python app.py`` through the exit hooks instead of killing it.

The SDK's providers each register an exit hook that shuts them down one after the other, and a
provider whose collector does not answer waits out its export timeouts and retries: about 30 s
per worker, so gunicorn kills the worker and what it held is lost. Here, one exit hook (run
before the SDK's, which it replaces) first hands otel_ml's own queued log records and drift
counts to the SDK, then shuts every global provider down at once, each in its own daemon thread,
and waits for all of them until the deadline; what did not finish is reported on stderr with the
number of spans and log records it still held.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import time
from typing import Any

from otel_ml import environment_variables as ev

_logger = logging.getLogger("otel_ml")
_installed = False
_exiting = False
"""Set once the bounded shutdown has begun: a later SIGTERM changes nothing."""
_shut_down: set[int] = set()
"""``id()`` of the providers already shut down (by :func:`mark_shut_down`): the exit hook skips them."""
DEFAULT_TIMEOUT = 5.0
_NOUNS = {"traces": "spans", "logs": "log records", "metrics": "metric points"}


def timeout_seconds() -> float:
    raw = os.environ.get(ev.OTEL_ML_SHUTDOWN_TIMEOUT, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        _logger.warning("otel_ml: %s must be a number of seconds, got %r; using %s",
                        ev.OTEL_ML_SHUTDOWN_TIMEOUT, raw, DEFAULT_TIMEOUT)
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def install() -> None:
    """Register the bounded exit hook, again at each call so that it runs before the exit hooks of
    providers built since (exit hooks run last-in, first-out); and, once, the SIGTERM handler."""
    global _installed
    atexit.unregister(shutdown_global_providers)
    atexit.register(shutdown_global_providers)
    if _installed:
        return
    _installed = True
    if os.environ.get(ev.OTEL_ML_HANDLE_SIGTERM, "").strip().lower() != "false":
        handle_sigterm()


def handle_sigterm() -> bool:
    """Make SIGTERM exit through the exit hooks, when nothing else handles it (a server that sets
    its own handler, as gunicorn and uvicorn do, replaces this one). Returns whether it did."""
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return False
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    except (ValueError, OSError):
        return False
    return True


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    """Exit through the exit hooks; but while the interpreter is still starting (the SIGTERM
    lands in ``opentelemetry-instrument``'s sitecustomize, as uvicorn's supervisor does to a
    worker it has just spawned), quit as the default action would: there is nothing to send yet,
    and a SystemExit there would print a traceback. A SIGTERM that arrives while the bounded exit is
    already under way (a server's supervisor repeating it) is ignored: that exit ends on its own,
    within ``OTEL_ML_SHUTDOWN_TIMEOUT``, and a SystemExit inside an exit hook would only cut it short."""
    if _exiting:
        return
    while frame is not None:
        if frame.f_code.co_filename.endswith("sitecustomize.py"):
            os._exit(128 + signum)
        frame = frame.f_back
    sys.exit(128 + signum)


def global_providers() -> list[tuple[str, Any]]:
    from opentelemetry import metrics, trace

    from otel_ml.logs import global_provider as get_logger_provider

    found = []
    for kind, provider in (("traces", trace.get_tracer_provider()), ("logs", get_logger_provider()),
                           ("metrics", metrics.get_meter_provider())):
        if callable(getattr(provider, "shutdown", None)) and "Proxy" not in type(provider).__name__ and \
                "NoOp" not in type(provider).__name__:
            found.append((kind, provider))
    return found


def mark_shut_down(provider: Any) -> None:
    """``provider`` was shut down by its owner: neither this exit hook nor the SDK's does it again
    (the SDK would log "shutdown can only be called once")."""
    _shut_down.add(id(provider))
    try:
        atexit.unregister(provider.shutdown)
    except Exception:  # noqa: BLE001
        pass


def shutdown_global_providers(timeout: float | None = None) -> list[str]:
    """Shut the global providers down at once, within ``timeout`` seconds; returns the kinds
    (``traces``, ``logs``, ``metrics``) that did not finish in time."""
    global _exiting
    _exiting = True
    return _all_at_once("shutdown", timeout)


def flush_global_providers(timeout: float | None = None) -> list[str]:
    """Flush the global providers at once, within ``timeout`` seconds (a uvicorn worker's last
    chance: it exits without running exit hooks); returns the kinds that did not finish."""
    return _all_at_once("force_flush", timeout)


def _all_at_once(action: str, timeout: float | None) -> list[str]:
    budget = timeout_seconds() if timeout is None else timeout
    deadline = time.monotonic() + budget
    try:
        from otel_ml._log_queue import flush_all as flush_prediction_logs
        from otel_ml.sdk import _flush_drift_counts

        flush_prediction_logs()
        _flush_drift_counts()
    except Exception:  # noqa: BLE001
        pass
    providers = [(kind, provider) for kind, provider in global_providers()
                 if action != "shutdown" or id(provider) not in _shut_down]
    held = {kind: _held(provider) for kind, provider in providers}        # before the processors drain
    threads = []
    for kind, provider in providers:
        if action == "shutdown":
            try:
                atexit.unregister(provider.shutdown)   # this hook replaces the SDK's own
            except Exception:  # noqa: BLE001
                pass
        thread = threading.Thread(target=_quietly, args=(getattr(provider, action),), name=f"otel_ml-{action}-{kind}",
                                  daemon=True)
        thread.start()
        threads.append((kind, provider, thread))
    late = []
    for kind, _provider, thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            late.append(kind)
            lost = f", and the {held[kind]} {_NOUNS[kind]} still queued at exit are lost" if held[kind] else ""
            # one write per line: the workers of a pre-fork server share stderr, and print()'s two
            # writes (text, then newline) interleave their lines
            sys.stderr.write(f"otel_ml: the {kind} provider did not finish ({action}) within {budget:g} s "
                             f"({ev.OTEL_ML_SHUTDOWN_TIMEOUT}); the collector did not answer{lost}\n")
            sys.stderr.flush()
    return late


def _quietly(fn: Any) -> None:
    try:
        fn()
    except Exception:  # noqa: BLE001
        pass


def _held(provider: Any) -> int:
    """Spans or log records still queued in the provider's batch processors (best effort)."""
    total = 0
    for holder in (getattr(provider, "_active_span_processor", None),
                   getattr(provider, "_multi_log_record_processor", None)):
        processors = getattr(holder, "_span_processors", None) or getattr(holder, "_log_record_processors", None)
        for processor in processors or ():
            queue = getattr(getattr(processor, "_batch_processor", None), "_queue", None)
            try:
                total += len(queue) if queue is not None else 0
            except TypeError:
                pass
    return total
