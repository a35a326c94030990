"""Two-sample Kolmogorov-Smirnov, vectorized across features, against a reference sorted once.

``ks_statistics`` gives the same D as ``scipy.stats.ks_2samp`` for every column at once without
touching the whole reference: the supremum of ``|F_ref - F_window|`` is reached at a window
point or just before one (between two window points ``F_window`` is constant and ``F_ref``
monotone), so two ``searchsorted`` of the sorted window into the sorted reference suffice:
O(m log n) per feature instead of O((n + m) log n).

``KSPValues`` gives the p-value ``scipy.stats.ks_2samp(..., method="auto")`` gives: exact when
both samples have at most 10000 values, Smirnov's asymptotic distribution otherwise. The
exact value depends only on ``h = round(D * lcm(n, m))``, so it is computed once per ``h`` and
cached (a drift check in steady state only looks values up).

>>> import numpy as np
>>> from scipy.stats import ks_2samp
>>> rng = np.random.default_rng(1)
>>> reference, window = rng.normal(size=(2000, 3)), rng.normal(0.2, 1, size=(500, 3))
>>> d = ks_statistics(columns_sorted(reference), window)
>>> p = KSPValues().p_values(d, 2000, 500)
>>> bool(np.allclose(d, [ks_2samp(reference[:, j], window[:, j]).statistic for j in range(3)], atol=1e-12))
True
>>> bool(np.allclose(p, [ks_2samp(reference[:, j], window[:, j]).pvalue for j in range(3)], rtol=0, atol=1e-9))
True
"""

from __future__ import annotations

import math
import threading

import numpy as np

EXACT_MAX_N = 10_000
"""scipy's rule: exact p-values when both samples have at most this many values."""


def ks_statistics(reference_columns: np.ndarray, window: np.ndarray) -> np.ndarray:
    """D of every feature: ``reference_columns`` (k, n) from :func:`columns_sorted`, ``window`` (m, k) finite."""
    k, n = reference_columns.shape
    w = np.sort(np.ascontiguousarray(window.T), axis=1)                  # (k, m)
    m = w.shape[1]
    idx = np.empty(w.shape, dtype=np.intp)
    for j in range(k):                                                   # the one O(m log n) step
        idx[j] = np.searchsorted(reference_columns[j], w[j], side="right")
    right = idx / n                                                      # F_ref(w_i)
    left = right                                                         # F_ref(w_i -): differs only on ties
    below = np.take_along_axis(reference_columns, np.maximum(idx - 1, 0), axis=1)
    tied_rows = np.flatnonzero(((idx > 0) & (below == w)).any(axis=1))
    if tied_rows.size:
        left = right.copy()
        for row in tied_rows:
            left[row] = np.searchsorted(reference_columns[row], w[row], side="left") / n
    at = np.broadcast_to(np.arange(1, m + 1) / m, w.shape)                 # F_window(w_i), distinct values
    before = np.broadcast_to(np.arange(m) / m, w.shape)
    same = w[:, 1:] == w[:, :-1]                                         # ties inside the window
    if same.any():                                                       # each value's first and last
        position = np.broadcast_to(np.arange(m), w.shape)                # place in the sorted window
        starts = np.ones(w.shape, dtype=bool)
        starts[:, 1:] = ~same
        first = np.maximum.accumulate(np.where(starts, position, 0), axis=1)
        ends = np.ones(w.shape, dtype=bool)
        ends[:, :-1] = ~same
        last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, position, m - 1), axis=1), axis=1), axis=1)
        at, before = (last + 1) / m, first / m
    return np.asarray(np.maximum(np.abs(right - at).max(axis=1), np.abs(left - before).max(axis=1)))


def columns_sorted(reference: np.ndarray) -> np.ndarray:
    """The reference as (k, n), each row sorted: the layout :func:`ks_statistics` reads fastest."""
    return np.sort(np.ascontiguousarray(np.asarray(reference, dtype=float).T), axis=1)


def ks_statistic(reference_sorted: np.ndarray, values: np.ndarray) -> float:
    """D of one feature: ``reference_sorted`` sorted 1-D, ``values`` any number of finite values."""
    return float(ks_statistics(reference_sorted[None, :], values[:, None])[0])


TINY_P = 1e-10
"""Below this, p-values are reported as the p-value at the edge of that region (an upper bound):
within 1e-10 of scipy's, without computing an exact value for every large D."""


