"""A traffic generator for the demo service: bounded in time and rate, loopback only, in phases.

Each :class:`Phase` sends ``/predict`` requests at a fixed rate, drawn from the held-out rows
(with a little jitter, so no request is an exact replay). A phase can shift named features
(covariate shift, in standard deviations of the serving data), or deploy a model version
with an injected fault rate (the bad release that should be rolled back). Throughout, ground
truth goes to ``/feedback`` after ``feedback_delay`` seconds, with ``label_noise`` of the labels
flipped; a share of predictions converts (``/conversion``, with a value); and a few requests are
malformed on purpose, to show the service's 4xx answers.

The generator refuses any host that is not a loopback address: it is a load generator, and it
only ever talks to a service on this machine (in compose, it shares the demo's network
namespace for that reason).

>>> check_loopback("http://127.0.0.1:8000")
>>> check_loopback("http://example.com")
Traceback (most recent call last):
...
ValueError: the traffic generator only talks to loopback addresses; 'example.com' is not one
"""

from __future__ import annotations

import collections
import http.client
import ipaddress
import json
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from otel_ml.demo.data import DemoData
from otel_ml.environment_variables import OTEL_ML_DEPLOY_TOKEN

MAX_RATE = 1000.0
"""Requests per second the generator will not go above."""
MAX_SECONDS = 3600.0
"""Longest run the generator accepts."""


@dataclass(frozen=True)
class Phase:
    """One stretch of traffic."""

    name: str
    seconds: float
    shift: Mapping[str, float] = field(default_factory=dict)
    """Feature name -> shift in standard deviations of the serving data."""
    deploy: str | None = None
    """Version to deploy when the phase starts (needs the admin token)."""
    fault_rate: float = 0.0
    """Share of the deployed version's predictions that fail (the injected fault)."""


def default_phases(scale: float = 1.0) -> tuple[Phase, ...]:
    """Normal traffic, covariate shift in two features, a faulty release of v2, recovery."""
    return (
        Phase("normal", 20 * scale),
        Phase("drift", 20 * scale, shift={"mean_texture": 2.0, "mean_smoothness": 2.0}),
        Phase("bad release", 20 * scale, deploy="v2", fault_rate=0.3),
        Phase("recovery", 10 * scale),
    )


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        addresses = set()
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ValueError(f"the traffic generator only talks to loopback addresses; {host!r} is not one")


NO_TOKEN_HINT = f"{OTEL_ML_DEPLOY_TOKEN} or {OTEL_ML_DEPLOY_TOKEN}_FILE to the service's deploy token"


def deploy_skipped(phase: Phase) -> str:
    """What a phase that deploys does without a deploy token, in one line (the generator and the CLI say it).

    >>> deploy_skipped(Phase("bad release", 10, deploy="v2"))[:72]
    "phase 'bad release' runs on the active version: v2 not deployed, no depl"
    """
    return (f"phase '{phase.name}' runs on the active version: {phase.deploy} not deployed, no deploy token "
            f"(set {NO_TOKEN_HINT})")


@dataclass
class TrafficStats:
    """What the generator sent and what came back (read by the live console)."""

    phase: str = ""
    sent: int = 0
    statuses: collections.Counter[str | int] = field(default_factory=collections.Counter)
    feedback: int = 0
    conversions: int = 0
    conversion_value: float = 0.0
    versions: collections.Counter[str] = field(default_factory=collections.Counter)
    skipped: list[str] = field(default_factory=list)
    """Why a phase's deploy was not sent (no deploy token), one line each."""


