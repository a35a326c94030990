"""Environment variables read by otel_ml, one constant each.

Each has a code equivalent (an argument of the same meaning), and follows the OpenTelemetry
rules: an empty value counts as unset, and a boolean is true only for ``true`` (any case).
Standard ``OTEL_*`` variables (endpoint, protocol, headers, service name, resource
attributes, export interval) are read by :func:`otel_ml.configure` as the SDK defines them.
"""

from typing import Final

OTEL_ML_CAPTURE_FEATURES: Final = "OTEL_ML_CAPTURE_FEATURES"
"""
.. envvar:: OTEL_ML_CAPTURE_FEATURES

Put raw feature values on prediction log records: ``true``, or a comma-separated list of the
feature names to keep. Default: unset (no raw values anywhere). Code: ``capture_features=``.
"""

OTEL_ML_MAX_LABELS: Final = "OTEL_ML_MAX_LABELS"
"""
.. envvar:: OTEL_ML_MAX_LABELS

How many distinct predicted labels (and business event names) a monitor puts on metrics; later
ones are recorded as ``other``. Default: 50. Code: ``max_labels=``.
"""

OTEL_ML_STORE_SIZE: Final = "OTEL_ML_STORE_SIZE"
"""
.. envvar:: OTEL_ML_STORE_SIZE

How many recent predictions are kept for matching ground truth and business events. Default:
100000 (about 50 MB: half a kilobyte an entry, span context included). Code: ``store_size=``.
"""

OTEL_ML_STORE_TTL: Final = "OTEL_ML_STORE_TTL"
"""
.. envvar:: OTEL_ML_STORE_TTL

How long, in seconds, a prediction can still be matched to ground truth. Default: 86400
(a day). Code: ``store_ttl=``.
"""

OTEL_ML_LOG_PREDICTIONS: Final = "OTEL_ML_LOG_PREDICTIONS"
"""
.. envvar:: OTEL_ML_LOG_PREDICTIONS

Share of successful predictions that emit a log record, between 0 and 1; failed predictions
always do. Default: 1. Code: ``log_sample_ratio=``. Metrics stay complete whatever it is.
"""

OTEL_ML_SYSTEM_METRICS: Final = "OTEL_ML_SYSTEM_METRICS"
"""
.. envvar:: OTEL_ML_SYSTEM_METRICS

Whether :func:`otel_ml.configure` starts process and system metrics (CPU, memory, threads).
Default: ``true``. Code: ``configure(system_metrics=...)``.
"""

OTEL_ML_PREDICTION_SPAN: Final = "OTEL_ML_PREDICTION_SPAN"
"""
.. envvar:: OTEL_ML_PREDICTION_SPAN

``child`` (default): each prediction gets its own span ``predict <model>``, a child of the current
span. ``current``: the prediction's attributes go on the current span instead (for a served
model, the HTTP server span), which saves a span per request; with no recording current span a
child span is made as usual. Code: ``prediction_span=``.
"""

OTEL_ML_ROLLBACK_TOKEN: Final = "OTEL_ML_ROLLBACK_TOKEN"
"""
.. envvar:: OTEL_ML_ROLLBACK_TOKEN

The bearer token an alerting system (Alertmanager, Grafana) must send to the rollback webhook,
at least 16 characters. Unset: the webhook refuses to enable. Code: ``RollbackWebhook(token=)``.
"""
