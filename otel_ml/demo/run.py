"""``otel-ml demo``, ``otel-ml serve`` and ``otel-ml traffic``.

``demo`` is the whole story in one process on loopback, with nothing but ``pip install``: the
Flask service (real models, :class:`ModelMonitor`, drift, rollback webhook) on 127.0.0.1, the
traffic generator in its phases, a live terminal dashboard read from the service's own
telemetry, in-process alert evaluation that calls the rollback webhook like Alertmanager
would, and a summary at the end. With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, everything is also
exported to that collector. ``serve`` and ``traffic`` are the two halves on their own, as the
compose stack runs them.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
from typing import Any, TextIO

from otel_ml.config import secret
from otel_ml.environment_variables import OTEL_ML_DEPLOY_TOKEN, OTEL_ML_ROLLBACK_TOKEN

MODEL_NAME = "breast-cancer"
SERVICE_NAME = "otel-ml-demo"


class Stack:
    """The demo service with its monitor, deployment and webhook, built on given providers."""

    def __init__(self, *, seed: int, token: str | None, deploy_token: str | None = None, tracer_provider: Any = None,
                 meter_provider: Any = None, logger_provider: Any = None, drift_window: int = 300,
                 service_name: str = SERVICE_NAME) -> None:
        import numpy as np

        import otel_ml
        from otel_ml.demo.data import VERSIONS, load, train
        from otel_ml.demo.service import DemoService, create_app
        from otel_ml.deployment import Deployment
        from otel_ml.drift import DriftProcessor
        from otel_ml.rollback import RollbackDisabled, RollbackWebhook

        self.data = load(seed)
        self.models = train(self.data, seed)
        # the reference: the serving population, with v1's predictions and confidences on it, and
        # its true labels, so that accuracy is estimated from the confidences before feedback arrives
        probabilities = self.models[VERSIONS[0]].estimator.predict_proba(self.data.serving_x)
        drift = DriftProcessor.fit(self.data.serving_x, list(self.data.feature_names),
                                   predictions=np.asarray(self.data.labels)[probabilities.argmax(axis=1)],
                                   confidences=probabilities.max(axis=1),
                                   labels=np.asarray(self.data.labels)[self.data.serving_y], window_size=drift_window,
                                   long_window_size=0, check_every=50, check_interval=5.0)
        self.monitor = otel_ml.ModelMonitor(MODEL_NAME, version=VERSIONS[0], feature_names=self.data.feature_names,
                                            labels=self.data.labels, drift=drift, tracer_provider=tracer_provider,
                                            meter_provider=meter_provider, logger_provider=logger_provider)
        self.deployment = Deployment(self.monitor, VERSIONS, meter_provider=meter_provider,
                                     logger_provider=logger_provider)
        try:
            self.webhook: Any = RollbackWebhook(self.deployment, token, service_name=service_name)
        except RollbackDisabled as exc:
            logging.getLogger(__name__).warning("otel-ml: %s; /admin/* is off", exc)
            self.webhook = None
        self.service = DemoService(self.data, self.models, self.monitor, self.deployment, self.webhook,
                                   deploy_token=deploy_token)
        self.app = create_app(self.service, tracer_provider=tracer_provider, meter_provider=meter_provider)
        self._server: Any = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve the app (:mod:`otel_ml.demo.server`: waitress, with its limits); returns its URL."""
        from otel_ml.demo import server

        self._server, url = server.start(self.app, host, port)
        return url

    def stop(self) -> None:
        """Stop the server (requests in progress finish) and the drift processor."""
        if self._server is not None:
            from otel_ml.demo import server

            running, self._server = self._server, None
            server.stop(running)
        if self.monitor.drift is not None:
            self.monitor.drift.shutdown()


