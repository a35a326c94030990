"""What a drift check found, as frozen dataclasses."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

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
    """One feature (or the model's prediction or confidence) in one check.

    A KS feature's p-value is computed when first read (``scipy.stats.ks_2samp``'s, from the
    process-wide cache): the decision itself compares D with the critical value of the threshold.
    """

    name: str
    method: str                  # "ks" (numeric) or "chi2" (categorical)
    statistic: float             # KS D, or the chi-squared statistic
    drift_detected: bool
    window_size: int             # values tested (NaN, inf and missing values are left out)
    psi: float
    jensen_shannon: float
    wasserstein: float = math.nan    # numeric only, in reference standard deviations
    reference_size: int = 0
    test_p_value: float = math.nan   # known at check time (chi-squared), else computed on reading

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
