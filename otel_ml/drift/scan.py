"""A sequential scan: the latest 100, 200, ... 3200 samples of every feature tested at each check.

A sliding window of one length is a compromise: short ones miss small shifts, long ones find
large shifts late. This scans several lengths at once, under one threshold that the calibration
(:mod:`.calibration`) sets for the whole family, the way scan statistics and CUSUM-like
detectors close the gap to the fastest detection a false-alarm rate allows.

What it tests, per numeric feature, on *normal scores*: each value's rank among the reference's,
mapped through the normal quantile function (``Phi^-1((rank + 0.5) / (n + 1))``, mid-ranks for
ties). Scores follow one known law whatever the feature's own (heavy tails, ties, mixtures), so:

- ``mean``: the window's mean score against the reference's, in standard errors (a shift);
- ``variance``: the window's mean squared standardized score against the reference's (a
  change of spread), through the Wilson-Hilferty normal approximation of its scaled
  chi-squared law;
- ``covariance`` (joint, across features): the mean product of every two features'
  standardized scores against the reference's (their correlation). With the marginals
  unchanged, a change in how features move together moves some product: a correlation that
  flips is invisible to every test of one feature and plain here. A shift of one feature alone
  leaves every product's mean as it was. Past :data:`MAX_JOINT` features the products are of
  the reference's top :data:`MAX_JOINT` principal directions, whitened (then a large shift of
  one feature moves them too, at second order).

Every window's standard error counts the reference's own sampling error (``1/window + 1/n``),
so a long window against a small reference does not alarm on the reference's noise.
Each statistic's p-value is two-sided, the smallest over the window lengths; the windows are
sums of blocks of ``block`` samples, so a check costs O(channels x windows), not O(samples).

>>> import numpy as np
>>> rng = np.random.default_rng(4)
>>> scan = Scan(rng.normal(size=(5000, 3)), windows=(100, 200, 400))
>>> scan.add(rng.normal(size=(400, 3)))
>>> bool(scan.evaluate().p_value.min() > 1e-4)
True
>>> scan.add(rng.normal(size=(200, 3)) + [0, 0.6, 0])
>>> result = scan.evaluate()
>>> int(np.argmin(result.mean_p)), bool(result.mean_p[1] < 1e-6)
(1, True)
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
from scipy.special import erfc, ndtri

WINDOWS = (100, 200, 300, 400, 600, 800, 1100, 1600, 2300, 3200)
"""Window lengths scanned by default (samples): about a factor sqrt(2) apart."""
MAX_JOINT = 24
"""Features the joint check pairs directly (276 pairs); past this, the reference's principal directions."""
MIN_VALID_SHARE = 0.5
"""A statistic whose window holds fewer valid values than this share is not tested."""


@dataclass(frozen=True)
class ScanResult:
    """The scan at one check: per statistic, its normal deviate, p-value and window length."""

    z: np.ndarray            # (channels,) signed normal deviate at the most significant window
    p_value: np.ndarray      # (channels,) two-sided, the smallest over the windows; NaN: not tested
    window: np.ndarray       # (channels,) samples in that window
    features: int            # k: channels [0, k) are means, [k, 2k) variances, the rest joint

    @property
    def mean_p(self) -> np.ndarray:
        return self.p_value[:self.features]

    @property
    def variance_p(self) -> np.ndarray:
        return self.p_value[self.features:2 * self.features]

    @property
    def joint_p(self) -> np.ndarray:
        return self.p_value[2 * self.features:]


