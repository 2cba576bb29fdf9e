"""Data of the ONNX tests: the digits the estimator export is checked on."""

import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits: x_train, x_test, y_train, y_test."""
    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=0)
