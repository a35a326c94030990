"""Fleet-level drift: quantile-rank counts that Prometheus sums over every worker and replica.

Each worker sees only its share of traffic. For every numeric feature it counts where each value
falls among the reference's deciles (its probability integral transform, binned in tenths);
categorical features count per reference category, plus ``other``. The counts are cumulative
and exported through observable counters, so the request path does nothing for them: the drift
thread bins the new samples (numpy) before each check. Without drift every decile holds 10%;
``grafana/rules/drift.yml`` computes PSI per feature from the sums, and the alert
``MLFleetDrift`` (:mod:`otel_ml.alerts`) a two-sample chi-squared test of the last hour's sums
against the reference, :func:`fleet_chi2` here.

>>> import numpy as np
>>> from otel_ml.drift.reference import ReferenceProfile
>>> from otel_ml.drift._check import Columns
>>> rng = np.random.default_rng(0)
>>> profile = ReferenceProfile.fit({"x": rng.normal(size=1000)})
>>> fleet = FleetCounts(profile)
>>> fleet.add(rng.normal(size=(5000, 1)), Columns(np.array([0]), np.array([], dtype=int)))
>>> shares = fleet.decile_counts[0] / fleet.decile_counts[0].sum()
>>> bool(np.all(np.abs(shares - 0.1) < 0.03))
True
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from opentelemetry.metrics import CallbackOptions, Observation

from otel_ml import semconv
from otel_ml.drift.reference import ReferenceProfile

_logger = logging.getLogger("otel_ml.drift.processor")
ObservableCallback = Callable[[CallbackOptions], Iterable[Observation]]

DECILE_LABELS = tuple(str(i) for i in range(1, 11))
"""Values of ``ml.feature.decile``: 1 holds the reference's lowest tenth, 10 its highest."""


class FleetCounts:
    """Cumulative per-decile (numeric) and per-category (categorical) counts of one process."""

    def __init__(self, reference: ReferenceProfile) -> None:
        self.reference = reference
        self.decile_counts = np.zeros((len(reference.numeric_names), 10), dtype=np.int64)
        self.category_counts = {name: np.zeros(len(reference.categories[name]) + 1, dtype=np.int64)
                                for name in reference.categorical_names}
        self.invalid_counts = np.zeros(len(reference.feature_names), dtype=np.int64)
        self.missed = 0      # samples overwritten in the ring buffer before they were binned
        self.binned_at = 0   # the ring buffer's total when it was last binned
        self._lock = threading.Lock()
        self._binning = threading.Lock()

    def catch_up(self, ring: Any, columns: Any, total: int | None = None) -> None:
        """Bin the rows ``ring`` received since the last call (up to ``total``), from the drift
        thread's checks or a flush; rows overwritten before that are counted in ``missed``."""
        with self._binning:
            total = ring.total if total is None else total
            arrived = total - self.binned_at
            if arrived <= 0:
                return
            fresh = ring.between(self.binned_at, total)
            self.binned_at = total
            lost = arrived - len(fresh)                 # overwritten before the thread got to them
            if lost > 0:
                if not self.missed:
                    _logger.warning("otel_ml drift: %d samples arrived faster than the drift thread could bin them; "
                                    "they are missing from the fleet counts (a larger long_window_size helps)", lost)
                self.missed += lost
            if len(fresh):
                self.add(fresh, columns)

    def add(self, rows: np.ndarray, columns: Any) -> None:
        """Bin new ring-buffer rows (NaN values are counted as invalid and left out)."""
        with self._lock:
            self.invalid_counts += np.count_nonzero(~np.isfinite(rows), axis=0)
            for j, column in enumerate(columns.numeric):
                values = rows[:, column]
                values = values[np.isfinite(values)]
                bins = np.searchsorted(self.reference.deciles[j], values, side="right")
                self.decile_counts[j] += np.bincount(bins, minlength=10)
            for i, name in enumerate(self.reference.categorical_names):
                codes = rows[:, columns.categorical[i]]
                codes = codes[np.isfinite(codes)].astype(int)
                counts = self.category_counts[name]
                counts[:-1] += np.bincount(codes[codes >= 0], minlength=len(counts) - 1)
                counts[-1] += int(np.count_nonzero(codes < 0))

    def observe(self, base_attributes: dict[str, str]) -> tuple[ObservableCallback, ObservableCallback]:
        """A callback for ``ml.feature.quantile`` / ``ml.feature.category`` observable counters."""
        numeric = [{**base_attributes, semconv.ML_FEATURE_NAME: name, semconv.ML_FEATURE_DECILE: label}
                   for name in self.reference.numeric_names for label in DECILE_LABELS]
        categorical = {name: [{**base_attributes, semconv.ML_FEATURE_NAME: name, semconv.ML_FEATURE_CATEGORY: c}
                              for c in (*self.reference.categories[name], semconv.OTHER)]
                       for name in self.reference.categorical_names}

        def quantiles(_options: CallbackOptions) -> Iterable[Observation]:
            with self._lock:
                counts = self.decile_counts.ravel().tolist()
            return [Observation(n, attrs) for n, attrs in zip(counts, numeric)]

        def categories(_options: CallbackOptions) -> Iterable[Observation]:
            with self._lock:
                return [Observation(int(n), attrs) for name, attrs_list in categorical.items()
                        for n, attrs in zip(self.category_counts[name], attrs_list)]

        return quantiles, categories


def fleet_chi2(window_counts: Any, reference_rows: int) -> float:
    """The statistic of ``MLFleetDrift``: a window's counts per reference decile (summed over the
    fleet) against the reference's ``R/10`` per decile, two-sample, 9 degrees of freedom.

    ``sum((B - N/10)^2 / (N/10)) / (1 + N/R)``: the one-sample chi-squared divided by
    ``1 + N/R``, the reference's own sampling error (the decile edges are estimated from ``R``
    rows). Exact for equal reference counts per decile.

    >>> fleet_chi2([100] * 10, 1000)
    0.0
    >>> round(fleet_chi2([150, 50] + [100] * 8, 1000), 2)     # N = R: half the one-sample 50.0
    25.0
    """
    counts = np.asarray(window_counts, dtype=float)
    total = counts.sum()
    if total <= 0:
        return float("nan")
    expected = total / len(counts)
    return float(np.sum((counts - expected) ** 2 / expected) / (1.0 + total / reference_rows))
