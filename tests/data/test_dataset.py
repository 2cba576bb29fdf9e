"""Tests of mlplab.data.dataset.Dataset."""

import numpy
import pytest

from mlplab.data import Dataset


def make(task="classification", y=None):
    x = numpy.zeros((4, 28, 28), numpy.uint8)
    y = numpy.zeros(4, numpy.int64) if y is None else y
    return Dataset("toy", x, y, x, y, task, 10 if task == "classification" else None, (28, 28))


def test_properties_and_repr():
    data = make()
    assert data.num_features == 784 and data.num_targets == 10
    assert "train=(4, 28, 28)" in repr(data) and "'toy'" in repr(data)
    assert make("regression", numpy.zeros((4, 3))).num_targets == 3
    assert make("regression", numpy.zeros(4)).num_targets == 1


def test_invalid_task():
    with pytest.raises(ValueError, match="Invalid task 'clustering'"):
        make("clustering")