class KSPValues:
    """p-values of two-sample KS statistics, equal to ``scipy.stats.ks_2samp``'s (two-sided, auto)
    to 1e-9. Every value is computed once per lattice index ``h = round(D * lcm(n, m))`` and cached."""

    def __init__(self, max_cached: int = 200_000) -> None:
        self._cache: dict[tuple[int, int, int], float] = {}
        self._tiny: dict[tuple[int, int], int] = {}
        self._max_cached = max_cached
        self._lock = threading.Lock()

    def p_values(self, d: np.ndarray, n: int, m: int | np.ndarray) -> np.ndarray:
        """p-values of statistics ``d`` for sample sizes ``n`` (reference) and ``m`` (one per value, or one)."""
        d = np.asarray(d, dtype=float)
        sizes = np.broadcast_to(np.asarray(m), d.shape)
        out = np.empty(d.shape)
        for index, (x, size) in enumerate(zip(d.ravel(), sizes.ravel())):
            out.flat[index] = self.p_value(float(x), n, int(size))
        return out

    def p_value(self, d: float, n: int, m: int, asymptotic: bool = False) -> float:
        """``ks_2samp``'s p-value; with ``asymptotic``, ``ks_2samp(method="asymp")``'s (Smirnov's
        distribution), which costs far less than the exact one for large windows."""
        if m == 0 or n == 0:
            return float("nan")
        if asymptotic:
            key = (n, -m, int(round(d * 1e9)))
            p = self._cache.get(key)
            if p is None:
                p = self._cache[key] = _smirnov(d, n, m)
            return p
        lcm = (n // math.gcd(n, m)) * m
        h = int(round(d * lcm))
        tiny = self._tiny.get((n, m))
        if tiny is None:
            tiny = self._tiny[(n, m)] = self._first_tiny(n, m, lcm)
        return self._cached(n, m, min(h, tiny), lcm)

    def critical_statistic(self, threshold: float, n: int, m: int, asymptotic: bool = False) -> float:
        """The smallest D whose p-value is at most ``threshold``: the decision ``p <= t`` as ``D >= D*``."""
        if asymptotic:
            from scipy.stats import kstwo

            big, small = max(n, m), min(n, m)
            return float(kstwo.isf(threshold, np.round(big * small / (big + small))))
        lcm = (n // math.gcd(n, m)) * m
        lo, hi = 0, lcm                       # p(lo) > t >= p(hi), p non-increasing in h
        if self._cached(n, m, hi, lcm) > threshold:
            return float("inf")
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._cached(n, m, mid, lcm) <= threshold:
                hi = mid
            else:
                lo = mid
        return (hi - 0.5) / lcm               # any D that rounds to h >= hi

    def _first_tiny(self, n: int, m: int, lcm: int) -> int:
        lo, hi = 0, lcm
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._cached(n, m, mid, lcm) < TINY_P:
                hi = mid
            else:
                lo = mid
        return hi

    def _cached(self, n: int, m: int, h: int, lcm: int) -> float:
        key = (n, m, h)
        p = self._cache.get(key)
        if p is None:
            p = _scipy_p_value(n, m, h, lcm)
            with self._lock:
                if len(self._cache) >= self._max_cached:
                    self._cache.clear()
                self._cache[key] = p
        return p


def _scipy_p_value(n: int, m: int, h: int, lcm: int) -> float:
    """What ``ks_2samp`` computes for D = h / lcm: exact when both sizes are at most 10000, else
    Smirnov's asymptotic distribution (and asymptotic when the exact computation fails)."""
    d = h / lcm
    if max(n, m) <= EXACT_MAX_N:
        from scipy.stats._stats_py import _attempt_exact_2kssamp  # scipy's own routine, checked in tests

        ok, _, p = _attempt_exact_2kssamp(n, m, math.gcd(n, m), d, "two-sided")
        if ok:
            return float(np.clip(p, 0, 1))
    return _smirnov(d, n, m)


def _smirnov(d: float, n: int, m: int) -> float:
    from scipy.stats import kstwo

    big, small = max(n, m), min(n, m)
    return float(np.clip(kstwo.sf(d, np.round(big * small / (big + small))), 0, 1))


SHARED_P_VALUES = KSPValues()
"""One process-wide cache: a p-value depends only on (n, m, h), whatever the data."""
