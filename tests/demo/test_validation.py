"""Request validation: every bad body is a 4xx naming what is wrong."""

import json

import numpy as np
import pytest

from otel_ml.demo.validation import MAX_BODY_BYTES, InvalidRequest, features, fields, json_object

NAMES = ("radius", "texture", "area")


def problems(body: bytes, names=NAMES) -> tuple[int, list[str]]:
    with pytest.raises(InvalidRequest) as caught:
        features(body, names)
    return caught.value.status, caught.value.problems


def test_a_good_body_comes_back_in_feature_order():
    row = features(b'{"features": {"area": 3, "radius": 1.5, "texture": -2}}', NAMES)
    assert row.tolist() == [1.5, -2.0, 3.0] and row.dtype == np.float64


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused_by_name(token):
    status, found = problems(f'{{"features": {{"radius": {token}, "texture": 1, "area": 1}}}}'.encode())
    assert status == 422 and found == ["feature 'radius' is NaN or infinite"]


@pytest.mark.parametrize("value, kind", [('"7"', "str"), ("true", "bool"), ("null", "null"), ("[1]", "list")])
def test_wrong_types_are_refused_with_the_type(value, kind):
    status, found = problems(f'{{"features": {{"radius": 1, "texture": {value}, "area": 1}}}}'.encode())
    assert status == 422 and found == [f"feature 'texture' must be a number, got {kind}"]


def test_missing_and_unknown_features_are_all_listed():
    status, found = problems(b'{"features": {"radius": 1, "colour": 2}}')
    assert status == 422
    assert found == ["missing feature 'texture'", "missing feature 'area'", "unknown feature 'colour'"]


@pytest.mark.parametrize("body, status, fragment", [
    (b"", 400, "empty"),
    (b"{not json", 400, "not valid JSON"),
    (b"[1, 2]", 422, "expected a JSON object, got list"),
    (b'{"rows": []}', 422, '{"features"'),
    (b'{"features": [1, 2, 3]}', 422, '{"features"'),
    (b"\xff\xfe", 400, "not valid JSON"),
])
def test_malformed_bodies(body, status, fragment):
    got, found = problems(body)
    assert got == status and fragment in found[0]


def test_an_oversized_body_is_413():
    body = json.dumps({"features": {"radius": 1}, "pad": "x" * MAX_BODY_BYTES}).encode()
    assert problems(body)[0] == 413


def test_problem_documents_follow_rfc_9457():
    error = InvalidRequest(422, ["a", "b"])
    assert error.body() == {"type": "about:blank", "title": "Invalid request", "status": 422, "detail": "a; b",
                            "errors": ["a", "b"]}


def test_fields_checks_presence_and_type():
    assert fields(b'{"prediction_id": "p1", "value": 2}', {"prediction_id": str, "value": (int, float)}) == \
        {"prediction_id": "p1", "value": 2.0}
    with pytest.raises(InvalidRequest) as caught:
        fields(b'{"prediction_id": 5, "value": NaN}', {"prediction_id": str, "value": (int, float), "x": str})
    assert caught.value.problems == ["field 'prediction_id' must be str, got int", "field 'value' is NaN or infinite",
                                     "missing field 'x'"]
    assert json_object(b' {"a": 1} ') == {"a": 1}
