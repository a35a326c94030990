"""Drift results as OpenTelemetry: gauges per feature, fleet counters, and events on state flips.

Gauges (read from the last check at export time): ``ml.drift.statistic`` and ``ml.drift.p_value``
(attribute ``ml.drift.method``: the test, ``ks`` or ``chi2``, the scan's ``mean`` and
``variance``, ``covariance`` for the joint check's feature ``(joint)``, and the distances
``psi``, ``wasserstein``, ``jensen_shannon`` on the statistic), ``ml.drift.detected`` (0 or 1),
``ml.drift.window.size`` and ``ml.drift.threshold``; with a performance estimator,
``ml.estimated.accuracy``, ``ml.estimated.precision`` and ``ml.estimated.recall``. When a
feature starts or stops drifting, one span ``drift <model>`` carries an event per flipped
feature (its method: the first test that alarmed) and one log record per flip is emitted
inside it (event name ``ml.drift``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation

from otel_ml import logs, semconv
from otel_ml._observables import observe
from otel_ml.drift.fleet import FleetCounts
from otel_ml.drift.processor import DriftProcessor
from otel_ml.drift.result import DriftReport
from otel_ml.version import __version__

_DISTANCES = ("psi", "wasserstein", "jensen_shannon")


class DriftTelemetry:
    """Publishes a :class:`DriftProcessor`'s results for model ``name`` / ``version``."""

    def __init__(self, processor: DriftProcessor, name: str, version: str, *,
                 tracer_provider: Any = None, meter_provider: Any = None, logger_provider: Any = None) -> None:
        self.processor = processor
        self.base = {semconv.ML_MODEL_NAME: name, semconv.ML_MODEL_VERSION: version}
        self._tracer = trace.get_tracer("otel_ml.drift", __version__, tracer_provider)
        self._logger = logs.prediction_logger(logger_provider)
        meter = metrics.get_meter("otel_ml.drift", __version__, meter_provider)
        for create, callback in ((semconv.create_ml_drift_statistic, self._statistics),
                                 (semconv.create_ml_drift_p_value, self._p_values),
                                 (semconv.create_ml_drift_detected, self._detected),
                                 (semconv.create_ml_drift_window_size, self._window_sizes),
                                 (semconv.create_ml_drift_threshold, self._threshold),
                                 (semconv.create_ml_drift_ready, self._ready),
                                 (semconv.create_ml_drift_reference_rows, self._reference_rows),
                                 (semconv.create_ml_estimated_accuracy, self._estimated_accuracy),
                                 (semconv.create_ml_estimated_precision, self._estimated_precision),
                                 (semconv.create_ml_estimated_recall, self._estimated_recall)):
            observe(meter, create, callback)
        self._quantiles, self._categories = processor.fleet.observe(self.base)
        observe(meter, semconv.create_ml_feature_quantile, self._observe_quantiles)
        observe(meter, semconv.create_ml_feature_category_count, self._observe_categories)
        self._duration = semconv.create_ml_drift_check_duration(meter)
        self._span_name = f"{semconv.DRIFT_SPAN} {name}"
        processor.on_check(self._on_check)

    def _observe_quantiles(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._quantiles(options)

    def _observe_categories(self, options: CallbackOptions) -> Iterable[Observation]:
        return self._categories(options)

    def _report(self) -> DriftReport | None:
        return self.processor.report

    def _feature_attributes(self, name: str, method: str | None = None) -> dict[str, str]:
        attributes = {**self.base, semconv.ML_FEATURE_NAME: name}
        if method is not None:
            attributes[semconv.ML_DRIFT_METHOD] = method
        return attributes

    def _statistics(self, _options: CallbackOptions) -> Iterable[Observation]:
        report = self._report()
        if report is None:
            return []
        out = []
        for f in report.features:
            for method, value in ((f.method, f.statistic), ("mean", f.mean_shift), ("variance", f.variance_change),
                                  *((d, getattr(f, d)) for d in _DISTANCES)):
                if math.isfinite(value):
                    out.append(Observation(value, self._feature_attributes(f.name, method)))
        return out

    def _p_values(self, _options: CallbackOptions) -> Iterable[Observation]:
        report = self._report()
        if report is None:
            return []
        return [Observation(p, self._feature_attributes(f.name, method)) for f in report.features
                for method, p in ((f.method, f.p_value), ("mean", f.mean_p_value), ("variance", f.variance_p_value))
                if math.isfinite(p)]

    def _detected(self, _options: CallbackOptions) -> Iterable[Observation]:
        report = self._report()
        return [] if report is None else [Observation(int(f.drift_detected), self._feature_attributes(f.name))
                                          for f in report.features]

    def _window_sizes(self, _options: CallbackOptions) -> Iterable[Observation]:
        report = self._report()
        return [] if report is None else [Observation(f.window_size, self._feature_attributes(f.name))
                                          for f in report.features]

    def _threshold(self, _options: CallbackOptions) -> Iterable[Observation]:
        report = self._report()
        return [] if report is None or not math.isfinite(report.threshold) else \
            [Observation(report.threshold, self.base)]

    def _reference_rows(self, _options: CallbackOptions) -> Iterable[Observation]:
        rows = self.processor.reference.rows
        return [Observation(rows, self.base)] if rows else []

    def _estimated(self, field: str) -> Iterable[Observation]:
        report = self._report()
        estimate = None if report is None else report.estimate
        if estimate is None or not math.isfinite(getattr(estimate, field)):
            return []
        if field == "accuracy":
            return [Observation(estimate.accuracy, self.base)]
        positive = self.processor.performance.positive if self.processor.performance is not None else None
        return [Observation(getattr(estimate, field), {**self.base, semconv.ML_PREDICTION_LABEL: str(positive)})]

    def _estimated_accuracy(self, _options: CallbackOptions) -> Iterable[Observation]:
        return self._estimated("accuracy")

    def _estimated_precision(self, _options: CallbackOptions) -> Iterable[Observation]:
        return self._estimated("precision")

    def _estimated_recall(self, _options: CallbackOptions) -> Iterable[Observation]:
        return self._estimated("recall")

    def _ready(self, _options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(1 if self.processor.ready else 0, self.base)]

    def _on_check(self, previous: DriftReport | None, report: DriftReport) -> None:
        self._duration.record(self.processor.last_check_seconds, self.base)
        before = {f.name: f.drift_detected for f in previous.features} if previous is not None else {}
        flipped = [f for f in report.features if f.drift_detected != before.get(f.name, False)]
        if not flipped:
            return
        span = self._tracer.start_span(self._span_name, attributes={**self.base,
                                                                    semconv.ML_DRIFT_FLIPPED: len(flipped)})
        with trace.use_span(span, end_on_exit=True):
            for f in flipped:
                state = "detected" if f.drift_detected else "resolved"
                method = f.detected_by[0] if f.detected_by else f.method
                details: dict[str, str | float | int] = {
                           **self._feature_attributes(f.name, method), semconv.ML_DRIFT_STATE: state,
                           semconv.ML_DRIFT_STATISTIC_VALUE: f.statistic, semconv.ML_DRIFT_P_VALUE_VALUE: f.p_value,
                           semconv.ML_DRIFT_PSI: f.psi, semconv.ML_DRIFT_WINDOW_SIZE_VALUE: f.window_size}
                event = semconv.ML_DRIFT_DETECTED_EVENT if f.drift_detected else semconv.ML_DRIFT_RESOLVED_EVENT
                span.add_event(event, details)
                self._logger.emit(body=f"drift {state} on feature {f.name}", event_name=semconv.ML_DRIFT_EVENT,
                                  severity_number=logs.WARN if f.drift_detected else logs.INFO,
                                  severity_text="WARN" if f.drift_detected else "INFO", attributes=details)


def instrument_processor(processor: DriftProcessor, name: str, version: str, **providers: Any) -> DriftTelemetry:
    """Export ``processor``'s results and check durations on the given or global providers."""
    return DriftTelemetry(processor, name, version, **providers)


__all__ = ["DriftTelemetry", "FleetCounts", "instrument_processor"]
