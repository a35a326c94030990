"""A report built from what a real ModelMonitor recorded holds the numbers that were recorded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from otel_ml.report import build
from otel_ml.report.snapshots import SnapshotSource, points
from otel_ml.report.source import FiredAlert


@pytest.fixture
def monitored(sinks):
    """Three phases of a monitored model, snapshotted after each: known counts, errors, outcomes."""
    rng = np.random.default_rng(3)
    monitor = sinks.monitor("credit-risk", "2.1")
    snapshots, expected = [(0.0, points(sinks.reader.get_metrics_data()))], {"ok": 0, "error": 0, "right": 0,
                                                                             "seen": 0, "labels": {}}
    for phase, (n, failing, right_share) in enumerate([(60, 0, 0.9), (40, 8, 0.5), (50, 2, 0.8)], start=1):
        for i in range(n):
            try:
                with monitor.predict([float(rng.normal())], prediction_id=f"{phase}-{i}") as p:
                    if i < failing:
                        raise ConnectionError("feature store down")
                    label = "approve" if i % 3 else "deny"
                    p.record(label, confidence=0.55 + 0.4 * rng.random())
                expected["ok"] += 1
                expected["labels"][label] = expected["labels"].get(label, 0) + 1
                correct = i < right_share * n
                monitor.record_outcome(f"{phase}-{i}", label if correct else "other")
                expected["seen"] += 1
                expected["right"] += int(correct)
            except ConnectionError:
                expected["error"] += 1
        snapshots.append((100.0 * phase, points(sinks.reader.get_metrics_data())))
    alerts = [FiredAlert("MLHighErrorRate", "critical", {"ml_model_name": "credit-risk"}, 150.0, 190.0, 2)]
    return SnapshotSource(snapshots, alerts), expected


def test_counts_errors_labels_and_accuracy_are_what_was_recorded(monitored):
    source, expected = monitored
    report = build(source, "credit-risk", 0.0, 300.0, step=100.0)
    assert report.predictions == expected["ok"] + expected["error"] == 150
    assert report.errors == expected["error"] == 10
    assert report.error_types == {"ConnectionError": 10.0}
    assert report.labels == {k: float(v) for k, v in expected["labels"].items()}
    assert report.by_version == {"2.1": 150.0}
    assert report.outcomes == expected["seen"]
    assert report.accuracy == pytest.approx(expected["right"] / expected["seen"])
    assert [a.name for a in report.alerts] == ["MLHighErrorRate"]


def test_the_plots_follow_the_phases(monitored):
    source, _ = monitored
    report = build(source, "credit-risk", 0.0, 300.0, step=100.0)
    assert [v for _, v in report.throughput_over_time] == pytest.approx([0.6, 0.4, 0.5])
    assert [v for _, v in report.error_rate_over_time] == pytest.approx([0.0, 8 / 40, 2 / 50])
    accuracy = [v for _, v in report.accuracy_over_time]
    assert accuracy[1] < accuracy[2] < accuracy[0]                      # 0.5 < 0.8 < 0.9 as recorded
    p50, p99 = report.latency_quantile(0.5), report.latency_quantile(0.99)
    assert 0 < p50 <= p99 < 1.0
    assert report.confidence is not None and 0.55 <= report.confidence.mean <= 0.95


def test_another_model_or_an_empty_range_reports_nothing(monitored):
    source, _ = monitored
    report = build(source, "someone-else", 0.0, 300.0)
    assert report.predictions == 0 and math.isnan(report.accuracy) and report.latency is None
    assert math.isnan(report.error_rate) and math.isnan(report.latency_quantile(0.5))
    with pytest.raises(ValueError, match="end after it starts"):
        build(source, "credit-risk", 300.0, 300.0)
