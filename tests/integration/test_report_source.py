"""PrometheusSource against a real VictoriaMetrics holding alert series written at known times.

The compose-stack test reads a report from Prometheus fed by the demo; this one places ``ALERTS``
samples where a range query's grid does not look (between two steps, just before the end), the
case that test once missed when an alert began firing a few seconds before the report's end.
"""

from __future__ import annotations

import json
import math
import time
import urllib.request

import pytest

from otel_ml import semconv
from otel_ml.report.prometheus import PrometheusSource
from tests.integration import servers

pytestmark = pytest.mark.integration

MODEL = semconv.prometheus_label(semconv.ML_MODEL_NAME)


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    proc, promql, _ = servers.start_victoriametrics(tmp_path_factory.mktemp("report-vm"))
    try:
        yield promql
    finally:
        proc.stop()


def write_alert(vm: servers.PromQL, name: str, model: str, times: list[float], severity: str = "warning") -> None:
    """One ``ALERTS`` series, firing at ``times`` (as a rule evaluator writes it: 1 at each evaluation)."""
    line = {"metric": {"__name__": "ALERTS", "alertname": name, "alertstate": "firing", "severity": severity,
                       MODEL: model},
            "values": [1] * len(times), "timestamps": [int(t * 1000) for t in times]}
    request = urllib.request.Request(f"{vm.base_url}/api/v1/import", data=json.dumps(line).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 204
    servers.http_get(f"{vm.base_url}/internal/force_flush")


def test_an_alert_between_two_steps_and_just_before_the_end_is_found(vm):
    step = 60.0
    start = math.floor(time.time() / step) * step - 1200          # on the step grid: 20 steps back
    end = start + 1190                                             # the last grid point is end - 50 s
    write_alert(vm, "Late", "m-late", [end - 30, end - 15, end - 1])
    write_alert(vm, "Between", "m-late", [start + 310, start + 325, start + 340])   # between 300 and 360
    fired = PrometheusSource(vm.base_url).fired_alerts("m-late", start, end, step)
    by_name = {a.name: a for a in fired}
    assert set(by_name) == {"Late", "Between"}, fired
    assert (by_name["Late"].first, by_name["Late"].last) == (end - 30, end - 1)
    assert (by_name["Between"].first, by_name["Between"].last) == (start + 310, start + 340)
    assert [a.name for a in fired] == ["Between", "Late"]      # in the order they began


def test_episodes_are_counted_from_the_evaluations_and_other_models_are_left_out(vm):
    start = time.time() - 1800
    evaluations = [start + 100 + 15 * i for i in range(10)]     # every 15 s: one episode
    again = [start + 600 + 15 * i for i in range(4)]            # resolved for 6 minutes, then fired again
    once_more = [start + 700 + 15 * i for i in range(2)]        # and again after a 55 s gap
    write_alert(vm, "Flapping", "m-flap", evaluations + again + once_more, severity="critical")
    write_alert(vm, "Elsewhere", "m-other", evaluations)
    fired = PrometheusSource(vm.base_url).fired_alerts("m-flap", start, start + 1200, step=300)
    assert [(a.name, a.severity, a.episodes) for a in fired] == [("Flapping", "critical", 3)], fired
    assert fired[0].first == pytest.approx(start + 100, abs=0.001)
    assert fired[0].last == pytest.approx(start + 715, abs=0.001)


def test_an_alert_outside_the_range_is_not_reported(vm):
    now = time.time()
    write_alert(vm, "Before", "m-range", [now - 900, now - 885])
    write_alert(vm, "Inside", "m-range", [now - 300, now - 285])
    fired = PrometheusSource(vm.base_url).fired_alerts("m-range", now - 600, now, step=60)
    assert [a.name for a in fired] == ["Inside"]
