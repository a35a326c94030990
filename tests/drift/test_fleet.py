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
