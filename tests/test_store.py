import pytest

from otel_ml.store import EXPIRED, UNKNOWN, RecentPredictions, StoredPrediction


def entry(t):
    return StoredPrediction("v1", "a", None, None, t)


def test_size_limit_evicts_oldest_first():
    store = RecentPredictions(max_size=3, ttl=100, clock=lambda: 0.0)
    for i in range(5):
        store.add(str(i), entry(0.0))
    assert len(store) == 3
    assert [store.get(str(i))[1] for i in range(5)] == [UNKNOWN, UNKNOWN, None, None, None]


def test_age_limit_expires_and_drops_old_entries():
    now = [0.0]
    store = RecentPredictions(max_size=10, ttl=10, clock=lambda: now[0])
    store.add("old", entry(0.0))
    store.add("new", entry(8.0))
    now[0] = 12.0
    assert store.get("old") == (None, EXPIRED)
    assert store.get("new")[0] is not None
    assert len(store) == 1                       # the expired one is gone


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_size": 0}, "max_size must be at least 1"), ({"ttl": 0}, "ttl must be a positive"),
], ids=["size", "ttl"])
def test_bad_limits(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RecentPredictions(**kwargs)
