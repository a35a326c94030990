"""`otel-ml demo` on the embedded default: the story a new user sees, read back from its summary."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow        # whole demo runs: about a minute on 2 cores


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> str:
    out = subprocess.run([sys.executable, "-m", "otel_ml.cli", "demo", "--scale", "0.4", "--rate", "50", "--no-live"],
                         capture_output=True, text=True, timeout=180, env={"PATH": "/usr/bin:/bin"}, cwd=run_dir)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    return out.stdout


def line(text: str, key: str) -> str:
    found = re.search(rf"^{key}\s+(.*)$", text, re.MULTILINE)
    assert found, f"no '{key}' line in:\n{text}"
    return found.group(1)


def test_traffic_and_performance(summary):
    requests = line(summary, "requests")
    total = int(requests.split()[0])
    assert 0.8 * 50 * 28 <= total <= 50 * 28 + 5                     # 28 s of phases at 50/s
    errors = int(re.search(r"5xx (\d+)", requests).group(1))
    assert 0 < errors < 0.15 * total                                  # the burst, then the rollback
    assert int(re.search(r"4xx (\d+)", requests).group(1)) > 0        # the malformed requests
    latency = [float(v) for v in re.findall(r"([\d.]+) ms", line(summary, "latency"))]
    assert len(latency) == 4 and 0 < latency[0] <= latency[3] and latency[1] <= latency[2] <= latency[3]


def test_predictions_errors_and_confidence(summary):
    predictions = {k: int(v) for k, v in (item.rsplit(" ", 1) for item in line(summary, "predictions").split(", "))}
    assert predictions["benign"] > 0 and predictions["malignant"] > 0
    assert predictions["error TimeoutError"] > 0
    assert 0.5 < float(re.search(r"mean ([\d.]+)", line(summary, "confidence")).group(1)) <= 1


def test_drift_is_detected_on_exactly_the_shifted_features(summary):
    drift = line(summary, "drift")
    assert drift.startswith("detected during the run on ")
    flagged = drift.removeprefix("detected during the run on ").split(";")[0].split(", ")
    # the inputs moved are flagged, no other input is; the model's confidence may move with them
    assert [f for f in flagged if not f.startswith("(")] == ["mean_smoothness", "mean_texture"]


def test_accuracy_from_feedback(summary):
    accuracy = line(summary, "accuracy")
    assert 70 < float(accuracy.split("%")[0]) < 100
    assert int(re.search(r"over (\d+) outcomes", accuracy).group(1)) > 500


def test_the_error_burst_fires_the_critical_alert_and_is_rolled_back(summary):
    assert "MLHighErrorRate (critical) x1" in line(summary, "alerts fired")
    assert "MLDataDrift (warning)" in line(summary, "alerts fired")
    assert re.match(r"v2 -> v1 on MLHighErrorRate, [\d.]+ s into phase 'bad release'", line(summary, "rollbacks"))
    assert "ROLLBACK v2 -> v1 (webhook answered 200)" in summary


def test_conversions(summary):
    business = line(summary, "business")
    assert int(business.split()[0]) > 0 and float(business.split("value ")[1].replace(",", "")) > 0


def test_the_demo_says_where_its_service_and_report_are_and_what_to_do_next(summary, run_dir):
    service = re.search(r"the model service is on (http://127\.0\.0\.1:\d+) \(POST (/\S+), GET (/\S+)\)", summary)
    assert service and f"was on {service.group(1)}" in summary
    from otel_ml.demo.run import Stack

    stack = Stack(seed=1, token=None)
    routes = {rule.rule for rule in stack.app.url_map.iter_rules()}
    stack.stop()
    assert {service.group(2), service.group(3)} <= routes      # the routes it names are the service's
    report = Path(line(summary, "report").split()[0])
    assert report == run_dir / "otel-ml-report.html" and report.stat().st_size > 10_000
    assert "grafana-lgtm.sh" in summary and "opentelemetry-instrument" in summary


def test_the_demo_s_report_holds_its_story_and_opens_in_a_browser(summary, run_dir):
    from tests.browser import open_report

    page = (run_dir / "otel-ml-report.html").read_text()
    total = int(line(summary, "requests").split()[0])
    shown = int(re.search(r"<b[^>]*>([\d,]+)</b><span>predictions", page).group(1).replace(",", ""))
    assert 0.9 * total <= shown <= total                   # the 4xx never reach the model, the rest are counted
    assert "MLHighErrorRate" in page and "critical" in page
    assert re.search(r"mean_texture</td><td>ks</td>.*?drifted", page)
    opened = open_report(run_dir / "otel-ml-report.html")
    assert [e for e in opened.console if e["level"] in ("SEVERE", "WARNING")] == []
    assert opened.plots and all(n > 0 for n in opened.plots.values()), opened.plots
    assert opened.title == "otel-ml report: breast-cancer"


def test_the_live_dashboard_draws_every_section(tmp_path):
    from otel_ml.demo.run import demo

    out = io.StringIO()
    assert demo(scale=0.15, rate=60, live=True, out=out, report=str(tmp_path / "r.html")) == 0
    frames = out.getvalue().split("\x1b[H\x1b[2J")
    assert len(frames) >= 5
    last = frames[-1]
    for heading in ("Last 10 s:", "Predictions", "confidence mean", "Drift (KS, latest check)", "Alerts firing",
                    "Recent events", "== otel-ml demo summary"):
        assert heading in last
    assert re.search(r"mean_texture\s+D=[\d.]+\s+p=", last)
    view = last.split("\n\n== otel-ml demo summary")[0].split("\n")
    assert len(view) <= 23 and max(map(len, view)) <= 79
