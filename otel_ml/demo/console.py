"""The demo's terminal dashboard and its final summary, drawn from the service's telemetry.

On a terminal the dashboard is redrawn in place every second; otherwise (a pipe, CI) a status
line is printed every few seconds. Events (phase changes, alerts, rollbacks) are printed as
they happen in both modes, and the run ends with :func:`summary`.
"""

from __future__ import annotations

import time
from typing import Any

from otel_ml import semconv as P
from otel_ml.demo.observe import MetricHistory, RequestSummary, RequestWindow

CLEAR = "\x1b[H\x1b[2J"


def _bar(share: float, width: int = 24) -> str:
    filled = int(round(max(0.0, min(1.0, share)) * width))
    return "#" * filled + "." * (width - filled)


def performance(s: RequestSummary) -> str:
    return (f"requests {s.total}  success {s.success_rate:.1%} (4xx {s.client_errors}, 5xx {s.server_errors})  "
            f"latency avg {s.avg_ms:.2f} ms  p95 {s.p95_ms:.2f} ms  p99 {s.p99_ms:.2f} ms  max {s.max_ms:.2f} ms")


def predictions(metrics: MetricHistory, seconds: float | None) -> dict[str, float]:
    counts: dict[str, float] = {}
    for attributes, _ in metrics.latest(P.ML_PREDICTIONS):
        key = attributes.get(P.ML_PREDICTION_LABEL) or f"error {attributes.get(P.ERROR_TYPE, '')}"
        if key not in counts:
            def same(a: dict[str, Any], k: str = key) -> bool:
                return (a.get(P.ML_PREDICTION_LABEL) or f"error {a.get(P.ERROR_TYPE, '')}") == k

            counts[key] = metrics.increase(P.ML_PREDICTIONS, seconds, same)
    return counts


def confidence(metrics: MetricHistory, seconds: float | None) -> tuple[float, float]:
    """Mean confidence and the share below 0.7 (bucket bounds <= 0.7)."""
    total = metrics.increase(P.ML_PREDICTION_CONFIDENCE_METRIC, seconds, value=lambda p: p.count)
    summed = metrics.increase(P.ML_PREDICTION_CONFIDENCE_METRIC, seconds, value=lambda p: p.sum)
    low = metrics.increase(P.ML_PREDICTION_CONFIDENCE_METRIC, seconds,
                           value=lambda p: sum(c for b, c in zip(p.explicit_bounds, p.bucket_counts) if b <= 0.7))
    return (summed / total if total else 0.0), (low / total if total else 0.0)


def accuracy(metrics: MetricHistory, seconds: float | None, version: str | None = None) -> tuple[float, float]:
    def match(a: dict[str, Any]) -> bool:
        return version is None or a.get(P.ML_MODEL_VERSION) == version

    seen = metrics.increase(P.ML_OUTCOMES, seconds, match)
    right = metrics.increase(P.ML_OUTCOMES, seconds, lambda a: match(a) and a.get(P.ML_OUTCOME_CORRECT) == "true")
    return (right / seen if seen else float("nan")), seen


def drift(metrics: MetricHistory) -> list[tuple[str, float, float, bool]]:
    """(feature, KS statistic, p-value, drifted) per feature, from the drift gauges."""
    ks = {a[P.ML_FEATURE_NAME]: p.value for a, p in metrics.latest(P.ML_DRIFT_STATISTIC)
          if a.get(P.ML_DRIFT_METHOD) == "ks"}
    p_values = {a[P.ML_FEATURE_NAME]: p.value for a, p in metrics.latest(P.ML_DRIFT_P_VALUE)}
    detected = {a[P.ML_FEATURE_NAME]: p.value >= 1 for a, p in metrics.latest(P.ML_DRIFT_DETECTED)}
    return [(name, ks[name], p_values.get(name, float("nan")), detected.get(name, False)) for name in sorted(ks)]


