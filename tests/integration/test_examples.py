"""Every app of examples/ run exactly as its README line says, under opentelemetry-instrument,
exporting OTLP through a real collector (rotel) to VictoriaMetrics (metrics) and an OTLP receiver
(spans, log records). Each row sent is checked against what arrived: its label, confidence or
value, its duration, its span under the HTTP server span, its log record and its drift sample;
and every answer is byte for byte the one the same app gives without instrumentation."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from otel_ml.promql import (
    CONFIDENCE,
    DRIFT_READY,
    FEATURE_QUANTILE,
    OUTCOMES,
    PREDICTION_DURATION,
    PREDICTION_VALUE,
    PREDICTIONS,
    UNMATCHED,
)
from tests.integration import servers

pytestmark = pytest.mark.integration
EXAMPLES = servers.ROOT / "examples"
BIN = Path(sys.executable).parent


def readme_commands() -> dict[str, str]:
    """app file -> its command, from the table of examples/README.md."""
    commands = {}
    for line in (EXAMPLES / "README.md").read_text().splitlines():
        match = re.match(r"\| (\w+\.py) \|.*\| `([^`]+)` \|$", line)
        if match:
            commands[match.group(1)] = match.group(2)
    return commands


@dataclass
class Sent:
    """What the test sent and what the app answered, row by row."""

    labels: list[Any] = field(default_factory=list)
    confidences: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    answers: list[tuple[int, bytes, str]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.labels) + (len(self.values) if not self.labels else 0)


@dataclass
class Case:
    path: str
    requests: Callable[[np.random.Generator], list[tuple[str, Any]]]     # (kind, body): kind json or form
    read: Callable[[Any, Sent], None]                                    # the answer's rows into Sent
    features: list[str] = field(default_factory=list)                    # drift features, when a reference is set
    workers: int = 1


def batches(X: np.ndarray, rng: np.random.Generator, count: int, most: int) -> list[np.ndarray]:
    return [X[rng.choice(len(X), size=int(rng.integers(1, most + 1)))] for _ in range(count)]


IRIS = load_iris().data
CANCER = load_breast_cancer().data[:, :5]
DIABETES = load_diabetes()
SPECIES = ["setosa", "versicolor", "virginica"]
CANCER_NAMES = ["mean_radius", "mean_texture", "mean_perimeter", "mean_area", "mean_smoothness"]


def read_iris(answer: Any, sent: Sent) -> None:
    sent.labels += [SPECIES.index(name) for name in answer["predictions"]]   # the model predicts indices
    sent.confidences += [max(p) for p in answer["probabilities"]]


def read_cancer(answer: Any, sent: Sent) -> None:
    sent.labels += [1 if r["benign"] else 0 for r in answer["results"]]
    sent.confidences += [r["score"] for r in answer["results"]]


def read_onnx(answer: Any, sent: Sent) -> None:
    sent.labels += answer["labels"]
    sent.confidences += answer["confidences"]


def read_credit(answer: Any, sent: Sent) -> None:
    sent.labels.append(answer["decision"])
    sent.confidences.append(answer["score"])


CASES = {
    "flask_sklearn_batch.py": Case(
        "/predict", lambda rng: [("json", {"instances": b.tolist()}) for b in batches(IRIS, rng, 24, 8)], read_iris,
        ["sepal_length", "sepal_width", "petal_length", "petal_width"]),
    "fastapi_xgboost_pydantic.py": Case(
        "/v1/screen", lambda rng: [("json", {"rows": [dict(zip(CANCER_NAMES, r)) for r in b.tolist()]})
                                   for b in batches(CANCER, rng, 30, 6)], read_cancer, CANCER_NAMES, workers=2),
    "flask_lightgbm_regression.py": Case(
        "/progression", lambda rng: [("json", dict(zip(["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"],
                                                       b[0].tolist()))) for b in batches(DIABETES.data, rng, 40, 1)],
        lambda answer, sent: sent.values.append(answer["progression"]), list(DIABETES.feature_names), workers=2),
    "fastapi_onnx_list.py": Case(
        "/predict", lambda rng: [("json", b.tolist()) for b in batches(IRIS, rng, 24, 5)], read_onnx,
        ["sepal_length", "sepal_width", "petal_length", "petal_width"]),
    "flask_form_numpy.py": Case(
        "/apply", lambda rng: [("form", {"income": f"{rng.uniform(0, 5):.2f}", "debt": f"{rng.uniform(0, 2):.2f}",
                                         "years": f"{rng.integers(0, 30)}"}) for _ in range(30)], read_credit,
        ["income", "debt", "years"]),
    "fastapi_dict_regression.py": Case(
        "/predict", lambda rng: [("json", {"features": dict(zip(["age", "sex", "bmi"], b[0, :3].tolist()))})
                                 for b in batches(DIABETES.data, rng, 30, 1)],
        lambda answer, sent: sent.values.append(answer["prediction"]), ["age", "sex", "bmi"]),
}


def test_every_example_has_a_case_and_a_readme_line():
    assert set(readme_commands()) == set(CASES) == {p.name for p in EXAMPLES.glob("*.py")} - {"train.py"}


@pytest.fixture(scope="module")
def models():
    out = subprocess.run([sys.executable, "train.py"], cwd=EXAMPLES, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]


def post(port: int, path: str, kind: str, body: Any) -> tuple[int, bytes, dict[str, str]]:
    if kind == "form":
        data, content_type = urllib.parse.urlencode(body).encode(), "application/x-www-form-urlencoded"
    else:
        data, content_type = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="POST",
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


@contextlib.contextmanager
def served(app: str, env: dict[str, str], instrument: bool = True,
           edit: Callable[[str], str] = lambda command: command) -> Iterator[int]:
    """The app started as its README line says (``edit`` may change the line, without
    opentelemetry-instrument when told), on a free port; stopped as its server stops gracefully."""
    port = servers.free_port()
    command = edit(readme_commands()[app]).replace("8000", str(port))
    if not instrument:
        command = command.replace("opentelemetry-instrument ", "")
    argv = shlex.split(command)
    assignments = dict(a.split("=", 1) for a in argv if re.match(r"^[A-Z_]+=", a))
    program = [a for a in argv if not re.match(r"^[A-Z_]+=", a)]
    program = [sys.executable if a == "python" else str(BIN / a) if i < 2 and (BIN / a).exists() else a
               for i, a in enumerate(program)]
    proc = subprocess.Popen(program, cwd=EXAMPLES, env={**os.environ, **env, **assignments, "PORT": str(port)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        def ready() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"{app} exited:\n{proc.stdout.read()[-4000:]}")
            return servers.port_open(port)

        servers.wait_for(ready, 90, f"{app} port")
        yield port
    finally:
        stop = signal.SIGINT if "python" in argv and "flask" in app else signal.SIGTERM
        os.killpg(proc.pid, stop)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
    assert "Traceback" not in output, output[-4000:]


def predict_all(port: int, case: Case, sent: Sent) -> None:
    for kind, body in case.requests(np.random.default_rng(7)):
        status, raw, headers = post(port, case.path, kind, body)
        assert status == 200, (status, raw[:500])
        sent.answers.append((status, raw, headers.get("content-type", "")))
        case.read(json.loads(raw), sent)
        if "x-prediction-id" in headers:
            sent.ids.append(headers["x-prediction-id"])


def post_outcomes(port: int, sent: Sent, forged: int = 1, truth: Callable[[int, Any], Any] = lambda i,
                  label: label) -> None:
    """Post the outcome ``truth(i, predicted label)`` of every prediction, and ``forged`` made-up ids."""
    for i, (prediction_id, label) in enumerate(zip(sent.ids, sent.labels)):
        status, raw, _ = post(port, "/feedback", "json", {"prediction_id": prediction_id, "actual": truth(i, label)})
        assert status == 202, raw
    for i in range(forged):
        status, _, _ = post(port, "/feedback", "json", {"prediction_id": f"forged-id-{i}", "actual": "approve"})
        assert status == 202


def run(app: str, case: Case, env: dict[str, str], instrument: bool, outcomes: bool = False) -> Sent:
    """Start the app, send the case's requests (and their outcomes), stop it."""
    sent = Sent()
    with served(app, env, instrument) as port:
        predict_all(port, case, sent)
        if outcomes:
            post_outcomes(port, sent)
    return sent


