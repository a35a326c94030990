"""The page is self-contained, escapes what it shows, and says "no data" rather than drawing nothing."""

from __future__ import annotations

import re

from otel_ml.report.content import FeatureDrift, Report
from otel_ml.report.html import render
from otel_ml.report.source import FiredAlert, Histogram


def full_report(model: str = "fraud") -> Report:
    r = Report(model, 1000.0, 4600.0, 30.0, "http://prometheus:9090")
    r.predictions, r.errors, r.by_version, r.error_types = 1200.0, 30.0, {"v1": 1200.0}, {"TimeoutError": 30.0}
    r.latency = Histogram.from_buckets([0.005, 0.05, 0.5], [100, 900, 190, 10], total=40.0)
    series = [(1000.0 + 30 * i, 0.01 + 0.001 * i) for i in range(120)]
    r.latency_over_time = {"p50": series, "p95": series, "p99": series}
    r.throughput_over_time = [(t, 0.3) for t, _ in series]
    r.error_rate_over_time = [(t, 0.02) for t, _ in series]
    r.labels, r.confidence = {"fraud": 100.0, "ok": 1070.0}, Histogram.from_buckets([0.5, 0.9], [10, 500, 660])
    r.outcomes, r.accuracy, r.accuracy_by_version = 800.0, 0.91, {"v1": (728.0, 800.0)}
    r.accuracy_over_time = [(t, 0.9) for t, _ in series]
    r.drift = [FeatureDrift("amount", "ks", 0.31, 1e-9, True, True, 0.25, series),
               FeatureDrift("country", "chi2", 4.0, 0.4, False, False, float("nan"), series)]
    r.alerts = [FiredAlert("MLDataDrift", "warning", {"ml_model_name": model}, 2000.0, 2600.0, 1)]
    return r


def test_every_plot_has_data_and_nothing_is_fetched():
    page = render(full_report())
    plots = re.findall(r'<figure class="plot" data-points="(\d+)"', page)
    assert len(plots) >= 9 and all(int(n) > 0 for n in plots)
    assert not re.search(r'\b(src|href)="(https?:)?//', page)             # no remote script, style, font or image
    assert "0.250 significant" in page and "drifted" in page and "MLDataDrift" in page


def test_what_the_telemetry_says_is_escaped():
    hostile = '<img src=x onerror="alert(1)">'
    r = full_report(hostile)
    r.drift[0] = FeatureDrift(hostile, "ks", 0.3, 0.0, True, True, 0.3, [(1.0, 1.0)])
    r.error_types = {hostile: 3.0}
    page = render(r)
    assert hostile not in page and "&lt;img src=x" in page


def test_an_empty_report_says_so_instead_of_drawing_nothing():
    page = render(Report("fraud", 0.0, 3600.0, 30.0, "test"))
    assert "no data in this range" in page
    assert "no drift telemetry" in page and "no alert fired" in page and "no ground truth" in page
    assert "nan" not in re.sub(r"<[^>]+>", "", page).lower().split()


def test_a_check_without_a_p_value_reads_n_a_not_nan():
    """The joint check exports a drift flag but neither a statistic nor a p-value of its own."""
    r = full_report()
    r.drift.append(FeatureDrift("(joint)", "", float("nan"), float("nan"), True, True, float("nan"), []))
    text = re.sub(r"<[^>]+>", " ", render(r)).lower().split()
    assert "nan" not in text and text.count("n/a") >= 3
