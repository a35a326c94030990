"""PrometheusSource's errors say what is wrong and what to pass; its PromQL is the dashboards'."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from otel_ml import semconv as S
from otel_ml.report.prometheus import PrometheusSource, QueryError, selector


class Answer(http.server.BaseHTTPRequestHandler):
    """Answers as configured on the server: a status, a body; records every query."""

    def do_GET(self) -> None:  # noqa: N802
        self.server.queries.append((urlsplit(self.path).path, parse_qs(urlsplit(self.path).query),  # type: ignore
                                    {k.lower(): v for k, v in self.headers.items()}))
        status, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[http.server.HTTPServer]:
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    httpd.queries, httpd.answer = [], (200, json.dumps({"status": "success", "data": {"result": []}}))  # type: ignore
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def url(httpd: http.server.HTTPServer) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def test_nothing_listening_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(QueryError, match="cannot reach a Prometheus-compatible query API.*--prometheus"):
        PrometheusSource(f"http://127.0.0.1:{port}", timeout=5).instant("up", 0)


def test_a_wrong_path_or_a_refused_query_is_a_clear_error(server):
    server.answer = (404, "404 page not found")
    with pytest.raises(QueryError, match="answered 404.*base of a Prometheus-compatible query API"):
        PrometheusSource(url(server)).instant("up", 0)
    server.answer = (200, "<html>grafana</html>")
    with pytest.raises(QueryError, match="did not answer JSON"):
        PrometheusSource(url(server)).instant("up", 0)
    server.answer = (200, json.dumps({"status": "error", "error": "parse error"}))
    with pytest.raises(QueryError, match="refused up: parse error"):
        PrometheusSource(url(server)).instant("up", 0)


def test_headers_prefix_and_windows_reach_the_api(server):
    source = PrometheusSource(url(server) + "/prometheus/", headers={"X-Scope-OrgID": "team-a"}, sample_interval=30)
    source.totals_over_time(S.ML_PREDICTIONS, (S.ML_MODEL_VERSION,), {S.ML_MODEL_NAME: "m"}, 0, 3600, 60)
    path, params, headers = server.queries[-1]
    assert path == "/prometheus/api/v1/query_range" and headers["x-scope-orgid"] == "team-a"
    assert params["step"] == ["60.000"]
    assert params["query"][0].endswith('{ml_model_name="m"}[120s]))')       # four samples of 30 s, not the step
    assert source.window_seconds(600) == 600


def test_selectors_escape_what_could_break_out():
    assert selector({S.ML_MODEL_NAME: 'x"} or vector(1) #'}) == '{ml_model_name="x\\"} or vector(1) #"}'
    assert selector({S.ML_MODEL_NAME: "a\\b\nc"}, 'le="1"') == '{ml_model_name="a\\\\b\\nc",le="1"}'
