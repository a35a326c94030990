"""Accuracy before the labels arrive (otel_ml/drift/performance.py): a scikit-learn model whose
inputs shift, estimated from its confidences against the realized accuracy; and where the
estimate cannot follow (concept drift)."""

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier

from otel_ml.drift import DriftProcessor
from otel_ml.drift.performance import PerformanceEstimator, isotonic

FEATURES = 4
TOLERANCE = 0.02
"""The documented error of the estimated accuracy under covariate shift (mean over 5,000
predictions; twice this for precision and recall)."""


def world(rng, rows, centre=0.0, concept=1.0):
    """Inputs around ``centre``; P(y=1 | x) a fixed logistic law (``concept=-1`` flips it)."""
    x = rng.normal(size=(rows, FEATURES))
    x[:, 0] += centre
    p = 1 / (1 + np.exp(-concept * (2.0 * x[:, 0] - 1.0 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3])))
    return x, (rng.random(rows) < p).astype(int)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(41)
    x, y = world(rng, 4000)
    model = GradientBoostingClassifier(n_estimators=60, max_depth=3, random_state=0).fit(x, y)
    x_ref, y_ref = world(rng, 4000)                     # held-out labelled reference, not the training rows
    proba = model.predict_proba(x_ref)
    processor = DriftProcessor.fit(x_ref, [f"x{i}" for i in range(FEATURES)], predictions=model.predict(x_ref),
                                   confidences=proba.max(axis=1), labels=y_ref, window_size=1000,
                                   long_window_size=0, threshold=1e-8, scan=False, multivariate=False,
                                   background=False)
    return model, processor


def window(model, processor, x):
    proba = model.predict_proba(x)
    for row, label, confidence in zip(x, model.predict(x), proba.max(axis=1)):
        processor.update(row, label, confidence)
    return processor.check().estimate


@pytest.mark.parametrize("centre", [0.0, 0.5, 1.0, 2.0, -1.5])
def test_the_estimate_tracks_the_realized_accuracy_as_the_inputs_shift(fitted, centre):
    """Five windows of 1,000 predictions per shift: the realized accuracy of one window has a
    sampling error of about 0.013 by itself, so the estimate is compared over the five."""
    model, processor = fitted
    rng = np.random.default_rng(int(100 + 10 * centre))
    estimated, realized = [], []
    for _ in range(5):
        x, y = world(rng, 1000, centre=centre)
        estimate = window(model, processor, x)
        predicted = model.predict(x)
        assert estimate.rows == 1000
        estimated.append((estimate.accuracy, estimate.precision, estimate.recall))
        realized.append((np.mean(predicted == y), np.mean(y[predicted == 1] == 1), np.mean(predicted[y == 1] == 1)))
    (accuracy, precision, recall), (true_accuracy, true_precision, true_recall) = \
        np.mean(estimated, axis=0), np.mean(realized, axis=0)
    print(f"centre {centre:+}: accuracy estimated {accuracy:.3f} realized {true_accuracy:.3f}; precision "
          f"{precision:.3f} / {true_precision:.3f}; recall {recall:.3f} / {true_recall:.3f}")
    assert abs(accuracy - true_accuracy) <= TOLERANCE
    assert abs(precision - true_precision) <= 2 * TOLERANCE
    assert abs(recall - true_recall) <= 2 * TOLERANCE


def test_a_shift_that_costs_accuracy_is_seen_before_any_label(fitted):
    model, processor = fitted
    rng = np.random.default_rng(7)
    near = window(model, processor, world(rng, 1000, centre=0.0)[0]).accuracy
    far = window(model, processor, world(rng, 1000, centre=2.5)[0]).accuracy      # away from the boundary
    assert far > near + 0.03


def test_concept_drift_is_what_it_cannot_see(fitted):
    model, processor = fitted
    rng = np.random.default_rng(8)
    x, y = world(rng, 1000, concept=-1.0)                # same inputs, the labels mean the opposite
    estimate = window(model, processor, x)
    realized = float(np.mean(model.predict(x) == y))
    assert realized < 0.3 and estimate.accuracy > 0.7    # the estimate stays where it was


def test_the_estimate_comes_with_the_drift_report_and_survives_save_and_load(fitted, tmp_path):
    model, processor = fitted
    path = tmp_path / "reference.npz"
    processor.save(path)
    loaded = DriftProcessor.load(path)
    x = world(np.random.default_rng(9), 1000)[0]
    assert window(model, loaded, x) == window(model, processor, x)


def test_isotonic_is_the_least_squares_non_decreasing_fit():
    rng = np.random.default_rng(3)
    x = rng.random(300)
    y = (rng.random(300) < x).astype(float)
    edges, values = isotonic(x, y)
    assert np.all(np.diff(values) >= 0) and np.all(np.diff(edges) > 0)
    fitted_values = values[np.minimum(np.searchsorted(edges, x), len(values) - 1)]
    from sklearn.isotonic import IsotonicRegression

    reference = IsotonicRegression().fit(x, y).predict(x)
    np.testing.assert_allclose(fitted_values, reference, atol=1e-9)


def test_bad_fits_say_what_to_do():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="at least 200 labelled reference rows"):
        PerformanceEstimator.fit(np.zeros(50), np.full(50, 0.9), np.zeros(50))
    with pytest.raises(ValueError, match="not a class of the reference"):
        PerformanceEstimator.fit(rng.integers(0, 2, 500), rng.random(500), rng.integers(0, 2, 500), positive=7)
    with pytest.raises(ValueError, match="give predictions= and confidences="):
        DriftProcessor.fit(rng.normal(size=(500, 2)), labels=rng.integers(0, 2, 500))


def test_three_classes_and_a_chosen_positive_class():
    """Not the binary default: three classes, ``positive`` named, recall from the mistake shares."""
    rng = np.random.default_rng(13)

    def draw(rows, skew):
        logits = rng.normal(size=(rows, 3)) * 1.5 + np.array([0.0, skew, 0.0])
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        predicted = proba.argmax(axis=1)
        truth = np.array([rng.choice(3, p=p) for p in proba])      # calibrated: the truth follows proba
        return np.array(["a", "b", "c"])[predicted], proba.max(axis=1), np.array(["a", "b", "c"])[truth]

    estimator = PerformanceEstimator.fit(*draw(5000, 0.0), positive="c")
    predicted, confidence, truth = draw(5000, 1.0)                # class b more common now
    estimate = estimator.estimate(predicted, confidence)
    realized_recall = float(np.mean(predicted[truth == "c"] == "c"))
    realized_precision = float(np.mean(truth[predicted == "c"] == "c"))
    print(f"accuracy {estimate.accuracy:.3f} / {np.mean(predicted == truth):.3f}; precision {estimate.precision:.3f}"
          f" / {realized_precision:.3f}; recall {estimate.recall:.3f} / {realized_recall:.3f}")
    assert estimator.positive == "c"
    assert abs(estimate.accuracy - np.mean(predicted == truth)) <= TOLERANCE
    assert abs(estimate.precision - realized_precision) <= 2 * TOLERANCE
    assert abs(estimate.recall - realized_recall) <= 2 * TOLERANCE
