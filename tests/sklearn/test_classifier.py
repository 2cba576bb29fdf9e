"""MLPClassifier: labels of any kind, probabilities, class weights, losses of one's own."""

import numpy
import pytest
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

import mlplab.functional as F
from mlplab.sklearn import MLPClassifier


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # 30 epochs, as ours
def test_learns_digits_as_well_as_sklearn(digits):
    x_train, x_test, y_train, y_test = digits
    ours = MLPClassifier((64,), max_iter=30, random_state=0).fit(x_train, y_train)
    theirs = SklearnMLPClassifier((64,), max_iter=30, random_state=0, tol=0).fit(
        x_train / 16, y_train
    )
    assert ours.score(x_test, y_test) >= theirs.score(x_test / 16, y_test) - 0.01
    assert ours.score(x_test, y_test) > 0.95
    assert ours.n_features_in_ == 64 and len(ours.loss_curve_) == ours.n_iter_ == 30


def test_string_labels_and_probabilities(digits):
    x_train, x_test, y_train, _ = digits
    names = numpy.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                         "nine"])  # fmt: skip
    estimator = MLPClassifier((32,), max_iter=5, random_state=0).fit(x_train, names[y_train])
    assert estimator.classes_.tolist() == sorted(names)
    probabilities = estimator.predict_proba(x_test)
    assert probabilities.shape == (len(x_test), 10)
    numpy.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-12)
    predicted = estimator.predict(x_test)
    assert predicted.dtype == names.dtype
    assert (predicted == estimator.classes_[probabilities.argmax(axis=1)]).all()
    numpy.testing.assert_allclose(
        estimator.predict_log_proba(x_test), numpy.log(probabilities), rtol=1e-12
    )


def test_class_weight_shifts_predictions(digits):
    x_train, x_test, y_train, _ = digits
    common = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}
    plain = MLPClassifier(**common).fit(x_train, y_train)
    weighted = MLPClassifier(**common, class_weight={3: 50.0}).fit(x_train, y_train)
    assert (weighted.predict(x_test) == 3).sum() > (plain.predict(x_test) == 3).sum() + 20
    balanced = MLPClassifier(**common, class_weight="balanced").fit(x_train, y_train)
    assert not numpy.array_equal(balanced.predict_proba(x_test), plain.predict_proba(x_test))


def test_callable_loss_is_the_loss_trained(digits):
    x_train, _, y_train, _ = digits
    calls = []

    def smoothed(logits, labels):
        calls.append(len(labels))
        return F.cross_entropy(logits, labels, label_smoothing=0.2)

    estimator = MLPClassifier((16,), loss=smoothed, batch_size=100, max_iter=2, random_state=0)
    estimator.fit(x_train, y_train)
    assert sum(calls) == 2 * len(x_train)
    plain = MLPClassifier((16,), batch_size=100, max_iter=2, random_state=0).fit(x_train, y_train)
    assert estimator.loss_curve_[0] > plain.loss_curve_[0]  # smoothing adds to the loss


def test_partial_fit_needs_classes_first(digits):
    x_train, _, y_train, _ = digits
    estimator = MLPClassifier((8,), random_state=0)
    with pytest.raises(ValueError, match="classes="):
        estimator.partial_fit(x_train, y_train)
    estimator.partial_fit(x_train[y_train < 5], y_train[y_train < 5], classes=range(10))
    estimator.partial_fit(x_train[y_train >= 5], y_train[y_train >= 5])
    assert estimator.classes_.tolist() == list(range(10)) and estimator.n_iter_ == 2
    with pytest.raises(ValueError, match=r"labels \[11\]"):
        estimator.partial_fit(x_train[:3], [1, 2, 11])


def test_class_weight_errors_are_clear(digits):
    x_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match="partial_fit"):
        MLPClassifier(class_weight="balanced").partial_fit(x_train, y_train, classes=range(10))
    with pytest.raises(ValueError, match="inside your loss"):
        MLPClassifier(class_weight={0: 2.0}, loss=F.cross_entropy).fit(x_train, y_train)
