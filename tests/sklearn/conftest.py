"""Data of the estimator tests: digits for classification, a two-target regression."""

import pytest
from sklearn.datasets import load_digits, make_regression
from sklearn.model_selection import train_test_split


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits: x_train, x_test, y_train, y_test (float64 pixels 0-16)."""
    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="session")
def two_targets():
    """A smooth regression with two targets: x_train, x_test, y_train, y_test."""
    x, y = make_regression(400, 6, n_informative=4, n_targets=2, noise=1.0, random_state=0)
    return train_test_split(x, y, test_size=0.25, random_state=0)
