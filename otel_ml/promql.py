"""The Prometheus names of otel_ml's telemetry, for PromQL: metric families and labels.

Derived from :mod:`otel_ml.semconv` (itself generated from ``model/registry.yaml``) by the
OTLP-to-Prometheus translation, so that the alert rules, dashboards, recording rules and tests
write ``f"rate({PREDICTIONS}[5m])"`` and a rename is one line of the registry.

>>> HTTP_DURATION, PROCESS_CPU, ROUTE
('http_server_request_duration_seconds', 'process_cpu_time_seconds_total', 'http_route')
>>> PREDICTIONS == semconv.ML_PREDICTIONS.replace(".", "_") + "_total"
True
"""

from __future__ import annotations

from typing import Final

from otel_ml import semconv
from otel_ml.semconv import prometheus_label as _label
from otel_ml.semconv import prometheus_name as _name

# ---------------------------------------------------------------- otel_ml's metric families
PREDICTIONS: Final = _name(semconv.ML_PREDICTIONS)
PREDICTION_DURATION: Final = _name(semconv.ML_PREDICTION_DURATION)
PREDICTION_DURATION_BUCKET: Final = PREDICTION_DURATION + "_bucket"
CONFIDENCE: Final = _name(semconv.ML_PREDICTION_CONFIDENCE_METRIC)
PREDICTION_VALUE: Final = _name(semconv.ML_PREDICTION_VALUE_METRIC)
ACTIVE: Final = _name(semconv.ML_PREDICTION_ACTIVE)
OUTCOMES: Final = _name(semconv.ML_OUTCOMES)
ABSOLUTE_ERROR: Final = _name(semconv.ML_OUTCOME_ABSOLUTE_ERROR)
UNMATCHED: Final = _name(semconv.ML_OUTCOMES_UNMATCHED)
BUSINESS_EVENTS: Final = _name(semconv.ML_BUSINESS_EVENTS)
BUSINESS_VALUE: Final = _name(semconv.ML_BUSINESS_VALUE)
FEATURE_INVALID: Final = _name(semconv.ML_FEATURE_INVALID)
MONITOR_PROBLEMS: Final = _name(semconv.ML_MONITOR_PROBLEMS)
MONITOR_TIME: Final = _name(semconv.ML_MONITOR_TIME)
DRIFT_STATISTIC: Final = _name(semconv.ML_DRIFT_STATISTIC)
DRIFT_P_VALUE: Final = _name(semconv.ML_DRIFT_P_VALUE)
DRIFT_DETECTED: Final = _name(semconv.ML_DRIFT_DETECTED)
DRIFT_WINDOW_SIZE: Final = _name(semconv.ML_DRIFT_WINDOW_SIZE)
DRIFT_THRESHOLD: Final = _name(semconv.ML_DRIFT_THRESHOLD)
ESTIMATED_ACCURACY: Final = _name(semconv.ML_ESTIMATED_ACCURACY)
ESTIMATED_PRECISION: Final = _name(semconv.ML_ESTIMATED_PRECISION)
ESTIMATED_RECALL: Final = _name(semconv.ML_ESTIMATED_RECALL)
DRIFT_READY: Final = _name(semconv.ML_DRIFT_READY)
DRIFT_REFERENCE_ROWS: Final = _name(semconv.ML_DRIFT_REFERENCE_ROWS)
DRIFT_CHECK_DURATION: Final = _name(semconv.ML_DRIFT_CHECK_DURATION)
FEATURE_QUANTILE: Final = _name(semconv.ML_FEATURE_QUANTILE)
FEATURE_CATEGORY_COUNT: Final = _name(semconv.ML_FEATURE_CATEGORY_COUNT)
ROLLBACKS: Final = _name(semconv.ML_MODEL_ROLLBACKS)
REQUESTS_REJECTED: Final = _name(semconv.ML_REQUESTS_REJECTED)

# ---------------------------------------------------------------- others' metric families
HTTP_DURATION: Final = _name(semconv.HTTP_SERVER_REQUEST_DURATION)
HTTP_ACTIVE: Final = _name(semconv.HTTP_SERVER_ACTIVE_REQUESTS)
PROCESS_CPU: Final = _name(semconv.PROCESS_CPU_TIME)
PROCESS_MEMORY: Final = _name(semconv.PROCESS_MEMORY_USAGE)
SDK_SPANS_EXPORTED: Final = _name(semconv.OTEL_SDK_EXPORTER_SPAN_EXPORTED)
SDK_SPANS_PROCESSED: Final = _name(semconv.OTEL_SDK_PROCESSOR_SPAN_PROCESSED)
SDK_LOGS_EXPORTED: Final = _name(semconv.OTEL_SDK_EXPORTER_LOG_EXPORTED)
SDK_LOGS_PROCESSED: Final = _name(semconv.OTEL_SDK_PROCESSOR_LOG_PROCESSED)
SDK_POINTS_EXPORTED: Final = _name(semconv.OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED)

# ---------------------------------------------------------------- labels
SERVICE: Final = _label(semconv.SERVICE_NAME)
INSTANCE: Final = _label(semconv.SERVICE_INSTANCE_ID)
MODEL: Final = _label(semconv.ML_MODEL_NAME)
VERSION: Final = _label(semconv.ML_MODEL_VERSION)
STATUS: Final = _label(semconv.ML_PREDICTION_STATUS)
LABEL: Final = _label(semconv.ML_PREDICTION_LABEL)
ERROR: Final = _label(semconv.ERROR_TYPE)
MONITOR_PART: Final = _label(semconv.ML_MONITOR_PART)
OUTCOME_LABEL: Final = _label(semconv.ML_OUTCOME_LABEL)
CORRECT: Final = _label(semconv.ML_OUTCOME_CORRECT)
REASON: Final = _label(semconv.ML_OUTCOME_REASON)
EVENT: Final = _label(semconv.ML_BUSINESS_EVENT)
FEATURE: Final = _label(semconv.ML_FEATURE_NAME)
FEATURE_PROBLEM: Final = _label(semconv.ML_FEATURE_PROBLEM)
DECILE: Final = _label(semconv.ML_FEATURE_DECILE)
CATEGORY: Final = _label(semconv.ML_FEATURE_CATEGORY)
METHOD: Final = _label(semconv.ML_DRIFT_METHOD)
FROM_VERSION: Final = _label(semconv.ML_ROLLBACK_FROM_VERSION)
ROLLBACK_REASON: Final = _label(semconv.ML_ROLLBACK_REASON)
PROBLEM: Final = _label(semconv.ML_PROBLEM_TYPE)
ROUTE: Final = _label(semconv.HTTP_ROUTE)
HTTP_STATUS: Final = _label(semconv.HTTP_RESPONSE_STATUS_CODE)

BY_VERSION: Final = f"{SERVICE}, {MODEL}, {VERSION}"
"""The labels of one model version of one service: what alerts group by."""
BY_MODEL: Final = f"{SERVICE}, {MODEL}"
"""The labels of one model of one service."""
