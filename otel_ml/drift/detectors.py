"""Single-stream detectors in river's shape: ``update(x)`` returns self, ``drift_detected`` after it.

They test a sliding window of one stream against a reference every ``check_every`` values, with
a per-window level ``alpha`` (use :class:`DriftProcessor` for many features and calibrated
repeated checks).

>>> import numpy as np
>>> rng = np.random.default_rng(3)
>>> detector = KSDrift(rng.normal(size=3000), window_size=300, check_every=50, alpha=0.001)
>>> stream = np.concatenate([rng.normal(size=1000), rng.normal(1.0, 1, size=500)])
>>> first = next(i for i, x in enumerate(stream) if detector.update(x).drift_detected)
>>> 1000 < first < 1300
True
>>> detector.result.p_value < 0.001
True
>>> KSDrift([1.0] * 200)
Traceback (most recent call last):
...
ValueError: Reference column 'x' is constant (every value is 1.0): no drift test can use it; leave it out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from otel_ml.drift.processor import DriftProcessor
from otel_ml.drift.reference import ReferenceProfile
from otel_ml.drift.result import Correction, FeatureDrift


class _SingleStream:
    categorical = False

    def __init__(self, reference: Iterable[Any], window_size: int = 1000, check_every: int = 100,
                 alpha: float = 0.05) -> None:
        self.window_size, self.check_every, self.alpha = window_size, check_every, alpha
        profile = ReferenceProfile.fit({"x": np.asarray(list(reference))},
                                       categorical={"x"} if self.categorical else None)
        self._processor = DriftProcessor(profile, window_size=window_size, long_window_size=0,
                                         check_every=check_every, correction=Correction.NONE, alpha=alpha,
                                         background=False)

    def update(self, x: Any) -> _SingleStream:
        self._processor.update([x])
        return self

    @property
    def drift_detected(self) -> bool:
        return self._processor.drift_detected

    @property
    def result(self) -> FeatureDrift | None:
        """The last test: statistic, p-value, distances (``None`` until the window is full)."""
        report = self._processor.report
        return report.features[0] if report is not None else None

    def reset(self) -> None:
        self._processor.ring.clear()
        self._processor._report = None
        self._processor._checked_at = 0
        if self._processor._scan is not None:
            self._processor._scan.reset()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(window_size={self.window_size}, check_every={self.check_every}, "
                f"alpha={self.alpha})")


class KSDrift(_SingleStream):
    """Two-sample Kolmogorov-Smirnov test of a numeric stream's window against a reference sample."""


class ChiSquaredDrift(_SingleStream):
    """Two-sample chi-squared test of a categorical stream's window against the reference's category counts."""

    categorical = True
