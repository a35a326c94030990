"""Every prediction is counted, whatever it was given: a property over the public API.

Hostile values (overflowing numbers, objects whose conversions or hashing raise, huge strings,
deep nesting) as features, labels, confidences and values, through ``predict``/``record``,
``record_batch`` and ``wrap``: the caller never sees an exception of otel_ml's, and the number of
predictions counted on the metric (and logged, and stored) equals the number made.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_ml import semconv


class Hostile:
    """An object whose every conversion raises."""

    def __hash__(self) -> int:
        raise RuntimeError("no hash")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq")

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:      # for hypothesis's report; otel_ml never calls it
        return "Hostile()"

    def __float__(self) -> float:
        raise RuntimeError("no float")

    def __len__(self) -> int:
        raise RuntimeError("no len")

    def __iter__(self) -> Any:
        raise RuntimeError("no iter")


def nested(depth: int) -> Any:
    value: Any = 1.0
    for _ in range(depth):
        value = [value]
    return value


scalars = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10 ** 400), max_value=10 ** 400), st.text(max_size=30),
    st.just("x" * 100_000), st.just(10 ** 400), st.just(-(10 ** 400)), st.just(1e308), st.just(float("nan")),
    st.builds(Hostile), st.just(nested(3000)), st.just(b"\xff\xfe"), st.just(object()),
    st.just({"a": [1, {"b": None}]}), st.just(np.array([1.0, np.nan])), st.just(np.float32(2.5)),
)
rows = st.one_of(scalars, st.lists(scalars, max_size=6), st.dictionaries(st.text(max_size=5), scalars, max_size=4),
                 st.just(np.array([[1.0, 2.0], [3.0, 4.0]])))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(features=rows, label=scalars, confidence=scalars, value=scalars)
def test_one_prediction_is_counted_once_whatever_it_holds(sinks, features, label, confidence, value):
    monitor = sinks.monitor("hostile", feature_names=["a", "b"], capture_features=True)
    before = sinks.value(semconv.ML_PREDICTIONS, ml__model__name="hostile")
    with monitor.predict(features) as p:
        p.record(label, confidence=confidence, value=value)
    assert isinstance(p.id, str)
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__name="hostile") - before == 1


@pytest.mark.slow
@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(labels=st.lists(scalars, min_size=1, max_size=5),
       confidences=st.one_of(st.none(), st.lists(scalars, max_size=5)),
       features=st.one_of(st.none(), st.lists(rows, max_size=5)))
def test_a_batch_is_counted_row_by_row_whatever_it_holds(sinks, labels, confidences, features):
    monitor = sinks.monitor("hostile-batch")
    before = sinks.value(semconv.ML_PREDICTIONS, ml__model__name="hostile-batch")
    with monitor.predict(features) as p:
        p.record_batch(labels, confidences=confidences)
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__name="hostile-batch") - before == len(labels)


def test_a_hostile_prediction_is_logged_and_stored_too(sinks):
    monitor = sinks.monitor("hostile-all", feature_names=["a"], capture_features=True)
    made = [(Hostile(), Hostile(), Hostile()), (10 ** 400, 10 ** 400, 10 ** 400), (nested(5000), "x" * 10 ** 6, 1e308),
            ([math.inf], b"\xff", -(10 ** 400))]
    ids = []
    for features, label, confidence in made:
        with monitor.predict(features) as p:
            p.record(label, confidence=confidence)
        ids.append(p.id)
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__name="hostile-all") == len(made)
    records = [r for r in sinks.logs() if r.attributes.get(semconv.ML_MODEL_NAME) == "hostile-all"]
    assert len(records) == len(made)
    assert [monitor.record_outcome(i, actual="a") for i in ids] == [True] * len(made)


def test_a_wrapped_model_answering_hostile_values_is_counted(sinks):
    class Model:
        def predict(self, x: Any) -> Any:
            return [Hostile(), 10 ** 400, "y" * 10 ** 5][: len(x)]

    model = sinks.monitor("hostile-wrap").wrap(Model())
    model.predict([[1.0], [2.0], [3.0]])
    assert sinks.value(semconv.ML_PREDICTIONS, ml__model__name="hostile-wrap") == 3
