"""MLPRegressor: several targets, losses for outliers, predictions in the targets' units."""

import numpy
import pytest

from mlplab.sklearn import MLPRegressor


def test_two_targets_in_their_units(two_targets):
    x_train, x_test, y_train, y_test = two_targets
    estimator = MLPRegressor((64,), max_iter=60, batch_size=32, random_state=0)
    estimator.fit(x_train, y_train)
    assert estimator.n_outputs_ == 2 and estimator.predict(x_test).shape == y_test.shape
    assert estimator.score(x_test, y_test) > 0.95
    # The network learns standardised targets; predictions come back in the targets' units.
    assert abs(estimator.predict(x_test).std() - y_test.std()) < 0.1 * y_test.std()


def test_one_target_predicts_a_vector(two_targets):
    x_train, x_test, y_train, _ = two_targets
    estimator = MLPRegressor((16,), max_iter=2, random_state=0).fit(x_train, y_train[:, 0])
    assert estimator.n_outputs_ == 1 and estimator.predict(x_test).shape == (len(x_test),)


def test_mae_resists_outliers(two_targets):
    x_train, x_test, y_train, y_test = two_targets
    y_dirty = y_train[:, 0].copy()
    y_dirty[::10] += 50 * y_train[:, 0].std()  # one row in ten far off
    common = {"hidden_layer_sizes": (32,), "max_iter": 80, "batch_size": 32, "random_state": 0}
    errors = {}
    for loss in ("mse", "l1", "huber"):
        estimator = MLPRegressor(**common, loss=loss).fit(x_train, y_dirty)
        errors[loss] = numpy.abs(estimator.predict(x_test) - y_test[:, 0]).mean()
    assert errors["l1"] < 0.5 * errors["mse"]
    assert errors["huber"] < errors["mse"]


def test_loss_of_another_task_is_refused(two_targets):
    x_train, _, y_train, _ = two_targets
    with pytest.raises(ValueError, match="loss: cross-entropy does not suit regression"):
        MLPRegressor(loss="cross-entropy").fit(x_train, y_train)


def test_targets_of_another_width_are_refused_when_continuing(two_targets):
    x_train, _, y_train, _ = two_targets
    estimator = MLPRegressor((8,), random_state=0).partial_fit(x_train, y_train)
    with pytest.raises(ValueError, match="y has 1 target"):
        estimator.partial_fit(x_train, y_train[:, 0])


def test_callable_loss_on_standardised_targets(two_targets):
    x_train, _, y_train, _ = two_targets
    seen = []

    def quartic(outputs, targets):
        seen.append(numpy.asarray(targets))
        return ((outputs - targets) ** 4).mean()

    estimator = MLPRegressor((16,), loss=quartic, max_iter=5, batch_size=300, random_state=0)
    estimator.fit(x_train, y_train)
    assert estimator.loss_curve_[-1] < estimator.loss_curve_[0]
    targets = numpy.concatenate(seen)
    numpy.testing.assert_allclose(targets.std(axis=0), 1.0, rtol=1e-4)  # what the network learns
