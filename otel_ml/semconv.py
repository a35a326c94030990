"""Every telemetry name otel_ml emits, in one place, with a factory per instrument.

Dashboards, alert rules and tests query exactly the Prometheus names listed here (the
README's table is checked against the same constants by tests/test_semconv.py). Attribute keys reuse the standard
``error.type`` and put everything else under the ``ml.`` prefix. Nothing here is ever a
request id, user id or feature value on a metric: those stay on spans and log records.

>>> from opentelemetry.sdk.metrics import MeterProvider
>>> meter = MeterProvider().get_meter("doc")
>>> type(create_ml_prediction_duration(meter)).__name__
'_Histogram'
>>> prometheus_name(ML_PREDICTION_DURATION)
'ml_prediction_duration_seconds'
"""

from __future__ import annotations

from typing import Final, Iterable, Sequence

from opentelemetry.metrics import CallbackT, Counter, Histogram, Meter, ObservableCounter, ObservableUpDownCounter

# ---------------------------------------------------------------- attribute keys
ML_MODEL_NAME: Final = "ml.model.name"
"""Name of the model that made the prediction (metric attribute; one service may serve several)."""
ML_MODEL_VERSION: Final = "ml.model.version"
"""Version of the model that made the prediction (metric attribute)."""
ML_PREDICTION_ID: Final = "ml.prediction.id"
"""Id of one prediction. Spans and log records only, never a metric attribute."""
ML_PREDICTION_STATUS: Final = "ml.prediction.status"
"""``ok`` or ``error``."""
ML_PREDICTION_LABEL: Final = "ml.prediction.label"
"""Predicted class, bounded on metrics (values past the limit become ``other``)."""
ML_PREDICTION_CONFIDENCE: Final = "ml.prediction.confidence"
"""Confidence of the predicted class, in [0, 1] (span and log attribute)."""
ML_PREDICTION_VALUE: Final = "ml.prediction.value"
"""Predicted value of a regression model (span and log attribute)."""
ML_BATCH_SIZE: Final = "ml.batch.size"
"""Rows in a batch prediction (span and log attribute)."""
ML_PREDICTION_FEATURES: Final = "ml.prediction.features"
"""Raw feature values: only on log records, and only when the user opts in."""
ML_OUTCOME_LABEL: Final = "ml.outcome.label"
"""The true class reported later as ground truth (bounded like the predicted label)."""
ML_OUTCOME_CORRECT: Final = "ml.outcome.correct"
"""``true`` when the predicted label equals the true one; accuracy, precision and recall follow in PromQL."""
ML_OUTCOME_REASON: Final = "ml.outcome.reason"
"""Why an outcome or business event could not be matched: ``unknown`` (never seen or evicted),
``expired``, or ``invalid`` (a signed id that does not verify: forged, tampered, another model's)."""
ML_BUSINESS_EVENT: Final = "ml.business.event"
"""Name of a business event, such as ``click`` or ``conversion`` (bounded)."""
ML_FEATURE_NAME: Final = "ml.feature.name"
"""Name of an input feature."""
ML_FEATURE_PROBLEM: Final = "ml.feature.problem"
"""What was wrong with a feature value: ``nan``, ``inf``, ``missing``, ``not_numeric``."""
ML_FEATURE_DECILE: Final = "ml.feature.decile"
"""Which tenth of the reference a value falls in, ``1`` to ``10`` (its binned quantile rank)."""
ML_FEATURE_CATEGORY: Final = "ml.feature.category"
"""A categorical feature's value, bounded to the reference's categories plus ``other``."""
ML_DRIFT_METHOD: Final = "ml.drift.method"
"""``ks``, ``chi2``, ``psi``, ``wasserstein`` or ``jensen_shannon``."""
ML_ROLLBACK_FROM_VERSION: Final = "ml.rollback.from_version"
"""The model version a rollback took out of service."""
ML_ROLLBACK_REASON: Final = "ml.rollback.reason"
"""Why a rollback happened, such as the alert's name (bounded)."""
ML_PROBLEM_TYPE: Final = "ml.problem.type"
"""What went wrong inside the instrumentation (it is counted, logged once, and never raised)."""
ERROR_TYPE: Final = "error.type"
"""Standard OpenTelemetry key: the exception class of a failed prediction."""