def normal_scores(reference_sorted: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Normal scores of ``values`` (m, k) against each sorted reference row (k, n); NaN stays NaN."""
    k, n = reference_sorted.shape
    out = np.full(values.shape, np.nan)
    for j in range(k):
        column = values[:, j]
        finite = np.isfinite(column)
        x = column[finite]
        left = np.searchsorted(reference_sorted[j], x, side="left")
        right = np.searchsorted(reference_sorted[j], x, side="right")
        out[finite, j] = ndtri(((left + right) / 2 + 0.5) / (n + 1))
    return out


class Scan:
    """Block sums of every statistic's per-sample value, and their scan over window lengths.

    ``reference`` is the reference's numeric rows (n, k) in their original order (the joint check
    needs rows; sorted columns have lost how features move together). ``reference_sorted``, each
    column sorted (k, n), saves sorting them again; without ``reference`` the joint check is off.
    """

    def __init__(self, reference: np.ndarray | None, windows: tuple[int, ...] = WINDOWS, joint: bool = True,
                 reference_sorted: np.ndarray | None = None) -> None:
        windows = tuple(sorted({int(w) for w in windows}))
        if not windows or windows[0] < 10:
            raise ValueError(f"scan windows must be at least 10 samples, got {windows}.")
        self.block = math.gcd(*windows)
        self.windows = windows
        self._lengths = np.array([w // self.block for w in windows])
        if reference_sorted is None:
            if reference is None:
                raise ValueError("Scan needs the reference's rows or its sorted columns.")
            reference_sorted = np.sort(np.asarray(reference, dtype=float).T, axis=1)
        self.sorted = reference_sorted
        k, n = self.sorted.shape
        self.features, self.rows = k, n
        joint = joint and reference is not None and k >= 2
        own = normal_scores(self.sorted, np.asarray(reference, float) if joint else self.sorted.T)  # (n, k)
        self._mean, self._sd = own.mean(axis=0), own.std(axis=0)
        standardized = (own - self._mean) / self._sd
        self._whiten: np.ndarray | None = None          # identity (the scores themselves) when None
        self._pairs = (np.empty(0, dtype=int), np.empty(0, dtype=int))
        if joint:
            if k > MAX_JOINT:                           # the top principal directions, whitened
                correlation = standardized.T @ standardized / n
                values, vectors = np.linalg.eigh(correlation)
                keep = np.argsort(values)[::-1][:MAX_JOINT]
                keep = keep[values[keep] > 1e-8 * values.max()]
                self._whiten = vectors[:, keep] / np.sqrt(values[keep])
            self._pairs = np.triu_indices(k if self._whiten is None else self._whiten.shape[1], 1)
        channels = self._channels(standardized, standardized=True)
        self.channel_mean = channels.mean(axis=0)
        self.channel_var = channels.var(axis=0)
        squares = np.concatenate([np.zeros(k, bool), np.ones(k, bool), np.zeros(len(self._pairs[0]), bool)])
        self._square = squares
        self.channels = len(squares)
        self._sums = np.zeros((self._lengths.max(), self.channels))
        self._counts = np.zeros((self._lengths.max(), self.channels))
        self._pending = np.empty((0, k))
        self._blocks = 0                  # complete blocks added so far
        self._lock = threading.Lock()

    def _channels(self, values: np.ndarray, standardized: bool = False) -> np.ndarray:
        """Per-sample statistic values (m, channels): scores, squared scores, whitened products."""
        z = values if standardized else (normal_scores(self.sorted, values) - self._mean) / self._sd
        parts = [z, z * z]
        if len(self._pairs[0]):
            y = z if self._whiten is None else z @ self._whiten    # NaN in a feature: NaN joint values
            parts.append(y[:, self._pairs[0]] * y[:, self._pairs[1]])
        return np.concatenate(parts, axis=1)

    def add(self, rows: np.ndarray) -> None:
        """Append numeric rows (m, k) in reference column order; complete blocks are summed."""
        with self._lock:
            rows = np.concatenate([self._pending, np.asarray(rows, dtype=float)]) if len(self._pending) else \
                np.asarray(rows, dtype=float)
            complete = len(rows) // self.block * self.block
            self._pending = rows[complete:]
            if not complete:
                return
            span = len(self._sums)
            skipped = max(0, complete // self.block - span)          # blocks older than the longest window
            self._blocks += skipped
            channels = self._channels(rows[skipped * self.block:complete])
            for start in range(0, len(channels), self.block):
                part = channels[start:start + self.block]
                valid = np.isfinite(part)
                slot = self._blocks % span
                self._sums[slot] = np.where(valid, part, 0.0).sum(axis=0)
                self._counts[slot] = valid.sum(axis=0)
                self._blocks += 1

    def clear(self) -> None:
        with self._lock:
            self._sums.fill(0.0)
            self._counts.fill(0.0)
            self._pending = np.empty((0, self.features))
            self._blocks = 0

    def evaluate(self) -> ScanResult:
        """The scan now: each statistic at every window length that is full, the most significant kept."""
        with self._lock:
            span = len(self._sums)
            order = (self._blocks - 1 - np.arange(min(self._blocks, span))) % span      # newest block first
            sums, counts = np.cumsum(self._sums[order], axis=0), np.cumsum(self._counts[order], axis=0)
        best_z = np.full(self.channels, np.nan)
        best_p = np.full(self.channels, np.nan)
        best_w = np.zeros(self.channels, dtype=int)
        for length, window in zip(self._lengths, self.windows):
            if length > len(sums):
                break
            count = counts[length - 1]
            with np.errstate(invalid="ignore", divide="ignore"):
                z = self._deviates(sums[length - 1] / count, count)
            z[count < MIN_VALID_SHARE * window] = np.nan
            p = erfc(np.abs(z) / math.sqrt(2))
            better = np.isfinite(p) & ~(p >= best_p)           # NaN best_p: anything finite is better
            best_z[better], best_p[better], best_w[better] = z[better], p[better], window
        return ScanResult(best_z, best_p, best_w, self.features)

    def _deviates(self, means: np.ndarray, counts: np.ndarray) -> np.ndarray:
        variance = self.channel_var * (1.0 / counts + 1.0 / self.rows)
        z: np.ndarray = (means - self.channel_mean) / np.sqrt(variance)
        square = self._square
        mu = self.channel_mean[square]
        nu = 2 * mu * mu / variance[square]                   # scaled chi-squared: mean mu, this variance
        ratio = np.maximum(means[square] / mu, 0.0)
        z[square] = (np.cbrt(ratio) - (1 - 2 / (9 * nu))) / np.sqrt(2 / (9 * nu))
        return z
