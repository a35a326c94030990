"""A :class:`~otel_ml.report.content.Report` as one self-contained HTML file: styles and plots inline,
nothing fetched, readable offline, printable.

>>> from otel_ml.report.content import Report
>>> page = render(Report("fraud", 0.0, 3600.0, 30.0, "test"))
>>> page.startswith("<!doctype html>") and "fraud" in page and "src=" not in page
True
"""

from __future__ import annotations

import html
import math
import time

from otel_ml.report import svg
from otel_ml.report.content import Report
from otel_ml.report.stats import PSI_MODERATE, PSI_SIGNIFICANT
from otel_ml.version import __version__

STYLE = """
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --card: #f5f6f9; --bad: #b3261e;
        --warn: #9a6700; --ok: #1a7f37; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ee; --muted: #9aa3b5; --line: #3a4150; --card: #20242d;
        --bad: #ff8a80; --warn: #f2cc60; --ok: #7ee2a8; } body { background: #16191f; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0 auto;
       max-width: 1340px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line);
     padding-bottom: 4px; }
.meta, .note, .empty, figcaption .note { color: var(--muted); } .empty { margin: 24px 0; text-align: center; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 16px 0; }
.card { background: var(--card); border-radius: 8px; padding: 10px 12px; }
.card b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; } .card span { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 14px; }
.grid.small { grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); }
figure.plot { margin: 0; background: var(--card); border-radius: 8px; padding: 10px; }
figcaption { font-weight: 600; margin-bottom: 4px; } svg { width: 100%; height: auto; display: block; }
svg .grid { stroke: var(--line); stroke-width: 1; } svg .tick { fill: var(--muted); font-size: 11px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: var(--muted); }
.key::before { content: ""; display: inline-block; width: 10px; height: 3px; background: var(--c); margin-right: 5px;
               vertical-align: middle; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); } th { color: var(--muted); }
.bad { color: var(--bad); font-weight: 600; } .warn { color: var(--warn); } .ok { color: var(--ok); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
"""

SCRIPT = """
for (const el of document.querySelectorAll("time[datetime]")) {
  el.title = new Date(el.getAttribute("datetime")).toLocaleString() + " (your time)";
}
"""
"""The one script: each UTC time gets the reader's local time as its tooltip."""


def _utc(t: float) -> str:
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    return f'<time datetime="{iso}">{time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))} UTC</time>'