def scalar(vm: servers.PromQL, expr: str) -> float:
    result = vm.query(expr)
    return float(result[0]["value"][1]) if result else 0.0


@pytest.mark.parametrize("app", list(CASES))
def test_example(app, pipeline, models):
    case = CASES[app]
    service = "example-" + app.removesuffix(".py").replace("_", "-")
    env = {"OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline.http_endpoint,
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
           "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_BLRP_SCHEDULE_DELAY": "200",
           "OTEL_SEMCONV_STABILITY_OPT_IN": "http", "OTEL_PYTHON_LOG_CORRELATION": "false"}
    outcomes = "OTEL_ML_OUTCOME_ROUTES" in readme_commands()[app]
    sent = run(app, case, env, instrument=True, outcomes=outcomes)
    baseline = run(app, case, {"PATH": os.environ["PATH"]}, instrument=False)
    assert [a[:2] for a in sent.answers] == [a[:2] for a in baseline.answers]          # byte for byte
    assert [a[2] for a in sent.answers] == [a[2] for a in baseline.answers]

    model = re.search(r"OTEL_ML_MODEL_NAME=(\S+)", readme_commands()[app]).group(1)
    vm, sel = pipeline.vm, f'service_name="{service}",ml_model_name="{model}"'
    rows = sent.rows
    vm.wait_for(f'sum({PREDICTIONS}{{{sel}}})', timeout=40,
                predicate=lambda r: bool(r) and float(r[0]["value"][1]) >= rows)
    by_label = {r["metric"].get("ml_prediction_label"): float(r["value"][1])
                for r in vm.query(f'sum by (ml_prediction_label) ({PREDICTIONS}{{{sel},ml_prediction_status="ok"}})')}
    if sent.labels:
        assert by_label == {str(k): float(v) for k, v in Counter(sent.labels).items()}
        assert scalar(vm, f'sum({CONFIDENCE}_count{{{sel}}})') == rows
        assert abs(scalar(vm, f'sum({CONFIDENCE}_sum{{{sel}}})') - sum(sent.confidences)) < 1e-3 * rows
    else:
        assert by_label == {None: rows}
        assert scalar(vm, f'sum({PREDICTION_VALUE}_count{{{sel}}})') == rows
        assert abs(scalar(vm, f'sum({PREDICTION_VALUE}_sum{{{sel}}})') - sum(sent.values)) < 1e-3 * rows
    assert scalar(vm, f'sum({PREDICTION_DURATION}_count{{{sel}}})') == rows
    assert scalar(vm, f'sum({PREDICTIONS}{{{sel},ml_prediction_status="error"}})') == 0
    assert scalar(vm, f'count(count by (service_instance_id) ({PREDICTIONS}{{{sel}}}))') <= case.workers

    def rows_in(spans: list[_Span]) -> int:          # a predict and a predict_proba span share one prediction id
        ids = {s.attributes_by_key.get("ml.prediction.id"): int(s.attributes_by_key.get("ml.batch.size", 1))
               for s in spans if s.name == f"predict {model}"}
        return sum(ids.values())

    spans = servers.wait_for(lambda: (lambda s: s if rows_in(s) >= rows else None)(
        [_Span(s) for r, s in pipeline.sink.spans if r.get("service.name") == service]), 30, "prediction spans")
    by_id = {s.span_id: s for s in spans}
    predictions = [s for s in spans if s.name == f"predict {model}"]
    assert rows_in(spans) == rows and all("ml.prediction.id" in s.attributes_by_key for s in predictions)
    assert all(s.parent_span_id in by_id and by_id[s.parent_span_id].kind == 2 for s in predictions)   # SERVER

    records = servers.wait_for(lambda: (lambda r: r if len(r) >= rows else None)(
        [servers.attributes_of(lr.attributes) for res, lr in pipeline.sink.logs
         if res.get("service.name") == service and lr.event_name == "ml.prediction"]), 30, "log records")
    assert len(records) == rows
    if sent.labels:
        assert Counter(r["ml.prediction.label"] for r in records) == Counter(str(label) for label in sent.labels)
    else:
        assert sorted(round(r["ml.prediction.value"], 3) for r in records) == sorted(round(v, 3) for v in sent.values)
    assert not any("ml.prediction.features" in r for r in records)              # raw values stay out

    if case.features:                 # the reference loaded calibrated: every worker was ready at once
        assert scalar(vm, f'min({DRIFT_READY}{{{sel}}})') == 1
    for feature in case.features:                                                # every row reached drift
        counted = vm.wait_for(f'sum({FEATURE_QUANTILE}{{{sel},ml_feature_name="{feature}"}})', timeout=40,
                              predicate=lambda r: bool(r) and float(r[0]["value"][1]) >= rows)
        assert float(counted[0]["value"][1]) == rows, feature

    if outcomes:
        assert scalar(vm, f'sum({OUTCOMES}{{{sel}}})') == rows or vm.wait_for(
            f'sum({OUTCOMES}{{{sel}}})', timeout=20, predicate=lambda r: bool(r) and float(r[0]["value"][1]) == rows)
        assert scalar(vm, f'sum({OUTCOMES}{{{sel},ml_outcome_correct="true"}})') == rows
        assert scalar(vm, f'sum({UNMATCHED}{{{sel}}})') == 1           # the forged id
    print(f"\n{app}: sent {len(sent.answers)} requests, {rows} rows; TSDB "
          f"{scalar(vm, f'sum({PREDICTIONS}{{{sel}}})'):.0f} predictions, "
          f"labels {by_label}, {len(predictions)} prediction spans, {len(records)} log records")


