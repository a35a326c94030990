"""Say once that the collector cannot be reached, and how to start one, instead of a line every few seconds.

The OTLP exporters log every failed attempt (``Transient error ... Connection refused``, then
``Failed to export ... batch``): a service started without a collector prints them for as long
as it runs. :func:`say_once` puts a filter on the exporters' loggers that turns the first such
record into one line with the way out, lets the others through once every ``repeat`` seconds with
how many it held back, and leaves every other record alone. What is dropped is still counted by
the SDK's own metrics (``configure()`` turns them on).

>>> import logging
>>> clock = iter([0.0, 1.0, 700.0]).__next__
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

_UNREACHABLE = ("Transient error", "Failed to export", "Connection refused", "UNAVAILABLE", "Max retries exceeded")

HINT = ("telemetry is dropped, and counted, until one answers. Start one there (an OpenTelemetry "
        "Collector, or the docker compose stack in compose/), point OTEL_EXPORTER_OTLP_ENDPOINT at yours, "
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
        self.held_back = 0

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is not ours to judge
            return True
        if not any(marker in message for marker in _UNREACHABLE):
            return True
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
