"""Which model version is serving, and the rollback to the one before it.

A :class:`Deployment` keeps the versions a service can serve and the order they were deployed
in. :meth:`Deployment.rollback` puts the previous version back, switches the monitor to it (so
every metric, span and log from then on carries the new ``ml.model.version``), and records the
rollback: ``ml_model_rollbacks_total{ml_model_version=<to>, ml_rollback_from_version=<from>,
ml_rollback_reason=<alert>}`` and a WARN log record (event name ``ml.rollback``).

>>> from opentelemetry.sdk.metrics import MeterProvider
>>> import otel_ml
>>> monitor = otel_ml.ModelMonitor("churn", version="v1", meter_provider=MeterProvider())
>>> deployment = Deployment(monitor, versions=["v1", "v2"], meter_provider=MeterProvider())
>>> deployment.deploy("v2")
>>> monitor.version
'v2'
>>> deployment.rollback(reason="HighErrorRate")
('v2', 'v1')
>>> deployment.active, deployment.rollback(reason="again")
('v1', None)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from opentelemetry import metrics
from opentelemetry._logs import LoggerProvider

from otel_ml import logs, semconv
from otel_ml._attributes import BoundedValues
from otel_ml.version import __version__

if TYPE_CHECKING:
    from otel_ml.monitor import ModelMonitor


class Deployment:
    """The active model version of one monitored model, with its deploy history.

    Parameters
    ----------
    monitor : ModelMonitor
        Its version is switched on every deploy and rollback.
    versions : iterable of str
        The versions this service can serve. The monitor's current version is the active one
        and must be among them.
    meter_provider, logger_provider
        For the rollback counter and log record; ``None`` means the global providers.
    """

    def __init__(self, monitor: ModelMonitor, versions: Iterable[str], *,
                 meter_provider: metrics.MeterProvider | None = None,
                 logger_provider: LoggerProvider | None = None) -> None:
        self.monitor = monitor
        self.versions = tuple(str(v) for v in versions)
        if monitor.version not in self.versions:
            raise ValueError(f"The monitor's version {monitor.version!r} is not one of {list(self.versions)}.")
        self._history: list[str] = [monitor.version]
        self._since: list[float] = [time.time()]
        self._lock = threading.Lock()
        self._reasons = BoundedValues(50)
        meter = metrics.get_meter("otel_ml", __version__, meter_provider)
        self._rollbacks = semconv.create_ml_model_rollbacks(meter)
        self._logger = logs.prediction_logger(logger_provider)

    @property
    def active(self) -> str:
        return self._history[-1]

    @property
    def active_since(self) -> float:
        """When the active version went live (Unix seconds): deployed, or restored by a rollback."""
        return self._since[-1]

    @property
    def history(self) -> tuple[str, ...]:
        """Versions in the order they went live; the last one is serving."""
        return tuple(self._history)

    def deploy(self, version: str) -> None:
        """Make ``version`` the serving one (it must be a known version)."""
        version = str(version)
        if version not in self.versions:
            raise ValueError(f"Unknown model version {version!r}; this service knows {list(self.versions)}.")
        with self._lock:
            if version != self._history[-1]:
                self._history.append(version)
                self._since.append(time.time())
                self.monitor.set_version(version)
        self._logger.emit(body=f"deployed {self.monitor.name} {version}", severity_number=logs.INFO,
                          severity_text="INFO", event_name=semconv.ML_DEPLOYMENT_EVENT,
                          attributes={semconv.ML_MODEL_NAME: self.monitor.name, semconv.ML_MODEL_VERSION: version})

    def rollback(self, reason: str = "manual") -> tuple[str, str] | None:
        """Go back to the version that served before the active one.

        Returns ``(from_version, to_version)``, or ``None`` when there is nothing to go back to.
        """
        with self._lock:
            if len(self._history) < 2:
                return None
            taken_out = self._history.pop()
            self._since.pop()
            self._since[-1] = time.time()
            restored = self._history[-1]
            self.monitor.set_version(restored)
        reason = self._reasons.bound(str(reason) or "unknown")
        attributes = {semconv.ML_MODEL_NAME: self.monitor.name, semconv.ML_MODEL_VERSION: restored,
                      semconv.ML_ROLLBACK_FROM_VERSION: taken_out, semconv.ML_ROLLBACK_REASON: reason}
        self._rollbacks.add(1, attributes)
        self._logger.emit(body=f"rolled back {self.monitor.name} from {taken_out} to {restored} ({reason})",
                          severity_number=logs.WARN, severity_text="WARN", event_name=semconv.ML_ROLLBACK_EVENT,
                          attributes=attributes)
        return taken_out, restored
