"""Unmodified apps under `opentelemetry-instrument`: python app.py, gunicorn with 4 sync
workers, uvicorn with 2 workers. What arrives at the real collector (rotel -> VictoriaMetrics
and an OTLP receiver) must add up to the requests sent, per worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from otel_ml.promql import PREDICTIONS, REQUESTS_REJECTED
from tests.integration import servers

pytestmark = pytest.mark.integration
APPS = Path(__file__).parent / "apps"
BIN = Path(sys.executable).parent


def post(port: int, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        # generous: four workers booting at once on a loaded 2-core machine can take over 10 s to answer
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


def run_service(pipeline, service: str, argv: list[str], requests: int, threads: int = 4,
                instrument: bool = True, model: str = "zero") -> set[int]:
    """Start ``argv`` (under opentelemetry-instrument unless told not to), send ``requests`` good ones and one bad one,
    stop it gracefully; returns the worker pids that answered."""
    port = servers.free_port()
    env = {**os.environ, "OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": pipeline.http_endpoint,
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
           "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_BLRP_SCHEDULE_DELAY": "200",
           "OTEL_SEMCONV_STABILITY_OPT_IN": "http", "OTEL_ML_MODEL_NAME": "zero", "OTEL_ML_MODEL_VERSION": "v1",
           "OTEL_ML_ROUTES": "/predict", "OTEL_ML_FEATURES_FIELD": "features", "PORT": str(port),
           "PYTHONPATH": str(APPS)}
    argv = [a.replace("{port}", str(port)) for a in argv]
    prefix = [str(BIN / "opentelemetry-instrument")] if instrument else []
    proc = subprocess.Popen([*prefix, *argv], env=env, cwd=APPS,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    workers: set[int] = set()
    try:
        servers.wait_for(lambda: servers.port_open(port), 60, f"{service} port")
        lock = threading.Lock()

        def send(count: int) -> None:
            for i in range(count):
                status, body = post(port, json.dumps({"features": [i % 3, 1.5]}).encode())
                assert status == 200, status
                with lock:
                    workers.add(body["worker"])

        pool = [threading.Thread(target=send, args=(requests // threads,)) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(timeout=120)
        assert post(port, b"{broken")[0] in (400, 422)
    finally:
        proc.send_signal(signal.SIGINT if argv[0] in (sys.executable, str(BIN / "flask")) else signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert "Traceback" not in output, output[-4000:]
    return workers


def totals(pipeline, service: str, workers: int, expected: int, model: str = "zero") -> dict[str, float]:
    """The TSDB's totals once every worker's last export has landed (or what it had after 30 s)."""
    vm = pipeline.vm
    sel = f'service_name="{service}",ml_model_name="{model}"'
    try:
        vm.wait_for(f'sum({PREDICTIONS}{{{sel}}})', timeout=30,
                    predicate=lambda r: r and float(r[0]["value"][1]) >= expected)
    except TimeoutError:
        pass
    instances = vm.wait_for(f'count(count by (service_instance_id) ({PREDICTIONS}{{{sel}}}))', timeout=30,
                            predicate=lambda r: r and float(r[0]["value"][1]) >= workers)
    ok = vm.query(f'sum({PREDICTIONS}{{{sel},ml_prediction_status="ok"}})')
    bad = vm.query(f'sum({PREDICTIONS}{{{sel},ml_prediction_status="error"}})')
    rejected = vm.wait_for(f'sum({REQUESTS_REJECTED}{{{sel}}})', timeout=30, predicate=bool)
    http = vm.query(f'sum(http_server_request_duration_seconds_count{{service_name="{service}"}})')
    return {"ok": float(ok[0]["value"][1]), "error": float(bad[0]["value"][1]) if bad else 0.0,
            "rejected": float(rejected[0]["value"][1]),
            "instances": float(instances[0]["value"][1]), "http": float(http[0]["value"][1]) if http else 0.0}


def prediction_spans_have_http_parents(pipeline, service: str) -> None:
    def spans():
        mine = [s for r, s in pipeline.sink.spans if r.get("service.name") == service]
        return mine if any(s.name == "predict zero" for s in mine) else None
    mine = servers.wait_for(spans, 30, "spans")
    by_id = {s.span_id: s for s in mine}
    predictions = [s for s in mine if s.name == "predict zero"]
    assert predictions and all(by_id[s.parent_span_id].name == "POST /predict" for s in predictions
                               if s.parent_span_id in by_id)
    assert sum(s.parent_span_id in by_id for s in predictions) >= len(predictions) // 2


def test_python_app_py(pipeline):
    service = "zero-python"
    run_service(pipeline, service, [sys.executable, "zero_code_flask.py", "{port}"], requests=40, threads=1)
    got = totals(pipeline, service, 1, 40)
    # the broken body the app answers with a 400 is a rejected request, not a failed prediction
    assert (got["ok"], got["error"], got["rejected"], got["instances"]) == (40, 0, 1, 1)
    assert got["http"] == 41                      # the contrib instrumentation, stable HTTP semconv
    prediction_spans_have_http_parents(pipeline, service)


def test_flask_run(pipeline):
    service = "zero-flask-run"
    run_service(pipeline, service, [str(BIN / "flask"), "--app", "zero_code_flask", "run", "--port", "{port}"],
                requests=30, threads=1)
    got = totals(pipeline, service, 1, 30)
    assert (got["ok"], got["error"], got["rejected"], got["instances"]) == (30, 0, 1, 1)
    prediction_spans_have_http_parents(pipeline, service)


def test_gunicorn_with_four_sync_workers(pipeline):
    """Every worker's predictions arrive, the last batch of a short-lived worker too: the master's
    pooled collector connection is not shared with the workers it forks (otel_ml/_fork.py; before
    that, 3 runs in 12 under load lost a worker's batch to a collector's 400)."""
    service = "zero-gunicorn"
    workers = run_service(pipeline, service, [str(BIN / "gunicorn"), "-w", "4", "-b", "127.0.0.1:{port}",
                                              "zero_code_flask:app"], requests=400, threads=8)
    got = totals(pipeline, service, len(workers), 400)
    assert (got["ok"], got["error"], got["rejected"]) == (400, 0, 1)
    assert got["instances"] == len(workers) >= 2, (got, workers)
    prediction_spans_have_http_parents(pipeline, service)


def test_uvicorn_with_two_workers(pipeline):
    service = "zero-uvicorn"
    workers = run_service(pipeline, service, [str(BIN / "uvicorn"), "--workers", "2", "--port", "{port}",
                                              "--host", "127.0.0.1", "zero_code_fastapi:app"],
                          requests=200, threads=8)
    got = totals(pipeline, service, len(workers), 200)
    assert (got["ok"], got["error"], got["rejected"]) == (200, 0, 1)
    assert got["instances"] == len(workers) >= 1, (got, workers)


def test_gunicorn_post_fork_pattern_with_code_instrumentation(pipeline):
    """No opentelemetry-instrument: the app instruments itself (one line each for contrib and
    otel_ml) and gunicorn_conf.py's post_fork calls otel_ml.configure() in every worker."""
    service = "coded-gunicorn"
    workers = run_service(pipeline, service, [str(BIN / "gunicorn"), "-w", "4", "-c", "gunicorn_conf.py",
                                              "-b", "127.0.0.1:{port}", "monitored_flask:app"],
                          requests=400, threads=8, instrument=False)
    got = totals(pipeline, service, len(workers), 400, model="coded")
    assert (got["ok"], got["error"], got["rejected"]) == (400, 0, 1)
    assert got["instances"] == len(workers) >= 2, (got, workers)
