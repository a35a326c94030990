"""The numbers a prediction reports, checked: a confidence in [0, 1], a finite value.

A bad one is counted on ``ml.monitor.problems`` and left out of the telemetry (the prediction
itself is still counted); nothing here raises.

>>> from opentelemetry.metrics import NoOpMeter
>>> from otel_ml._problems import Problems
>>> problems = Problems(NoOpMeter("doctest"), {})
>>> checked_confidence("0.9", problems), checked_confidence(1.5, problems), checked_value(float("nan"), problems)
(0.9, None, None)
"""

from __future__ import annotations

import math
from typing import Any

from otel_ml._problems import Problems


def checked_confidence(raw: Any, problems: Problems) -> float | None:
    """``raw`` as a float in [0, 1], or ``None`` (none given, or reported as a problem)."""
    confidence = _number(raw, problems, "bad_confidence")
    if confidence is not None and not 0.0 <= confidence <= 1.0:  # also true for NaN
        problems.report("bad_confidence", "outside [0, 1] or NaN")
        return None
    return confidence


def checked_value(raw: Any, problems: Problems) -> float | None:
    """``raw`` as a finite float, or ``None`` (none given, or reported as a problem)."""
    value = _number(raw, problems, "bad_value")
    if value is not None and not math.isfinite(value):
        problems.report("bad_value", "NaN or infinite")
        return None
    return value


def _number(raw: Any, problems: Problems, kind: str) -> float | None:
    if raw is None:
        return None
    try:
        return float(raw)
    except Exception:  # noqa: BLE001 - TypeError, OverflowError, or a __float__ of any kind
        problems.report(kind, f"not a number: {type(raw).__name__}")
        return None
