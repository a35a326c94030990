"""Where a report reads its telemetry: the questions it asks, whatever stores the answers.

A :class:`Source` answers in otel_ml's own names (the OpenTelemetry metric names and attribute
keys of :mod:`otel_ml.semconv`): :class:`~otel_ml.report.prometheus.PrometheusSource` asks a
Prometheus-compatible query API (Prometheus, Mimir, VictoriaMetrics) in PromQL, and the demo's
source reads its in-process metric history. Every derived number (quantiles, accuracy, PSI) is
computed from these answers by :mod:`otel_ml.report.content`, once, for both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

Labels = tuple[str, ...]
"""The values of the ``by`` attributes of one series, in the order asked."""
Series = list[tuple[float, float]]
"""``(unix time, value)`` points."""


@dataclass(frozen=True)
class Histogram:
    """A histogram's counts over some interval: cumulative counts per upper bound (the last is ``inf``).

    >>> h = Histogram.from_buckets([0.1, 1.0], [5, 3, 2], total=2.5)
    >>> h.bounds, h.cumulative, h.count, round(h.mean, 3)
    ((0.1, 1.0, inf), (5.0, 8.0, 10.0), 10.0, 0.25)
    """

    bounds: tuple[float, ...]
    cumulative: tuple[float, ...]
    total: float = float("nan")
    """The sum of the observations, when the source has it."""

    @classmethod
    def from_buckets(cls, explicit_bounds: Sequence[float], counts: Sequence[float],
                     total: float = float("nan")) -> Histogram:
        """From OpenTelemetry's form: finite bounds and one count per bucket (one more than bounds)."""
        running, cumulative = 0.0, []
        for count in counts:
            running += float(count)
            cumulative.append(running)
        return cls((*map(float, explicit_bounds), float("inf")), tuple(cumulative), float(total))

    @property
    def count(self) -> float:
        return self.cumulative[-1] if self.cumulative else 0.0

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")

    def per_bucket(self) -> list[tuple[float, float, float]]:
        """``(lower, upper, count)`` of each bucket."""
        lowers = (float("-inf") if not self.bounds or self.bounds[0] > 0 else 0.0, *self.bounds[:-1])
        previous = (0.0, *self.cumulative[:-1])
        return [(lo, hi, c - p) for lo, hi, c, p in zip(lowers, self.bounds, self.cumulative, previous)]


@dataclass(frozen=True)
class FiredAlert:
    """One alert rule that fired in the report's range, and for how long."""

    name: str
    severity: str
    labels: Mapping[str, str]
    first: float
    last: float
    episodes: int = 1


class Source(Protocol):
    """What a report asks. ``where`` matches attributes exactly; ``by`` groups; times are unix seconds."""

    def totals(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float,
               end: float) -> dict[Labels, float]:
        """How much a counter grew over ``[start, end]``, summed over everything not in ``by``."""
        ...

    def totals_over_time(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float, end: float,
                         step: float) -> dict[Labels, Series]:
        """At each step, how much a counter grew over the step (or the source's shortest window) before it."""
        ...

    def histogram(self, metric: str, where: Mapping[str, str], start: float, end: float) -> Histogram | None:
        """A histogram's observations over ``[start, end]``, all series summed."""
        ...

    def histograms_over_time(self, metric: str, where: Mapping[str, str], start: float, end: float,
                             step: float) -> list[tuple[float, Histogram]]:
        """At each step, a histogram's observations over the step before it."""
        ...

    def gauges_over_time(self, metric: str, by: Sequence[str], where: Mapping[str, str], start: float, end: float,
                         step: float) -> dict[Labels, Series]:
        """A gauge at each step, the largest over everything not in ``by`` (every worker, every replica)."""
        ...

    def fired_alerts(self, model: str, start: float, end: float, step: float) -> list[FiredAlert]:
        """The alerts that fired in the range, for ``model`` or for no model in particular."""
        ...

    def window_seconds(self, step: float) -> float:
        """The length of the window that :meth:`totals_over_time` sums over at ``step``."""
        ...
