"""The README's telemetry table and otel_ml/semconv.py say the same thing."""

import re
from pathlib import Path

from opentelemetry.sdk.metrics import MeterProvider

from otel_ml import semconv

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_rows():
    rows = {}
    for line in README.read_text().splitlines():
        match = re.match(r"\| `(ml\.[a-z_.]+)` \|.*\| `([a-z_]+)` \|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_every_metric_is_in_the_readme_with_its_prometheus_name():
    rows = readme_rows()
    assert set(rows) == set(semconv.ALL_METRICS)
    for name, prometheus in rows.items():
        family = semconv.prometheus_name(name)
        assert prometheus in (family, f"{family}_bucket"), name


def test_factories_create_instruments_with_the_registered_names():
    meter = MeterProvider().get_meter("test")
    created = [
        semconv.create_ml_prediction_duration(meter), semconv.create_ml_prediction_confidence(meter),
        semconv.create_ml_prediction_value(meter), semconv.create_ml_outcomes(meter),
        semconv.create_ml_outcome_absolute_error(meter), semconv.create_ml_outcomes_unmatched(meter),
        semconv.create_ml_business_events(meter), semconv.create_ml_business_value(meter),
        semconv.create_ml_feature_invalid(meter), semconv.create_ml_monitor_problems(meter),
        semconv.create_ml_predictions(meter, []), semconv.create_ml_prediction_active(meter, []),
        *(semconv.create_ml_drift_gauge(meter, name, []) for name in (
            semconv.ML_DRIFT_STATISTIC, semconv.ML_DRIFT_P_VALUE, semconv.ML_DRIFT_DETECTED,
            semconv.ML_DRIFT_WINDOW_SIZE, semconv.ML_DRIFT_THRESHOLD, semconv.ML_DRIFT_READY,
            semconv.ML_DRIFT_REFERENCE_ROWS)),
        semconv.create_ml_drift_check_duration(meter),
        semconv.create_ml_feature_quantile(meter, lambda _o: []),
        semconv.create_ml_feature_category_count(meter, lambda _o: []), semconv.create_ml_model_rollbacks(meter),
    ]
    assert sorted(i.name for i in created) == sorted(semconv.ALL_METRICS)


def test_our_names_are_under_the_ml_prefix():
    names = [v for k, v in vars(semconv).items() if k.isupper() and isinstance(v, str) and "." in v]
    assert len(names) > 20
    assert all(name.startswith("ml.") for name in names if name != semconv.ERROR_TYPE)
