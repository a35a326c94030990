"""What the Flask and FastAPI instrumentations share: the settings of one app (arguments first,
then ``OTEL_ML_*``, then defaults), and the life of one request.

Every request gets a :class:`~otel_ml.instrumentation._scope.Scope`. Model calls that an
instrumented model library (or ``monitor.wrap``) makes inside it are the request's predictions,
recorded when it ends, under the HTTP server span. When there are none and the route is a
prediction route, the HTTP layer reads the prediction from the bodies itself: features from the
request, label, confidence and value from the response (:mod:`otel_ml.instrumentation._reading`).
So nothing is counted twice. An outcome route's requests are read as ground truth.

>>> settings = app_monitoring(None, routes=["/score"], features="inputs.row", environ={})
>>> sorted(settings.routes), settings.reading.features({"inputs": {"row": [1, 2]}})
(['/score'], [1, 2])
>>> sorted(app_monitoring(None, environ={"OTEL_ML_ROUTES": "/a, /b"}).routes)
['/a', '/b']
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opentelemetry import context, trace
from opentelemetry.trace import Status, StatusCode

from otel_ml import environment_variables as ev
from otel_ml._outputs import RowOutputs
from otel_ml.instrumentation import _monitors
from otel_ml.instrumentation._reading import Extractor, OutputReader, Reading, compile_path, outcomes_of
from otel_ml.instrumentation._scope import ModelCall, close_scope, open_scope

if TYPE_CHECKING:
    from otel_ml.monitor import ModelMonitor

DEFAULT_ROUTES = ("/predict",)
MAX_BODY = 1 << 20
"""Request and response bodies larger than this (1 MiB) are passed through unread."""
_TASKS = ("auto", "classification", "regression")


@dataclass
class AppMonitoring:
    """Per-app state: kept in ``app.extensions["otel_ml"]`` (Flask) or ``app.state.otel_ml`` (FastAPI)."""

    explicit_monitor: ModelMonitor | None
    routes: frozenset[str]
    reading: Reading = field(default_factory=Reading)
    outcome_routes: frozenset[str] = frozenset()
    outcome_id: Extractor | None = None
    outcome_actual: Extractor | None = None
    id_header: str | None = None
    methods: frozenset[str] = field(default_factory=lambda: frozenset({"POST", "PUT"}))

    @property
    def monitor(self) -> ModelMonitor:
        """The monitor of the HTTP layer's own readings (the one given, else the process's)."""
        return self.explicit_monitor if self.explicit_monitor is not None else _monitors.monitor_named()

    def is_prediction(self, method: str, route: str | None) -> bool:
        return method in self.methods and route is not None and ("*" in self.routes or route in self.routes)

    def is_outcome(self, method: str, route: str | None) -> bool:
        return method in self.methods and route is not None and route in self.outcome_routes

    def record_outcome(self, prediction_id: str, actual: Any) -> bool:
        if self.explicit_monitor is not None:
            return self.explicit_monitor.record_outcome(prediction_id, actual)
        return _monitors.record_outcome(prediction_id, actual)


def app_monitoring(monitor: ModelMonitor | None = None, routes: Iterable[str] | None = None,
                   features: Extractor | str | None = None, output: OutputReader | None = None, *,
                   environ: Mapping[str, str] | None = None, **providers: Any) -> AppMonitoring:
    """An app's settings: each argument that is not ``None`` wins over its ``OTEL_ML_*`` variable.
    A bad setting raises ``ValueError`` naming the variable; ``providers`` (``tracer_provider``,
    ``meter_provider``, ``logger_provider``) are for the monitors built from the environment."""
    env = os.environ if environ is None else environ
    _monitors.use_providers(**providers)

    def get(name: str) -> str | None:
        raw = env.get(name, "").strip()
        return raw or None

    def path(name: str) -> Extractor | None:
        raw = get(name)
        return compile_path(raw, name) if raw else None

    route_list = list(routes) if routes is not None else _split(get(ev.OTEL_ML_ROUTES)) or list(DEFAULT_ROUTES)
    if features is None:
        features = get(ev.OTEL_ML_FEATURES_FIELD)
    task = (get(ev.OTEL_ML_TASK) or "auto").lower()
    if task not in _TASKS:
        raise ValueError(f"{ev.OTEL_ML_TASK} must be one of {', '.join(_TASKS)}, got {task!r}.")
    reading = Reading(
        features=compile_path(features, ev.OTEL_ML_FEATURES_FIELD) if isinstance(features, str) else features,
        label=path(ev.OTEL_ML_LABEL_PATH), confidence=path(ev.OTEL_ML_CONFIDENCE_PATH),
        value=path(ev.OTEL_ML_VALUE_PATH), prediction_ids=path(ev.OTEL_ML_PREDICTION_ID_PATH),
        output=output, task=task)  # type: ignore[arg-type]
    return AppMonitoring(monitor, frozenset(route_list), reading,
                         frozenset(_split(get(ev.OTEL_ML_OUTCOME_ROUTES))),
                         path(ev.OTEL_ML_OUTCOME_ID_PATH), path(ev.OTEL_ML_OUTCOME_ACTUAL_PATH),
                         get(ev.OTEL_ML_PREDICTION_ID_HEADER))


def _split(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


class RequestMonitoring:
    """One request, from the moment the framework sees it to the end of its response."""

    __slots__ = ("state", "prediction_route", "outcome_route", "scope", "_token", "_started_ns", "_began",
                 "_context", "_active", "done")

    def __init__(self, state: AppMonitoring, method: str, route: str | None) -> None:
        self.state = state
        self.prediction_route = state.is_prediction(method, route)
        self.outcome_route = state.is_outcome(method, route)
        self.scope, self._token = open_scope()
        self._started_ns = time.time_ns()
        self._began = time.perf_counter()
        self._context = context.get_current()
        self._active = None
        self.done = False
        if self.prediction_route:
            try:
                recorder = state.monitor._recorder
                self._active = (recorder.tally, recorder.attributes)
                recorder.tally.enter(recorder.attributes)
                recorder.cost.add_request(time.perf_counter() - self._began)
            except Exception:  # noqa: BLE001 - a monitor that cannot be built: the app goes on
                self._active = None

    def header(self) -> str | None:
        """The prediction id header's value, when the app opted in and this request predicts: the
        signed id of each model call (comma-separated; after :meth:`finish`), or the request's id."""
        if not self.state.id_header:
            return None
        if self.scope.signed_ids:
            return ",".join(self.scope.signed_ids)
        if self.prediction_route or self.scope.has_predictions:
            return self.scope.id
        return None

    def finish(self, status: int, request: Callable[[], Any], response: Callable[[], Any],
               exc: BaseException | None) -> None:
        """Record the request's predictions (or read them from the bodies), and its outcomes.
        ``request`` and ``response`` give the parsed bodies (``None`` when not readable). A second
        call does nothing."""
        if self.done:
            return
        self.done = True
        began = time.perf_counter()
        try:
            cost = self.state.monitor._recorder.cost
        except Exception:  # noqa: BLE001 - a monitor that cannot be built: the app goes on
            cost = None
        inner = cost.this_thread() if cost is not None else 0.0     # what emit_rows counts itself, inside
        try:
            self._finish(status, request, response, exc)
        finally:
            if cost is not None:
                cost.add_request(time.perf_counter() - began - (cost.this_thread() - inner))

    def _finish(self, status: int, request: Callable[[], Any], response: Callable[[], Any],
                exc: BaseException | None) -> None:
        close_scope(self._token)
        scope = self.scope
        client_error = status if exc is None and 400 <= status < 500 else None
        try:
            if self.outcome_route and exc is None and status < 400:
                self._record_outcomes(request)
            if scope.calls:
                scope.flush(self._ids(response, exc), client_error)
            elif self.prediction_route and not scope.explicit:
                if client_error is not None:       # answered before or instead of a prediction
                    recorder = self.state.monitor._recorder
                    recorder.reject(recorder.attributes, client_error, None)
                else:
                    self._read_from_bodies(status, request, response, exc)
        finally:
            if self._active is not None:
                tally, attributes = self._active
                tally.leave(attributes, None, None, None)

    def _record_outcomes(self, request: Callable[[], Any]) -> None:
        try:
            outcomes = outcomes_of(request(), self.state.outcome_id, self.state.outcome_actual)
        except Exception as problem:  # noqa: BLE001 - a body nested too deep, say: the app answered it
            self.state.monitor._recorder.problems.report("unreadable_outcome", exc=problem)
            return
        for prediction_id, actual in outcomes:
            self.state.record_outcome(prediction_id, actual)

    def _ids(self, response: Callable[[], Any], exc: BaseException | None) -> list[str] | None:
        if self.state.reading.prediction_ids is None or exc is not None:
            return None
        try:
            return self.state.reading.ids_of(response())
        except Exception as problem:  # noqa: BLE001
            self.state.monitor._recorder.problems.report("unreadable_prediction_ids", exc=problem)
            return None

    def _read_from_bodies(self, status: int, request: Callable[[], Any], response: Callable[[], Any],
                          exc: BaseException | None) -> None:
        monitor = self.state.monitor
        recorder = monitor._recorder
        reading = self.state.reading
        try:
            rows, batch = reading.features_of(request())
        except Exception as problem:  # noqa: BLE001
            recorder.problems.report("unreadable_request", exc=problem)
            rows, batch = None, False
        error_type = type(exc).__name__ if exc is not None else str(status) if status >= 400 else None
        if error_type is not None:
            outputs = RowOutputs(len(rows) if batch and rows else 1)
        else:
            try:
                outputs = reading.outputs_of(response())
            except Exception as problem:  # noqa: BLE001
                recorder.problems.report("unreadable_output", exc=problem)
                outputs = RowOutputs(len(rows) if batch and rows else 1)
        if rows is not None and len(rows) != outputs.n:
            if batch:
                recorder.problems.report("rows_outputs_mismatch",
                                         f"{len(rows)} rows of features, {outputs.n} predictions")
            rows = rows if len(rows) >= outputs.n else None
        current = trace.get_current_span()
        if recorder.annotate_current and current.get_span_context().is_valid:   # recording or sampled out
            span, owns = current, False
        else:
            span, owns = recorder.tracer.start_span(recorder.span_name, context=self._context,
                                                    attributes=recorder.attributes.base,
                                                    start_time=self._started_ns), True
        if exc is not None and span.is_recording():
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        elif error_type is not None and owns:
            span.set_status(Status(StatusCode.ERROR))
        self.scope.calls.append(ModelCall(monitor, recorder.attributes, 0, None, rows, outputs,
                                          time.perf_counter() - self._began, span, owns, time.time_ns(),
                                          error_type, exc, ["http"]))
        self.scope.flush(self._ids(response, exc))
