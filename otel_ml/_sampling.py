"""Which successful predictions keep their log record when only a share of them does.

With ``log_sample_ratio`` below 1 (the production profile's 0.1), a successful prediction's log
record is kept when it is one a user will look for, and sampled otherwise:

* slow: its duration is above the running estimate of the 99th percentile (after 100 rows);
* low confidence: its confidence is below ``OTEL_ML_LOG_CONFIDENCE_BELOW`` (default 0.6);
* drifted: the drift processor currently flags a feature;
* and a random ``log_sample_ratio`` of the rest.

Failed predictions always keep theirs (the recorder decides that), and every metric stays
complete: the counts, durations and confidences are recorded for every prediction.

>>> import random
>>> sampling = LogSampling(0.1, confidence_below=0.6, drifting=None, rng=random.Random(0))
>>> sampling.keep(0.55, 0.001)                  # low confidence
True
>>> sum(sampling.keep(0.9, 0.001) for _ in range(1000)) < 200
True
"""

from __future__ import annotations

import random
from collections.abc import Callable

DEFAULT_CONFIDENCE_BELOW = 0.6
WARM_UP = 100
_UP, _DOWN = 1.05, 1 - 0.05 / 99        # at rest, P(duration > threshold) = 1/100


class SlowThreshold:
    """A running estimate of the 99th percentile of durations: multiplied by 1.05 after a row
    above it and by ``1 - 0.05/99`` after one below, it settles where 1 row in 100 is above it
    (and follows a change in a few hundred rows). O(1) per row, no stored values."""

    __slots__ = ("threshold", "_seen")

    def __init__(self) -> None:
        self.threshold = 0.0
        self._seen = 0

    def is_slow(self, duration: float) -> bool:
        if self._seen < WARM_UP:
            self._seen += 1
            self.threshold = max(self.threshold, duration)
            return False
        if duration > self.threshold:
            self.threshold *= _UP
            return True
        self.threshold *= _DOWN
        return False


class LogSampling:
    """The decision per successful row: ``keep(confidence, duration)``."""

    def __init__(self, ratio: float, confidence_below: float = DEFAULT_CONFIDENCE_BELOW,
                 drifting: Callable[[], bool] | None = None, rng: random.Random | None = None) -> None:
        self.ratio = ratio
        self.confidence_below = confidence_below
        self._drifting = drifting
        self._random = (rng or random).random
        self._slow = SlowThreshold()

    def keep(self, confidence: float | None, duration: float) -> bool:
        if self.ratio >= 1.0:
            return True
        if self._slow.is_slow(duration):
            return True
        if confidence is not None and confidence < self.confidence_below:
            return True
        if self._drifting is not None and self._drifting():
            return True
        return self._random() < self.ratio
