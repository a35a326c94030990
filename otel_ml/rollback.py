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
>>> hook = RollbackWebhook(deployment, token="s3cret-s3cret-s3cret")
>>> alert = {"status": "firing", "labels": {"alertname": "HighErrorRate", "severity": "critical",
...                                         "ml_model_name": "churn", "ml_model_version": "v2"}}
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
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from otel_ml.environment_variables import OTEL_ML_ROLLBACK_TOKEN

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
    service_name : str, optional
        This service's ``service.name``: an alert whose ``service_name`` label names another
        service is ignored, so that one service's alert cannot roll back another's model.
    """

    def __init__(self, deployment: Deployment, token: str | None, *, severities: Iterable[str] = ("critical",),
                 service_name: str | None = None) -> None:
        if not token or not token.strip():
            raise RollbackDisabled(f"The rollback webhook needs a token: set {OTEL_ML_ROLLBACK_TOKEN}.")
        if len(token.strip()) < MIN_TOKEN_LENGTH:
            raise RollbackDisabled(f"{OTEL_ML_ROLLBACK_TOKEN} is shorter than {MIN_TOKEN_LENGTH} characters.")
        self.deployment = deployment
        self.severities = frozenset(severities)
        self.service_name = service_name
        self._expected = f"Bearer {token.strip()}".encode()

    @classmethod
    def from_env(cls, deployment: Deployment, environ: Mapping[str, str] | None = None,
                 **kwargs: Any) -> RollbackWebhook:
        """The webhook with its token from ``OTEL_ML_ROLLBACK_TOKEN``; raises :class:`RollbackDisabled` without it."""
        return cls(deployment, (environ if environ is not None else os.environ).get(OTEL_ML_ROLLBACK_TOKEN), **kwargs)

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
        service = labels.get("service_name")
        if self.service_name is not None and service is not None and service != self.service_name:
            return f"{name}: for service {service!r}, not {self.service_name!r}"
        model = labels.get("ml_model_name")
        if model is not None and model != self.deployment.monitor.name:
            return f"{name}: for model {model!r}, not {self.deployment.monitor.name!r}"
        version = labels.get("ml_model_version")
        if version is None:
            return f"{name}: no ml_model_version label, so not known to concern the active version"
        if version != self.deployment.active:
            return f"{name}: for version {version!r}, the active one is {self.deployment.active!r}"
        return None
