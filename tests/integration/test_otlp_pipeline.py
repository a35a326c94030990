"""app -> OTLP gRPC / HTTP -> rotel (a real collector) -> VictoriaMetrics and an OTLP receiver.

Asserts the exact Prometheus names and label values through the PromQL API, and the span and
log record as they crossed the wire.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from otel_ml.promql import (
    ACTIVE,
    BUSINESS_EVENTS,
    BUSINESS_VALUE,
    CONFIDENCE,
    FEATURE_INVALID,
    OUTCOMES,
    PREDICTION_DURATION,
    PREDICTIONS,
)
from tests.integration import servers

pytestmark = pytest.mark.integration
APP = Path(__file__).parent / "apps" / "plain_app.py"


def run_app(service: str, endpoint: str, protocol: str) -> None:
    out = subprocess.run([sys.executable, str(APP), service, endpoint, protocol],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "done" in out.stdout, out.stderr[-3000:]


@pytest.fixture(scope="module", params=["grpc", "http/protobuf"], ids=["grpc", "http"])
def exported(request, pipeline):
    protocol = request.param
    service = f"fraud-api-{'grpc' if protocol == 'grpc' else 'http'}"
    endpoint = pipeline.grpc_endpoint if protocol == "grpc" else pipeline.http_endpoint
    run_app(service, endpoint, protocol)
    pipeline.vm.wait_for(f'{BUSINESS_EVENTS}{{service_name="{service}"}}', timeout=30)
    return service, pipeline


def value(vm: servers.PromQL, expr: str) -> float:
    result = vm.query(expr)
    assert len(result) == 1, f"{expr}: {result}"
    return float(result[0]["value"][1])


def test_exact_prometheus_names(exported):
    service, pipeline = exported
    names = {s["__name__"] for s in pipeline.vm.get("/api/v1/series", **{"match[]": f'{{service_name="{service}"}}'})}
    expected = {
        PREDICTIONS, PREDICTION_DURATION + "_bucket", PREDICTION_DURATION + "_count",
        PREDICTION_DURATION + "_sum", CONFIDENCE + "_bucket", CONFIDENCE + "_count",
        CONFIDENCE + "_sum", ACTIVE, OUTCOMES, BUSINESS_EVENTS,
        BUSINESS_VALUE, FEATURE_INVALID,
        "process_memory_usage_bytes", "process_cpu_time_seconds_total",
    }
    assert expected <= names, sorted(expected - names)


def test_prediction_counts_and_labels(exported):
    service, pipeline = exported
    vm, sel = pipeline.vm, f'service_name="{service}",ml_model_name="fraud",ml_model_version="v3"'
    assert value(vm, f'{PREDICTIONS}{{{sel},ml_prediction_status="ok",ml_prediction_label="1"}}') == 12
    assert value(vm, f'{PREDICTIONS}{{{sel},ml_prediction_status="ok",ml_prediction_label="0"}}') == 9
    assert value(vm, f'{PREDICTIONS}{{{sel},ml_prediction_status="error",error_type="TimeoutError"}}') == 3
    assert value(vm, f'sum({PREDICTION_DURATION}_count{{{sel}}})') == 24
    assert value(vm, f'{CONFIDENCE}_bucket{{{sel},ml_prediction_label="1",le="0.6"}}') == 3
    assert value(vm, f'{ACTIVE}{{{sel}}}') == 0
    assert value(vm, f'{FEATURE_INVALID}{{{sel},ml_feature_name="amount",ml_feature_problem="nan"}}') == 1
    p95 = value(vm, f'histogram_quantile(0.95, sum by (le) ({PREDICTION_DURATION}_bucket{{{sel}}}))')
    assert 0 < p95 < 1


def test_accuracy_and_business_value_in_promql(exported):
    service, pipeline = exported
    sel = f'service_name="{service}"'
    accuracy = value(pipeline.vm, f'sum({OUTCOMES}{{{sel},ml_outcome_correct="true"}}) / '
                                  f'sum({OUTCOMES}{{{sel}}})')
    assert accuracy == pytest.approx(0.7)
    assert value(pipeline.vm, f'{BUSINESS_VALUE}{{{sel},ml_business_event="conversion"}}') == 25.0


def test_span_and_correlated_log_record_reach_the_receiver(exported):
    service, pipeline = exported
    sink = pipeline.sink

    def prediction_spans():
        return [s for r, s in sink.spans if r.get("service.name") == service and s.name == "predict fraud"]

    spans = servers.wait_for(lambda: len(prediction_spans()) >= 24 and prediction_spans(), 30, "spans")
    attributes = [servers.attributes_of(s.attributes) for s in spans]
    ok = next(a for a in attributes if a["ml.prediction.status"] == "ok")
    assert {k: ok[k] for k in ("ml.model.name", "ml.model.version")} == {"ml.model.name": "fraud",
                                                                         "ml.model.version": "v3"}
    assert len(ok["ml.prediction.id"]) == 16 and 0.5 < ok["ml.prediction.confidence"] <= 1
    errors = [(s, a) for s, a in zip(spans, attributes) if a["ml.prediction.status"] == "error"]
    assert len(errors) == 3 and all(a["error.type"] == "TimeoutError" for _, a in errors)
    assert all(s.status.code == 2 for s, _ in errors)          # STATUS_CODE_ERROR

    records = servers.wait_for(
        lambda: [(r, lr) for r, lr in sink.logs if r.get("service.name") == service
                 and lr.event_name == "ml.prediction"], 30, "log records")
    by_id = {servers.attributes_of(lr.attributes)["ml.prediction.id"]: lr for _, lr in records}
    assert len(by_id) == 24
    for span, attrs in zip(spans, attributes):
        record = by_id[attrs["ml.prediction.id"]]
        assert record.trace_id == span.trace_id and record.span_id == span.span_id
    assert all("ml.prediction.features" not in servers.attributes_of(lr.attributes) for _, lr in records)
    assert all(r.get("deployment.environment.name") == "ci" for r, _ in records)
