"""One check's verdict per feature, from the windows tested now and the check before.

A feature is tested on the short window and, when due, on the long one: it drifted if either
window says so, and its distances are the short window's. A long window not due at this check
keeps its last verdict of drift, and the distances, computed only every few seconds in the
background thread, are carried over from the last check that computed them.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from otel_ml.drift.result import DriftReport, FeatureDrift


def merge_window(merged: dict[str, FeatureDrift], stats: Any, flags: np.ndarray, reference_rows: int) -> None:
    """Add one window's results (``stats`` from :func:`otel_ml.drift._check.evaluate`, ``flags``
    its decisions) to ``merged``: a later window's drift replaces an earlier one's "no drift",
    keeping the earlier (short) window's distances."""
    for j, name in enumerate(stats.names):
        result = FeatureDrift(name, stats.methods[j], float(stats.statistic[j]), bool(flags[j]),
                              int(stats.valid[j]), float(stats.psi[j]), float(stats.jensen_shannon[j]),
                              float(stats.wasserstein[j]), reference_rows, float(stats.p_value[j]))
        previous = merged.get(name)
        if previous is None:
            merged[name] = result
        elif result.drift_detected and not previous.drift_detected:
            merged[name] = dataclasses.replace(result, psi=previous.psi, wasserstein=previous.wasserstein,
                                               jensen_shannon=previous.jensen_shannon)


def hold_long_verdicts(merged: dict[str, FeatureDrift], last: DriftReport, window_size: int) -> None:
    """At a check where the long window is not due: a feature that the long window (over
    ``window_size`` values) last found drifted stays drifted, with that result."""
    for feature in last.features:
        held = merged.get(feature.name)
        if held is not None and feature.drift_detected and not held.drift_detected and \
                feature.window_size > window_size:
            merged[feature.name] = feature


def carry_distances(merged: dict[str, FeatureDrift], last: DriftReport) -> None:
    """At a check that computed no distances: each feature keeps the last ones computed."""
    for feature in last.features:
        held = merged.get(feature.name)
        if held is not None and not math.isnan(feature.psi):
            merged[feature.name] = dataclasses.replace(held, psi=feature.psi, wasserstein=feature.wasserstein,
                                                       jensen_shannon=feature.jensen_shannon)