OTHER: Final = "other"
"""The value a bounded attribute takes once its limit of distinct values is reached."""

# ---------------------------------------------------------------- buckets
DURATION_BUCKETS: Final[Sequence[float]] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)
"""Prediction latency buckets in seconds, from 0.5 ms to 10 s."""
CONFIDENCE_BUCKETS: Final[Sequence[float]] = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
"""Confidence buckets: fine where models are usually confident."""

# ---------------------------------------------------------------- metric names
ML_PREDICTIONS: Final = "ml.predictions"
"""Predictions made / Instrument: counter / Unit: {prediction} / attrs: model name, version, status, error.type, label."""
ML_PREDICTION_DURATION: Final = "ml.prediction.duration"
"""Time spent in one prediction / Instrument: histogram / Unit: s / attrs: model name, version, status, error.type."""
ML_PREDICTION_CONFIDENCE_METRIC: Final = "ml.prediction.confidence"
"""Confidence of the predicted class / Instrument: histogram / Unit: 1 / attrs: model name, version, label."""
ML_PREDICTION_VALUE_METRIC: Final = "ml.prediction.value"
"""Predicted value of a regression model / Instrument: histogram / Unit: user's / attrs: model name, version."""
ML_PREDICTION_ACTIVE: Final = "ml.prediction.active"
"""Predictions in progress / Instrument: observable up-down counter / Unit: {prediction} / attrs: model name, version."""
ML_OUTCOMES: Final = "ml.outcomes"
"""Ground-truth outcomes matched to a prediction / Instrument: counter / Unit: {outcome} /
attrs: model name, version, predicted label, outcome label, correct."""
ML_OUTCOME_ABSOLUTE_ERROR: Final = "ml.outcome.absolute_error"
"""|predicted - actual| of a regression model / Instrument: histogram / Unit: user's / attrs: model name, version."""
ML_OUTCOMES_UNMATCHED: Final = "ml.outcomes.unmatched"
"""Outcomes and business events whose prediction id was unknown or expired / Instrument: counter / Unit: {outcome}."""
ML_BUSINESS_EVENTS: Final = "ml.business.events"
"""Business events tied to a prediction / Instrument: counter / Unit: {event} / attrs: model name, version, event."""
ML_BUSINESS_VALUE: Final = "ml.business.value"
"""Value (such as revenue) of business events / Instrument: counter / Unit: user's / attrs: model name, version, event."""
ML_FEATURE_INVALID: Final = "ml.feature.invalid"
"""Feature values left out because they were NaN, inf, missing or not numeric / Instrument: counter / Unit: {value}."""
ML_MONITOR_PROBLEMS: Final = "ml.monitor.problems"
"""Failures inside otel_ml itself, counted instead of raised / Instrument: counter / Unit: {problem}."""

ML_DRIFT_STATISTIC: Final = "ml.drift.statistic"
"""A drift test's statistic or a distance, per feature / Instrument: observable gauge / attrs: feature, method."""
ML_DRIFT_P_VALUE: Final = "ml.drift.p_value"
"""A drift test's p-value, per feature / Instrument: observable gauge / attrs: feature, method."""
ML_DRIFT_DETECTED: Final = "ml.drift.detected"
"""1 while a feature is drifted, else 0 / Instrument: observable gauge / attrs: feature."""
ML_DRIFT_WINDOW_SIZE: Final = "ml.drift.window.size"
"""Valid values in the tested window, per feature / Instrument: observable gauge / Unit: {value}."""
ML_DRIFT_THRESHOLD: Final = "ml.drift.threshold"
"""The per-test p-value threshold in force / Instrument: observable gauge."""
ML_DRIFT_READY: Final = "ml.drift.ready"
"""1 once the drift processor can decide (calibrated, or loaded with its calibration), 0 while it
calibrates / Instrument: observable gauge / attrs: model name, version."""
ML_DRIFT_REFERENCE_ROWS: Final = "ml.drift.reference.rows"
"""Rows of the reference the fleet counts are compared with (the fleet chi-squared corrects for
its sampling error) / Instrument: observable gauge / Unit: {row} / attrs: model name, version."""
ML_DRIFT_CHECK_DURATION: Final = "ml.drift.check.duration"
"""Time one drift check took, in the background thread / Instrument: histogram / Unit: s."""
ML_FEATURE_QUANTILE: Final = "ml.feature.quantile"
"""Values per reference decile, per numeric feature / Instrument: observable counter / attrs: feature, decile."""
ML_FEATURE_CATEGORY_COUNT: Final = "ml.feature.category.count"
"""Values per category, per categorical feature / Instrument: observable counter / attrs: feature, category."""
ML_MODEL_ROLLBACKS: Final = "ml.model.rollbacks"
"""Rollbacks to a previous model version / Instrument: counter / Unit: {rollback} /
attrs: model name, version rolled back to, version taken out, reason."""

