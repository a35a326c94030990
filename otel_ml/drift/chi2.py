"""Chi-squared test of a categorical feature's window counts against the reference frequencies.

Categories the reference never had are pooled into one extra cell whose expected share is a
small floor, so that a new category is strong evidence of drift instead of a division by zero.

>>> import numpy as np
>>> freq = np.array([0.5, 0.3, 0.2])
>>> result = chi2_test(freq, np.array([50, 30, 20]), unseen=0)
>>> round(result[0], 3), round(result[1], 3)
(0.0, 1.0)
>>> chi2_test(freq, np.array([40, 30, 20]), unseen=10)[1] < 1e-6
True
"""

from __future__ import annotations

import numpy as np

UNSEEN_SHARE = 1e-3
"""Expected share of categories the reference never had."""


def chi2_test(frequencies: np.ndarray, counts: np.ndarray, unseen: int = 0,
              unseen_share: float = UNSEEN_SHARE) -> tuple[float, float]:
    """(statistic, p-value) of observed ``counts`` (in the reference's category order) plus
    ``unseen`` values of new categories, against reference ``frequencies``."""
    from scipy.stats import chi2

    total = counts.sum() + unseen
    if total == 0:
        return 0.0, 1.0
    expected_shares = np.append(frequencies * (1 - unseen_share), unseen_share)
    observed = np.append(counts, unseen).astype(float)
    expected = expected_shares * total
    statistic = float(np.sum((observed - expected) ** 2 / expected))
    dof = len(frequencies)          # categories + the unseen cell, minus one
    return statistic, float(chi2.sf(statistic, dof))
