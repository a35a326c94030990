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

from typing import Any

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


def decide(stats: Any, correction: Correction, alpha: float, calibrated: float | None, reference_rows: int,
           critical: dict[tuple[float, int], float], p_values: Any) -> np.ndarray:
    """``p <= t`` without computing p: each KS statistic against the critical D of the per-test
    threshold t (cached in ``critical``); chi-squared tests by their p-value."""
    from otel_ml.drift.result import EXACT_REPORT_MAX

    tested = np.isfinite(stats.statistic)
    tests = int(tested.sum())
    if correction is Correction.NONE:
        t = alpha
    elif correction is Correction.BONFERRONI:
        t = alpha / max(tests, 1)
    else:
        t = float(calibrated)  # type: ignore[arg-type]
    flags = np.zeros(len(stats.names), dtype=bool)
    for j in np.flatnonzero(tested):
        if stats.methods[j] == "ks":
            size = int(stats.valid[j])
            value = critical.get((t, size))
            if value is None:
                value = critical[(t, size)] = p_values.critical_statistic(t, reference_rows, size,
                                                                          size > EXACT_REPORT_MAX)
            flags[j] = stats.statistic[j] >= value
        else:
            flags[j] = stats.p_value[j] <= t
    return flags
