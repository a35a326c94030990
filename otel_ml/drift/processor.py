"""DriftProcessor: per-process drift detection off the prediction path, exported as OTel metrics.

The request path only writes one row into a numpy ring buffer (:meth:`DriftProcessor.feed`).
A daemon thread wakes every ``check_every`` samples (or ``check_interval`` seconds), runs the
tests on a copy of the window, bins the new samples for the fleet-level histograms
(:mod:`otel_ml.drift.fleet`), and publishes the results, which observable instruments read at
export time. A drift log record and a span event go out when a feature's state flips.

State is per process: each gunicorn worker has its own window. The fleet view is the quantile
counts, which Prometheus sums over every worker and replica (``grafana/rules/drift.yml``).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from otel_ml.drift._check import Columns, evaluate
from otel_ml.drift._rows import CONFIDENCE, JOINT, PREDICTION, RowEncoder, number, with_outputs
from otel_ml.drift._scanning import ScanFeed, estimate_window, merge_scan
from otel_ml.drift._thread import BackgroundChecks, track_for_fork
from otel_ml.drift._verdicts import carry_distances, hold_long_verdicts, merge_window
from otel_ml.drift.calibration import Calibration, calibrate, schedule
from otel_ml.drift.correction import decide, reject, threshold_for
from otel_ml.drift.fleet import FleetCounts
from otel_ml.drift.ks import SHARED_P_VALUES
from otel_ml.drift.performance import PerformanceEstimator
from otel_ml.drift.reference import MIN_ROWS, ReferenceProfile
from otel_ml.drift.result import Correction, DriftReport, FeatureDrift
from otel_ml.drift.ring import RingBuffer
from otel_ml.drift.scan import WINDOWS

DISTANCES_EVERY = 2.0
"""Seconds between two computations of the distances in the background thread (each check in
between keeps the last ones): they are read once an export, and cost an eighth of a check."""

CheckListener = Callable[[DriftReport | None, DriftReport], None]
"""Called with the previous report (``None`` the first time) and the new one, after each check."""

__all__ = ["CONFIDENCE", "JOINT", "PREDICTION", "DriftProcessor"]

_logger = logging.getLogger(__name__)


class DriftProcessor(BackgroundChecks):
    """Data drift of a model's inputs, output and confidence against a reference.

    Parameters
    ----------
    reference : ReferenceProfile
        From :meth:`fit` or :meth:`ReferenceProfile.fit`.
    window_size, long_window_size : int
        Samples in the tested windows: the short one reacts fast to large shifts, the long one
        (0 to turn it off) finds small shifts. Checked every ``check_every`` samples and every
        ``long_window_size / 10`` samples.
    min_check_interval : float
        The background thread checks at most this often (seconds; default 1), so that the CPU
        spent on drift stays bounded under heavy traffic: a check of 20 features takes about 10 ms
        of CPU, so at most about 1% of a core whatever the rate (checking less often only lowers
        the false-alarm rate; the windows still hold the latest samples, and the results are
        exported every metric interval, 10 s by default).
    correction : Correction
        ``CALIBRATED`` (default): the threshold is calibrated at start so that an unchanged stream
        alarms once per ``expected_samples_between_false_alarms`` samples on average.
    alpha : float
        Per-window error level for ``BONFERRONI``, ``BENJAMINI_HOCHBERG`` and ``NONE``.
    threshold : float, optional
        A per-test p-value threshold to use instead of calibrating (e.g. from an earlier run's
        ``processor.calibration``).
    scan : bool
        Under ``CALIBRATED``: also scan the latest ``scan_windows`` samples of every numeric
        feature for a shift of its mean or spread (:mod:`otel_ml.drift.scan`), under the same
        calibrated threshold: large shifts are found within a few hundred samples.
    multivariate : bool
        Under ``CALIBRATED``: also test how the numeric features move together (the joint check,
        reported as the feature ``(joint)``, method ``covariance``): a correlation that changes
        while every feature's own distribution stays the same.
    background : bool
        Test in a daemon thread (default); the thread computes the distances (PSI and friends)
        every ``DISTANCES_EVERY`` seconds, not at every check. ``False``: :meth:`update` tests
        inline on schedule, distances at every check (deterministic; for tests, notebooks and
        batch jobs).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> drift = DriftProcessor.fit(rng.normal(size=(2000, 3)), ["a", "b", "c"], window_size=200,
    ...                            long_window_size=0, check_every=50, correction=Correction.BONFERRONI,
    ...                            background=False)
    >>> for row in rng.normal(size=(400, 3)):
    ...     _ = drift.update(row)
    >>> drift.drift_detected
    False
    >>> for row in rng.normal(size=(200, 3)) + [0, 1.0, 0]:
    ...     _ = drift.update(row)
    >>> drift.drift_detected, drift.report.drifted
    (True, ('b',))
    """

    def __init__(self, reference: ReferenceProfile, *, window_size: int = 1000, long_window_size: int = 5000,
                 check_every: int = 100, check_interval: float | None = 30.0, min_check_interval: float = 1.0,
                 correction: Correction = Correction.CALIBRATED, alpha: float = 0.05,
                 expected_samples_between_false_alarms: float = 10_000_000, threshold: float | None = None,
                 calibration_blocks: int = 40, seed: int = 0, distances: bool = True, background: bool = True,
                 scan: bool = True, scan_windows: Sequence[int] = WINDOWS, multivariate: bool = True,
                 performance: PerformanceEstimator | None = None) -> None:
        if window_size < 10:
            raise ValueError(f"window_size must be at least 10, got {window_size}.")
        if long_window_size and long_window_size <= window_size:
            raise ValueError("long_window_size must be larger than window_size (or 0 to turn it off).")
        if check_every < 1:
            raise ValueError(f"check_every must be at least 1, got {check_every}.")
        if not 0 < alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {alpha}.")
        if not isinstance(correction, Correction):
            raise TypeError(f"correction must be a Correction, got {correction!r}.")
        self.reference = reference
        self.window_size, self.long_window_size = window_size, long_window_size or 0
        self.check_every, self.check_interval = check_every, check_interval
        self.min_check_interval = min_check_interval
        self.correction, self.alpha = correction, alpha
        self.expected_samples_between_false_alarms = expected_samples_between_false_alarms
        self.calibration_blocks, self.seed, self.distances = calibration_blocks, seed, distances
        self.background = background
        self._distances_at = -math.inf
        self.cpu_seconds = 0.0
        self.drifting = False
        """Whether the last check flagged a feature (a plain read on the request path)."""
        self.scan_windows = tuple(int(w) for w in scan_windows)
        calibrated = correction is Correction.CALIBRATED and bool(reference.numeric_names)
        self.scan, self.multivariate = scan and calibrated, multivariate and calibrated and \
            reference.numeric_rows is not None and len(reference.numeric_names) >= 2
        if (self.scan or self.multivariate) and (not self.scan_windows or min(self.scan_windows) < 10):
            raise ValueError(f"scan_windows must be window lengths of at least 10 samples, got {scan_windows}.")
        self._scan = ScanFeed(reference, self.scan_windows, self.multivariate) if self.scan or self.multivariate \
            else None
        names = list(reference.feature_names)
        if performance is not None and not (PREDICTION in reference.categorical_names and CONFIDENCE in names):
            raise ValueError("performance estimation needs the reference fitted with predictions (as classes) "
                             "and confidences: DriftProcessor.fit(..., predictions=, confidences=, labels=).")
        self.performance = performance
        self.calibration: Calibration | None = None
        self._threshold = threshold
        self._schedule = schedule(window_size, self.long_window_size, check_every)
        self.columns = Columns(np.array([names.index(n) for n in reference.numeric_names], dtype=int),
                               np.array([names.index(n) for n in reference.categorical_names], dtype=int))
        self._rows = RowEncoder(reference)
        self.ring = RingBuffer(max(window_size, self.long_window_size), len(names))
        self.fleet = FleetCounts(reference)
        self._p_values = SHARED_P_VALUES
        self._report: DriftReport | None = None
        self.last_check_seconds = 0.0
        self._critical: dict[tuple[float, int], float] = {}
        self._checked_at = 0
        self._listeners: list[CheckListener] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0
        track_for_fork(self)

    # ------------------------------------------------------------------ building
    @classmethod
    def fit(cls, reference: Any, feature_names: Sequence[str] | None = None, *,
            categorical: Iterable[str] | None = None, predictions: Any = None, confidences: Any = None,
            labels: Any = None, positive: Any = None, min_rows: int = MIN_ROWS, **kwargs: Any) -> DriftProcessor:
        """Fit the reference profile (features, and optionally the model's predictions and
        confidences on the same rows) and build a processor with ``kwargs``.

        With ``labels`` (the true classes of the same rows) too, the processor also estimates the
        accuracy, and the ``positive`` class's precision and recall, of its short window from the
        confidences (:mod:`otel_ml.drift.performance`). ``min_rows`` lowers the reference size
        accepted (see :data:`~otel_ml.drift.reference.MIN_ROWS`)."""
        columns, forced = with_outputs(reference, feature_names, categorical, predictions, confidences)
        performance = None
        if labels is not None:
            if predictions is None or confidences is None:
                raise ValueError("labels= estimates performance from the model's confidences: "
                                 "give predictions= and confidences= of the same rows too.")
            forced.add(PREDICTION)
            performance = PerformanceEstimator.fit(predictions, confidences, labels, positive)
        return cls(ReferenceProfile.fit(columns, categorical=forced, min_rows=min_rows), performance=performance,
                   **kwargs)

    def save(self, path: str | Path) -> None:
        """Write the reference, the settings and the calibration to one ``.npz`` file (calibrating
        first if it has not run), for :meth:`load` in every worker: see :mod:`.persistence`."""
        from otel_ml.drift import persistence

        if self.correction is Correction.CALIBRATED and self._threshold is None:
            self.calibrate()
        persistence.save(self, path)

    @classmethod
    def load(cls, path: str | Path, **overrides: Any) -> DriftProcessor:
        """A processor from a file :meth:`save` wrote, ready at once (no fitting, no calibration,
        unless ``overrides`` change a setting the calibration depends on)."""
        from otel_ml.drift import persistence

        return persistence.load(path, **overrides)

    # ------------------------------------------------------------------ request path
    def feed(self, features: Any, prediction: Any = None, confidence: Any = None) -> None:
        """Queue one sample: one row written into the ring buffer. Never raises."""
        try:
            row = self._rows.encode(features, prediction, confidence)
            try:
                self.ring.append(row)
            except (TypeError, ValueError):             # None, text: written as NaN, left out of tests
                self.ring.append([number(v) for v in row])
        except Exception:  # noqa: BLE001 - a broken payload must not reach the model
            self.errors += 1
            return
        if self.background:
            if self._thread is None:
                self.start()
            if self.ring.total - self._checked_at >= self.check_every:
                self._wake.set()

    def feed_many(self, rows: np.ndarray) -> None:
        """Append a batch of numeric rows (n, columns) already in reference column order, e.g. a
        batch prediction's inputs. Without a background thread, call :meth:`check` yourself."""
        rows = np.asarray(rows, dtype=float)
        if rows.ndim != 2 or rows.shape[1] != self.ring.width:
            raise ValueError(f"feed_many takes rows of {self.ring.width} values, got shape {rows.shape}.")
        self.ring.extend(rows)
        if self.background:
            if self._thread is None:
                self.start()
            self._wake.set()

    def update(self, features: Any, prediction: Any = None, confidence: Any = None) -> DriftProcessor:
        """River-style: feed one sample and, without a background thread, test when it is due
        (inline, on the caller's thread: for tests, notebooks and batch jobs)."""
        self.feed(features, prediction, confidence)
        if not self.background and self.ring.total - self._checked_at >= self.check_every:
            self.check()
        return self

    # ------------------------------------------------------------------ checks
    @property
    def report(self) -> DriftReport | None:
        """The last check's results (``None`` until the short window is full)."""
        return self._report

    @property
    def drift_detected(self) -> bool:
        return self._report is not None and self._report.drift_detected

    @property
    def threshold(self) -> float | None:
        """The per-test p-value threshold in force; ``None`` while the calibration still runs (in
        the background thread: reading this never waits for it)."""
        return self._threshold

    @property
    def ready(self) -> bool:
        """Whether the processor can decide drift: calibrated (or given a threshold), or not calibrating."""
        return self.correction is not Correction.CALIBRATED or self._threshold is not None

    def calibrate(self, progress: Callable[[int, int], None] | None = None) -> Calibration:
        """Simulate an unchanged stream to set the threshold (seconds of CPU; done once, at start
        in the background thread, or ahead of time with :meth:`save`). ``progress(done, total)``
        is called as it goes."""
        started = time.perf_counter()
        self.calibration = calibrate(self.reference, self.window_size, self.long_window_size, self.check_every,
                                     self.expected_samples_between_false_alarms, self.calibration_blocks,
                                     self.seed, self._p_values, progress, self._scanned_windows(),
                                     self.multivariate)
        self._threshold = self.calibration.threshold
        _logger.info("otel_ml drift: calibrated in %.1f s (%d features): per-test threshold %.3g; ready",
                     time.perf_counter() - started, len(self.reference.feature_names), self._threshold)
        return self.calibration

    def check(self) -> DriftReport | None:
        """Test the windows that are due now, on the calling thread."""
        started = time.perf_counter()
        total = self.ring.total
        self._checked_at = total
        self.fleet.catch_up(self.ring, self.columns, total)
        if total < self.window_size:
            return self._report
        if self.correction is Correction.CALIBRATED and self._threshold is None:
            self.calibrate()                        # inline (background=False), or the thread's first check
        threshold = self._threshold if self.correction is Correction.CALIBRATED else None
        # the distances (PSI, Jensen-Shannon, Wasserstein) only describe the drift for the
        # dashboards, read once an export: the thread computes them every DISTANCES_EVERY seconds
        now = time.monotonic()
        with_distances = self.distances and (not self.background or now - self._distances_at >= DISTANCES_EVERY)
        if with_distances:
            self._distances_at = now
        windows = self.ring.latest()
        merged: dict[str, FeatureDrift] = {}
        for size, every in self._schedule:
            if len(windows) < size or (size != self.window_size and total % every >= self.check_every):
                continue
            by_p = self.correction is Correction.BENJAMINI_HOCHBERG
            stats = evaluate(self.reference, self.columns, windows[-size:], self._p_values if by_p else None,
                             with_distances and size == self.window_size)
            flags = reject(stats.p_value, self.alpha, self.correction, threshold) if by_p else \
                self._decide(stats, threshold)
            merge_window(merged, stats, flags, self.reference.rows)
        if self._report is not None:
            if self.long_window_size and total % self._schedule[-1][1] >= self.check_every:
                hold_long_verdicts(merged, self._report, self.window_size)
            if self.distances and not with_distances:
                carry_distances(merged, self._report)
        if threshold is not None and self._scan is not None:
            merge_scan(merged, self._scan.evaluate(self.ring, self.columns, total), self.reference, threshold,
                       self.scan, self.multivariate)
        tests = len(merged)
        report = DriftReport(total, tuple(merged.values()), threshold_for(self.alpha, self.correction, tests,
                                                                          threshold),
                             self.correction, None if self.performance is None else
                             estimate_window(self.performance, self.reference, windows[-self.window_size:]))
        last, self._report = self._report, report
        self.drifting = any(feature.drift_detected for feature in report.features)
        self.last_check_seconds = time.perf_counter() - started
        for listener in self._listeners:
            listener(last, report)
        return report

    def _scanned_windows(self) -> tuple[int, ...]:
        return self.scan_windows if self.scan or self.multivariate else ()

    def _decide(self, stats: Any, calibrated: float | None) -> np.ndarray:
        return decide(stats, self.correction, self.alpha, calibrated, self.reference.rows, self._critical,
                      self._p_values)

    def flush_counts(self) -> None:
        """Bin the samples that arrived since the last check into the fleet counts (no test runs;
        cheap), so that an export now, or the last one at exit, counts every sample."""
        self.fleet.catch_up(self.ring, self.columns)

    def on_check(self, listener: CheckListener) -> None:
        """Call ``listener(previous_report, report)`` after each check (in the checking thread)."""
        self._listeners.append(listener)
