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
always do, and below 1 so do slow, low-confidence and drifted ones (``OTEL_ML_PROFILE``).
Default: 1 (0.1 in the production profile). Code: ``log_sample_ratio=``. Metrics stay complete
whatever it is.
"""

OTEL_ML_PROFILE: Final = "OTEL_ML_PROFILE"
"""
.. envvar:: OTEL_ML_PROFILE

``full`` (default) or ``production``. ``production`` changes defaults, never a setting given:
the prediction goes on the HTTP server span when one exists (``OTEL_ML_PREDICTION_SPAN=current``),
successful predictions keep a log record when they are slow (the slowest 1%, a running
estimate), unsure (the least confident 2%, or below ``OTEL_ML_LOG_CONFIDENCE_BELOW``), among the
first 1,000 after a drift is flagged, or one of a random 10% (``OTEL_ML_LOG_PREDICTIONS=0.1``);
and :func:`otel_ml.configure` samples 10% of traces, parent-based, unless
``OTEL_TRACES_SAMPLER`` is set. Every metric stays complete. Code:
``ModelMonitor(..., profile="production")``.
"""

OTEL_ML_LOG_CONFIDENCE_BELOW: Final = "OTEL_ML_LOG_CONFIDENCE_BELOW"
"""
.. envvar:: OTEL_ML_LOG_CONFIDENCE_BELOW

When only a share of successful predictions is logged (``OTEL_ML_LOG_PREDICTIONS`` below 1),
those whose confidence is below this keep their log record, besides the least confident 2%
(a running estimate), which always do. Default: unset.
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
at least 16 characters. Unset: the webhook refuses to enable. It rolls back and does nothing
else: deploying takes :envvar:`OTEL_ML_DEPLOY_TOKEN`. Code: ``RollbackWebhook(token=)``.
"""

OTEL_ML_ROLLBACK_TOKEN_FILE: Final = "OTEL_ML_ROLLBACK_TOKEN_FILE"
"""
.. envvar:: OTEL_ML_ROLLBACK_TOKEN_FILE

A file holding the rollback token (a compose or Kubernetes secret), read instead of
:envvar:`OTEL_ML_ROLLBACK_TOKEN` so that the token stays out of the process environment.
"""

OTEL_ML_DEPLOY_TOKEN: Final = "OTEL_ML_DEPLOY_TOKEN"
"""
.. envvar:: OTEL_ML_DEPLOY_TOKEN

The demo service's bearer token for ``/admin/deploy`` (deploying any version, with any fault
rate), at least 16 characters; unset, deploying is off. Never the rollback token: an alerting
system that can roll back cannot deploy.
"""

OTEL_ML_DEPLOY_TOKEN_FILE: Final = "OTEL_ML_DEPLOY_TOKEN_FILE"
"""
.. envvar:: OTEL_ML_DEPLOY_TOKEN_FILE

A file holding the deploy token, read instead of :envvar:`OTEL_ML_DEPLOY_TOKEN`.
"""

OTEL_ML_SERVE_THREADS: Final = "OTEL_ML_SERVE_THREADS"
"""
.. envvar:: OTEL_ML_SERVE_THREADS

Worker threads of ``otel-ml serve`` (waitress): requests handled at once. Default 8.
"""

OTEL_ML_SERVE_CONNECTION_LIMIT: Final = "OTEL_ML_SERVE_CONNECTION_LIMIT"
"""
.. envvar:: OTEL_ML_SERVE_CONNECTION_LIMIT

Open connections ``otel-ml serve`` holds at most (idle and slow ones included); past it, new
connections wait in the listen backlog. Default 100.
"""

OTEL_ML_SERVE_TIMEOUT: Final = "OTEL_ML_SERVE_TIMEOUT"
"""
.. envvar:: OTEL_ML_SERVE_TIMEOUT

Seconds ``otel-ml serve`` keeps a connection that sends nothing (an idle keep-alive, or a body
shorter than its ``Content-Length``) before closing it. Default 30.
"""

# ---------------------------------------------------------------- zero-code: which model
OTEL_ML_MODEL_NAME: Final = "OTEL_ML_MODEL_NAME"
"""
.. envvar:: OTEL_ML_MODEL_NAME

