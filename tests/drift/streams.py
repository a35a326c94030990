"""Feeding seeded streams to a drift processor check by check, for the statistical tests."""

from __future__ import annotations

import numpy as np

CHECK_EVERY = 100


def alarms(processor, rows: np.ndarray, check_every: int = CHECK_EVERY) -> list[bool]:
    """``drift_detected`` after each check, feeding ``rows`` (already in reference column order)
    in steps of ``check_every``."""
    out = []
    for start in range(0, len(rows), check_every):
        processor.feed_many(rows[start:start + check_every])
        report = processor.check()
        out.append(report is not None and report.drift_detected)
    return out


def episodes(flags: list[bool]) -> int:
    """False-alarm episodes: runs of consecutive alarming checks."""
    return sum(1 for before, now in zip([False, *flags], flags) if now and not before)
