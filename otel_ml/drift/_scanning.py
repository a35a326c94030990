"""The drift processor's use of the scan: feeding it the ring buffer's new rows, merging its and
the joint check's verdicts into a check's results, and the performance estimate of a window."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from otel_ml.drift._rows import CONFIDENCE, JOINT, PREDICTION
from otel_ml.drift.performance import Estimate, PerformanceEstimator
from otel_ml.drift.reference import ReferenceProfile
from otel_ml.drift.result import FeatureDrift
from otel_ml.drift.scan import Scan, ScanResult


class ScanFeed:
    """A :class:`Scan` of the reference's numeric columns, built on first use (in the drift
    thread: building it scores the whole reference) and fed the rows the ring received since."""

    def __init__(self, reference: ReferenceProfile, windows: tuple[int, ...], joint: bool) -> None:
        self.reference, self.windows, self.joint = reference, windows, joint
        self._scan: Scan | None = None
        self._fed_at = 0

    def evaluate(self, ring: Any, columns: Any, total: int) -> ScanResult:
        if self._scan is None:
            rows = self.reference.numeric_rows if self.joint else None
            self._scan = Scan(rows, self.windows, self.joint, self.reference.numeric_sorted)
            self._fed_at = max(0, total - len(ring))
        fresh = ring.between(self._fed_at, total)
        self._fed_at = total
        if len(fresh):
            self._scan.add(fresh[:, columns.numeric])
        return self._scan.evaluate()

    def reset(self) -> None:
        self._scan, self._fed_at = None, 0


def merge_scan(merged: dict[str, FeatureDrift], found: ScanResult, reference: ReferenceProfile, threshold: float,
               scan: bool, joint: bool) -> None:
    """Add the scan's mean and variance verdicts to each numeric feature's result, and the joint
    check's as the feature :data:`JOINT`."""
    k = len(reference.numeric_names)
    if scan:
        for j, name in enumerate(reference.numeric_names):
            result = merged.get(name)
            if result is None:
                continue
            mean_p, variance_p = float(found.p_value[j]), float(found.p_value[k + j])
            alarmed = tuple(test for test, p in (("mean", mean_p), ("variance", variance_p)) if p <= threshold)
            ks = ("ks",) if result.drift_detected else ()
            merged[name] = dataclasses.replace(
                result, mean_shift=float(found.z[j]), mean_p_value=mean_p,
                variance_change=float(found.z[k + j]), variance_p_value=variance_p,
                scan_window=int(max(found.window[j], found.window[k + j])),
                drift_detected=result.drift_detected or bool(alarmed), detected_by=ks + alarmed)
    if joint and np.isfinite(found.joint_p).any():
        best = 2 * k + int(np.nanargmin(found.joint_p))
        p = float(found.p_value[best])
        merged[JOINT] = FeatureDrift(JOINT, "covariance", abs(float(found.z[best])), p <= threshold,
                                     int(found.window[best]), math.nan, math.nan, math.nan, reference.rows,
                                     p, detected_by=("covariance",) if p <= threshold else ())


def estimate_window(performance: PerformanceEstimator, reference: ReferenceProfile, window: np.ndarray) -> Estimate:
    """The performance estimate of ring-buffer rows: predicted classes decoded from their codes."""
    names = list(reference.feature_names)
    codes, confidences = window[:, names.index(PREDICTION)], window[:, names.index(CONFIDENCE)]
    classes = np.array(reference.categories[PREDICTION] + ("",))
    labels = classes[np.where(np.isfinite(codes) & (codes >= 0), codes, -1).astype(int)]   # unknown: "", left out
    return performance.estimate(labels, confidences)