def _rfc3339(seconds: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def _post(url: str, path: str, body: Any, token: str) -> tuple[int, Any]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        connection.request("POST", path, body=json.dumps(body).encode(),
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    except (OSError, ValueError) as exc:
        return 0, {"error": str(exc)}
    finally:
        connection.close()


def _providers(requests: Any, reader: Any) -> tuple[Any, Any, Any, Any]:
    """Providers with the console's span processor and reader; OTLP export too when configured."""
    import otel_ml
    from otel_ml import logs

    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        telemetry = otel_ml.configure(service_name=os.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME,
                                      metric_readers=[reader], span_processors=[requests])
        return telemetry.tracer_provider, telemetry.meter_provider, telemetry.logger_provider, telemetry
    from opentelemetry.metrics import NoOpMeterProvider
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    resource = Resource.create({"service.name": SERVICE_NAME})
    tracer_provider = TracerProvider(resource=resource, meter_provider=NoOpMeterProvider())
    tracer_provider.add_span_processor(requests)
    return tracer_provider, MeterProvider(resource=resource, metric_readers=[reader]), \
        logs.sdk_logger_provider(resource), None


REPORT_PATH = "otel-ml-report.html"


def demo(*, scale: float = 1.0, rate: float = 40.0, seed: int = 7, window: float = 10.0, live: bool | None = None,
         report: str | None = REPORT_PATH, out: TextIO = sys.stdout) -> int:
    """Run the demo; at its end write the HTML report to ``report`` (``None``: none) and say what to do next."""
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    from otel_ml.demo import console
    from otel_ml.demo import report as demo_report
    from otel_ml.demo.alerts import AlertEvaluator, AlertLog, Evaluation
    from otel_ml.demo.observe import MetricHistory, RequestWindow
    from otel_ml.demo.traffic import TrafficGenerator, default_phases

    live = out.isatty() if live is None else live
    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")   # http.server.request.duration, in seconds
    token = secret(OTEL_ML_ROLLBACK_TOKEN) or secrets.token_urlsafe(24)
    deploy_token = secret(OTEL_ML_DEPLOY_TOKEN) or secrets.token_urlsafe(24)     # never the rollback token
    requests, reader = RequestWindow(), InMemoryMetricReader()
    tracer_provider, meter_provider, logger_provider, telemetry = _providers(requests, reader)
    phases = default_phases(scale)
    metrics = MetricHistory(reader, keep=int(min(3600, sum(p.seconds for p in phases) + 120)))
    print("otel-ml demo: training the models on scikit-learn's breast-cancer data"
          + (f"; exporting to {os.environ['OTEL_EXPORTER_OTLP_ENDPOINT']}" if telemetry else ""), file=out, flush=True)
    stack = Stack(seed=seed, token=token, deploy_token=deploy_token, tracer_provider=tracer_provider,
                  meter_provider=meter_provider,
                  logger_provider=logger_provider)
    url = stack.start()
    print(f"otel-ml demo: the model service is on {url} (POST /predict, GET /openapi.json) while the demo runs",
          file=out, flush=True)
    started, started_at = time.monotonic(), time.time()
    alert_log = AlertLog()
    events: list[str] = []
    rollbacks: list[str] = []
    fired: dict[str, tuple[str, int]] = {}
    ever_drifted: set[str] = set()
    phase_started: dict[str, Any] = {"name": "", "at": started}

    def event(text: str) -> None:
        events.append(f"{console.timestamp(started)}  {text}")
        if not live:
            print(events[-1], file=out, flush=True)

    def on_phase(phase: Any) -> None:
        phase_started.update(name=phase.name, at=time.monotonic())
        event(f"phase '{phase.name}' ({phase.seconds:g} s)"
              + (f": shift {dict(phase.shift)}" if phase.shift else "")
              + (f": deploy {phase.deploy} with fault rate {phase.fault_rate:g}" if phase.deploy else ""))

    def notify(rule: Any, state: Any, firing: bool) -> None:
        alert_log.record(rule, state, firing)
        if firing:
            fired[rule.name] = (rule.severity, fired.get(rule.name, (rule.severity, 0))[1] + 1)
        event(f"ALERT {'firing' if firing else 'resolved'}: {rule.name} [{rule.severity}] {state.detail}")
        if firing and rule.severity == "critical":
            payload = {"version": "4", "status": "firing", "receiver": "otel-ml-demo",
                       "alerts": [{"status": "firing", "labels": {"service_name": SERVICE_NAME, **state.labels},
                                   "startsAt": _rfc3339(time.time()),
                                   "annotations": {"summary": rule.summary, "description": state.detail}}]}
            status, body = _post(url, "/admin/rollback", payload, token)
            moved = body.get("rolled_back") if isinstance(body, dict) else None
            if moved:
                after = time.monotonic() - phase_started["at"]
                rollbacks.append(f"{moved['from']} -> {moved['to']} on {moved['alert']}, "
                                 f"{after:.1f} s into phase '{phase_started['name']}'")
                event(f"ROLLBACK {moved['from']} -> {moved['to']} (webhook answered {status})")
            else:
                event(f"webhook answered {status}: {body}")

    generator = TrafficGenerator(url, stack.data, phases=phases, rate=rate, token=deploy_token,
                                 seed=seed,
                                 on_phase=on_phase)
    stop = threading.Event()
    traffic = threading.Thread(target=generator.run, args=(stop,), name="otel-ml-demo-traffic", daemon=True)
    traffic.start()
    evaluator = AlertEvaluator(window, notify)
    next_status = started + 5.0
    deadline = started + sum(p.seconds for p in generator.phases) + 60
    try:
        while traffic.is_alive() and time.monotonic() < deadline:
            traffic.join(1.0)
            metrics.collect()
            evaluator.evaluate(Evaluation(requests, metrics, MODEL_NAME, stack.deployment.active))
            ever_drifted.update(name for name, _, _, hit in console.drift(metrics) if hit)
            if live:
                out.write(console.CLEAR + console.dashboard(
                    title="otel-ml demo", phase=generator.stats.phase, elapsed=time.monotonic() - started,
                    version=stack.deployment.active, requests=requests, metrics=metrics, window=window,
                    alerts=evaluator.firing(), events=events) + "\n")
                out.flush()
            elif time.monotonic() >= next_status:
                next_status += 5.0
                print(f"{console.timestamp(started)}  {console.performance(requests.summary(seconds=window))}",
                      file=out, flush=True)
    except KeyboardInterrupt:
        event("interrupted")
    finally:
        stop.set()
        traffic.join(15)
        metrics.collect()
        stack.stop()
    print("\n" + console.summary(seconds=time.monotonic() - started, model=MODEL_NAME, requests=requests,
                                 metrics=metrics, fired=fired, rollbacks=rollbacks, ever_drifted=ever_drifted),
          file=out, flush=True)
    written = demo_report.write(report, MODEL_NAME, metrics, alert_log, started_at, out)
    print(console.next_steps(url=url, report=written, exporting=telemetry is not None), file=out, flush=True)
    if telemetry is not None:
        telemetry.force_flush()
    return 0


def serve(*, host: str = "127.0.0.1", port: int = 8000, seed: int = 7, prometheus_port: int | None = None) -> int:
    """Run the demo service alone (exporting over OTLP as configured by ``OTEL_*``) until interrupted.

    ``prometheus_port``: also serve the metrics for Prometheus to scrape on that port (needs
    ``opentelemetry-exporter-prometheus``)."""
    import otel_ml

    os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "http")
    readers = []
    if prometheus_port is not None:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import start_http_server

        readers.append(PrometheusMetricReader())
        start_http_server(prometheus_port, addr=host)
    telemetry = otel_ml.configure(service_name=os.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME,
                                  metric_readers=readers)
    stack = Stack(seed=seed, token=secret(OTEL_ML_ROLLBACK_TOKEN), deploy_token=secret(OTEL_ML_DEPLOY_TOKEN),
                  tracer_provider=telemetry.tracer_provider,
                  meter_provider=telemetry.meter_provider, logger_provider=telemetry.logger_provider,
                  service_name=os.environ.get("OTEL_SERVICE_NAME") or SERVICE_NAME)
    url = stack.start(host, port)
    print(f"otel-ml demo service on {url} (model {MODEL_NAME}, serving {stack.deployment.active})", flush=True)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):           # a container stop, or Ctrl-C
        signal.signal(signum, lambda *_: stopping.set())
    try:
        stopping.wait()
    finally:
        stack.stop()                                         # in-flight requests finish first
        print("otel-ml demo service stopping: last export", flush=True)
        telemetry.shutdown()                                 # the final flush, bounded (OTEL_ML_SHUTDOWN_TIMEOUT)
    return 0


def traffic(*, url: str, scale: float = 1.0, rate: float = 40.0, seed: int = 7, rounds: int = 1) -> int:
    """Send the phased traffic to a running service (loopback only), ``rounds`` times."""
    from otel_ml.demo.data import load
    from otel_ml.demo.traffic import TrafficGenerator, default_phases, deploy_skipped

    data = load(seed)
    token = secret(OTEL_ML_DEPLOY_TOKEN)
    if not token:
        for phase in default_phases(scale):
            if phase.deploy is not None:
                print(f"traffic: {deploy_skipped(phase)}; so no rollback follows", flush=True)
    for n in range(rounds):
        generator = TrafficGenerator(url, data, phases=default_phases(scale), rate=rate, seed=seed + n,
                                     token=token,
                                     on_phase=lambda p: print(f"traffic: phase '{p.name}'", flush=True))
        stats = generator.run()
        print(f"traffic: round {n + 1}: {stats.sent} predictions, statuses {dict(stats.statuses)}, "
              f"{stats.feedback} feedback, {stats.conversions} conversions", flush=True)
    return 0
