"""The numbers a report derives: quantiles from histogram buckets, and the population stability index.

>>> from otel_ml.report.source import Histogram
>>> h = Histogram((0.005, 0.01, 0.025, float("inf")), (0.0, 50.0, 100.0, 100.0))
>>> round(quantile(0.5, h), 4), round(quantile(0.75, h), 4)
(0.01, 0.0175)
>>> round(psi([10] * 10), 6), round(psi([55, 5, 5, 5, 5, 5, 5, 5, 5, 5]), 6)
(0.0, 1.079053)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from otel_ml.drift.distances import psi as _psi
from otel_ml.report.source import Histogram

PSI_MODERATE, PSI_SIGNIFICANT = 0.1, 0.2
"""The usual reading: below 0.1 no shift, 0.1 to 0.2 moderate, above 0.2 significant."""


def quantile(q: float, histogram: Histogram) -> float:
    """PromQL's ``histogram_quantile``: linear within the bucket, the highest finite bound for ``+Inf``."""
    count = histogram.count
    if count <= 0 or not histogram.bounds:
        return float("nan")
    rank = q * count
    lower, previous = 0.0, 0.0
    for bound, cumulative in zip(histogram.bounds, histogram.cumulative):
        if cumulative >= rank:
            if math.isinf(bound):
                return lower
            in_bucket = cumulative - previous
            return lower + (bound - lower) * ((rank - previous) / in_bucket if in_bucket else 1.0)
        lower, previous = (bound if not math.isinf(bound) else lower), cumulative
    return lower


def psi(decile_counts: Sequence[float]) -> float:
    """PSI of counts per reference decile against the reference's 10% each (shares floored, as the
    fleet recording rules do, so that an empty decile gives a large, finite PSI)."""
    total = float(sum(decile_counts))
    if total <= 0 or not decile_counts:
        return float("nan")
    expected = [1.0 / len(decile_counts)] * len(decile_counts)
    return _psi(np.asarray(expected), np.asarray(decile_counts, dtype=float) / total)
