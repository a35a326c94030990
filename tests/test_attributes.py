"""otel_ml/_attributes.py: every label value, of any type, is bounded by the cap."""

import numpy as np
import pytest

from otel_ml._attributes import BoundedValues
from otel_ml.semconv import OTHER


@pytest.mark.parametrize("make", [lambda i: [i, i + 1], lambda i: {"k": i}, lambda i: np.array([i, i]),
                                  lambda i: i, lambda i: f"label-{i}"],
                         ids=["list", "dict", "array", "int", "str"])
def test_no_more_than_the_limit_of_distinct_values_whatever_their_type(make):
    labels = BoundedValues(limit=5)
    bounded = {labels.bound(make(i)) for i in range(200)}
    assert len(bounded - {OTHER}) == 5 and OTHER in bounded
    assert labels.bound(make(0)) == str(make(0))          # the first ones keep their text


def test_one_and_the_text_one_share_a_slot():
    labels = BoundedValues(limit=1)
    assert [labels.bound(v) for v in (1, "1", 2)] == ["1", "1", OTHER]


def test_values_whose_hash_or_str_raise_are_bounded_not_raised():
    class Hostile:
        def __hash__(self):
            raise RuntimeError("no hash")

        def __str__(self):
            raise RuntimeError("no str")

    labels = BoundedValues(limit=2)
    assert labels.bound(Hostile()) == "<Hostile>"
    assert labels.bound(Hostile()) == "<Hostile>"
