"""otel_ml/semconv.py is what model/registry.yaml says: names, instruments, units, translation."""

import inspect

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from assets import registry as registry_module
from otel_ml import semconv

REGISTRY = registry_module.load()


def _create(meter, metric):
    factory = getattr(semconv, metric.factory)
    args = [[]] if "callbacks" in inspect.signature(factory).parameters else []
    return factory(meter, *args)


@pytest.mark.parametrize("metric", REGISTRY.metrics, ids=lambda m: m.name)
def test_each_factory_creates_the_registered_instrument(metric):
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader]).get_meter("test")
    instrument = _create(meter, metric)
    assert instrument.name == metric.name == getattr(semconv, metric.id)
    assert instrument.description == metric.description
    assert instrument.unit == ("" if metric.unit == "user" else metric.unit)
    kind = type(instrument).__name__.lstrip("_").lower()
    assert kind == metric.instrument.replace("_", ""), kind


def test_every_metric_has_a_spec_and_a_factory():
    assert semconv.ALL_METRICS == tuple(m.name for m in REGISTRY.metrics)
    factories = {name for name, _ in inspect.getmembers(semconv, inspect.isfunction) if name.startswith("create_")}
    assert factories == {m.factory for m in REGISTRY.metrics}


@pytest.mark.parametrize(("name", "unit", "expected"), [
    (semconv.HTTP_SERVER_REQUEST_DURATION, None, "http_server_request_duration_seconds"),   # unit suffix
    (semconv.PROCESS_CPU_TIME, None, "process_cpu_time_seconds_total"),                      # and a counter's
    (semconv.HTTP_SERVER_ACTIVE_REQUESTS, None, "http_server_active_requests"),              # non-monotonic: none
    (semconv.PROCESS_MEMORY_USAGE, None, "process_memory_usage_bytes"),
])
def test_prometheus_names_follow_the_otlp_translation(name, unit, expected):
    assert semconv.prometheus_name(name, unit) == expected


@pytest.mark.parametrize("metric", REGISTRY.metrics, ids=lambda m: m.name)
def test_each_metric_translates_by_its_instrument_and_unit(metric):
    base = metric.name.replace(".", "_")
    unit = "s" if metric.unit == "user" else None          # a user's unit adds its suffix too
    base += "_seconds" if (unit or metric.unit) == "s" else ""
    total = "_total" if metric.instrument in ("counter", "observable_counter") else ""
    assert semconv.prometheus_name(metric.name, unit) == base + total
    assert semconv.prometheus_name(metric.name, "EUR") == metric.name.replace(".", "_") + total


def test_our_names_are_under_the_ml_prefix():
    assert all(a.name.startswith("ml.") for a in REGISTRY.attributes if a.stability != "stable")
    assert all(m.name.startswith("ml.") for m in REGISTRY.metrics)
    # the only others are standard, stable OpenTelemetry keys
    assert [a.name for a in REGISTRY.attributes if not a.name.startswith("ml.")] == [
        semconv.HTTP_RESPONSE_STATUS_CODE, semconv.ERROR_TYPE]


def test_no_metric_attribute_is_an_identifier_or_a_feature_value():
    on_metrics = {a.id for a in REGISTRY.attributes if "metrics" in a.where}
    for metric in REGISTRY.metrics:
        assert set(metric.attributes) <= on_metrics, metric.name
    assert "ML_PREDICTION_ID" not in on_metrics and "ML_PREDICTION_FEATURES" not in on_metrics


def test_a_registry_with_an_unknown_attribute_is_refused(tmp_path):
    text = registry_module.REGISTRY.read_text().replace(
        "attributes: [ML_MODEL_NAME, ML_MODEL_VERSION, ML_PREDICTION_LABEL]",
        "attributes: [ML_MODEL_NAME, ML_MODEL_VERSION, ML_NO_SUCH_THING]", 1)
    (tmp_path / "registry.yaml").write_text(text)
    with pytest.raises(ValueError, match="unknown attributes.*ML_NO_SUCH_THING"):
        registry_module.load(tmp_path / "registry.yaml")
