"""An authenticated webhook that rolls a model back when a critical alert fires for it.

Alertmanager and Grafana both POST a JSON body with an ``alerts`` list, each alert carrying
``status`` and ``labels``. :meth:`RollbackWebhook.handle` takes the ``Authorization`` header
and that body and decides: a **firing** alert with a ``severity`` in ``severities`` whose
``ml_model_version`` label is the **active** version (and whose ``ml_model_name`` and
``service_name``, when present and known, are this model and this service) rolls the
:class:`~otel_ml.deployment.Deployment` back. Anything else
is answered and ignored, so a repeated or late alert for a version already taken out does
nothing. It is framework-free: the Flask or FastAPI route only passes the header and the body.

The token comes from ``OTEL_ML_ROLLBACK_TOKEN`` (or ``token=``); without one the webhook
refuses to exist (:class:`RollbackDisabled`), so an unauthenticated rollback endpoint cannot be
switched on by accident. Configure the sender with ``Authorization: Bearer <token>``
(Alertmanager: ``http_config.authorization.credentials``; Grafana webhook contact point:
``authorization_scheme: Bearer``, ``authorization_credentials``).

>>> from opentelemetry.sdk.metrics import MeterProvider
>>> import otel_ml
>>> from otel_ml.deployment import Deployment
>>> monitor = otel_ml.ModelMonitor("churn", version="v1", meter_provider=MeterProvider())
>>> deployment = Deployment(monitor, ["v1", "v2"], meter_provider=MeterProvider())
>>> deployment.deploy("v2")
>>> hook = RollbackWebhook(deployment, token="s3cret-s3cret-s3cret", service_name="churn-api")
>>> labels = {"alertname": "HighErrorRate", "severity": "critical", "service_name": "churn-api",
...           "ml_model_name": "churn", "ml_model_version": "v2"}
>>> alert = {"status": "firing", "labels": labels, "startsAt": "2099-01-01T00:00:00Z"}
>>> hook.handle("Bearer wrong", {"alerts": [alert]})[0]
401
>>> status, body = hook.handle("Bearer s3cret-s3cret-s3cret", {"alerts": [alert]})
>>> status, body["rolled_back"], deployment.active
(200, {'from': 'v2', 'to': 'v1', 'alert': 'HighErrorRate'}, 'v1')
>>> hook.handle("Bearer s3cret-s3cret-s3cret", {"alerts": [alert]})[1]["rolled_back"] is None
True
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from otel_ml.config import secret
from otel_ml.environment_variables import OTEL_ML_ROLLBACK_TOKEN
from otel_ml.promql import MODEL, SERVICE, VERSION

if TYPE_CHECKING:
    from otel_ml.deployment import Deployment

MIN_TOKEN_LENGTH = 16


class RollbackDisabled(RuntimeError):
    """The webhook was asked for without a usable token."""


class RollbackWebhook:
    """Roll ``deployment`` back on a critical alert for its active version.

    Parameters
    ----------
    deployment : Deployment
    token : str
        The bearer token senders must present (at least 16 characters).
    severities : iterable of str
        Alert severities that trigger a rollback (default ``critical`` only).
    service_name : str
        This service's ``service.name``. An alert rolls back only if its labels name this service
        (``service_name``), the monitored model (``ml_model_name``) and the active version
        (``ml_model_version``), and it started (``startsAt``) after that version went live: so
        that one service's alert, an alert naming only a version, or an old alert replayed
        cannot roll back a model.
    """

    def __init__(self, deployment: Deployment, token: str | None, *, service_name: str,
                 severities: Iterable[str] = ("critical",)) -> None:
        if not token or not token.strip():
            raise RollbackDisabled(f"The rollback webhook needs a token: set {OTEL_ML_ROLLBACK_TOKEN}.")
        if len(token.strip()) < MIN_TOKEN_LENGTH:
            raise RollbackDisabled(f"{OTEL_ML_ROLLBACK_TOKEN} is shorter than {MIN_TOKEN_LENGTH} characters.")
        if not service_name:
            raise RollbackDisabled("The rollback webhook needs this service's name (OTEL_SERVICE_NAME).")
        self.deployment = deployment
        self.severities = frozenset(severities)
        self.service_name = service_name
        self._expected = f"Bearer {token.strip()}".encode()

    @classmethod
    def from_env(cls, deployment: Deployment, environ: Mapping[str, str] | None = None,
                 **kwargs: Any) -> RollbackWebhook:
        """The webhook with its token from ``OTEL_ML_ROLLBACK_TOKEN_FILE`` or ``OTEL_ML_ROLLBACK_TOKEN``,
        and this service's name from ``OTEL_SERVICE_NAME`` unless given; raises
        :class:`RollbackDisabled` without them."""
        env = environ if environ is not None else os.environ
        try:
            token = secret(OTEL_ML_ROLLBACK_TOKEN, env)
        except ValueError as exc:
            raise RollbackDisabled(str(exc)) from None
        kwargs.setdefault("service_name", (env.get("OTEL_SERVICE_NAME") or "").strip())
        return cls(deployment, token, **kwargs)

    def authorized(self, authorization: str | None) -> bool:
        return hmac.compare_digest((authorization or "").strip().encode(), self._expected)

    def handle(self, authorization: str | None, payload: Any) -> tuple[int, dict[str, Any]]:
        """Answer one webhook call: ``(http_status, json_body)``. Never raises on a bad body."""
        if not self.authorized(authorization):
            return 401, {"error": "missing or wrong bearer token"}
        alerts = payload.get("alerts") if isinstance(payload, Mapping) else None
        if not isinstance(alerts, list):
            return 400, {"error": "expected a JSON object with an 'alerts' list (Alertmanager or Grafana webhook)"}
        ignored: list[str] = []
        for alert in alerts:
            why = self._ignore_reason(alert)
            if why is None:
                name = str(alert["labels"].get("alertname", "alert"))
                moved = self.deployment.rollback(reason=name)
                if moved is not None:
                    return 200, {"rolled_back": {"from": moved[0], "to": moved[1], "alert": name},
                                 "active": self.deployment.active, "ignored": ignored}
                why = "no earlier version to roll back to"
            ignored.append(why)
        return 200, {"rolled_back": None, "active": self.deployment.active, "ignored": ignored}

    def _ignore_reason(self, alert: Any) -> str | None:
        if not isinstance(alert, Mapping) or not isinstance(alert.get("labels"), Mapping):
            return "not an alert object with labels"
        labels = alert["labels"]
        name = labels.get("alertname", "alert")
        if alert.get("status", "firing") != "firing":
            return f"{name}: {alert.get('status')}, not firing"
        if labels.get("severity") not in self.severities:
            return f"{name}: severity {labels.get('severity')!r} does not roll back"
        for label in (SERVICE, MODEL, VERSION):
            if not isinstance(labels.get(label), str):
                return f"{name}: no {label} label, so not known to concern this service's active model"
        if labels[SERVICE] != self.service_name:
            return f"{name}: for service {labels[SERVICE]!r}, not {self.service_name!r}"
        if labels[MODEL] != self.deployment.monitor.name:
            return f"{name}: for model {labels[MODEL]!r}, not {self.deployment.monitor.name!r}"
        version = labels[VERSION]
        if version != self.deployment.active:
            return f"{name}: for version {version!r}, the active one is {self.deployment.active!r}"
        started = _timestamp(alert.get("startsAt"))
        if started is None:
            return f"{name}: no startsAt, so not known to be about this deployment of {version!r}"
        if started < self.deployment.active_since - CLOCK_SKEW:
            return f"{name}: started before {version} was deployed (an old alert)"
        return None


CLOCK_SKEW = 5.0
"""Seconds an alert's ``startsAt`` may precede the deployment (clocks of two hosts differ)."""


def _timestamp(text: Any) -> float | None:
    """Unix seconds of an RFC 3339 time, as Alertmanager (nanoseconds) and Grafana write it; or ``None``.

    >>> _timestamp("2026-12-02T10:00:00.123456789Z") - _timestamp("2026-12-02T10:00:00Z")
    0.123456...
    >>> _timestamp("yesterday") is None
    True
    """
    if not isinstance(text, str) or not text:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
