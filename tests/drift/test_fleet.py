"""otel_ml/drift/fleet.py: decile counts per numeric feature, bounded category counts."""

import numpy as np
from opentelemetry.metrics import CallbackOptions

from otel_ml.drift import Correction, DriftProcessor


def test_deciles_and_categories_bounded_to_the_reference_plus_other():
    rng = np.random.default_rng(5)
    drift = DriftProcessor.fit({"x": rng.normal(size=2000), "color": rng.choice(["red", "blue"], size=2000)},
                               window_size=100, long_window_size=0, correction=Correction.BONFERRONI,
                               background=False)
    for i in range(1000):
        color = ["red", "blue", f"new-{i}"][i % 3]          # 333 values of never-seen categories
        drift.update({"x": rng.normal() + 3.0, "color": color})
    drift.check()
    quantiles, categories = drift.fleet.observe({"ml.model.name": "m"})
    deciles = {o.attributes["ml.feature.decile"]: o.value for o in quantiles(CallbackOptions())}
    assert sum(deciles.values()) == 1000
    assert deciles["10"] > 900                               # shifted by 3 sd: nearly all in the top tenth
    counts = {o.attributes["ml.feature.category"]: o.value for o in categories(CallbackOptions())}
    assert counts == {"blue": 333, "red": 334, "other": 333}  # 333 distinct new values, one series


def _fleet_statistics(rng, reps, reference_rows, window, shift=0.0, corrected=True):
    """Simulated fleet windows: a reference of ``reference_rows`` (its deciles as the processor
    fits them), a window of ``window`` served values, binned, the statistic of MLFleetDrift."""
    from otel_ml.drift.fleet import fleet_chi2

    out = np.empty(reps)
    for i in range(reps):
        reference = rng.normal(size=reference_rows)
        edges = np.quantile(reference, np.linspace(0.1, 0.9, 9))
        counts = np.bincount(np.searchsorted(edges, rng.normal(size=window) + shift), minlength=10)
        out[i] = fleet_chi2(counts, reference_rows if corrected else 10 ** 12)
    return out


def test_the_fleet_alarm_threshold_is_the_chi2_quantile_it_claims():
    from scipy.stats import chi2

    from otel_ml.alerts import FLEET_CHI2_CRITICAL

    assert abs(FLEET_CHI2_CRITICAL - chi2.isf(1e-6, 9)) < 0.01


def test_the_fleet_statistic_keeps_its_false_alarm_rate_when_the_window_is_large():
    """Seeded: 4,000 unchanged windows as large as the reference. At the 1% quantile of chi2(9),
    the corrected statistic alarms about 1% of the time; the one-sample one (the reference's
    decile edges taken as exact) about five times as often. Binomial 1% of 4,000: 40 +- 19 (3 sd)."""
    from scipy.stats import chi2

    critical = chi2.isf(0.01, 9)
    rng = np.random.default_rng(17)
    corrected = _fleet_statistics(rng, 4000, 2000, 2000)
    naive = _fleet_statistics(np.random.default_rng(17), 4000, 2000, 2000, corrected=False)
    alarms, naive_alarms = int(np.sum(corrected > critical)), int(np.sum(naive > critical))
    print(f"false alarms at 1%: corrected {alarms}/4000, one-sample {naive_alarms}/4000")
    assert 21 <= alarms <= 59
    assert naive_alarms > 3 * alarms


def test_the_fleet_statistic_finds_a_shift_no_single_worker_window_can():
    """+0.1 sd on an hour of a fleet's values (40,000) against a 20,000-row reference: found at
    the alert's threshold in at least 95 of 100 seeded windows; in one worker's window of 1,000
    values, the same test at the same threshold finds it in under 5."""
    from otel_ml.alerts import FLEET_CHI2_CRITICAL

    fleet = _fleet_statistics(np.random.default_rng(3), 100, 20_000, 40_000, shift=0.1)
    one_worker = _fleet_statistics(np.random.default_rng(4), 100, 20_000, 1000, shift=0.1)
    print(f"power at +0.1 sd: fleet {np.mean(fleet > FLEET_CHI2_CRITICAL):.2f}, "
          f"one worker's window {np.mean(one_worker > FLEET_CHI2_CRITICAL):.2f}")
    assert np.mean(fleet > FLEET_CHI2_CRITICAL) >= 0.95
    assert np.mean(one_worker > FLEET_CHI2_CRITICAL) < 0.05
