"""The model calls of one request, collected and recorded together when it ends.

Inside a :class:`Scope` (every HTTP request that otel_ml's Flask or FastAPI instrumentation
sees, or a :func:`prediction_scope` block) the calls that :mod:`otel_ml.instrumentation._calls`
wraps are added here, and ``predict`` and ``predict_proba`` on the same rows of the same model
merge into one prediction per row. Nothing here raises into the caller: a failure of otel_ml is
counted on ``ml.monitor.problems``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from otel_ml._context import PREDICTION_SCOPE
from otel_ml._outputs import RowOutputs
from otel_ml._recorder import new_prediction_id

if TYPE_CHECKING:
    from otel_ml._attributes import ModelAttributes
    from otel_ml.monitor import ModelMonitor

_SCOPE = PREDICTION_SCOPE


@dataclass
class ModelCall:
    """One outermost model call (or several merged on the same rows), waiting to be recorded."""

    monitor: ModelMonitor
    attributes: ModelAttributes
    model_key: int
    rows_key: Hashable | None
    rows: Sequence[Any] | None
    outputs: RowOutputs
    duration: float
    span: Any
    owns_span: bool
    end_ns: int | None = None
    error_type: str | None = None
    exc: BaseException | None = None
    methods: list[str] = field(default_factory=list)
    merged_spans: list[tuple[Any, int | None]] = field(default_factory=list)
    """Spans of the later calls merged into this one: they get this prediction's attributes."""

    def merge(self, other: ModelCall) -> None:
        """Take what ``other`` (a later call on the same rows) adds: labels from ``predict``
        win over those derived from probabilities, confidences from ``predict_proba`` fill in."""
        mine, theirs = self.outputs, other.outputs
        labels = theirs.labels if "predict" in other.methods and theirs.labels is not None else \
            mine.labels if mine.labels is not None else theirs.labels
        self.outputs = RowOutputs(mine.n, labels,
                                  mine.confidences if mine.confidences is not None else theirs.confidences,
                                  mine.values if mine.values is not None else theirs.values)
        self.duration += other.duration
        self.methods.extend(other.methods)
        if other.owns_span and other.span is not None:
            self.merged_spans.append((other.span, other.end_ns))


class Scope:
    """The model calls of one request: recorded together when the request ends."""

    __slots__ = ("id", "calls", "explicit", "signed_ids")

    def __init__(self, prediction_id: str | None = None) -> None:
        self.id = prediction_id or new_prediction_id()
        """The request's prediction id: its only row's id, or the base of ``<id>.<row>``."""
        self.calls: list[ModelCall] = []
        self.explicit = False
        """Set when code inside called ``monitor.predict()`` itself."""
        self.signed_ids: list[str] = []
        """The signed ids the recorded calls were given, one per call (with a signing key)."""

    @property
    def has_predictions(self) -> bool:
        return bool(self.calls) or self.explicit

    def add(self, call: ModelCall) -> None:
        if call.rows_key is not None and call.error_type is None:
            for earlier in self.calls:
                if earlier.monitor is call.monitor and earlier.model_key == call.model_key and \
                        earlier.rows_key == call.rows_key and earlier.error_type is None and \
                        earlier.outputs.n == call.outputs.n:
                    earlier.merge(call)
                    return
        self.calls.append(call)

    def flush(self, row_ids: Sequence[str] | None = None, client_error: int | None = None) -> list[str]:
        """Record every call; returns the row ids given: ``row_ids`` (the app's own, one per row),
        else a signed id per call (with a signing key), else ``<scope id>`` or ``<scope id>.<row>``.
        With ``client_error`` (the 4xx status the request was answered with), a failed call is a
        rejected request, not a failed prediction."""
        calls, self.calls = self.calls, []
        if client_error is not None:
            for call in [c for c in calls if c.error_type is not None]:
                reject(call, client_error)
            calls = [c for c in calls if c.error_type is None]
        total = sum(call.outputs.n for call in calls)
        given = row_ids is not None and len(row_ids) == total
        if not given:
            row_ids = [self.id] if total == 1 else [f"{self.id}.{i}" for i in range(total)]
        assert row_ids is not None
        issued: list[str] = []
        start = 0
        for call in calls:
            n = call.outputs.n
            signs = not given and call.error_type is None and call.monitor._recorder.signer is not None
            ids = record(call, self.id, None if signs else row_ids[start:start + n])
            if signs and ids:
                self.signed_ids.append(ids[0] if n == 1 else ids[0].rsplit(".", 1)[0])
            issued.extend(ids)
            start += n
        return issued


def record(call: ModelCall, prediction_id: str, row_ids: Sequence[str] | None = None) -> list[str]:
    """Turn one call into telemetry, and end its span; returns its rows' ids."""
    recorder = call.monitor._recorder
    ids: list[str] = []
    try:
        ids = recorder.emit_rows(call.attributes, call.outputs, call.rows, call.duration, call.span, prediction_id,
                                 call.error_type, call.exc, row_ids, call.owns_span)
    except Exception as problem:  # noqa: BLE001
        recorder.problems.report("record_failed", exc=problem)
    finally:
        try:
            for span, end_ns in call.merged_spans:
                if call.span is not None and span.is_recording():
                    span.set_attributes(dict(getattr(call.span, "attributes", None) or {}))
                span.end(end_time=end_ns)
            if call.owns_span and call.span is not None:
                call.span.end(end_time=call.end_ns)
        except Exception as problem:  # noqa: BLE001
            recorder.problems.report("span_end_failed", exc=problem)
    return ids


def reject(call: ModelCall, status_code: int) -> None:
    """Count a failed call whose request was answered with a client error, and end its spans."""
    recorder = call.monitor._recorder
    recorder.reject(call.attributes, status_code, call.error_type, call.outputs.n)
    try:
        for span, end_ns in call.merged_spans:
            span.end(end_time=end_ns)
        if call.owns_span and call.span is not None:
            call.span.end(end_time=call.end_ns)
    except Exception as problem:  # noqa: BLE001
        recorder.problems.report("span_end_failed", exc=problem)


def open_scope(prediction_id: str | None = None) -> tuple[Scope, Any]:
    """Start collecting model calls; returns the scope and the token for :func:`close_scope`."""
    scope = Scope(prediction_id)
    return scope, _SCOPE.set(scope)


def close_scope(token: Any) -> None:
    try:
        _SCOPE.reset(token)
    except ValueError:               # reset from another context (a finished ASGI task): harmless
        _SCOPE.set(None)


@contextlib.contextmanager
def prediction_scope(prediction_id: str | None = None) -> Iterator[Scope]:
    """Group the model calls of a block as one request does: ``predict`` and ``predict_proba``
    on the same rows become one prediction per row, recorded when the block ends.

    >>> from otel_ml.instrumentation import prediction_scope
    >>> with prediction_scope() as scope:
    ...     pass                        # model.predict(X); model.predict_proba(X)
    >>> scope.has_predictions
    False
    """
    scope, token = open_scope(prediction_id)
    try:
        yield scope
    finally:
        close_scope(token)
        scope.flush()
