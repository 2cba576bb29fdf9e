"""Tests of mlplab.creation: tensors made from a shape."""

import numpy as np
import pytest
import torch

import mlplab


@pytest.mark.parametrize("make", [mlplab.zeros, mlplab.ones])
def test_zeros_and_ones(make):
    assert make(2, 3).shape == (2, 3)
    assert make((2, 3)).shape == (2, 3)
    assert make([4]).shape == (4,)
    assert make().shape == ()
    assert make(2).dtype == np.float32
    assert make(2, dtype="float64").dtype == np.float64
    assert make(2, dtype="int64").dtype == np.int64
    x = make(2, 2, requires_grad=True)
    assert x.requires_grad
    assert x.is_leaf
    fill = 0.0 if make is mlplab.zeros else 1.0
    np.testing.assert_array_equal(x._data, np.full((2, 2), fill))


def test_integer_creation_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mlplab.zeros(2, dtype="int64", requires_grad=True)


@pytest.mark.parametrize("value", [1.5, 7, True])
def test_full_has_the_dtype_torch_gives_its_value(value):
    ours = mlplab.full((2, 3), value)
    theirs = torch.full((2, 3), value)
    assert ours.shape == (2, 3)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours._data, theirs.numpy())


def test_full_with_a_dtype_and_requires_grad():
    x = mlplab.full([2], 3, dtype="float64", requires_grad=True)
    assert x.dtype == np.float64
    assert x.requires_grad
    np.testing.assert_array_equal(x._data, [3.0, 3.0])


def test_like_variants_keep_shape_and_dtype():
    x = mlplab.tensor(np.ones((2, 3), dtype=np.float64))
    for like, fill in [(mlplab.zeros_like, 0.0), (mlplab.ones_like, 1.0)]:
        y = like(x)
        assert y.shape == (2, 3)
        assert y.dtype == np.float64
        np.testing.assert_array_equal(y._data, np.full((2, 3), fill))
        assert like(x, dtype="float32").dtype == np.float32
        assert like(np.zeros(4, dtype=np.int32)).dtype == np.int32
        assert like(x, requires_grad=True).requires_grad


@pytest.mark.parametrize(
    ("args", "dtype"),
    [((5,), np.int64), ((1, 4), np.int64), ((0, 10, 3), np.int64), ((0, 1, 0.25), np.float32)],
)
def test_arange_matches_torch(args, dtype):
    ours = mlplab.arange(*args)
    assert ours.dtype == dtype
    np.testing.assert_array_equal(ours._data, torch.arange(*args).numpy())


def test_arange_with_dtype():
    assert mlplab.arange(3, dtype="float64").dtype == np.float64


def test_eye():
    np.testing.assert_array_equal(mlplab.eye(3)._data, np.eye(3))
    assert mlplab.eye(2, 4).shape == (2, 4)
    assert mlplab.eye(2).dtype == np.float32
    assert mlplab.eye(2, dtype="float64").dtype == np.float64
