"""The OTel Prometheus reader, scraped by a real Prometheus, gives the same names as OTLP."""

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
    OUTCOMES,
    PREDICTION_DURATION,
    PREDICTIONS,
)
from tests.integration import servers
from tests.integration.conftest import _require_stack

pytestmark = pytest.mark.integration
APP = Path(__file__).parent / "apps" / "scrape_app.py"


@pytest.fixture(scope="module")
def scraped(tmp_path_factory):
    _require_stack()
    tmp = tmp_path_factory.mktemp("scrape")
    port = servers.free_port()
    app = subprocess.Popen([sys.executable, str(APP), str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    prometheus = None
    try:
        assert app.stdout.readline().strip() == "ready"
        prometheus, promql = servers.start_prometheus(tmp, [f"127.0.0.1:{port}"])
        # the first scrape of a static target comes ~5 s after Prometheus starts
        promql.wait_for(f'{BUSINESS_EVENTS}{{job="otel-ml"}}', timeout=60)
        yield promql
    finally:
        if prometheus is not None:
            prometheus.stop()
        app.stdin.close()
        app.wait(timeout=10)
        app.stdout.close()


def test_same_names_as_the_otlp_path(scraped):
    names = scraped.names("ml_")
    assert {
        PREDICTIONS, PREDICTION_DURATION + "_bucket", PREDICTION_DURATION + "_count",
        CONFIDENCE + "_bucket", ACTIVE, OUTCOMES,
        BUSINESS_EVENTS, BUSINESS_VALUE,
    } <= names


def test_values_and_labels(scraped):
    def value(expr):
        (sample,) = scraped.query(expr)
        return float(sample["value"][1])

    sel = 'job="otel-ml",ml_model_name="fraud",ml_model_version="v3"'
    assert value(f'{PREDICTIONS}{{{sel},ml_prediction_label="1",ml_prediction_status="ok"}}') == 6
    assert value(f'{PREDICTIONS}{{{sel},ml_prediction_status="error",error_type="ValueError"}}') == 1
    assert value(f'sum({PREDICTION_DURATION}_count{{{sel}}})') == 11
    assert value(f'{BUSINESS_VALUE}{{{sel},ml_business_event="conversion"}}') == 3
    assert value('target_info{job="otel-ml"}') == 1
