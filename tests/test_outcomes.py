"""Ground truth and business events tied back to predictions (otel_ml/monitor.py)."""

import pytest

from otel_ml import semconv


def predict(monitor, label, confidence=0.9):
    with monitor.predict() as p:
        p.record(label, confidence=confidence)
    return p.id


def test_accuracy_precision_and_recall_follow_from_the_outcome_counters(sinks):
    monitor = sinks.monitor()
    # (predicted, actual): 3 true positives, 1 false positive, 2 false negatives, 4 true negatives
    pairs = [("1", "1")] * 3 + [("1", "0")] + [("0", "1")] * 2 + [("0", "0")] * 4
    for predicted, actual in pairs:
        assert monitor.record_outcome(predict(monitor, predicted), actual=actual) is True

    def count(**attributes):
        return sinks.value(semconv.ML_OUTCOMES, **attributes)

    accuracy = count(ml__outcome__correct="true") / count()
    precision_1 = count(ml__prediction__label="1", ml__outcome__correct="true") / count(ml__prediction__label="1")
    recall_1 = count(ml__outcome__label="1", ml__outcome__correct="true") / count(ml__outcome__label="1")
    assert (accuracy, precision_1, recall_1) == (0.7, 0.75, 0.6)


def test_regression_outcome_gives_absolute_error(sinks):
    monitor = sinks.monitor("price")
    with monitor.predict() as p:
        p.record(value=100.0)
    assert monitor.record_outcome(p.id, actual=92.5)
    (point,) = sinks.points(semconv.ML_OUTCOME_ABSOLUTE_ERROR)
    assert (point.count, point.sum) == (1, 7.5)


def test_unknown_and_expired_ids_are_counted_not_raised(sinks):
    monitor = sinks.monitor(store_size=2, store_ttl=3600)
    first = predict(monitor, "a")
    predict(monitor, "b")
    predict(monitor, "c")                                   # evicts the first (size 2)
    assert monitor.record_outcome(first, actual="a") is False
    assert monitor.record_outcome("never-seen", actual="a") is False
    assert monitor.record_outcome(None, actual="a") is False
    assert sinks.value(semconv.ML_OUTCOMES_UNMATCHED, ml__outcome__reason="unknown") == 3


def test_expired_id(sinks):
    monitor = sinks.monitor(store_ttl=60)
    clock = [1000.0]
    monitor._store._clock = lambda: clock[0]
    old = predict(monitor, "a")
    clock[0] += 61
    assert monitor.record_outcome(old, actual="a") is False
    assert sinks.value(semconv.ML_OUTCOMES_UNMATCHED, ml__outcome__reason="expired") == 1


def test_outcome_span_links_to_the_prediction_span(sinks):
    monitor = sinks.monitor()
    pid = predict(monitor, "a")
    monitor.record_outcome(pid, actual="b")
    spans = {s.name: s for s in sinks.finished_spans()}
    (link,) = spans["outcome fraud"].links
    assert link.context.span_id == spans["predict fraud"].context.span_id
    assert spans["outcome fraud"].attributes["ml.prediction.id"] == pid


def test_business_events_are_credited_to_the_version_that_predicted(sinks):
    monitor = sinks.monitor(version="v1")
    pid = predict(monitor, "buy")
    monitor.set_version("v2")                                   # a rollout after the prediction
    assert monitor.record_business_event("conversion", value=12.5, prediction_id=pid) is True
    assert monitor.record_business_event("click") is False       # no id: the active version
    assert sinks.value(semconv.ML_BUSINESS_EVENTS, ml__model__version="v1", ml__business__event="conversion") == 1
    assert sinks.value(semconv.ML_BUSINESS_VALUE, ml__model__version="v1") == 12.5
    assert sinks.value(semconv.ML_BUSINESS_EVENTS, ml__model__version="v2", ml__business__event="click") == 1


@pytest.mark.parametrize("value", [-3.0, float("nan"), "lots"], ids=["negative", "nan", "text"])
def test_bad_business_values_are_counted_as_problems(sinks, value):
    monitor = sinks.monitor()
    monitor.record_business_event("refund", value=value)
    assert sinks.value(semconv.ML_BUSINESS_EVENTS, ml__business__event="refund") == 1
    assert sinks.points(semconv.ML_BUSINESS_VALUE) == []
    assert sum(p.value for p in sinks.points(semconv.ML_MONITOR_PROBLEMS)) == 1
