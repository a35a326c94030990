"""The demo service faces hostile clients: every bad request is a 4xx problem document, never a 500.

Each body below answered 500 (or hung) before: JSON nested 5,000 deep (on ``/admin/*`` before the
token was checked), a 400-digit integer, finite features so large that the model overflowed,
a non-hashable ``severity`` in a rollback payload.
"""

from __future__ import annotations

import pytest

from otel_ml import semconv
from tests.demo.test_service import DEPLOY_TOKEN, TOKEN, good_row, served  # noqa: F401 - the fixture

DEEP = b"[" * 5000 + b"]" * 5000


def features_with(stack, value) -> bytes:
    names = stack.data.feature_names
    return ('{"features": {' + ", ".join(f'"{n}": {value}' for n in names) + "}}").encode()


HOSTILE = {
    "nested 5000 deep": ("/predict", lambda stack: DEEP, None),
    "nested in an object": ("/predict", lambda stack: b'{"features": ' + DEEP + b"}", None),
    "nested on rollback, no token": ("/admin/rollback", lambda stack: b'{"alerts": ' + DEEP + b"}", None),
    "nested on rollback, with the token": ("/admin/rollback", lambda stack: b'{"alerts": ' + DEEP + b"}", TOKEN),
    "nested on deploy": ("/admin/deploy", lambda stack: DEEP, DEPLOY_TOKEN),
    "nested on conversion": ("/conversion", lambda stack: b'{"prediction_id": ' + DEEP + b"}", None),
    "a 400-digit integer": ("/predict", lambda stack: features_with(stack, "1" * 400), None),
    "a 5000-digit integer": ("/predict", lambda stack: features_with(stack, "9" * 5000), None),
    "1e308 everywhere": ("/predict", lambda stack: features_with(stack, "1e308"), None),
    "-1e308 everywhere": ("/predict", lambda stack: features_with(stack, "-1e308"), None),
    "a 400-digit conversion value": ("/conversion", lambda stack: b'{"prediction_id": "x", "value": ' + b"1" * 400
                                     + b"}", None),
    "a non-hashable severity": ("/admin/rollback", lambda stack: b'{"alerts": [{"status": "firing", "labels": '
                                b'{"severity": ["critical"], "ml_model_version": "v2"}}]}', TOKEN),
    "labels that are not an object": ("/admin/rollback", lambda stack: b'{"alerts": [{"status": "firing", '
                                      b'"labels": [1, 2]}]}', TOKEN),
    "an alert that is not an object": ("/admin/rollback", lambda stack: b'{"alerts": [7, null, "x"]}', TOKEN),
    "a fault rate of 1e400": ("/admin/deploy", lambda stack: b'{"version": "v1", "fault_rate": 1e400}', DEPLOY_TOKEN),
    "invalid UTF-8": ("/predict", lambda stack: b'{"features": "\xff\xfe"}', None),
    "a lone surrogate": ("/predict", lambda stack: b'{"features": {"\\ud800": 1}}', None),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_body_is_a_4xx_problem_document(served, case):  # noqa: F811
    stack, client, sinks = served
    path, body, token = HOSTILE[case]
    status, content_type, document = client.call("POST", path, raw=body(stack), token=token)
    assert 400 <= status < 500, (status, document)
    assert content_type.startswith("application/problem+json"), content_type
    assert document["status"] == status and document["detail"]
    # and the service still predicts, with nothing counted as a failed prediction
    assert client.call("POST", "/predict", good_row(stack))[0] == 200
    assert sinks.value(semconv.ML_PREDICTIONS, ml__prediction__status="error") == 0


def test_a_conversion_is_credited_once_per_prediction(served):  # noqa: F811
    # before: /conversion took any finite value, any number of times, without authentication:
    # one client pushed ml_business_value_total to +Inf
    stack, client, sinks = served
    prediction_id = client.call("POST", "/predict", good_row(stack))[2]["prediction_id"]
    answers = [client.call("POST", "/conversion", {"prediction_id": prediction_id, "value": 1e6})[0]
               for _ in range(50)]
    assert answers == [200] + [409] * 49
    assert sinks.value(semconv.ML_BUSINESS_VALUE) == 1e6
    assert client.call("POST", "/conversion", {"prediction_id": prediction_id, "value": 1e7})[0] == 422
    assert client.call("POST", "/conversion", {"prediction_id": "made-up", "value": 5})[0] == 404
    assert sinks.value(semconv.ML_BUSINESS_VALUE) == 1e6
    assert sinks.value(semconv.ML_OUTCOMES_UNMATCHED) == 1
