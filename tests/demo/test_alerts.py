"""The demo's in-process alerts: same names and thresholds as otel_ml.alerts, fire after `for`, resolve."""

from __future__ import annotations

import pytest

from otel_ml.alerts import RULES_BY_NAME
from otel_ml.demo.alerts import RULES, AlertEvaluator, Evaluation
from otel_ml.demo.observe import MetricHistory, RequestWindow


def test_the_demo_rules_are_the_projects_rules():
    for rule in RULES:
        source = RULES_BY_NAME[rule.name]
        assert (rule.severity, rule.summary) == (source.severity, source.summary_text())


@pytest.fixture
def setup(sinks):
    monitor = sinks.monitor("churn", "v2")
    history = MetricHistory(sinks.reader)
    events = []
    evaluator = AlertEvaluator(window=10, notify=lambda rule, state, firing: events.append((rule.name, firing,
                                                                                            dict(state.labels))))
    return monitor, history, evaluator, events


def predict(monitor, n: int, failing: int) -> None:
    for i in range(n):
        try:
            with monitor.predict([1.0]) as p:
                if i < failing:
                    raise TimeoutError("slow")
                p.record("stay", confidence=0.9)
        except TimeoutError:
            pass


def test_error_rate_fires_after_its_for_and_resolves(setup):
    monitor, history, evaluator, events = setup
    evaluation = lambda: Evaluation(RequestWindow(), history, "churn", monitor.version)  # noqa: E731
    history.collect(now=0.0)
    predict(monitor, 40, failing=10)                            # 25% > 5%
    history.collect(now=1.0)
    evaluator.evaluate(evaluation(), now=1.0)
    assert events == []                                         # pending: for 3 s
    evaluator.evaluate(evaluation(), now=4.5)
    assert events == [("MLHighErrorRate", True, {"alertname": "MLHighErrorRate", "severity": "critical",
                                                  "ml_model_name": "churn", "ml_model_version": "v2"})]
    monitor.set_version("v1")                                   # the rolled-back version has no errors
    predict(monitor, 40, failing=0)
    history.collect(now=5.0)
    evaluator.evaluate(evaluation(), now=5.0)
    assert events[-1][:2] == ("MLHighErrorRate", False)
    assert evaluator.states["MLHighErrorRate"].fired == 1


def test_too_few_predictions_do_not_fire(setup):
    monitor, history, evaluator, events = setup
    history.collect(now=0.0)
    predict(monitor, 10, failing=10)                            # 100%, but only 10 predictions
    history.collect(now=1.0)
    for now in (1.0, 5.0, 9.0):
        evaluator.evaluate(Evaluation(RequestWindow(), history, "churn", "v2"), now=now)
    assert events == []
