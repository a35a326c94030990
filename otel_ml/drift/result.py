"""What a drift check found, as frozen dataclasses."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from otel_ml.drift.performance import Estimate

EXACT_REPORT_MAX = 2000
"""Windows above this size report Smirnov's asymptotic p-value (``ks_2samp(method="asymp")``):
scipy's exact one costs about 70 ms per value for a 5000-sample window here. Decisions are not
affected: they compare D with the exact critical value."""


class Correction(enum.Enum):
    """How the per-feature tests of one check are turned into alarms.

    ``CALIBRATED`` (the default) sets one per-test p-value threshold at fit time so that, with
    checks repeated on overlapping windows, the expected run between false alarms is what the
    user asked for (``expected_samples_between_false_alarms``). The others control the error of
    one check of one window: ``BONFERRONI`` (family-wise, p <= alpha / tests),
    ``BENJAMINI_HOCHBERG`` (false discovery rate alpha; family-wise alpha when nothing drifts) and
    ``NONE`` (the textbook p <= alpha per feature, which with 20 features alarms on most windows).
    """

    NONE = "none"
    BONFERRONI = "bonferroni"
    BENJAMINI_HOCHBERG = "benjamini_hochberg"
    CALIBRATED = "calibrated"


@dataclass(frozen=True)
class FeatureDrift:
    """One feature (or the model's prediction or confidence, or ``(joint)``: all numeric features
    together) in one check. For numeric features under ``Correction.CALIBRATED`` the sequential
    scan's mean and variance tests ride along (:mod:`otel_ml.drift.scan`).

    A KS feature's p-value is computed when first read (``scipy.stats.ks_2samp``'s, from the
    process-wide cache): the decision itself compares D with the critical value of the threshold.
    """

    name: str
    method: str                  # "ks" (numeric), "chi2" (categorical) or "covariance" (the joint check)
    statistic: float             # KS D, the chi-squared statistic, or the joint check's |normal deviate|
    drift_detected: bool
    window_size: int             # values tested (NaN, inf and missing values are left out)
    psi: float
    jensen_shannon: float
    wasserstein: float = math.nan    # numeric only, in reference standard deviations
    reference_size: int = 0
    test_p_value: float = math.nan   # known at check time (chi-squared, covariance), else computed on reading
    mean_shift: float = math.nan     # the scan's shift of the mean normal score, in standard errors
    mean_p_value: float = math.nan
    variance_change: float = math.nan    # the scan's change of spread, as a normal deviate
    variance_p_value: float = math.nan
    scan_window: int = 0             # samples in the scan's most significant window
    detected_by: tuple[str, ...] = ()    # the tests that alarmed: "ks", "chi2", "mean", "variance", "covariance"

    @property
    def p_value(self) -> float:
        if self.method != "ks" or not math.isnan(self.test_p_value):
            return self.test_p_value
        if not math.isfinite(self.statistic):
            return math.nan
        from otel_ml.drift.ks import SHARED_P_VALUES

        asymptotic = self.window_size > EXACT_REPORT_MAX
        return SHARED_P_VALUES.p_value(self.statistic, self.reference_size, self.window_size, asymptotic)


@dataclass(frozen=True)
class DriftReport:
    """All features of one check; ``drift_detected`` when any feature drifted."""

    samples_seen: int
    features: tuple[FeatureDrift, ...]
    threshold: float             # the per-test p-value threshold used
    correction: Correction
    estimate: Estimate | None = None     # performance estimated from confidences (fitted with labels)

    @property
    def drift_detected(self) -> bool:
        return any(f.drift_detected for f in self.features)

    @property
    def drifted(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.drift_detected)

    def __getitem__(self, name: str) -> FeatureDrift:
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)
