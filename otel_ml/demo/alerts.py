"""The alerts the demo would fire, evaluated in process over a short window.

The production rules (:mod:`otel_ml.alerts`) run in Prometheus or Grafana over minutes; the demo
evaluates the same conditions, with the same names, severities and thresholds, over ``window``
seconds of its own telemetry, so that a one-minute run can show them firing and resolving. A
rule fires after its condition has held for ``for_seconds``.

A firing ``critical`` alert is delivered the way Alertmanager would deliver it: a webhook POST
with a bearer token to the service's ``/admin/rollback``, with the alert's labels (including
``ml_model_version``), so the rollback goes through the real, authenticated path.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from otel_ml import semconv
from otel_ml.alerts import RULES_BY_NAME
from otel_ml.demo.observe import MetricHistory, RequestWindow
from otel_ml.report.source import FiredAlert

P = semconv


@dataclass(frozen=True)
class DemoAlert:
    name: str
    severity: str
    summary: str
    condition: Callable[[Any, float], tuple[bool, str, dict[str, str]]]
    for_seconds: float = 3.0


@dataclass
class AlertState:
    pending_since: float | None = None
    firing: bool = False
    detail: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    fired: int = 0


class Evaluation:
    """The inputs a rule looks at: the request window, metric history and the active version."""

    def __init__(self, requests: RequestWindow, metrics: MetricHistory, model: str, version: str) -> None:
        self.requests, self.metrics, self.model, self.version = requests, metrics, model, version


def _threshold(name: str) -> float:
    return RULES_BY_NAME[name].threshold


def _rule(name: str, condition: Callable[[Any, float], tuple[bool, str, dict[str, str]]],
          for_seconds: float = 3.0) -> DemoAlert:
    rule = RULES_BY_NAME[name]
    return DemoAlert(name, rule.severity, rule.summary_text(), condition, for_seconds)


def _error_rate(e: Evaluation, window: float) -> tuple[bool, str, dict[str, str]]:
    def of_version(a: dict[str, Any]) -> bool:
        return a.get(P.ML_MODEL_VERSION) == e.version

    total = e.metrics.increase(P.ML_PREDICTIONS, window, of_version)
    errors = e.metrics.increase(P.ML_PREDICTIONS, window,
                                lambda a: of_version(a) and a.get(P.ML_PREDICTION_STATUS) == "error")
    rate = errors / total if total else 0.0
    return (total >= 20 and rate > _threshold("MLHighErrorRate"),
            f"{rate:.0%} of {total:.0f} predictions of {e.version} failed",
            {"ml_model_name": e.model, "ml_model_version": e.version})


def _latency(e: Evaluation, window: float) -> tuple[bool, str, dict[str, str]]:
    s = e.requests.summary(seconds=window)
    firing = s.total >= 20 and s.p95_ms / 1e3 > _threshold("MLHighLatencyP95")
    return firing, f"p95 {s.p95_ms:.1f} ms", {"ml_model_name": e.model}


def _drift(e: Evaluation, window: float) -> tuple[bool, str, dict[str, str]]:
    drifted = sorted(a[P.ML_FEATURE_NAME] for a, p in e.metrics.latest(P.ML_DRIFT_DETECTED) if p.value >= 1)
    return bool(drifted), "drifted: " + (", ".join(drifted) or "none"), {"ml_model_name": e.model}


def _low_confidence(e: Evaluation, window: float) -> tuple[bool, str, dict[str, str]]:
    def below(point: Any) -> float:                       # observations in buckets with upper bound <= 0.7
        return float(sum(c for b, c in zip(point.explicit_bounds, point.bucket_counts) if b <= 0.7))

    low = e.metrics.increase(P.ML_PREDICTION_CONFIDENCE_METRIC, window, value=below)
    total = e.metrics.increase(P.ML_PREDICTION_CONFIDENCE_METRIC, window, value=lambda p: p.count)
    share = low / total if total else 0.0
    return (total >= 20 and share > _threshold("MLLowConfidence"), f"{share:.0%} of predictions below 0.7 confidence",
            {"ml_model_name": e.model})


def _accuracy(e: Evaluation, window: float) -> tuple[bool, str, dict[str, str]]:
    seen = e.metrics.increase(P.ML_OUTCOMES, window)
    right = e.metrics.increase(P.ML_OUTCOMES, window, lambda a: a.get(P.ML_OUTCOME_CORRECT) == "true")
    accuracy = right / seen if seen else 1.0
    firing = seen >= 50 and accuracy < _threshold("MLAccuracyDrop")
    return firing, f"accuracy {accuracy:.1%} over {seen:.0f} outcomes", {"ml_model_name": e.model}


RULES = (
    _rule("MLHighErrorRate", _error_rate),
    _rule("MLHighLatencyP95", _latency),
    _rule("MLDataDrift", _drift, for_seconds=0.0),
    _rule("MLLowConfidence", _low_confidence),
    _rule("MLAccuracyDrop", _accuracy),
)


class AlertEvaluator:
    """Evaluates :data:`RULES`; reports transitions to ``notify(rule, state, firing)``."""

    def __init__(self, window: float, notify: Callable[[DemoAlert, AlertState, bool], None]) -> None:
        self.window, self.notify = window, notify
        self.states = {rule.name: AlertState() for rule in RULES}

    def evaluate(self, evaluation: Evaluation, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for rule in RULES:
            state = self.states[rule.name]
            active, state.detail, labels = rule.condition(evaluation, self.window)
            if active:
                state.pending_since = state.pending_since if state.pending_since is not None else now
                if not state.firing and now - state.pending_since >= rule.for_seconds:
                    state.firing, state.labels = True, {"alertname": rule.name, "severity": rule.severity, **labels}
                    state.fired += 1
                    self.notify(rule, state, True)
            else:
                state.pending_since = None
                if state.firing:
                    state.firing = False
                    self.notify(rule, state, False)

    def firing(self) -> list[tuple[DemoAlert, AlertState]]:
        return [(rule, self.states[rule.name]) for rule in RULES if self.states[rule.name].firing]


class AlertLog:
    """The episodes of every rule, for the demo's report: :meth:`record` each transition."""

    def __init__(self) -> None:
        self._episodes: dict[str, list[list[float]]] = {}
        self._rules: dict[str, tuple[str, dict[str, str]]] = {}

    def record(self, rule: DemoAlert, state: AlertState, firing: bool, at: float | None = None) -> None:
        at = time.time() if at is None else at
        episodes = self._episodes.setdefault(rule.name, [])
        if firing:
            episodes.append([at, float("nan")])
            labels = {k: v for k, v in state.labels.items() if k not in ("alertname", "severity")}
            self._rules[rule.name] = (rule.severity, labels)
        elif episodes and math.isnan(episodes[-1][1]):
            episodes[-1][1] = at

    def fired(self, now: float | None = None) -> list[FiredAlert]:
        """One :class:`FiredAlert` per rule that fired; an episode still open ends ``now``."""
        now = time.time() if now is None else now
        fired = []
        for name, episodes in self._episodes.items():
            if not episodes:
                continue
            severity, labels = self._rules[name]
            last = now if math.isnan(episodes[-1][1]) else episodes[-1][1]
            fired.append(FiredAlert(name, severity, labels, episodes[0][0], last, len(episodes)))
        return sorted(fired, key=lambda a: (a.first, a.name))