The model's name on every metric, span and log record of an instrumented app. Set: every
instrumented model call and HTTP prediction of the process goes to one monitor of this name.
Unset: a model call is named after the model (``RandomForestClassifier``, an ONNX graph's name),
the HTTP layer's own reading ``model``. Code: ``ModelMonitor(name)``.
"""

OTEL_ML_MODEL_VERSION: Final = "OTEL_ML_MODEL_VERSION"
"""
.. envvar:: OTEL_ML_MODEL_VERSION

The model's version. Default: ``unversioned``. Code: ``ModelMonitor(name, version)``.
"""

OTEL_ML_FEATURE_NAMES: Final = "OTEL_ML_FEATURE_NAMES"
"""
.. envvar:: OTEL_ML_FEATURE_NAMES

Comma-separated feature names, in the order of a row. Default: the model's own names
(``feature_names_in_``, a DataFrame's columns, the reference file's header), else ``f0``, ``f1``, ...
Code: ``ModelMonitor(feature_names=)``.
"""

OTEL_ML_REFERENCE: Final = "OTEL_ML_REFERENCE"
"""
.. envvar:: OTEL_ML_REFERENCE

A ``.csv`` (with a header row of feature names) or ``.npy`` file of reference data: the monitor
of :envvar:`OTEL_ML_MODEL_NAME` detects drift against it. Code: ``ModelMonitor(drift=DriftProcessor.fit(...))``.
"""

# ---------------------------------------------------------------- zero-code: reading HTTP bodies
OTEL_ML_ROUTES: Final = "OTEL_ML_ROUTES"
"""
.. envvar:: OTEL_ML_ROUTES

Comma-separated route templates whose POST and PUT requests are predictions when no instrumented
model library made one (``/models/{name}/predict`` as FastAPI writes it, ``/models/<name>/predict``
as Flask does); ``*`` for every route. Default: ``/predict``. Code: ``instrument_app(routes=)``.
"""

OTEL_ML_FEATURES_FIELD: Final = "OTEL_ML_FEATURES_FIELD"
"""
.. envvar:: OTEL_ML_FEATURES_FIELD

Where the features are in the request body: a JMESPath expression (``features``,
``inputs.rows``, ``instances[*].values``). A list of rows is a batch: one prediction per row.
Default: the first of ``features``, ``instances``, ``inputs``, ``data``, ``rows``, ``X``; else the
body itself when it is a row, a list of rows, or a form. Code: ``instrument_app(features=)``.
"""

OTEL_ML_LABEL_PATH: Final = "OTEL_ML_LABEL_PATH"
"""
.. envvar:: OTEL_ML_LABEL_PATH

Where the predicted label is in the response body, as JMESPath (``result.class``,
``predictions[*].label``; a list is one label per row). Default: the first of ``predictions``,
``prediction``, ``labels``, ``label``, ``classes``, ``class``, ``outputs``, ``output``, ``results``,
``result``, or the body itself when it is a list. Code: ``instrument_app(output=)``.
"""

OTEL_ML_CONFIDENCE_PATH: Final = "OTEL_ML_CONFIDENCE_PATH"
"""
.. envvar:: OTEL_ML_CONFIDENCE_PATH

Where the confidence is in the response body, as JMESPath: a number, or a probability vector
(its largest entry is the confidence, its position the label when there is none), or a list of
either, one per row. Default: the first of ``confidence``, ``probability``, ``score``,
``probabilities``, ``proba``, ``probs``, ``scores`` (and their plurals).
"""

OTEL_ML_VALUE_PATH: Final = "OTEL_ML_VALUE_PATH"
"""
.. envvar:: OTEL_ML_VALUE_PATH

Where a regression model's predicted value is in the response body, as JMESPath (a list is one
value per row). Default: ``value``, or a prediction that is a float (see :envvar:`OTEL_ML_TASK`).
"""

OTEL_ML_TASK: Final = "OTEL_ML_TASK"
"""
.. envvar:: OTEL_ML_TASK

``auto`` (default): a float read from a response is a regression value, an int, string or bool
a class label. ``classification``: every prediction is a label. ``regression``: every number is a value.
"""

# ---------------------------------------------------------------- zero-code: ground truth
OTEL_ML_PREDICTION_ID_HEADER: Final = "OTEL_ML_PREDICTION_ID_HEADER"
"""
.. envvar:: OTEL_ML_PREDICTION_ID_HEADER

Opt in to a response header carrying the prediction id, e.g. ``X-Prediction-Id``: the id of a
one-row prediction, or ``<id>`` whose rows are ``<id>.0``, ``<id>.1``, ... Default: unset (no header).
"""

OTEL_ML_PREDICTION_ID_PATH: Final = "OTEL_ML_PREDICTION_ID_PATH"
"""
.. envvar:: OTEL_ML_PREDICTION_ID_PATH

