"""The rollback webhook: token, payload shapes (Alertmanager and Grafana), and what it ignores."""

import time
from datetime import datetime, timezone

import pytest

from otel_ml.deployment import Deployment
from otel_ml.rollback import RollbackDisabled, RollbackWebhook

TOKEN = "a-token-of-24-characters"


@pytest.fixture
def hook(sinks):
    deployment = Deployment(sinks.monitor("churn", "v1"), ["v1", "v2"], meter_provider=sinks.meter_provider)
    deployment.deploy("v2")
    return RollbackWebhook(deployment, TOKEN, service_name="churn-api")


def rfc3339(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def alert(starts_at: float | None = None, **labels):
    base = {"alertname": "MLHighErrorRate", "severity": "critical", "service_name": "churn-api",
            "ml_model_name": "churn", "ml_model_version": "v2"}
    return {"status": labels.pop("status", "firing"), "labels": {**base, **labels},
            "startsAt": rfc3339(time.time() + 1 if starts_at is None else starts_at)}


@pytest.mark.parametrize("authorization", [None, "", TOKEN, f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer "])
def test_wrong_or_missing_tokens_are_401_and_change_nothing(hook, authorization):
    assert hook.handle(authorization, {"alerts": [alert()]})[0] == 401
    assert hook.deployment.active == "v2"


def test_an_alertmanager_payload_rolls_back(hook):
    payload = {"version": "4", "status": "firing", "receiver": "rollback", "groupLabels": {},
               "alerts": [alert(), alert(alertname="Other")]}
    status, body = hook.handle(f"Bearer {TOKEN}", payload)
    assert status == 200 and body["rolled_back"] == {"from": "v2", "to": "v1", "alert": "MLHighErrorRate"}
    assert hook.deployment.active == "v1"


def test_a_grafana_payload_rolls_back(hook):
    payload = {"receiver": "otel-ml-webhook", "status": "firing", "orgId": 1, "state": "alerting",
               "alerts": [{**alert(), "fingerprint": "ab12", "values": {"B": 0.3}, "silenceURL": "x"}]}
    assert hook.handle(f"  Bearer {TOKEN} ", payload)[1]["rolled_back"]["to"] == "v1"


@pytest.mark.parametrize("other, reason", [
    ({"status": "resolved"}, "not firing"),
    ({"severity": "warning"}, "severity 'warning' does not roll back"),
    ({"ml_model_version": "v1"}, "the active one is 'v2'"),
    ({"ml_model_name": "fraud"}, "for model 'fraud'"),
    ({"service_name": "billing-api"}, "for service 'billing-api', not 'churn-api'"),
])
def test_alerts_that_do_not_concern_the_active_version_are_ignored(hook, other, reason):
    status, body = hook.handle(f"Bearer {TOKEN}", {"alerts": [alert(**other)]})
    assert status == 200 and body["rolled_back"] is None and reason in body["ignored"][0]
    assert hook.deployment.active == "v2"


@pytest.mark.parametrize("label", ["ml_model_version", "ml_model_name", "service_name"])
def test_an_alert_that_does_not_name_this_service_model_and_version_is_ignored(hook, label):
    # before: an alert carrying only severity and ml_model_version rolled back any service's model
    bare = alert()
    del bare["labels"][label]
    status, body = hook.handle(f"Bearer {TOKEN}", {"alerts": [bare]})
    assert body["rolled_back"] is None and f"no {label} label" in body["ignored"][0]
    assert hook.deployment.active == "v2"


def test_a_replayed_alert_from_before_the_deployment_is_ignored(hook):
    # before: the same old alert, sent again, rolled back again
    old = alert(starts_at=time.time() - 3600)
    status, body = hook.handle(f"Bearer {TOKEN}", {"alerts": [old]})
    assert body["rolled_back"] is None and "started before v2 was deployed" in body["ignored"][0]
    undated = alert()
    del undated["startsAt"]
    assert "no startsAt" in hook.handle(f"Bearer {TOKEN}", {"alerts": [undated]})[1]["ignored"][0]
    assert hook.deployment.active == "v2"
    assert hook.handle(f"Bearer {TOKEN}", {"alerts": [alert()]})[1]["rolled_back"]["to"] == "v1"


@pytest.mark.parametrize("payload", [None, [], {"alerts": "x"}, {"no": "alerts"}, "text"])
def test_a_broken_payload_is_400(hook, payload):
    assert hook.handle(f"Bearer {TOKEN}", payload)[0] == 400


def test_broken_alerts_inside_a_list_are_skipped(hook):
    status, body = hook.handle(f"Bearer {TOKEN}", {"alerts": [None, {"labels": "x"}, alert()]})
    assert status == 200 and body["rolled_back"]["from"] == "v2" and len(body["ignored"]) == 2


@pytest.mark.parametrize("token", [None, "", "   ", "short-token"])
def test_no_usable_token_no_webhook(sinks, token):
    deployment = Deployment(sinks.monitor("churn", "v1"), ["v1"])
    with pytest.raises(RollbackDisabled, match="OTEL_ML_ROLLBACK_TOKEN"):
        RollbackWebhook(deployment, token, service_name="churn-api")
    with pytest.raises(RollbackDisabled):
        RollbackWebhook.from_env(deployment, environ={"OTEL_SERVICE_NAME": "churn-api"})
    environ = {"OTEL_ML_ROLLBACK_TOKEN": TOKEN, "OTEL_SERVICE_NAME": "churn-api"}
    assert RollbackWebhook.from_env(deployment, environ=environ).authorized(f"Bearer {TOKEN}")


def test_the_token_can_come_from_a_file(sinks, tmp_path):
    deployment = Deployment(sinks.monitor("churn", "v1"), ["v1"])
    secret = tmp_path / "rollback-token"
    secret.write_text(TOKEN + "\n")
    hook = RollbackWebhook.from_env(deployment, environ={"OTEL_ML_ROLLBACK_TOKEN_FILE": str(secret),
                                                         "OTEL_SERVICE_NAME": "churn-api"})
    assert hook.authorized(f"Bearer {TOKEN}")
    with pytest.raises(RollbackDisabled, match="cannot read"):
        RollbackWebhook.from_env(deployment, environ={"OTEL_ML_ROLLBACK_TOKEN_FILE": str(tmp_path / "none"),
                                                      "OTEL_SERVICE_NAME": "churn-api"})


def test_a_webhook_needs_to_know_its_service(sinks):
    deployment = Deployment(sinks.monitor("churn", "v1"), ["v1"])
    with pytest.raises(RollbackDisabled, match="OTEL_SERVICE_NAME"):
        RollbackWebhook.from_env(deployment, environ={"OTEL_ML_ROLLBACK_TOKEN": TOKEN})


def test_alerts_for_another_service_are_ignored(hook):
    status, body = hook.handle(f"Bearer {TOKEN}", {"alerts": [alert(service_name="billing-api"),
                                                              alert(service_name="churn-api")]})
    assert "for service 'billing-api', not 'churn-api'" in body["ignored"][0]
    assert body["rolled_back"] == {"from": "v2", "to": "v1", "alert": "MLHighErrorRate"}
