"""Model calls as predictions: what the model-library instrumentations (scikit-learn, XGBoost,
LightGBM, ONNX Runtime), ``monitor.wrap(model)`` and the HTTP layer share.

An instrumented predict method runs the model unchanged, in a span ``predict <model>`` (a child
of the current span: the HTTP server span of a served model). Only the outermost call counts:
a Pipeline's ``predict`` calling its final estimator's, or ``predict_proba`` calling
``decision_function``, is one call. Each row of the call's input is one prediction.

Inside a scope (:mod:`otel_ml.instrumentation._scope`: every HTTP request that otel_ml's
Flask or FastAPI instrumentation sees, or a ``prediction_scope`` block) calls are collected and
recorded when the scope ends, so that ``predict`` and ``predict_proba`` on the same rows of the same model are one
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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import context, trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Status, StatusCode

from otel_ml._context import INSIDE_MODEL_CALL, PREDICTION_SCOPE
from otel_ml._outputs import RowOutputs
from otel_ml._recorder import new_prediction_id
from otel_ml.instrumentation._scope import ModelCall, record

if TYPE_CHECKING:
    from otel_ml._attributes import ModelAttributes
    from otel_ml.monitor import ModelMonitor

_logger = logging.getLogger(__name__)
_INSIDE = INSIDE_MODEL_CALL
_SCOPE = PREDICTION_SCOPE

Reader = Callable[[Any, str, Any, Any], "tuple[Sequence[Any] | None, Hashable | None, RowOutputs]"]
"""``reader(model, method, X, result) -> (feature rows, rows key, outputs)``; ``result`` is
``None`` for a call that raised (only the rows are read then)."""


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
