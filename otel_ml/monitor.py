"""ModelMonitor: traces, metrics and logs for every prediction of one model.

Usage::

    import otel_ml

    otel_ml.configure()                      # optional: SDK + OTLP exporters from OTEL_* env
    monitor = otel_ml.ModelMonitor("fraud", version="v3", feature_names=["amount", "age"])

    with monitor.predict(features) as p:     # a span "predict fraud", child of the current span
        label, confidence = model(features)
        p.record(label, confidence=confidence)
    return {"label": label, "prediction_id": p.id}

    monitor.record_outcome(prediction_id, actual=1)                        # ground truth, later
    monitor.record_business_event("conversion", value=12.5, prediction_id=prediction_id)

The monitor takes ``tracer_provider``, ``meter_provider`` and ``logger_provider``; ``None``
means the global ones, so it works unchanged under ``opentelemetry-instrument``. It never sets
a global provider itself: :func:`otel_ml.configure` is the one opt-in place that does.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from opentelemetry import metrics, trace
from opentelemetry._logs import LoggerProvider
from opentelemetry.trace import Link

from otel_ml import _fork, logs, semconv
from otel_ml._attributes import BoundedValues, ModelAttributes
from otel_ml._outputs import interpret
from otel_ml._problems import Problems
from otel_ml._recorder import PredictionRecorder, new_prediction_id
from otel_ml.config import MonitorConfig
from otel_ml.features import FeatureCapture, FeatureCheck, Redactor
from otel_ml.prediction import Prediction
from otel_ml.signed_ids import INVALID, IdSigner, is_signed
from otel_ml.store import RecentPredictions
from otel_ml.version import __version__

if TYPE_CHECKING:
    from otel_ml.drift.processor import DriftProcessor

F = TypeVar("F", bound=Callable[..., Any])


class ModelMonitor:
    """Monitors one model: per-prediction telemetry, ground truth, business events.

    Parameters
    ----------
    name, version : str
        The model's name and version; both are attributes on every metric, span and log record.
    feature_names : sequence of str, optional
        Names of the input features, in order. Used to check features (NaN, inf, missing) and to
        name captured values.
    labels : iterable of str, optional
        The classes the model can predict. Without it, the first ``max_labels`` distinct labels
        seen go on metrics and later ones become ``other``.
    capture_features : bool or iterable of str, optional
        Opt in to raw feature values on log records (all, or the named ones). Default: none.
    redact : callable, optional
        ``redact(values: dict) -> dict``, applied to captured values before they leave.
    value_unit, value_buckets : optional
        Unit and histogram buckets of a regression model's predicted value.
    log_sample_ratio : float, optional
        Share of successful predictions that emit a log record (failures always do; below 1, so
        do slow, low-confidence and drifted ones: :mod:`otel_ml._sampling`). Default 1.
    prediction_span : ``"child"`` or ``"current"``, optional
        ``child`` (default): a span ``predict <model>`` per prediction, child of the current span.
        ``current``: the prediction's attributes go on the current span (the HTTP server span of
        a served model) instead, one span less per request (none at all when that span is sampled
        out); a child span is still made when there is no current span. One prediction per
        request then, or the last one's attributes win.
    profile : ``"full"`` or ``"production"``, optional
        ``production`` (``OTEL_ML_PROFILE``): the prediction on the HTTP server span when one
        exists, and 10% of the successful predictions' log records besides the slow,
        low-confidence and drifted ones; every metric complete. Default ``full``.
    config : MonitorConfig, optional
        Settings; unset arguments here are read from the environment (``OTEL_ML_*``).
    drift : DriftProcessor, optional
        Fed every prediction's features (and output, and confidence): one ring-buffer write on
        the request path; its results are exported as ``ml.drift.*`` metrics.
    id_signer : IdSigner, optional
        Sign prediction ids, so that any process with the same key matches their ground truth
        (:mod:`otel_ml.signed_ids`). Default: from ``OTEL_ML_PREDICTION_ID_KEY`` or
        ``OTEL_ML_PREDICTION_ID_KEY_FILE``; without either, ids are random and matched by this
        process's store.

    Examples
    --------
    >>> from opentelemetry.sdk.trace import TracerProvider
    >>> monitor = ModelMonitor("iris", version="v1", tracer_provider=TracerProvider())
    >>> with monitor.predict([5.1, 3.5, 1.4, 0.2]) as p:
    ...     p.record("setosa", confidence=0.97)
    >>> monitor.record_outcome(p.id, actual="setosa")
    True
    >>> monitor.record_outcome("no-such-id", actual="setosa")
    False
    """

    def __init__(self, name: str, version: str = "unversioned", *, feature_names: Sequence[str] | None = None,
                 labels: Iterable[str] | None = None, capture_features: bool | Iterable[str] | None = None,
                 redact: Redactor | None = None, value_unit: str = "", value_buckets: Sequence[float] | None = None,
                 max_labels: int | None = None, store_size: int | None = None, store_ttl: float | None = None,
                 log_sample_ratio: float | None = None, prediction_span: str | None = None,
                 profile: str | None = None, config: MonitorConfig | None = None,
                 drift: DriftProcessor | None = None, id_signer: IdSigner | None = None,
                 tracer_provider: trace.TracerProvider | None = None,
                 meter_provider: metrics.MeterProvider | None = None,
                 logger_provider: LoggerProvider | None = None) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError("The model name must be a non-empty string.")
        config = config or MonitorConfig.from_env(
            capture_features=capture_features, max_labels=max_labels, store_size=store_size,
            store_ttl=store_ttl, log_sample_ratio=log_sample_ratio, prediction_span=prediction_span, profile=profile)
        self.config = config
        self.name = name
        self.feature_names = tuple(feature_names) if feature_names is not None else None
        if meter_provider is not None:
            _fork.track(meter_provider)
        tracer = trace.get_tracer("otel_ml", __version__, tracer_provider)
        meter = metrics.get_meter("otel_ml", __version__, meter_provider)
        attributes = ModelAttributes(name, str(version))
        allowed = frozenset(str(label) for label in labels) if labels is not None else None
        self._labels = BoundedValues(config.max_labels, allowed)
        self._events = BoundedValues(config.max_labels)
        self._store = RecentPredictions(config.store_size, config.store_ttl)
        self.id_signer = id_signer if id_signer is not None else IdSigner.from_env(ttl=config.store_ttl)
        self._problems = Problems(meter, attributes.base)
        self._tracer = tracer
        self._recorder = PredictionRecorder(
            tracer=tracer, meter=meter, logger=logs.prediction_logger(logger_provider), attributes=attributes,
            labels=self._labels, error_types=BoundedValues(config.max_labels), store=self._store,
            problems=self._problems, check=FeatureCheck(self.feature_names),
            capture=FeatureCapture(self.feature_names, config.capture_features, redact),
            log_sample_ratio=config.log_sample_ratio, value_unit=value_unit, value_buckets=value_buckets,
            prediction_span=config.prediction_span, signer=self.id_signer, drift_feed=drift,
            log_confidence_below=config.log_confidence_below)
        self._outcomes = semconv.create_ml_outcomes(meter)
        self._absolute_error = semconv.create_ml_outcome_absolute_error(meter, value_unit, value_buckets)
        self._unmatched = semconv.create_ml_outcomes_unmatched(meter)
        self._business_events = semconv.create_ml_business_events(meter)
        self._business_value = semconv.create_ml_business_value(meter)
        self.drift = drift
        if drift is not None:
            from otel_ml.drift.telemetry import instrument_processor

            self._drift_telemetry = instrument_processor(drift, name, str(version), tracer_provider=tracer_provider,
                                                         meter_provider=meter_provider, logger_provider=logger_provider)

    # ------------------------------------------------------------------ identity
    @property
    def version(self) -> str:
        return self._recorder.attributes.version

    def set_version(self, version: str) -> None:
        """Switch the active model version (a deploy or a rollback). Predictions already made keep
        theirs, so late ground truth and business events are credited to the right version."""
        self._recorder.attributes = ModelAttributes(self.name, str(version))

    # ------------------------------------------------------------------ predictions
    def predict(self, features: Any = None, *, prediction_id: str | None = None) -> Prediction:
        """A :class:`Prediction` to use as a context manager around the model call."""
        return Prediction(self._recorder, prediction_id or new_prediction_id(), features)

    def track(self, func: F | None = None, *, output: Callable[[Any], tuple[Any, Any, Any]] | None = None) -> F:
        """Decorator: monitor every call of ``func(features, ...)``.

        The return value is read as ``(label, confidence)``, a mapping with ``label`` /
        ``confidence`` / ``value`` keys, a float (a regression value), or a label; pass
        ``output=`` (``result -> (label, confidence, value)``) to read it another way.
        """
        def decorate(fn: F) -> F:
            read = output or interpret

            @functools.wraps(fn)
            def monitored(*args: Any, **kwargs: Any) -> Any:
                with self.predict(args[0] if args else None) as p:
                    result = fn(*args, **kwargs)
                    try:
                        label, confidence, value = read(result)
                        p.record(label, confidence=confidence, value=value)
                    except Exception as exc:  # noqa: BLE001
                        self._problems.report("unreadable_output", exc=exc)
                return result
            return monitored  # type: ignore[return-value]
        return decorate(func) if func is not None else decorate  # type: ignore[return-value]

    def wrap(self, model: Any) -> Any:
        """A proxy of a scikit-learn style ``model``: ``predict`` / ``predict_proba`` are monitored
        (one span per call, one prediction per row), everything else is the model's own."""
        from otel_ml.wrapper import MonitoredModel

        return MonitoredModel(model, self)

    def force_flush(self) -> None:
        """Emit the prediction log records still queued (they go out a few milliseconds after each
        prediction, from a background thread), and count the drift samples not yet binned. The
        providers' own flush is theirs to call."""
        self._recorder.log_queue.flush()
        if self.drift is not None:
            self.drift.flush_counts()

    # ------------------------------------------------------------------ ground truth and business
    def record_outcome(self, prediction_id: str, actual: Any) -> bool:
        """Ground truth for an earlier prediction. Returns whether the id was matched; an unknown
        or expired id is counted on ``ml.outcomes.unmatched``, never raised."""
        try:
            stored = self._match(prediction_id)
            if stored is None:
                return False
            attributes = ModelAttributes(self.name, stored.version).base
            if stored.value is not None:
                error = abs(float(actual) - stored.value)
                if not math.isfinite(error):
                    self._problems.report("bad_outcome", "actual value is NaN or infinite")
                    return False
                self._absolute_error.record(error, attributes)
                self._outcomes.add(1, attributes)
            else:
                self._outcomes.add(1, {
                    **attributes,
                    semconv.ML_PREDICTION_LABEL: self._labels.bound(stored.label),
                    semconv.ML_OUTCOME_LABEL: self._labels.bound(str(actual)),
                    semconv.ML_OUTCOME_CORRECT: "true" if str(actual) == stored.label else "false",
                })
            self._linked_span(semconv.OUTCOME_SPAN, stored.span_context, prediction_id)
            return True
        except Exception as exc:  # noqa: BLE001
            self._problems.report("outcome_failed", exc=exc)
            return False

    def record_business_event(self, event: str, value: float | None = None, *,
                              prediction_id: str | None = None) -> bool:
        """A business event (click, conversion, revenue ``value``) credited to the model version that
        made ``prediction_id``. Returns whether the id was matched; an id that is not (unknown,
        expired, forged) is counted on ``ml.outcomes.unmatched`` and credits nothing. Without an
        id, the active version is credited.

        Crediting is not de-duplicated: an app that takes events from clients should credit one
        per prediction id it issued (see "Business events from clients" in docs/configuration.md)."""
        try:
            stored = self._match(prediction_id) if prediction_id is not None else None
            if prediction_id is not None and stored is None:
                return False                    # counted as unmatched by _match; no revenue from a bad id
            version = stored.version if stored is not None else self.version
            attributes = {**ModelAttributes(self.name, version).base,
                          semconv.ML_BUSINESS_EVENT: self._events.bound(event)}
            self._business_events.add(1, attributes)
            if value is not None:
                amount = float(value)
                if math.isfinite(amount) and amount >= 0:
                    self._business_value.add(amount, attributes)
                else:
                    self._problems.report("bad_business_value", "must be a finite number >= 0")
            if stored is not None:
                self._linked_span(f"{semconv.BUSINESS_SPAN} {event}", stored.span_context, prediction_id)
            return stored is not None
        except Exception as exc:  # noqa: BLE001
            self._problems.report("business_event_failed", exc=exc)
            return False

    def knows(self, prediction_id: str) -> bool:
        """Whether ``prediction_id`` is a prediction of this monitor that ground truth can still
        match (not unknown, evicted, expired, forged or another model's)."""
        try:
            return self._lookup(str(prediction_id))[0] is not None
        except Exception:  # noqa: BLE001
            return False

    def _lookup(self, prediction_id: str) -> Any:
        if is_signed(prediction_id):
            if self.id_signer is None:
                return None, INVALID
            return self.id_signer.verify(self.name, prediction_id)
        return self._store.get(prediction_id)

    def _match(self, prediction_id: Any) -> Any:
        stored, reason = self._lookup(str(prediction_id))
        if stored is None:
            self._unmatched.add(1, {**self._recorder.attributes.base, semconv.ML_OUTCOME_REASON: reason})
        return stored

    def _linked_span(self, kind: str, span_context: Any, prediction_id: Any) -> None:
        links = [Link(span_context)] if span_context is not None and span_context.is_valid else None
        span = self._tracer.start_span(f"{kind} {self.name}", links=links,
                                       attributes={semconv.ML_MODEL_NAME: self.name,
                                                   semconv.ML_PREDICTION_ID: str(prediction_id)})
        span.end()
