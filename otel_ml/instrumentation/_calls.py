"""Model calls as predictions: what the model-library instrumentations (scikit-learn, XGBoost,
LightGBM, ONNX Runtime), ``monitor.wrap(model)`` and the HTTP layer share.

An instrumented predict method runs the model unchanged, in a span ``predict <model>`` (a child
of the current span: the HTTP server span of a served model). Only the outermost call counts:
a Pipeline's ``predict`` calling its final estimator's, or ``predict_proba`` calling
``decision_function``, is one call. Each row of the call's input is one prediction.

Inside a :class:`Scope` (every HTTP request that otel_ml's Flask or FastAPI instrumentation
sees, or a :func:`prediction_scope` block) calls are collected and recorded when the scope
ends, so that ``predict`` and ``predict_proba`` on the same rows of the same model are one
prediction per row, not two; the HTTP layer's own reading of the body then stands back.
Outside a scope each call is recorded when it returns.

Nothing here raises into the caller: a failure of otel_ml is counted on
``ml.monitor.problems`` and the model's own result or exception goes back untouched.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry import context, trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Status, StatusCode

from otel_ml._context import INSIDE_MODEL_CALL, PREDICTION_SCOPE
from otel_ml._outputs import RowOutputs
from otel_ml._recorder import new_prediction_id

if TYPE_CHECKING:
    from otel_ml._attributes import ModelAttributes
    from otel_ml.monitor import ModelMonitor

_logger = logging.getLogger(__name__)
_INSIDE = INSIDE_MODEL_CALL
_SCOPE = PREDICTION_SCOPE

Reader = Callable[[Any, str, Any, Any], "tuple[Sequence[Any] | None, Hashable | None, RowOutputs]"]
"""``reader(model, method, X, result) -> (feature rows, rows key, outputs)``; ``result`` is
``None`` for a call that raised (only the rows are read then)."""


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


@contextlib.contextmanager
def inside_model_call() -> Iterator[None]:
    """Calls made in this block are not predictions of their own (nested, or not serving)."""
    token = _INSIDE.set(True)
    try:
        yield
    finally:
        _INSIDE.reset(token)


def first_argument(args: tuple[Any, ...], kwargs: dict[str, Any], *names: str) -> Any:
    if args:
        return args[0]
    return next((kwargs[n] for n in names if n in kwargs), None)


def call_model(monitor_for: Callable[[Any], ModelMonitor | None], read: Reader, method: str,
               original: Callable[..., Any], model: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
               inputs: Callable[[tuple[Any, ...], dict[str, Any]], Any]) -> Any:
    """Run ``original(model, *args, **kwargs)``, monitored when it is the outermost model call."""
    if _INSIDE.get() or not is_instrumentation_enabled():
        return original(model, *args, **kwargs)
    token = _INSIDE.set(True)
    try:
        started = _start(monitor_for, model, method)
    except Exception:  # noqa: BLE001
        _warn_once("otel_ml: could not start monitoring a model call; the model ran unmonitored")
        started = None
    began = time.perf_counter()
    try:
        result = original(model, *args, **kwargs)
    except BaseException as exc:
        duration = time.perf_counter() - began
        _INSIDE.reset(token)
        if started is not None:
            _finish(started, read, model, method, inputs(args, kwargs), None, duration, exc)
        raise
    duration = time.perf_counter() - began
    _INSIDE.reset(token)
    if started is not None:
        _finish(started, read, model, method, inputs(args, kwargs), result, duration, None)
    return result


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        _logger.warning(message, exc_info=True)


@dataclass
class _Started:
    monitor: ModelMonitor
    attributes: ModelAttributes
    span: Any
    owns_span: bool
    token: Any


def _start(monitor_for: Callable[[Any], ModelMonitor | None], model: Any, method: str) -> _Started | None:
    monitor = monitor_for(model)
    if monitor is None:
        return None
    recorder = monitor._recorder
    attributes = recorder.attributes
    recorder.tally.enter(attributes)
    current = trace.get_current_span()
    if recorder.annotate_current and current.get_span_context().is_valid:   # recording or sampled out
        return _Started(monitor, attributes, current, False, None)
    span = recorder.tracer.start_span(recorder.span_name, attributes=attributes.base)
    return _Started(monitor, attributes, span, True, context.attach(trace.set_span_in_context(span)))


def _finish(started: _Started, read: Reader, model: Any, method: str, X: Any, result: Any, duration: float,
            exc: BaseException | None) -> None:
    recorder = started.monitor._recorder
    try:
        if started.token is not None:
            context.detach(started.token)
        recorder.tally.leave(started.attributes, None, None, None)
        try:
            rows, rows_key, outputs = read(model, method, X, result)
        except Exception as problem:  # noqa: BLE001
            recorder.problems.report("unreadable_output", exc=problem)
            rows, rows_key, outputs = None, None, RowOutputs(1)
        if exc is not None:
            outputs = RowOutputs(max(outputs.n, 1))
            if started.span.is_recording():
                started.span.record_exception(exc)
                started.span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        call = ModelCall(started.monitor, started.attributes, id(model), rows_key, rows, outputs, duration,
                         started.span, started.owns_span, time.time_ns(),
                         type(exc).__name__ if exc is not None else None, exc, [method])
        scope = _SCOPE.get()
        if scope is not None:
            scope.add(call)
        else:
            record(call, new_prediction_id())
    except Exception as problem:  # noqa: BLE001
        recorder.problems.report("record_failed", exc=problem)
        if started.owns_span:
            started.span.end()
