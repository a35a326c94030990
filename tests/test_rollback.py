"""The rollback webhook: token, payload shapes (Alertmanager and Grafana), and what it ignores."""

import pytest

from otel_ml.deployment import Deployment
from otel_ml.rollback import RollbackDisabled, RollbackWebhook

TOKEN = "a-token-of-24-characters"


@pytest.fixture
def hook(sinks):
    deployment = Deployment(sinks.monitor("churn", "v1"), ["v1", "v2"], meter_provider=sinks.meter_provider)
    deployment.deploy("v2")
    return RollbackWebhook(deployment, TOKEN)


def alert(**labels):
    base = {"alertname": "MLHighErrorRate", "severity": "critical", "ml_model_name": "churn",
            "ml_model_version": "v2"}
    return {"status": labels.pop("status", "firing"), "labels": {**base, **labels}}


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
])
def test_alerts_that_do_not_concern_the_active_version_are_ignored(hook, other, reason):
    status, body = hook.handle(f"Bearer {TOKEN}", {"alerts": [alert(**other)]})
    assert status == 200 and body["rolled_back"] is None and reason in body["ignored"][0]
    assert hook.deployment.active == "v2"


def test_an_alert_without_a_version_label_is_ignored(hook):
    bare = alert()
    del bare["labels"]["ml_model_version"]
    assert "no ml_model_version label" in hook.handle(f"Bearer {TOKEN}", {"alerts": [bare]})[1]["ignored"][0]


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
        RollbackWebhook(deployment, token)
    with pytest.raises(RollbackDisabled):
        RollbackWebhook.from_env(deployment, environ={})
    assert RollbackWebhook.from_env(deployment, environ={"OTEL_ML_ROLLBACK_TOKEN": TOKEN}).authorized(f"Bearer {TOKEN}")


def test_alerts_for_another_service_are_ignored(sinks):
    deployment = Deployment(sinks.monitor("churn", "v1"), ["v1", "v2"], meter_provider=sinks.meter_provider)
    deployment.deploy("v2")
    hook = RollbackWebhook(deployment, TOKEN, service_name="churn-api")
    status, body = hook.handle(f"Bearer {TOKEN}", {"alerts": [alert(service_name="billing-api"),
                                                              alert(service_name="churn-api")]})
    assert "for service 'billing-api', not 'churn-api'" in body["ignored"][0]
    assert body["rolled_back"] == {"from": "v2", "to": "v1", "alert": "MLHighErrorRate"}
