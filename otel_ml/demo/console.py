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


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "~"


def dashboard(*, title: str, phase: str, elapsed: float, version: str, requests: RequestWindow,
              metrics: MetricHistory, window: float, alerts: list[tuple[Any, Any]], events: list[str],
              width: int = 80, height: int = 24) -> str:
    """The live view, at most ``height - 1`` lines of at most ``width - 1`` characters (80x24 by default):
    the busiest labels, the drifted features first, and as many recent events as fit."""
    s = requests.summary(seconds=window)
    lines = [f"{title}  phase: {phase}  {elapsed:5.1f} s  serving: {version}",
             f"Last {window:g} s: {s.total} requests, {s.success_rate:.1%} ok (4xx {s.client_errors}, "
             f"5xx {s.server_errors})",
             f"  latency avg {s.avg_ms:.2f} ms  p95 {s.p95_ms:.2f} ms  p99 {s.p99_ms:.2f} ms  max {s.max_ms:.2f} ms"]
    counts = sorted(predictions(metrics, window).items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(n for _, n in counts) or 1.0
    lines.append("Predictions" + (f" (top 3 of {len(counts)})" if len(counts) > 3 else ""))
    lines += [f"  {key[:22]:22} {_bar(n / total)} {n:6.0f}" for key, n in counts[:3]]
    mean, low = confidence(metrics, window)
    acc, seen = accuracy(metrics, window)
    lines.append(f"  confidence mean {mean:.3f}, below 0.7: {low:.1%}; accuracy "
                 + (f"{acc:.1%} of {seen:.0f} outcomes" if seen else "(no feedback yet)"))
    rows = sorted(drift(metrics), key=lambda r: (not r[3], r[0]))
    drifted = sum(1 for r in rows if r[3])
    lines.append(f"Drift (KS, latest check): {drifted} of {len(rows)} features drifted" if rows
                 else "Drift: first check after the window fills")
    cells = [f"{'DRIFT' if hit else 'ok':5} {name[:17]:17} D={stat:.2f} p={p:<7.1g}" for name, stat, p, hit in rows]
    per_line = max(1, (width - 3) // 39)
    shown = cells[:3 * per_line]
    lines += ["  " + " ".join(shown[i:i + per_line]) for i in range(0, len(shown), per_line)]
    lines.append("Alerts firing" + ("" if alerts else ": none"))
    lines += [f"  [{rule.severity}] {rule.name}: {state.detail}" for rule, state in alerts[:3]]
    if len(alerts) > 3:
        lines.append(f"  and {len(alerts) - 3} more")
    room = height - 1 - len(lines) - 1
    if room > 0:
        lines.append("Recent events")
        lines += [f"  {e}" for e in events[-room:]]
    return "\n".join(_fit(line.rstrip(), width - 1) for line in lines[:height - 1])


def next_steps(*, url: str, report: str | None, exporting: bool) -> str:
    """What to do after the demo (the report, the dashboards, the service, your own app), in 80 columns."""
    lines = ["", "== next =="]
    if report:
        lines.append(f"report      {report}  (open it in a browser)")
    lines += [f"service     was on {url} while the demo ran;",
              "            `otel-ml serve` runs it alone, `otel-ml traffic` sends it traffic"]
    if exporting:
        lines.append("dashboards  in your Grafana: the telemetry went to OTEL_EXPORTER_OTLP_ENDPOINT")
    else:
        lines += ["dashboards  Grafana, Prometheus, Tempo and Loki in one container:",
                  "            bash scripts/grafana-lgtm.sh, then",
                  "            OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 otel-ml demo"]
    lines += ["your model  one line: FlaskModelInstrumentor.instrument_app(app, monitor)",
              "            no code:  opentelemetry-instrument python app.py",
              "            how: docs/usage.md"]
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