class _Span:
    """An OTLP span with its attributes as a dict."""

    def __init__(self, span: Any) -> None:
        self.name = span.name
        self.span_id = span.span_id
        self.parent_span_id = span.parent_span_id
        self.kind = span.kind
        self.attributes_by_key = servers.attributes_of(span.attributes)


def test_a_library_turned_off_leaves_the_predictions_to_the_http_reading(pipeline, models):
    """OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=otel_ml_sklearn: the model calls are not patched, and
    the HTTP layer reads the same rows from the bodies instead (the species names the app answers)."""
    service = "example-sklearn-off"
    env = {"OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline.http_endpoint,
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
           "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "otel_ml_sklearn"}
    sent = run("flask_sklearn_batch.py", CASES["flask_sklearn_batch.py"], env, instrument=True)
    vm, sel = pipeline.vm, f'service_name="{service}",ml_model_name="iris"'
    vm.wait_for(f'sum({PREDICTIONS}{{{sel}}})', timeout=40,
                predicate=lambda r: bool(r) and float(r[0]["value"][1]) >= sent.rows)
    by_label = {r["metric"]["ml_prediction_label"]: float(r["value"][1])
                for r in vm.query(f'sum by (ml_prediction_label) ({PREDICTIONS}{{{sel}}})')}
    assert by_label == {SPECIES[k]: float(v) for k, v in Counter(sent.labels).items()}
    assert abs(scalar(vm, f'sum({CONFIDENCE}_sum{{{sel}}})') - sum(sent.confidences)) < 1e-3 * sent.rows


def test_outcomes_join_on_any_worker_of_any_replica_after_a_restart(pipeline, models):
    """Two replicas (two gunicorn masters, 4 workers each) sharing a signing key: predictions to
    one, both restarted, every outcome posted to the other; all matched, forged ids counted."""
    service = "example-replicas"
    env = {"OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline.http_endpoint,
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
           "OTEL_ML_PREDICTION_ID_KEY": "a-shared-secret-of-32-characters!!"}

    def four_workers(command: str) -> str:
        return command.replace("--threads 4", "-w 4")

    def wrong_every_third(i: int, label: str) -> str:
        return label if i % 3 else {"approve": "refer", "refer": "approve"}[label]

    case, sent = CASES["flask_form_numpy.py"], Sent()
    with served("flask_form_numpy.py", env, edit=four_workers) as first, \
            served("flask_form_numpy.py", env, edit=four_workers):
        predict_all(first, case, sent)
    assert len(sent.ids) == sent.rows and all(i.startswith("m1.") for i in sent.ids)
    vm, sel = pipeline.vm, f'service_name="{service}",ml_model_name="credit"'
    with served("flask_form_numpy.py", env, edit=four_workers), \
            served("flask_form_numpy.py", env, edit=four_workers) as second:
        post_outcomes(second, sent, forged=3, truth=wrong_every_third)
        tampered = sent.ids[0][:-2] + ("aa" if not sent.ids[0].endswith("aa") else "bb")
        post(second, "/feedback", "json", {"prediction_id": tampered, "actual": "approve"})
        # while they run: the workers export every second (the stop is tested elsewhere)
        vm.wait_for(f'sum({OUTCOMES}{{{sel}}}) + sum({UNMATCHED}{{{sel}}})', timeout=90,
                    predicate=lambda r: bool(r) and float(r[0]["value"][1]) >= sent.rows + 4)
    assert scalar(vm, f'sum({OUTCOMES}{{{sel}}})') == sent.rows                 # 100% matched
    correct = sum(1 for i in range(sent.rows) if i % 3)          # the accuracy of what was sent: 20 of 30
    assert scalar(vm, f'sum({OUTCOMES}{{{sel},ml_outcome_correct="true"}})') == correct
    assert scalar(vm, f'sum({UNMATCHED}{{{sel},ml_outcome_reason="unknown"}})') == 3   # random ids
    assert scalar(vm, f'sum({UNMATCHED}{{{sel},ml_outcome_reason="invalid"}})') == 1   # tampered
    served_by = scalar(vm, f'count(count by (service_instance_id) ({OUTCOMES}{{{sel}}}))')
    print(f"\nreplicas: {sent.rows} predictions on replica 1, {sent.rows} outcomes on replica 2 after restarts, "
          f"matched {scalar(vm, f'sum({OUTCOMES}{{{sel}}})'):.0f}, by {served_by:.0f} worker processes")
