"""Which successful predictions keep their log record when only a share of them does.

With ``log_sample_ratio`` below 1 (the production profile's 0.1), a successful prediction's log
record is kept when it is one a user will look for, and sampled otherwise:

* slow: its duration is above the running estimate of the 99th percentile (after 100 rows);
* unsure: its confidence is below the running 2nd percentile, or below
  ``OTEL_ML_LOG_CONFIDENCE_BELOW`` when that is set;
* drifted: one of the first 1,000 after the drift processor flags a feature;
* and a random ``log_sample_ratio`` of the rest.

Failed predictions always keep theirs (the recorder decides that), and every metric stays
complete: the counts, durations and confidences are recorded for every prediction.

>>> import random
>>> sampling = LogSampling(0.1, confidence_below=0.6, drifting=None, rng=random.Random(0))
>>> sampling.keep(0.55, 0.001)                  # below confidence_below
True
>>> sum(sampling.keep(0.9, 0.001) for _ in range(1000)) < 200
True
"""

from __future__ import annotations

import random
from collections.abc import Callable

DRIFT_ONSET_RECORDS = 1000
"""Successful predictions kept whole after a drift is first flagged (then the usual sample)."""
WARM_UP = 100
STEP = 0.05


class RunningQuantile:
    """A running estimate of a tail quantile of positive values, in O(1) a value and no stored
    values: after a value in the tail the estimate moves out by ``STEP`` (5%), after one outside
    it moves in by ``STEP * tail / (1 - tail)``, so that it settles where a ``tail`` share of the
    values lies beyond it, and follows a change within a few hundred values. ``upper``: the tail
    above (durations, 1 in 100 slow), else below (confidences, 1 in 50 least confident)."""

    __slots__ = ("estimate", "_seen", "_out", "_in", "_upper")

    def __init__(self, tail: float, upper: bool = True) -> None:
        self.estimate = 0.0 if upper else 1.0
        self._seen = 0
        self._upper = upper
        back = STEP * tail / (1 - tail)
        self._out, self._in = (1 + STEP, 1 - back) if upper else (1 - STEP, 1 + back)

    def beyond(self, value: float) -> bool:
        """Whether ``value`` is in the tail; it updates the estimate."""
        if self._seen < WARM_UP:
            self._seen += 1
            self.estimate = max(self.estimate, value) if self._upper else min(self.estimate, value)
            return False
        if (value > self.estimate) if self._upper else (value < self.estimate):
            self.estimate *= self._out
            return True
        self.estimate *= self._in
        return False


class LogSampling:
    """The decision per successful row: ``keep(confidence, duration)``.

    Kept: the slowest 1 in 100 (running estimate), the least confident 1 in 50 (running
    estimate), those below ``confidence_below`` when it is set, the first ``DRIFT_ONSET_RECORDS``
    after the drift processor first flags a feature, and a random ``ratio`` of the rest: bounded,
    about ``ratio + 3%`` of the records, whatever the model's confidences and however long a drift
    lasts."""

    def __init__(self, ratio: float, confidence_below: float | None = None,
                 drifting: Callable[[], bool] | None = None, rng: random.Random | None = None) -> None:
        self.ratio = ratio
        self.confidence_below = confidence_below
        self._drifting = drifting
        self._random = (rng or random).random
        self._slow = RunningQuantile(0.01, upper=True)
        self._unsure = RunningQuantile(0.02, upper=False)
        self._was_drifting = False
        self._onset_left = 0

    def keep(self, confidence: float | None, duration: float) -> bool:
        if self.ratio >= 1.0:
            return True
        slow = self._slow.beyond(duration)
        unsure = confidence is not None and (self._unsure.beyond(confidence) or
                                             (self.confidence_below is not None and confidence < self.confidence_below))
        if slow or unsure:
            return True
        if self._drifting is not None:
            drifting = self._drifting()
            if drifting and not self._was_drifting:
                self._onset_left = DRIFT_ONSET_RECORDS
            self._was_drifting = drifting
            if self._onset_left > 0:
                self._onset_left -= 1
                return True
        return self._random() < self.ratio