# Prometheus suffix for each OTel unit we use (OTLP -> Prometheus translation, UnderscoreEscapingWithSuffixes).
_UNIT_SUFFIX: Final = {"s": "seconds", "By": "bytes"}
_COUNTERS: Final = frozenset(
    {ML_PREDICTIONS, ML_OUTCOMES, ML_OUTCOMES_UNMATCHED, ML_BUSINESS_EVENTS, ML_BUSINESS_VALUE,
     ML_FEATURE_INVALID, ML_MONITOR_PROBLEMS, ML_FEATURE_QUANTILE, ML_FEATURE_CATEGORY_COUNT, ML_MODEL_ROLLBACKS}
)
_UNITS: Final = {ML_PREDICTION_DURATION: "s", ML_DRIFT_CHECK_DURATION: "s"}


def prometheus_name(otel_name: str, unit: str | None = None) -> str:
    """Translate an instrument name to the Prometheus metric family name.

    >>> prometheus_name(ML_PREDICTIONS)
    'ml_predictions_total'
    >>> prometheus_name(ML_PREDICTION_ACTIVE)
    'ml_prediction_active'
    """
    base = otel_name.replace(".", "_")
    suffix = _UNIT_SUFFIX.get(unit if unit is not None else _UNITS.get(otel_name, ""))
    if suffix and not base.endswith("_" + suffix):
        base += "_" + suffix
    return base + "_total" if otel_name in _COUNTERS else base


# ---------------------------------------------------------------- factories
def create_ml_predictions(meter: Meter, callbacks: Sequence[CallbackT]) -> ObservableCounter:
    """Count of predictions, read from the monitor's in-process tally at export time."""
    return meter.create_observable_counter(
        ML_PREDICTIONS, callbacks=callbacks, unit="{prediction}", description="Predictions made."
    )


def create_ml_prediction_duration(meter: Meter) -> Histogram:
    return meter.create_histogram(
        ML_PREDICTION_DURATION, unit="s", description="Time spent in one prediction.",
        explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
    )


def create_ml_prediction_confidence(meter: Meter) -> Histogram:
    return meter.create_histogram(
        ML_PREDICTION_CONFIDENCE_METRIC, unit="1", description="Confidence of the predicted class.",
        explicit_bucket_boundaries_advisory=CONFIDENCE_BUCKETS,
    )


def create_ml_prediction_value(meter: Meter, unit: str = "", buckets: Iterable[float] | None = None) -> Histogram:
    return meter.create_histogram(
        ML_PREDICTION_VALUE_METRIC, unit=unit, description="Predicted value of a regression model.",
        explicit_bucket_boundaries_advisory=list(buckets) if buckets is not None else None,
    )


def create_ml_prediction_active(meter: Meter, callbacks: Sequence[CallbackT]) -> ObservableUpDownCounter:
    return meter.create_observable_up_down_counter(
        ML_PREDICTION_ACTIVE, callbacks=callbacks, unit="{prediction}", description="Predictions in progress."
    )


def create_ml_outcomes(meter: Meter) -> Counter:
    return meter.create_counter(ML_OUTCOMES, unit="{outcome}", description="Ground-truth outcomes matched to a prediction.")


def create_ml_outcome_absolute_error(meter: Meter, unit: str = "", buckets: Iterable[float] | None = None) -> Histogram:
    return meter.create_histogram(
        ML_OUTCOME_ABSOLUTE_ERROR, unit=unit, description="Absolute error of a regression prediction.",
        explicit_bucket_boundaries_advisory=list(buckets) if buckets is not None else None,
    )