Use ids the app already returns as the prediction ids: a JMESPath into the response body
(``request_id``, ``predictions[*].id``, one per row). Default: unset (otel_ml makes the ids).
"""

OTEL_ML_OUTCOME_ROUTES: Final = "OTEL_ML_OUTCOME_ROUTES"
"""
.. envvar:: OTEL_ML_OUTCOME_ROUTES

Comma-separated route templates of the app's own ground-truth endpoint (``/feedback``): each
request the app answers with a status below 400 is read as an outcome of an earlier prediction
(:meth:`ModelMonitor.record_outcome`). Default: unset.
"""

OTEL_ML_OUTCOME_ID_PATH: Final = "OTEL_ML_OUTCOME_ID_PATH"
"""
.. envvar:: OTEL_ML_OUTCOME_ID_PATH

Where the prediction id is in an outcome request's body (JMESPath). Default: ``prediction_id``.
A body that is a list of objects is one outcome per object.
"""

OTEL_ML_OUTCOME_ACTUAL_PATH: Final = "OTEL_ML_OUTCOME_ACTUAL_PATH"
"""
.. envvar:: OTEL_ML_OUTCOME_ACTUAL_PATH

Where the true label or value is in an outcome request's body (JMESPath). Default: the first of
``actual``, ``label``, ``outcome``, ``ground_truth``, ``y``.
"""

OTEL_ML_PREDICTION_ID_KEY: Final = "OTEL_ML_PREDICTION_ID_KEY"
"""
.. envvar:: OTEL_ML_PREDICTION_ID_KEY

A secret of at least 32 characters, the same in every worker and replica: prediction ids are
then signed and carry what ground truth needs (version, label or value, time, span), so that an
outcome is matched by any process, after a restart, with no shared store (see
:mod:`otel_ml.signed_ids`). Unset (the default): ids are random and matched by the process that
made them. Code: ``ModelMonitor(id_signer=IdSigner([...]))``.
"""

OTEL_ML_PREDICTION_ID_KEY_FILE: Final = "OTEL_ML_PREDICTION_ID_KEY_FILE"
"""
.. envvar:: OTEL_ML_PREDICTION_ID_KEY_FILE

A file of such keys, one a line: the first signs, every one verifies, and the file is read again
when it changes (rotation: add the new key first; remove the old one once its ids have expired).
Wins over :envvar:`OTEL_ML_PREDICTION_ID_KEY`.
"""

OTEL_ML_SHUTDOWN_TIMEOUT: Final = "OTEL_ML_SHUTDOWN_TIMEOUT"
"""
.. envvar:: OTEL_ML_SHUTDOWN_TIMEOUT

Seconds the process may spend at exit sending what the SDK still holds (spans, log records, the
last metrics), all providers at once, even when the collector does not answer; what is not sent
by then is reported on stderr. Default: 5 (well within gunicorn's 30 s graceful timeout).
"""

OTEL_ML_HANDLE_SIGTERM: Final = "OTEL_ML_HANDLE_SIGTERM"
"""
.. envvar:: OTEL_ML_HANDLE_SIGTERM

Under ``opentelemetry-instrument`` and with :func:`otel_ml.configure`, a process that does not
handle SIGTERM itself (``python app.py``) exits on it through its exit hooks, so that its last
telemetry is sent; ``false`` leaves SIGTERM alone. Default: ``true``.
"""

# ---------------------------------------------------------------- read by the shipped assets, not by the library
OTEL_ML_ROLLBACK_URL: Final = "OTEL_ML_ROLLBACK_URL"
"""
.. envvar:: OTEL_ML_ROLLBACK_URL

Where Grafana's provisioned contact point (``grafana/provisioning/alerting/notifications.yaml``)
sends critical alerts: the service's rollback webhook. Read by Grafana; compose sets it.
"""

OTEL_ML_SLACK_WEBHOOK_URL: Final = "OTEL_ML_SLACK_WEBHOOK_URL"
"""
.. envvar:: OTEL_ML_SLACK_WEBHOOK_URL

The Slack incoming webhook of Grafana's provisioned contact point (critical and warning alerts).
Read by Grafana.
"""

OTEL_ML_ALERT_EMAILS: Final = "OTEL_ML_ALERT_EMAILS"
"""
.. envvar:: OTEL_ML_ALERT_EMAILS

The addresses of Grafana's provisioned email contact point (every severity). Read by Grafana.
"""

OTEL_ML_BENCH_SETUPS: Final = "OTEL_ML_BENCH_SETUPS"
"""
.. envvar:: OTEL_ML_BENCH_SETUPS

Which setups ``benchmarks/served.py`` runs, comma-separated (default: all). Read by the benchmark.
"""
