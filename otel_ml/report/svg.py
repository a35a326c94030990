"""Plots as inline SVG: time series and bars, drawn here so that a report is one file with no script to load.

Each plot is a ``<figure class="plot">`` with ``data-points``, the number of values it drew (0:
the figure says there was no data instead), which the browser test reads.

>>> html = line_chart("Latency", {"p95": [(0.0, 0.01), (60.0, 0.02)]}, value=seconds)
>>> 'data-points="2"' in html and "<polyline" in html
True
>>> 'data-points="0"' in line_chart("Nothing", {"p95": []})
True
>>> seconds(0.0123), percent(0.5), count(12345.0)
('12.3 ms', '50.0%', '12,345')
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Callable, Sequence

from otel_ml.report.source import Series

COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe and Ito's palette: told apart with any colour vision."""

Format = Callable[[float], str]


def seconds(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    if abs(value) < 1e-3:
        return f"{value * 1e6:.0f} µs"
    return f"{value * 1e3:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"


def percent(value: float) -> str:
    return f"{value:.1%}" if math.isfinite(value) else "n/a"


def count(value: float) -> str:
    return f"{value:,.0f}" if math.isfinite(value) else "n/a"


def number(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "n/a"


def _nice_ticks(low: float, high: float, n: int = 4) -> list[float]:
    if not high > low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    return [first + i * step for i in range(int(math.ceil((high - first) / step)) + 1)]


def _clock(t: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(t))


def _figure(title: str, points: int, body: str, note: str = "") -> str:
    caption = html.escape(title) + (f' <span class="note">{html.escape(note)}</span>' if note else "")
    if not points:
        body = '<p class="empty">no data in this range</p>'
    return f'<figure class="plot" data-points="{points}"><figcaption>{caption}</figcaption>{body}</figure>'


def line_chart(title: str, series: dict[str, Series], *, value: Format = number, y_min: float | None = 0.0,
               y_max: float | None = None, width: int = 640, height: int = 220, note: str = "") -> str:
    """Time series on one time axis (UTC clock), one coloured line per name, with a legend."""
    drawn = {name: [(t, v) for t, v in points if math.isfinite(v)] for name, points in series.items()}
    drawn = {name: points for name, points in drawn.items() if points}
    total = sum(len(p) for p in drawn.values())
    if not total:
        return _figure(title, 0, "", note)
    left, right, top, bottom = 64, 12, 10, 28
    times = [t for p in drawn.values() for t, _ in p]
    values = [v for p in drawn.values() for _, v in p]
    t0, t1 = min(times), max(times)
    t1 = t1 if t1 > t0 else t0 + 1
    ticks = _nice_ticks(min(values) if y_min is None else min(y_min, min(values)),
                        max(values) if y_max is None else max(y_max, max(values)))
    v0, v1 = ticks[0], ticks[-1]

    def x(t: float) -> float:
        return left + (t - t0) / (t1 - t0) * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - v0) / (v1 - v0)) * (height - top - bottom)

    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">']
    for tick in ticks:
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
                     f'<text class="tick" x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
                     f"{html.escape(value(tick))}</text>")
    for i in range(5):
        t = t0 + (t1 - t0) * i / 4
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<text class="tick" x="{x(t):.1f}" y="{height - 8}" text-anchor="{anchor}">'
                     f'<tspan class="clock" data-t="{t:.0f}">{_clock(t)}</tspan></text>')
    legend = []
    for i, (name, points) in enumerate(drawn.items()):
        color = COLORS[i % len(COLORS)]
        coordinates = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.8" points="{coordinates}">'
                     f"<title>{html.escape(name)}</title></polyline>")
        if len(points) == 1:
            parts.append(f'<circle cx="{x(points[0][0]):.1f}" cy="{y(points[0][1]):.1f}" r="3" fill="{color}"/>')
        legend.append(f'<span class="key" style="--c:{color}">{html.escape(name)}: '
                      f"{html.escape(value(points[-1][1]))} last, {html.escape(value(max(v for _, v in points)))} max"
                      "</span>")
    parts.append("</svg>")
    return _figure(title, total, "".join(parts) + f'<div class="legend">{"".join(legend)}</div>', note)


def bar_chart(title: str, bars: Sequence[tuple[str, float]], *, value: Format = count, width: int = 640,
              note: str = "") -> str:
    """Horizontal bars, one per ``(name, value)``, in the order given, each with its share of the total."""
    bars = [(name, v) for name, v in bars if math.isfinite(v)]
    if not bars or not any(v > 0 for _, v in bars):
        return _figure(title, 0, "", note)
    row, label_width, value_width = 22, 170, 130
    height = row * len(bars) + 6
    top = max(v for _, v in bars)
    total = sum(v for _, v in bars)
    scale = (width - label_width - value_width) / top
    parts = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">']
    for i, (name, v) in enumerate(bars):
        y = 3 + i * row
        parts.append(f'<text class="tick" x="{label_width - 8}" y="{y + 15}" text-anchor="end">'
                     f"{html.escape(name[:28])}</text>"
                     f'<rect x="{label_width}" y="{y + 3}" width="{max(v * scale, 1.0):.1f}" height="{row - 6}" '
                     f'fill="{COLORS[0]}"><title>{html.escape(name)}: {html.escape(value(v))}</title></rect>'
                     f'<text class="tick" x="{label_width + max(v * scale, 1.0) + 6:.1f}" y="{y + 15}">'
                     f"{html.escape(value(v))} ({v / total:.1%})</text>")
    parts.append("</svg>")
    return _figure(title, len(bars), "".join(parts), note)