def dashboard(*, title: str, phase: str, elapsed: float, version: str, requests: RequestWindow,
              metrics: MetricHistory, window: float, alerts: list[tuple[Any, Any]], events: list[str]) -> str:
    lines = [f"{title}   phase: {phase}   {elapsed:5.1f} s   serving: {version}", ""]
    lines.append(f"Performance (last {window:g} s)")
    lines.append("  " + performance(requests.summary(seconds=window)))
    counts = predictions(metrics, window)
    total = sum(counts.values()) or 1.0
    lines.append(f"Predictions (last {window:g} s)")
    lines += [f"  {key:22} {_bar(n / total)} {n:6.0f}" for key, n in sorted(counts.items())]
    mean, low = confidence(metrics, window)
    lines.append(f"  confidence mean {mean:.3f}   below 0.7: {low:.1%}")
    acc, seen = accuracy(metrics, window)
    lines.append(f"Accuracy from feedback (last {window:g} s): "
                 + (f"{acc:.1%} over {seen:.0f} outcomes" if seen else "no feedback yet"))
    lines.append("Drift (KS against the reference, latest check)")
    rows = drift(metrics)
    lines += [f"  {name:24} D={stat:.3f}  p={p:.2g}  {'DRIFT' if hit else 'ok'}" for name, stat, p, hit in rows]
    if not rows:
        lines.append("  (first check after the window fills)")
    lines.append("Alerts firing")
    lines += [f"  [{rule.severity}] {rule.name}: {state.detail}" for rule, state in alerts] or ["  none"]
    lines.append("Recent events")
    lines += [f"  {e}" for e in events[-6:]]
    return "\n".join(lines)


def summary(*, seconds: float, model: str, requests: RequestWindow, metrics: MetricHistory,
            fired: dict[str, tuple[str, int]], rollbacks: list[str], ever_drifted: set[str]) -> str:
    s = requests.summary(seconds=None)
    counts = predictions(metrics, None)
    mean, low = confidence(metrics, None)
    acc, seen = accuracy(metrics, None)
    per_version = []
    for version in sorted({str(a.get(P.ML_MODEL_VERSION)) for a, _ in metrics.latest(P.ML_OUTCOMES)}):
        v_acc, v_seen = accuracy(metrics, None, version)
        per_version.append(f"{version} {v_acc:.1%} of {v_seen:.0f}")
    drifted = [name for name, _, _, hit in drift(metrics) if hit]
    ever = sorted(ever_drifted)
    value = metrics.increase(P.ML_BUSINESS_VALUE, None)
    events = metrics.increase(P.ML_BUSINESS_EVENTS, None)
    return "\n".join([
        f"== otel-ml demo summary: {seconds:.0f} s, model {model} ==",
        f"requests        {s.total}   success rate {s.success_rate:.1%}   "
        f"4xx {s.client_errors}   5xx {s.server_errors}",
        f"latency         avg {s.avg_ms:.2f} ms   p95 {s.p95_ms:.2f} ms   "
        f"p99 {s.p99_ms:.2f} ms   max {s.max_ms:.2f} ms",
        "predictions     " + ", ".join(f"{k} {n:.0f}" for k, n in sorted(counts.items())),
        f"confidence      mean {mean:.3f}   below 0.7: {low:.1%}",
        f"accuracy        {acc:.1%} over {seen:.0f} outcomes ({', '.join(per_version)})",
        "drift           " + (f"detected during the run on {', '.join(ever)}" if ever else "none detected")
        + (f"; still drifted at the end: {', '.join(drifted)}" if drifted else ""),
        "alerts fired    " + (", ".join(f"{name} ({sev}) x{n}" for name, (sev, n) in sorted(fired.items())) or "none"),
        "rollbacks       " + ("; ".join(rollbacks) or "none"),
        f"business        {events:.0f} conversions, value {value:,.2f}",
    ])


def timestamp(started: float) -> str:
    return f"{time.monotonic() - started:6.1f}s"
