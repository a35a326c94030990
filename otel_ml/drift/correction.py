"""Turning one check's p-values into alarms, per :class:`Correction`.

>>> import numpy as np
>>> p = np.array([0.001, 0.012, 0.035, 0.045, 0.2])
>>> reject(p, 0.05, Correction.NONE).tolist()
[True, True, True, True, False]
>>> reject(p, 0.05, Correction.BONFERRONI).tolist()
[True, False, False, False, False]
>>> reject(p, 0.05, Correction.BENJAMINI_HOCHBERG).tolist()
[True, True, False, False, False]
"""

from __future__ import annotations

import numpy as np

from otel_ml.drift.result import Correction


def reject(p_values: np.ndarray, alpha: float, correction: Correction, threshold: float | None = None) -> np.ndarray:
    """Which tests alarm. NaN p-values (a feature with no valid values) never do.
    ``threshold`` is the calibrated per-test threshold (``Correction.CALIBRATED``)."""
    p = np.asarray(p_values, dtype=float)
    valid = np.isfinite(p)
    tests = int(valid.sum())
    out = np.zeros(p.shape, dtype=bool)
    if tests == 0:
        return out
    if correction is Correction.NONE:
        out[valid] = p[valid] <= alpha
    elif correction is Correction.BONFERRONI:
        out[valid] = p[valid] <= alpha / tests
    elif correction is Correction.BENJAMINI_HOCHBERG:
        order = np.argsort(np.where(valid, p, np.inf))[:tests]
        below = p[order] <= alpha * np.arange(1, tests + 1) / tests
        if below.any():
            out[order[: np.flatnonzero(below).max() + 1]] = True
    else:
        if threshold is None:
            raise ValueError("Correction.CALIBRATED needs the calibrated threshold.")
        out[valid] = p[valid] <= threshold
    return out


def threshold_for(alpha: float, correction: Correction, tests: int, calibrated: float | None) -> float:
    """The per-test threshold to report: exact for NONE, BONFERRONI and CALIBRATED; for
    BENJAMINI_HOCHBERG the strictest step (alpha / tests)."""
    if correction is Correction.NONE:
        return alpha
    if correction is Correction.CALIBRATED:
        return float(calibrated) if calibrated is not None else float("nan")
    return alpha / max(tests, 1)
