"""The estimators' ``init`` parameter: kept as given, handed to the run, refused in their terms."""

import pytest
from sklearn.base import clone

from mlplab.sklearn import MLPClassifier, MLPRegressor

SMALL = {"hidden_layer_sizes": (8,), "batch_size": 64, "random_state": 0, "max_iter": 2}


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_init_is_a_parameter_with_pytorchs_default(cls):
    assert cls().get_params()["init"] == "default"
    estimator = cls(init="xavier-normal")
    assert clone(estimator).init == "xavier-normal"


def test_the_network_is_built_with_the_scheme(digits, two_targets):
    x_train, _, y_train, _ = digits
    zeros = MLPClassifier(**SMALL, init="zeros").fit(x_train[:200], y_train[:200])
    assert zeros.model_.init == "zeros"
    first = zeros.model_[0].weight.numpy()
    assert (first == first[:1]).all()  # every hidden unit alike: the symmetry of all-zero weights
    x_train, _, y_train, _ = two_targets
    regressor = MLPRegressor(**SMALL, init="kaiming-normal").fit(x_train, y_train)
    assert regressor.model_.init == "kaiming-normal"


def test_an_unknown_scheme_is_named_with_the_parameter(digits):
    x_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match=r"MLPClassifier: init: Unknown initialization scheme"):
        MLPClassifier(**SMALL, init="glorot").fit(x_train, y_train)
