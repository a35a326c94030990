"""A drift feed for tests: what a monitor hands its drift processor, passed to a function instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class FeedInto:
    """Has the shape of :class:`otel_ml._inflight.DriftFeed`; calls ``function(row, output, confidence)``."""

    def __init__(self, function: Callable[[Any, Any, Any], object]) -> None:
        self.function = function

    def update(self, features: Any, prediction: Any = None, confidence: Any = None) -> None:
        self.function(features, prediction, confidence)