def _length(seconds: float) -> str:
    """``45 s``, ``12.5 min``, ``6 h``, ``2.5 d``."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def _card(value: str, label: str, css: str = "") -> str:
    return f'<div class="card"><b class="{css}">{html.escape(value)}</b><span>{html.escape(label)}</span></div>'


def _psi_reading(value: float) -> tuple[str, str]:
    if not math.isfinite(value):
        return "n/a", ""
    if value > PSI_SIGNIFICANT:
        return f"{value:.3f} significant", "bad"
    return (f"{value:.3f} moderate", "warn") if value > PSI_MODERATE else (f"{value:.3f} none", "ok")


def _summary(r: Report) -> str:
    drifted = [d.feature for d in r.drift if d.drifted_in_range]
    cards = [
        _card(svg.count(r.predictions), "predictions"),
        _card(f"{r.predictions / r.seconds:.3g}/s" if r.seconds else "n/a", "throughput (mean)"),
        _card(svg.percent(r.error_rate), f"errors ({svg.count(r.errors)})", "bad" if r.error_rate > 0.05 else ""),
        *(_card(svg.seconds(r.latency_quantile(q)), f"latency p{q * 100:g}") for q in (0.5, 0.95, 0.99)),
        _card(svg.number(r.confidence.mean) if r.confidence else "n/a", "mean confidence"),
        _card(svg.percent(r.accuracy), f"accuracy ({svg.count(r.outcomes)} outcomes)" if r.outcomes
              else "accuracy (no ground truth yet)"),
        _card(str(len(drifted)), "features drifted", "bad" if drifted else "ok"),
        _card(str(len(r.alerts)), "alerts fired", "bad" if any(a.severity == "critical" for a in r.alerts) else ""),
    ]
    versions = ", ".join(f"{html.escape(v or '?')} {svg.count(n)}" for v, n in sorted(r.by_version.items()))
    return (f'<div class="cards">{"".join(cards)}</div>'
            f'<p class="meta">Predictions per version: {versions or "none"}.</p>')


def _performance(r: Report) -> str:
    plots = [svg.line_chart("Latency percentiles", r.latency_over_time, value=svg.seconds),
             svg.line_chart("Throughput", {"predictions/s": r.throughput_over_time}, value=lambda v: f"{v:.3g}/s"),
             svg.line_chart("Error rate", {"errors": r.error_rate_over_time}, value=svg.percent)]
    if r.error_types:
        plots.append(svg.bar_chart("Errors by type", sorted(r.error_types.items(), key=lambda kv: -kv[1])))
    return f'<div class="grid">{"".join(plots)}</div>'


def _model(r: Report) -> str:
    plots = [svg.bar_chart("Predictions by label", sorted(r.labels.items(), key=lambda kv: -kv[1]))]
    if r.confidence is not None:
        buckets = [(f"{lo:g} to {hi:g}" if math.isfinite(hi) else f"above {lo:g}", n)
                   for lo, hi, n in r.confidence.per_bucket() if n > 0]
        plots.append(svg.bar_chart("Confidence distribution", buckets))
    else:
        plots.append(svg.bar_chart("Confidence distribution", []))
    accuracy = {"realized (from ground truth)": r.accuracy_over_time}
    if r.estimated_accuracy_over_time:
        accuracy["estimated (from confidences)"] = r.estimated_accuracy_over_time
    plots.append(svg.line_chart("Accuracy", accuracy, value=svg.percent, y_max=1.0,
                                note="" if r.outcomes else "no ground truth in this range"))
    rows = "".join(f"<tr><td>{html.escape(v or '?')}</td><td>{svg.percent(right / seen if seen else math.nan)}</td>"
                   f"<td>{svg.count(seen)}</td></tr>" for v, (right, seen) in sorted(r.accuracy_by_version.items()))
    table = ("<table><tr><th>version</th><th>accuracy</th><th>outcomes</th></tr>" + rows + "</table>") if rows else ""
    return f'<div class="grid">{"".join(plots)}</div>{table}'


def _p_value(p: float) -> str:
    """``1e-10``, ``0.96``; ``n/a`` for a check that has none (the joint check)."""
    return f"{p:.2g}" if math.isfinite(p) else "n/a"


def _drift(r: Report) -> str:
    if not r.drift:
        return '<p class="empty">no drift telemetry for this model in this range (no drift processor?)</p>'
    rows = []
    for d in r.drift:
        psi_text, psi_css = _psi_reading(d.fleet_psi)
        state = ("drifted" if d.drifted_at_end else "drifted, recovered" if d.drifted_in_range else "no drift")
        css = "bad" if d.drifted_at_end else "warn" if d.drifted_in_range else "ok"
        rows.append(f"<tr><td>{html.escape(d.feature)}</td><td>{html.escape(d.method or 'n/a')}</td>"
                    f"<td>{svg.number(d.statistic)}</td><td>{_p_value(d.p_value)}</td>"
                    f'<td class="{css}">{state}</td><td class="{psi_css}">{psi_text}</td></tr>')
    table = ("<table><tr><th>feature</th><th>test</th><th>statistic (last)</th><th>p-value (last)</th>"
             "<th>in this range</th><th>fleet PSI over the range</th></tr>" + "".join(rows) + "</table>")
    psi = svg.bar_chart("Fleet PSI per feature (all workers and replicas)",
                        sorted(((d.feature, d.fleet_psi) for d in r.drift), key=lambda kv: -kv[1]), value=svg.number,
                        note="0.1 moderate, 0.2 significant")
    lines = [svg.line_chart(f"{d.feature}: {d.method or 'test'} statistic", {d.feature: d.statistic_over_time},
                            note="drifted" if d.drifted_in_range else "", width=420, height=160)
             for d in r.drift if d.statistic_over_time]
    return f'{table}<div class="grid">{psi}</div><div class="grid small">{"".join(lines)}</div>'


def _alerts(r: Report) -> str:
    if not r.alerts:
        return '<p class="empty">no alert fired for this model in this range</p>'
    rows = "".join(
        f'<tr><td>{html.escape(a.name)}</td><td class="{"bad" if a.severity == "critical" else "warn"}">'
        f"{html.escape(a.severity)}</td><td>{_utc(a.first)}</td><td>{_utc(a.last)}</td><td>{a.episodes}</td>"
        f"<td>{html.escape(', '.join(f'{k}={v}' for k, v in sorted(a.labels.items())))}</td></tr>" for a in r.alerts)
    return ("<table><tr><th>alert</th><th>severity</th><th>first firing</th><th>last firing</th><th>episodes</th>"
            f"<th>labels</th></tr>{rows}</table>")


def render(report: Report) -> str:
    """The whole page."""
    r = report
    title = f"otel-ml report: {r.model}"
    return "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{html.escape(title)}</h1>",
        f'<p class="meta">{_utc(r.start)} to {_utc(r.end)} ({_length(r.seconds)}, one point every '
        f"{_length(r.step)}) · from {html.escape(r.source)} · generated {_utc(r.generated_at)}</p></header>",
        "<section><h2>Summary</h2>", _summary(r), "</section>",
        "<section><h2>Performance</h2>", _performance(r), "</section>",
        "<section><h2>Predictions, confidence and accuracy</h2>", _model(r), "</section>",
        "<section><h2>Data drift</h2>", _drift(r), "</section>",
        "<section><h2>Alerts that fired</h2>", _alerts(r), "</section>",
        f"<footer>otel-ml {html.escape(__version__)}. Percentiles are interpolated in the latency histogram's "
        "buckets, as PromQL's histogram_quantile does; accuracy counts the ground-truth outcomes matched to a "
        "prediction in the range; the fleet PSI compares the share of values in each reference decile, summed "
        "over every worker, with 10%.</footer>",
        f"<script>{SCRIPT}</script>", "</body></html>", ""])
