"""Say once that the collector cannot be reached, and how to start one, instead of a line every few seconds.

The OTLP exporters log every failed attempt (``Transient error ... Connection refused``, then
``Failed to export ... batch due to timeout, max retries or shutdown``): a service started without
a collector prints them for as long as it runs. :func:`say_once` puts a filter on the exporters'
loggers that turns the first record of a failed *connection* into one line with the way out, lets
the others through once every ``repeat`` seconds with how many it held back, and leaves every
other record alone: a collector that answers with an error (``code: 400``, ``Service
Unavailable``) is reported by the SDK as it is, and so is the "gave up" line that follows such an
error. What is dropped is still counted by the SDK's own metrics (``configure()`` turns them on).

>>> import logging
>>> clock = iter([0.0, 700.0]).__next__
>>> notice = Notice("http://localhost:4318", repeat=600, clock=clock)
>>> def record(msg):
...     return logging.LogRecord("opentelemetry.exporter", logging.WARNING, "", 0, msg, (), None)
>>> first = record("Transient error ... Connection refused ... retrying in 1.00s.")
>>> notice.filter(first), first.getMessage().split(": ")[0]
(True, 'otel-ml cannot reach the collector at http://localhost:4318')
>>> notice.filter(record("Failed to export metrics batch due to timeout, max retries or shutdown."))
False
>>> notice.filter(record("some other exporter message"))
True
>>> rejected = record("Failed to export metrics batch code: 400, reason: Bad Request")
>>> notice.filter(rejected), rejected.getMessage()
(True, 'Failed to export metrics batch code: 400, reason: Bad Request')
>>> notice.filter(record("Transient error Service Unavailable encountered while exporting metrics batch"))
True
>>> notice.filter(record("Failed to export metrics batch due to timeout, max retries or shutdown."))
True
>>> again = record("Transient error ... Connection refused")
>>> notice.filter(again), "(1 similar message held back since)" in again.getMessage()
(True, True)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

LOGGERS = ("opentelemetry.exporter.otlp.proto.grpc.exporter",
           "opentelemetry.exporter.otlp.proto.http._common",
           "opentelemetry.exporter.otlp.proto.http.metric_exporter",
           "opentelemetry.exporter.otlp.proto.http.trace_exporter",
           "opentelemetry.exporter.otlp.proto.http._log_exporter")
"""The loggers of the OTLP exporters (SDK 1.45) that report failed exports."""

_UNREACHABLE = ("Connection refused", "Failed to establish a new connection", "NewConnectionError",
                "Max retries exceeded", "StatusCode.UNAVAILABLE", "Name or service not known")
"""Markers of a connection that failed (urllib3's and gRPC's words), not of a collector that answered."""

_GAVE_UP = "due to timeout, max retries or shutdown"
"""The HTTP exporter's last line for a batch: held back only when its retries were for a failed connection."""

HINT = ("telemetry is dropped, and counted, until one answers. Start one there (an OpenTelemetry "
        "Collector; Grafana with a collector in one container: bash scripts/grafana-lgtm.sh from a clone "
        "of otel-ml; or the docker compose stack in compose/), point OTEL_EXPORTER_OTLP_ENDPOINT at yours, "
        "or watch it in this terminal with "
        "OTEL_TRACES_EXPORTER=console OTEL_METRICS_EXPORTER=console OTEL_LOGS_EXPORTER=console, or turn "
        "export off with =none. Repeats are held back")


class Notice(logging.Filter):
    """The filter of :func:`say_once`: one line with the way out, then one per ``repeat`` seconds."""

    def __init__(self, endpoint: str, repeat: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.endpoint, self.repeat, self._clock = endpoint, repeat, clock
        self._lock = threading.Lock()
        self._said_at: float | None = None
        self._unreachable = False
        self.held_back = 0

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is not ours to judge
            return True
        if not any(marker in message for marker in _UNREACHABLE):
            if _GAVE_UP in message and self._unreachable:
                with self._lock:
                    self.held_back += 1
                return False
            if "Transient error" in message:  # the collector answered, with an error worth seeing
                self._unreachable = False
            return True
        self._unreachable = True
        with self._lock:
            now = self._clock()
            if self._said_at is not None and now - self._said_at < self.repeat:
                self.held_back += 1
                return False
            first, held, self._said_at, self.held_back = self._said_at is None, self.held_back, now, 0
        cause = "connection refused" if "refused" in message.lower() else "the export failed"
        if first:
            record.msg = f"otel-ml cannot reach the collector at {self.endpoint}: {cause}; {HINT}."
        else:
            record.msg = (f"otel-ml still cannot reach the collector at {self.endpoint}: {cause} "
                          f"({held} similar message{'s' if held != 1 else ''} held back since)")
        record.args = ()
        return True


def say_once(endpoint: str, repeat: float = 600.0) -> Notice:
    """Put one :class:`Notice` on every OTLP exporter logger; returns it."""
    notice = Notice(endpoint, repeat)
    for name in LOGGERS:
        logging.getLogger(name).addFilter(notice)
    return notice
