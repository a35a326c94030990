"""The per-prediction hot path: one span, two histogram records, a tally, a log record, a store entry.

Everything here is guarded: a failure inside otel_ml is counted on ``ml.monitor.problems`` and
logged once, and the model's own exception goes back to the caller untouched.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from opentelemetry import context, trace
from opentelemetry.metrics import Meter
from opentelemetry.trace import Span, Status, StatusCode

from otel_ml import logs, semconv
from otel_ml._attributes import BoundedValues, ModelAttributes
from otel_ml._context import INSIDE_MODEL_CALL, PREDICTION_SCOPE
from otel_ml._cost import SelfCost
from otel_ml._inflight import DriftFeed, InFlight
from otel_ml._log_queue import LogQueue
from otel_ml._numbers import checked_confidence, checked_value
from otel_ml._observables import observe
from otel_ml._outputs import RowOutputs, as_list, label_text, row_at
from otel_ml._problems import Problems
from otel_ml._sampling import LogSampling
from otel_ml._tally import PredictionTally
from otel_ml.features import FeatureCapture, FeatureCheck
from otel_ml.prediction import Prediction
from otel_ml.signed_ids import PREFIX as SIGNED_PREFIX
from otel_ml.signed_ids import IdSigner
from otel_ml.store import RecentPredictions, StoredPrediction

_ERROR_STATUS_NO_DESCRIPTION = Status(StatusCode.ERROR)
_getrandbits = random.getrandbits


def new_prediction_id() -> str:
    """A random 64-bit id in hex. Unique, not secret: ``random`` is reseeded in forked children,
    and skipping the ``os.urandom`` system call saves microseconds on every prediction."""
    return f"{_getrandbits(64):016x}"


class PredictionRecorder:
    """Turns finished :class:`Prediction` handles into telemetry. Built by :class:`ModelMonitor`."""

    def __init__(self, *, tracer: trace.Tracer, meter: Meter, logger: logs.Logger, attributes: ModelAttributes,
                 labels: BoundedValues, error_types: BoundedValues, store: RecentPredictions,
                 problems: Problems, check: FeatureCheck, capture: FeatureCapture,
                 log_sample_ratio: float, value_unit: str, value_buckets: Sequence[float] | None,
                 prediction_span: str = "child", signer: IdSigner | None = None,
                 drift_feed: DriftFeed | None = None, log_confidence_below: float | None = None) -> None:
        self.tracer = tracer
        self.signer = signer
        self.annotate_current = prediction_span == "current"
        self.attributes = attributes
        self.span_name = f"{semconv.PREDICT_SPAN} {attributes.name}"
        self.labels = labels
        self.error_types = error_types
        self.store = store
        self.problems = problems
        self.check = check
        self.feature_names = BoundedValues(max(len(check.feature_names or ()) + 1, 100))
        self.capture = capture
        self.log_sample_ratio = log_sample_ratio
        self.log_sampling = LogSampling(log_sample_ratio, log_confidence_below,
                                        (lambda: bool(getattr(drift_feed, "drifting", False))) if drift_feed else None)
        self.logger = logger
        self.tally = PredictionTally()
        self.duration = semconv.create_ml_prediction_duration(meter)
        self.confidence = semconv.create_ml_prediction_confidence(meter)
        self.value = semconv.create_ml_prediction_value(meter, value_unit, value_buckets)
        self.feature_invalid = semconv.create_ml_feature_invalid(meter)
        self.rejected = semconv.create_ml_requests_rejected(meter)
        observe(meter, semconv.create_ml_predictions, self.tally.observe_counts)
        observe(meter, semconv.create_ml_prediction_active, self.tally.observe_active)
        self.drift_feed = drift_feed
        """Gets ``update(row, label or value, confidence)`` per successful prediction."""
        self.log_queue = LogQueue(self.logger.emit, lambda n: problems.report("log_queue_full", count=True))
        self.cost = SelfCost(attributes.base)
        """What this monitor costs (:mod:`otel_ml._cost`): its hooks' time, its threads' CPU."""
        self.cost.watch("logs", lambda: self.log_queue.cpu_seconds)
        if drift_feed is not None and hasattr(drift_feed, "cpu_seconds"):
            self.cost.watch("drift", lambda: float(getattr(drift_feed, "cpu_seconds", 0.0)))
        observe(meter, semconv.create_ml_monitor_time, self.cost.observe)

    # ------------------------------------------------------------------ start
    def start(self) -> InFlight:
        """Start one prediction: its span (current until :meth:`finish`), and the active count."""
        state = InFlight(time.perf_counter())
        try:
            scope = PREDICTION_SCOPE.get()
            if scope is not None:          # the HTTP layer's own reading stands back
                scope.explicit = True
            state.inside = INSIDE_MODEL_CALL.set(True)     # model calls inside are this prediction's
            attributes = state.attributes = self.attributes
            self.tally.enter(attributes)
            if self.annotate_current:
                current = trace.get_current_span()
                if current.get_span_context().is_valid:       # recording, or sampled out: no span to add
                    if current.is_recording():
                        current.set_attributes(attributes.base)
                    state.span, state.owns_span = current, False
                    return state
            span = state.span = self.tracer.start_span(self.span_name, attributes=attributes.base)
            state.token = context.attach(trace.set_span_in_context(span))
        except Exception as exc:  # noqa: BLE001
            state.attributes = None
            self.problems.report("start_failed", exc=exc)
        return state

    # ------------------------------------------------------------------ finish
    def finish(self, p: Prediction, state: InFlight, exc: BaseException | None) -> None:
        """Record what ``p`` says (or ``exc``), then end its span and the active count."""
        duration = time.perf_counter() - state.started
        span = state.span
        try:
            if state.attributes is not None:
                self._emit(p, state, state.attributes, exc, duration)
        except Exception as problem:  # noqa: BLE001
            self.problems.report("record_failed", exc=problem)
        finally:
            try:
                if state.attributes is not None:       # always: "active" must come back down
                    self.tally.leave(state.attributes, None, None, None)
                if state.inside is not None:
                    try:
                        INSIDE_MODEL_CALL.reset(state.inside)
                    except ValueError:          # ended in another context (a generator, a task)
                        INSIDE_MODEL_CALL.set(False)
                if state.token is not None:
                    context.detach(state.token)  # type: ignore[arg-type]
                if span is not None and state.owns_span:
                    span.end()
            except Exception as problem:  # noqa: BLE001
                self.problems.report("span_end_failed", exc=problem)

    def _emit(self, p: Prediction, state: InFlight, attributes: ModelAttributes, exc: BaseException | None,
              duration: float) -> None:
        """Everything but the count of active predictions: one row, or the rows of a batch."""
        span = state.span
        failed = exc is not None or p.error_type is not None
        if p.batch is not None and not failed:
            self._emit_batch(p, p.batch, attributes, span, duration)
            return
        error_type = (type(exc).__name__ if exc is not None else p.error_type) if failed else None
        signed = p.id.startswith(SIGNED_PREFIX)
        ids = self.emit_rows(attributes, RowOutputs(1, [p.label], [p.confidence], [p.value]),
                             [p.features] if p.features is not None else None, duration, span, p.id, error_type,
                             exc, row_ids=[p.id] if signed else None, owns_span=state.owns_span, presigned=signed)
        p.id = ids[0]
        if span is not None and span.is_recording():
            if exc is not None:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
            elif error_type is not None and state.owns_span:      # an HTTP span's status is its own
                span.set_status(_ERROR_STATUS_NO_DESCRIPTION)

    def _emit_batch(self, p: Prediction, batch: tuple[Any, Any, Any], attributes: ModelAttributes,
                    span: Span | None, duration: float) -> None:
        labels, confidences, values = batch
        try:
            listed = (as_list(labels), as_list(confidences), as_list(values))
            n = len(listed[0] if listed[0] is not None else listed[2] or ())
            outputs = RowOutputs(n, *listed)
        except Exception as problem:  # noqa: BLE001 - outputs that cannot be read: one prediction
            self.problems.report("unreadable_batch", exc=problem)
            outputs = RowOutputs(1)
        try:
            rows = list(p.features) if p.features is not None else None
        except Exception as problem:  # noqa: BLE001
            self.problems.report("unreadable_batch", exc=problem)
            rows = None
        n = outputs.n
        ids = self.emit_rows(attributes, outputs, rows, duration, span, p.id)
        if ids and n > 1:
            p.id = ids[0].rsplit(".", 1)[0]            # the batch's id; row i is <id>.<i>
        elif ids:
            p.id = ids[0]

    def emit_rows(self, attributes: ModelAttributes, outputs: RowOutputs, rows: Sequence[Any] | None,
                  duration: float, span: Span | None, prediction_id: str, error_type: str | None = None,
                  exc: BaseException | None = None, row_ids: Sequence[str] | None = None,
                  owns_span: bool = True, presigned: bool = False) -> list[str]:
        """Record the rows of one call (see :meth:`_emit_rows`); its time is counted as otel_ml's
        own (:mod:`otel_ml._cost`)."""
        began = time.perf_counter()
        try:
            return self._emit_rows(attributes, outputs, rows, duration, span, prediction_id, error_type, exc,
                                   row_ids, owns_span, presigned)
        finally:
            self.cost.add_request(time.perf_counter() - began)

    def _emit_rows(self, attributes: ModelAttributes, outputs: RowOutputs, rows: Sequence[Any] | None,
                   duration: float, span: Span | None, prediction_id: str, error_type: str | None,
                   exc: BaseException | None, row_ids: Sequence[str] | None, owns_span: bool,
                   presigned: bool) -> list[str]:
        """Record ``outputs.n`` predictions made by one model call (or merged calls on the same rows).

        Each row is one prediction: counted with its label, its share of ``duration``, its
        confidence or value, a store entry (id ``prediction_id`` for one row, else
        ``prediction_id.<row>``, or ``row_ids``), a log record and one drift sample. ``span``
        carries the call's attributes; when it is not ours (``owns_span`` false: the HTTP server
        span), its ``error.type`` is left to the HTTP layer. ``presigned``: ``row_ids`` are signed
        ids already (they need no store entry). Returns the row ids.
        """
        n = outputs.n
        signed = False
        if (row_ids is None or len(row_ids) != n) and self.signer is not None and error_type is None:
            try:
                prediction_id = self.sign(attributes, outputs, span)
                signed = True
            except Exception as problem:  # noqa: BLE001 - unsigned ids, matched by this process only
                self.problems.report("sign_failed", exc=problem)
        if row_ids is None or len(row_ids) != n:
            row_ids = [prediction_id] if n == 1 else [f"{prediction_id}.{i}" for i in range(n)]
        else:
            signed = presigned
        per_row = duration / max(n, 1)
        if error_type is not None:
            error_type = self.error_types.bound(error_type)
            status, metric_attributes = "error", attributes.error(error_type)
        else:
            status, metric_attributes = "ok", attributes.ok
        labels, confidences, values = outputs.labels, outputs.confidences, outputs.values
        span_context = span.get_span_context() if span is not None else None
        now = self.store.now()
        feed = self.drift_feed
        first: dict[str, Any] = {}
        for i in range(n):
            raw_label = row_at(labels, i)
            label = self.labels.bound(raw_label) if raw_label is not None else None      # never raises
            self.tally.count(attributes, status, error_type, label)   # first: counted, whatever follows
            confidence = checked_confidence(row_at(confidences, i), self.problems)
            value = checked_value(row_at(values, i), self.problems)
            try:
                self.duration.record(per_row, metric_attributes)
                if confidence is not None:
                    self.confidence.record(confidence,
                                           attributes.label(label) if label is not None else attributes.base)
                if value is not None:
                    self.value.record(value, attributes.base)
            except Exception as problem:  # noqa: BLE001 - the SDK's instruments, say: the rest goes on
                self.problems.report("record_failed", exc=problem)
            row = rows[i] if rows is not None and i < len(rows) else None
            details: dict[str, Any] = {semconv.ML_PREDICTION_ID: row_ids[i], semconv.ML_PREDICTION_STATUS: status}
            if label is not None:
                details[semconv.ML_PREDICTION_LABEL] = label_text(raw_label)       # never raises
            if confidence is not None:
                details[semconv.ML_PREDICTION_CONFIDENCE] = confidence
            if value is not None:
                details[semconv.ML_PREDICTION_VALUE] = value
            if error_type is not None:
                details[semconv.ERROR_TYPE] = error_type
            if n > 1:
                details[semconv.ML_BATCH_SIZE] = n
            if i == 0:
                first = details
            # each step on its own: one that fails is counted, and the others still happen
            try:
                if row is not None:
                    self._check_features(row, attributes)
            except Exception as problem:  # noqa: BLE001
                self.problems.report("feature_check_failed", exc=problem)
            try:
                if error_type is not None or self.log_sampling.keep(confidence, per_row):
                    self._log_row(attributes, details, row, per_row, exc)
            except Exception as problem:  # noqa: BLE001
                self.problems.report("log_failed", exc=problem)
            if error_type is None and not signed:      # a signed id carries all this itself
                try:
                    self.store.add(row_ids[i], StoredPrediction(
                        attributes.version, details.get(semconv.ML_PREDICTION_LABEL), value, span_context, now))
                except Exception as problem:  # noqa: BLE001
                    self.problems.report("store_failed", exc=problem)
                try:
                    if feed is not None and row is not None:
                        feed.update(row, raw_label if raw_label is not None else value, confidence)
                except Exception as problem:  # noqa: BLE001 - a row the drift processor cannot read
                    self.problems.report("drift_feed_failed", exc=problem)
        if span is not None and span.is_recording():
            if not owns_span:
                span.set_attributes(attributes.base)
            if n == 1:
                span.set_attributes(first if owns_span or exc is not None else   # a 4xx: error.type is
                                    {k: v for k, v in first.items() if k != semconv.ERROR_TYPE})  # the HTTP layer's
            else:
                span.set_attributes({semconv.ML_PREDICTION_ID: prediction_id, semconv.ML_PREDICTION_STATUS: status,
                                     semconv.ML_BATCH_SIZE: n})
        return list(row_ids)

    def reject(self, attributes: ModelAttributes, status_code: int, error_type: str | None, n: int = 1) -> None:
        """Count ``n`` requests the app answered with a client error: not predictions. Never raises."""
        try:
            self.rejected.add(n, {**attributes.base, semconv.HTTP_RESPONSE_STATUS_CODE: status_code,
                                  semconv.ERROR_TYPE: self.error_types.bound(error_type or str(status_code))})
        except Exception as problem:  # noqa: BLE001
            self.problems.report("record_failed", exc=problem)

    def sign_recorded(self, p: Prediction, state: InFlight) -> None:
        """Give ``p`` the signed id of what it recorded, so that ``p.id`` read inside the block is
        the one ground truth can use anywhere. Never raises."""
        try:
            if self.signer is not None and state.attributes is not None:
                outputs = RowOutputs(1, [p.label] if p.label is not None else None, None,
                                          [p.value] if p.label is None else None)
                p.id = self.sign(state.attributes, outputs, state.span)
        except Exception as problem:  # noqa: BLE001
            self.problems.report("sign_failed", exc=problem)

    def sign(self, attributes: ModelAttributes, outputs: RowOutputs, span: Span | None) -> str:
        """A signed id for the rows of one call (see :mod:`otel_ml.signed_ids`)."""
        assert self.signer is not None, "sign() is called only with a signer"
        labels = [None if v is None else label_text(v) for v in outputs.labels] if outputs.labels is not None \
            else None
        return self.signer.sign(attributes.name, attributes.version, labels,
                                outputs.values if labels is None else None,
                                span.get_span_context() if span is not None else None)

    def _log_row(self, attributes: ModelAttributes, details: dict[str, Any], features: Any, duration: float,
                 exc: BaseException | None) -> None:
        record = {**attributes.base, **details, semconv.ML_PREDICTION_DURATION_SECONDS: duration}
        if self.capture.enabled and features is not None:
            try:
                record[semconv.ML_PREDICTION_FEATURES] = self.capture.select(features)
            except Exception as problem:  # noqa: BLE001 - features that cannot be read: the record goes without
                self.problems.report("capture_failed", exc=problem)
        if semconv.ERROR_TYPE in details:      # rare, and worth having at once: emitted here
            self.logger.emit(body="prediction failed", severity_number=logs.ERROR, severity_text="ERROR",
                             event_name=semconv.ML_PREDICTION_EVENT, attributes=record, exception=exc)
        else:
            self.log_queue.put({"timestamp": time.time_ns(), "context": context.get_current(), "body": "prediction",
                                "severity_number": logs.INFO, "severity_text": "INFO",
                                "event_name": semconv.ML_PREDICTION_EVENT, "attributes": record})

    def _check_features(self, features: Any, attributes: ModelAttributes) -> None:
        problems = self.check.problems(features)
        for name, problem in problems:
            self.feature_invalid.add(1, {**attributes.base, semconv.ML_FEATURE_NAME: self.feature_names.bound(name),
                                         semconv.ML_FEATURE_PROBLEM: problem})
            self.problems.report(f"feature_{problem}", f"feature {name!r}", count=False,
                                 counted_in=semconv.ML_FEATURE_INVALID)
