"""Tests of mlplab.data.transforms: scaling, standardising, one-hot, flattening, seeded splits."""

import numpy
import pytest

from mlplab import Generator
from mlplab.data import flatten_images, one_hot, scale_to_unit, standardize, train_val_split


def test_scale_to_unit():
    x = numpy.array([[0, 51, 255]], dtype=numpy.uint8)
    out = scale_to_unit(x)
    assert out.dtype == numpy.float32
    numpy.testing.assert_allclose(out, [[0.0, 0.2, 1.0]], rtol=1e-7)
    assert x.tolist() == [[0, 51, 255]]
    with pytest.raises(TypeError, match="uint8"):
        scale_to_unit(out)


def test_flatten_images_is_a_view():
    x = numpy.zeros((5, 28, 28), numpy.uint8)
    flat = flatten_images(x)
    assert flat.shape == (5, 784) and numpy.shares_memory(flat, x)
    with pytest.raises(ValueError, match="ndim >= 2"):
        flatten_images(numpy.zeros(5))


def test_standardize_uses_training_statistics_only():
    rng = numpy.random.default_rng(0)
    train = rng.normal(3.0, 2.0, (500, 4)).astype(numpy.float32)
    test = rng.normal(3.0, 2.0, (100, 4)).astype(numpy.float32)
    train_s, test_s, mean, std = standardize(train, test)
    assert train_s.dtype == test_s.dtype == mean.dtype == numpy.float32
    numpy.testing.assert_allclose(train_s.mean(0), 0.0, atol=1e-5)
    numpy.testing.assert_allclose(train_s.std(0), 1.0, atol=1e-5)
    numpy.testing.assert_allclose(test_s, (test - train.mean(0)) / train.std(0), rtol=1e-4)
    numpy.testing.assert_allclose(mean, train.mean(0), rtol=1e-5)
    numpy.testing.assert_allclose(std, train.std(0), rtol=1e-5)


def test_standardize_constant_feature_and_integer_input():
    x = numpy.zeros((10, 3), dtype=numpy.uint8)
    x[:, 1] = numpy.arange(10)
    scaled, _, std = standardize(x)
    assert scaled.dtype == numpy.float32 and numpy.isfinite(scaled).all()
    assert (scaled[:, 0] == 0).all() and std[0] > 0


def test_one_hot():
    out = one_hot(numpy.array([2, 0, 1]), 4)
    numpy.testing.assert_array_equal(out, numpy.eye(4, dtype=numpy.float32)[[2, 0, 1]])
    assert out.dtype == numpy.float32
    assert one_hot(numpy.array([1]), 2, dtype=numpy.float64).dtype == numpy.float64
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        one_hot(numpy.array([0, 3]), 3)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        one_hot(numpy.array([-1]), 3)
    with pytest.raises(TypeError, match="integer"):
        one_hot(numpy.array([0.5]), 3)


def test_train_val_split_partitions_reproducibly():
    x = numpy.arange(100).reshape(50, 2)
    y = numpy.arange(50)
    xt, yt, xv, yv = train_val_split(x, y, 0.2, Generator(0))
    assert len(xt) == 40 and len(xv) == 10
    assert sorted(numpy.concatenate([yt, yv]).tolist()) == list(range(50))
    numpy.testing.assert_array_equal(xt[:, 0] // 2, yt)
    again = train_val_split(x, y, 0.2, Generator(0))
    numpy.testing.assert_array_equal(again[3], yv)
    assert not numpy.array_equal(train_val_split(x, y, 0.2, Generator(1))[3], yv)


def test_train_val_split_keeps_both_sides_non_empty():
    x, y = numpy.zeros((3, 1)), numpy.zeros(3)
    assert len(train_val_split(x, y, 0.01, Generator(0))[2]) == 1
    assert len(train_val_split(x, y, 0.99, Generator(0))[0]) == 1


@pytest.mark.parametrize(
    ("x", "y", "fraction", "message"),
    [
        (numpy.zeros((4, 1)), numpy.zeros(3), 0.5, "differ in length"),
        (numpy.zeros((4, 1)), numpy.zeros(4), 0.0, "val_fraction"),
        (numpy.zeros((4, 1)), numpy.zeros(4), 1.0, "val_fraction"),
        (numpy.zeros((1, 1)), numpy.zeros(1), 0.5, "Cannot split 1"),
    ],
)
def test_train_val_split_errors(x, y, fraction, message):
    with pytest.raises(ValueError, match=message):
        train_val_split(x, y, fraction, Generator(0))