def create_ml_outcomes_unmatched(meter: Meter) -> Counter:
    return meter.create_counter(
        ML_OUTCOMES_UNMATCHED, unit="{outcome}", description="Outcomes whose prediction id was unknown or expired."
    )


def create_ml_business_events(meter: Meter) -> Counter:
    return meter.create_counter(ML_BUSINESS_EVENTS, unit="{event}", description="Business events tied to predictions.")


def create_ml_model_rollbacks(meter: Meter) -> Counter:
    return meter.create_counter(ML_MODEL_ROLLBACKS, unit="{rollback}", description="Rollbacks to a previous model version.")


def create_ml_business_value(meter: Meter, unit: str = "") -> Counter:
    return meter.create_counter(ML_BUSINESS_VALUE, unit=unit, description="Value of business events, such as revenue.")


def create_ml_feature_invalid(meter: Meter) -> Counter:
    return meter.create_counter(
        ML_FEATURE_INVALID, unit="{value}", description="Feature values that were NaN, inf, missing or not numeric."
    )


def create_ml_monitor_problems(meter: Meter) -> Counter:
    return meter.create_counter(
        ML_MONITOR_PROBLEMS, unit="{problem}", description="Failures inside otel_ml, counted instead of raised."
    )


_DRIFT_GAUGES: Final = {
    ML_DRIFT_STATISTIC: ("", "Drift statistic or distance."),
    ML_DRIFT_P_VALUE: ("", "Drift test p-value."),
    ML_DRIFT_DETECTED: ("", "1 while the feature is drifted."),
    ML_DRIFT_WINDOW_SIZE: ("{value}", "Valid values in the tested window."),
    ML_DRIFT_THRESHOLD: ("", "Per-test p-value threshold."),
    ML_DRIFT_READY: ("", "1 once the drift processor is calibrated."),
    ML_DRIFT_REFERENCE_ROWS: ("{row}", "Rows of the drift reference."),
}


def create_ml_drift_gauge(meter: Meter, name: str, callbacks: Sequence[CallbackT]) -> object:
    """One of the per-feature drift gauges (``ML_DRIFT_*``), read from the processor's last check."""
    unit, description = _DRIFT_GAUGES[name]
    return meter.create_observable_gauge(name, callbacks, unit=unit, description=description)


def create_ml_drift_check_duration(meter: Meter) -> Histogram:
    return meter.create_histogram(ML_DRIFT_CHECK_DURATION, unit="s", description="Time one drift check took.",
                                  explicit_bucket_boundaries_advisory=DURATION_BUCKETS)


def create_ml_feature_quantile(meter: Meter, callback: CallbackT) -> ObservableCounter:
    return meter.create_observable_counter(ML_FEATURE_QUANTILE, [callback], unit="{value}",
                                           description="Values per reference decile, per numeric feature.")


def create_ml_feature_category_count(meter: Meter, callback: CallbackT) -> ObservableCounter:
    return meter.create_observable_counter(ML_FEATURE_CATEGORY_COUNT, [callback], unit="{value}",
                                           description="Values per category, per categorical feature.")


ALL_METRICS: Final[tuple[str, ...]] = (
    ML_PREDICTIONS, ML_PREDICTION_DURATION, ML_PREDICTION_CONFIDENCE_METRIC, ML_PREDICTION_VALUE_METRIC,
    ML_PREDICTION_ACTIVE, ML_OUTCOMES, ML_OUTCOME_ABSOLUTE_ERROR, ML_OUTCOMES_UNMATCHED, ML_BUSINESS_EVENTS,
    ML_BUSINESS_VALUE, ML_FEATURE_INVALID, ML_MONITOR_PROBLEMS, ML_DRIFT_STATISTIC, ML_DRIFT_P_VALUE,
    ML_DRIFT_DETECTED, ML_DRIFT_WINDOW_SIZE, ML_DRIFT_THRESHOLD, ML_DRIFT_READY, ML_DRIFT_REFERENCE_ROWS,
    ML_DRIFT_CHECK_DURATION, ML_FEATURE_QUANTILE,
    ML_FEATURE_CATEGORY_COUNT, ML_MODEL_ROLLBACKS,
)
"""Every metric name, for tests and the README table."""
