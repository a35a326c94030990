"""Two-sample test of a categorical feature's window against the reference's category counts.

Both are samples: the reference's shares are estimates, not the truth. Treating them as exact
(a one-sample goodness-of-fit test) leaves out the reference's own sampling error, which for a
5,000-value window against a 10,000-row reference inflates the statistic by about half, and an
unchanged stream then alarms many times more often than calibrated. So:

- **Categories the reference has**: the chi-squared test of homogeneity of the 2 x K table
  (reference counts, window counts), ``scipy.stats.chi2_contingency`` without continuity
  correction. Categories the window is expected to hold fewer than 5 of are pooled into one
  cell (the chi-squared law is a poor fit for sparse cells), so rare categories never raise an
  alarm on their own.
- **Categories the reference never had**: under homogeneity the ``u`` window values of categories
  absent from the ``n`` reference rows are the only ones of their kind in the combined sample of
  ``n + m``; the chance that all of them fall in the window is ``C(m, u) / C(n + m, u)`` (the
  exact conditional test, about ``(m / (n + m)) ** u``). One new value is no evidence (0.09 for
  a 1,000-value window and 10,000 reference rows); ten are (4e-11).

The feature's p-value is the smaller of the two, doubled (Bonferroni over the two tests).

>>> import numpy as np
>>> reference = np.array([5000, 3000, 2000])
>>> statistic, p = chi2_test(reference, np.array([500, 300, 200]))
>>> round(statistic, 6), round(p, 6)
(0.0, 1.0)
>>> chi2_test(reference, np.array([400, 300, 200]), unseen=10)[1] < 1e-9
True
>>> chi2_test(reference, np.array([500, 300, 199]), unseen=1)[1] > 0.1
True
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import chdtrc

MIN_EXPECTED = 5.0
"""Categories the window is expected to hold fewer of than this are pooled into one cell."""


def chi2_test(reference_counts: np.ndarray, counts: np.ndarray, unseen: int = 0) -> tuple[float, float]:
    """(statistic, p-value) of window ``counts`` (in the reference's category order) plus
    ``unseen`` values of categories the reference never had, against ``reference_counts``."""
    reference_counts = np.asarray(reference_counts, dtype=float)
    counts = np.asarray(counts, dtype=float)
    n, m_seen = float(reference_counts.sum()), float(counts.sum())
    m = m_seen + unseen
    if m == 0 or n == 0:
        return 0.0, 1.0
    statistic, p_seen = homogeneity(reference_counts, counts, n, m_seen)
    if not unseen:
        return statistic, p_seen
    p_unseen = math.exp(math.lgamma(m + 1) - math.lgamma(m - unseen + 1)
                        - math.lgamma(n + m + 1) + math.lgamma(n + m - unseen + 1))
    return statistic, min(1.0, 2 * min(p_seen, p_unseen))


def homogeneity(reference_counts: np.ndarray, counts: np.ndarray, n: float, m: float) -> tuple[float, float]:
    """Chi-squared homogeneity statistic and p-value of two count vectors, sparse cells pooled."""
    if m == 0:
        return 0.0, 1.0
    sparse = reference_counts / n * m < MIN_EXPECTED
    if sparse.any() and not sparse.all():
        pooled_reference, pooled = reference_counts[sparse].sum(), counts[sparse].sum()
        reference_counts, counts = reference_counts[~sparse], counts[~sparse]
        if pooled_reference / n * m < MIN_EXPECTED:       # still sparse: into the smallest other cell
            smallest = int(np.argmin(reference_counts))
            reference_counts, counts = reference_counts.copy(), counts.copy()
            reference_counts[smallest] += pooled_reference
            counts[smallest] += pooled
        else:
            reference_counts, counts = np.append(reference_counts, pooled_reference), np.append(counts, pooled)
    both = reference_counts + counts
    cells = both > 0
    if np.count_nonzero(cells) < 2:
        return 0.0, 1.0
    difference = counts[cells] * n - reference_counts[cells] * m
    statistic = float(np.sum(difference * difference / both[cells]) / (n * m))
    return statistic, float(chdtrc(np.count_nonzero(cells) - 1, statistic))