class TrafficGenerator:
    """Send phased traffic to the demo service at ``base_url`` (loopback only)."""

    def __init__(self, base_url: str, data: DemoData, *, phases: Sequence[Phase] | None = None, rate: float = 40.0,
                 feedback_delay: float = 2.0, label_noise: float = 0.05, conversion_rate: float = 0.15,
                 invalid_rate: float = 0.01, token: str | None = None, seed: int = 7,
                 on_phase: Callable[[Phase], None] | None = None) -> None:
        check_loopback(base_url)
        self.phases = tuple(phases if phases is not None else default_phases())
        if not 0 < rate <= MAX_RATE:
            raise ValueError(f"rate must be above 0 and at most {MAX_RATE:g} requests per second, got {rate}")
        if sum(p.seconds for p in self.phases) > MAX_SECONDS:
            raise ValueError(f"the phases last longer than {MAX_SECONDS:g} s")
        unknown = {name for p in self.phases for name in p.shift} - set(data.feature_names)
        if unknown:
            raise ValueError(f"phases shift unknown features: {sorted(unknown)}")
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.data, self.rate, self.token = data, rate, token
        self.feedback_delay, self.label_noise = feedback_delay, label_noise
        self.conversion_rate, self.invalid_rate = conversion_rate, invalid_rate
        self.on_phase = on_phase
        self.stats = TrafficStats()
        self._rng = np.random.default_rng(seed)
        self._sd = data.serving_x.std(axis=0)
        self._due: collections.deque[tuple[float, str, str]] = collections.deque()
        self._connection: http.client.HTTPConnection | None = None

    # ------------------------------------------------------------------ HTTP
    def _post(self, path: str, body: Any, token: bool = False) -> tuple[int, Any]:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if token and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):              # one reconnect if the keep-alive connection was dropped
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
            try:
                self._connection.request("POST", path, body=payload, headers=headers)
                response = self._connection.getresponse()
                raw = response.read()
                try:
                    return response.status, json.loads(raw) if raw else None
                except ValueError:
                    return response.status, None
            except (OSError, http.client.HTTPException):
                self._connection.close()
                self._connection = None
                if attempt == 2:
                    return 0, None
        return 0, None

    # ------------------------------------------------------------------ traffic
    def run(self, stop: threading.Event | None = None) -> TrafficStats:
        """Run every phase; returns early when ``stop`` is set."""
        stop = stop or threading.Event()
        try:
            for phase in self.phases:
                if stop.is_set():
                    break
                self._start(phase)
                self._run_phase(phase, stop)
            self._send_due(time.monotonic() + self.feedback_delay + 1, stop)   # the feedback still owed
        finally:
            if self._connection is not None:
                self._connection.close()
        return self.stats

    def _start(self, phase: Phase) -> None:
        self.stats.phase = phase.name
        if phase.deploy is not None and not self.token:
            self.stats.statuses["deploy skipped"] += 1
            self.stats.skipped.append(deploy_skipped(phase))
        elif phase.deploy is not None:
            status, body = self._post("/admin/deploy", {"version": phase.deploy, "fault_rate": phase.fault_rate},
                                      token=True)
            self.stats.statuses[f"deploy {status}"] += 1
        if self.on_phase is not None:
            self.on_phase(phase)

    def _run_phase(self, phase: Phase, stop: threading.Event) -> None:
        shift = np.zeros(len(self.data.feature_names))
        for name, sds in phase.shift.items():
            shift[self.data.feature_names.index(name)] = sds * self._sd[self.data.feature_names.index(name)]
        started = time.monotonic()
        ends = started + phase.seconds
        sent = 0
        while not stop.is_set():
            now = time.monotonic()
            if now >= ends:
                break
            due = started + sent / self.rate
            if now < due:
                self._send_due(now, stop)
                stop.wait(max(0.0, min(due, ends) - time.monotonic()))
                continue
            self._predict(shift)
            sent += 1

    def _predict(self, shift: np.ndarray) -> None:
        i = int(self._rng.integers(len(self.data.serving_x)))
        row = self.data.serving_x[i] * (1 + self._rng.normal(0, 0.01, len(shift))) + shift
        features = dict(zip(self.data.feature_names, (float(v) for v in row)))
        if self._rng.random() < self.invalid_rate:          # a client bug: a feature goes missing
            features.pop(self.data.feature_names[int(self._rng.integers(len(features)))])
        status, body = self._post("/predict", {"features": features})
        self.stats.sent += 1
        self.stats.statuses[status] += 1
        if status != 200 or not isinstance(body, dict):
            return
        self.stats.versions[body.get("model_version", "?")] += 1
        truth = self.data.labels[int(self.data.serving_y[i])]
        if self._rng.random() < self.label_noise:
            truth = self.data.labels[1 - int(self.data.serving_y[i])]
        self._due.append((time.monotonic() + self.feedback_delay, body["prediction_id"], truth))

    def _send_due(self, until: float, stop: threading.Event) -> None:
        while self._due and self._due[0][0] <= until and not stop.is_set():
            wait = self._due[0][0] - time.monotonic()
            if wait > 0:
                stop.wait(wait)
            _, prediction_id, truth = self._due.popleft()
            status, _ = self._post("/feedback", {"prediction_id": prediction_id, "actual": truth})
            self.stats.feedback += status == 200
            if self._rng.random() < self.conversion_rate:
                value = round(float(self._rng.lognormal(4.0, 0.5)), 2)
                status, _ = self._post("/conversion", {"prediction_id": prediction_id, "value": value})
                if status == 200:
                    self.stats.conversions += 1
                    self.stats.conversion_value += value
