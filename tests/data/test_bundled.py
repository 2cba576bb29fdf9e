"""Tests of mlplab.data.bundled: scikit-learn's digits and linnerud with a fixed test split."""

import numpy
import pytest

from mlplab import Generator
from mlplab.data import bundled


def test_digits():
    data = bundled.load_digits(seed=0)
    assert data.x_train.shape == (1438, 64) and data.x_test.shape == (359, 64)
    assert data.x_train.dtype == numpy.float64
    assert data.x_train.min() == 0 and data.x_train.max() == 16
    assert data.y_train.dtype == numpy.int64 and data.num_classes == 10
    assert numpy.bincount(numpy.concatenate([data.y_train, data.y_test])).sum() == 1797
    assert data.meta["image_shape"] == (8, 8)
    assert data.meta["seed"] == 0


def test_digits_split_is_seeded_and_disjoint():
    first, again = bundled.load_digits(seed=5), bundled.load_digits(seed=5)
    numpy.testing.assert_array_equal(first.x_test, again.x_test)
    other = bundled.load_digits(seed=6)
    assert not numpy.array_equal(first.y_test, other.y_test)
    rows = {row.tobytes() for row in first.x_train}
    # The 1797 images are all distinct, so not one test image may appear in the training part.
    assert not any(row.tobytes() in rows for row in first.x_test)
    assert len(rows) + len(first.x_test) == 1797


def test_linnerud():
    data = bundled.load_linnerud(seed=0)
    assert data.task == "regression" and data.num_classes is None
    assert data.x_train.shape == (16, 3) and data.y_train.shape == (16, 3)
    assert data.x_test.shape == (4, 3) and data.num_targets == 3
    assert data.target_names == ("Weight", "Waist", "Pulse")
    assert data.meta["feature_names"] == ["Chins", "Situps", "Jumps"]
    assert data.meta["seed"] == 0


@pytest.mark.parametrize("loader", [bundled.load_digits, bundled.load_linnerud])
def test_a_generator_is_no_longer_accepted(loader):
    with pytest.raises(TypeError):
        loader(Generator(0))
