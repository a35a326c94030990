"""The live view fits an 80x24 terminal whatever it shows; the end of the demo says what to do next."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from otel_ml import semconv as S
from otel_ml.demo.console import dashboard, next_steps
from otel_ml.demo.observe import MetricHistory, RequestWindow


@pytest.fixture
def busy(sinks):
    """Many labels, 30 features (some drifted), five long alerts, fifty events."""
    monitor = sinks.monitor("a-model-with-a-rather-long-name", "2024-11-30-retrained-candidate")
    for i in range(300):
        with monitor.predict([1.0]) as p:
            p.record(f"class-with-a-long-label-{i % 7}", confidence=0.8)
    meter = sinks.meter_provider.get_meter("test")
    statistic, p_value, detected = (meter.create_gauge(n) for n in (S.ML_DRIFT_STATISTIC, S.ML_DRIFT_P_VALUE,
                                                                      S.ML_DRIFT_DETECTED))
    for f in range(30):
        where = {S.ML_FEATURE_NAME: f"a_feature_name_that_goes_on_{f}", S.ML_DRIFT_METHOD: "ks"}
        statistic.set(0.01 * f, where)
        p_value.set(1e-12 if f % 4 == 0 else 0.5, where)
        detected.set(1 if f % 4 == 0 else 0, {S.ML_FEATURE_NAME: where[S.ML_FEATURE_NAME]})
    history = MetricHistory(sinks.reader)
    history.collect()
    requests = RequestWindow()
    for i in range(200):
        requests.add(time_s=history.snapshots()[-1][0], seconds=0.001 * (i % 50), status=200 if i % 9 else 503)
    alerts = [(SimpleNamespace(severity="critical", name=f"MLAlertNumber{i}"),
               SimpleNamespace(detail="x" * 120)) for i in range(5)]
    events = [f"{i:6.1f}s  ALERT firing: MLHighErrorRate [critical] " + "y" * 80 for i in range(50)]
    return dict(requests=requests, metrics=history, alerts=alerts, events=events)


@pytest.mark.parametrize("width, height", [(80, 24), (100, 40)])
def test_the_live_view_fits_the_terminal(busy, width, height):
    view = dashboard(title="otel-ml demo", phase="a phase with a long name", elapsed=1234.5,
                     version="2024-11-30-retrained-candidate", window=10, width=width, height=height, **busy)
    lines = view.split("\n")
    assert len(lines) <= height - 1
    assert max(len(line) for line in lines) <= width - 1
    assert "top 3 of 7" in view and "8 of 30 features drifted" in view and "DRIFT" in view
    assert lines[-1].startswith("  ") and "ALERT firing" in lines[-1]       # the newest events fill what is left


def test_the_next_steps_name_the_report_the_service_and_the_dashboards():
    text = next_steps(url="http://127.0.0.1:40123", report="/home/me/otel-ml-report.html", exporting=False)
    assert "/home/me/otel-ml-report.html" in text and "http://127.0.0.1:40123" in text
    assert "grafana-lgtm.sh" in text and "opentelemetry-instrument" in text
    assert max(len(line) for line in text.split("\n")) <= 79
