"""Multiple testing across 20 unchanged features: false alarms per independent window <= alpha.

Seeded: 600 independent windows of 1000 samples, each against its own 10000-sample reference
(the two-sample KS p-value accounts for the reference's sampling noise on average over
references; conditional on one fixed reference the rate varies around alpha: 2.5% to 7.5% over
four seeds here, which the README reports).
"""

import numpy as np
import pytest
from scipy.stats import binom

from otel_ml.drift._check import Columns, evaluate
from otel_ml.drift.correction import reject
from otel_ml.drift.ks import KSPValues
from otel_ml.drift.reference import ReferenceProfile
from otel_ml.drift.result import Correction

pytestmark = pytest.mark.slow        # a statistical run: minutes on 2 cores

ALPHA, FEATURES, WINDOWS = 0.05, 20, 600


@pytest.fixture(scope="module")
def null_p_values():
    rng = np.random.default_rng(2026)
    columns = Columns(np.arange(FEATURES), np.array([], dtype=int))
    p_values = KSPValues()
    return np.array([evaluate(ReferenceProfile.fit(rng.normal(size=(10_000, FEATURES))), columns,
                              rng.normal(size=(1000, FEATURES)), p_values, distances=False).p_value
                     for _ in range(WINDOWS)])


@pytest.mark.parametrize("correction", [Correction.BONFERRONI, Correction.BENJAMINI_HOCHBERG],
                         ids=["bonferroni", "benjamini-hochberg"])
def test_false_alarm_rate_per_window_is_at_most_alpha(null_p_values, correction):
    alarms = sum(bool(reject(p, ALPHA, correction).any()) for p in null_p_values)
    # a rate above alpha would make this many alarms or more unlikely: P(X >= alarms | rate alpha) > 1%
    assert binom.sf(alarms - 1, WINDOWS, ALPHA) > 0.01, alarms / WINDOWS
    assert alarms > 0                               # not vacuous: the test does alarm sometimes


def test_the_textbook_rule_alarms_on_most_unchanged_windows(null_p_values):
    alarms = sum(bool(reject(p, ALPHA, Correction.NONE).any()) for p in null_p_values)
    assert 0.5 < alarms / WINDOWS < 0.8             # about 1 - 0.95**20 = 64%
