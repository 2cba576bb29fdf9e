"""Tests of mlplab.tensor: construction, dtype rules, attributes, conversion and operators."""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import Tensor


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize(
    ("data", "dtype"),
    [
        (1.5, np.float32),
        ([1.0, 2.0], np.float32),
        ([1, 2.5], np.float32),
        ([[1.0], [2.0]], np.float32),
        (3, np.int64),
        ([1, 2, 3], np.int64),
        (True, np.bool_),
        ([True, False], np.bool_),
        (np.array([1.0, 2.0]), np.float64),
        (np.array([1.0], dtype=np.float16), np.float16),
        (np.array([1, 2], dtype=np.int32), np.int32),
        (np.float64(2.0), np.float64),
        (np.uint8(7), np.uint8),
    ],
)
def test_dtype_of_new_tensors_follows_pytorch_for_python_data_and_keeps_array_dtypes(data, dtype):
    assert mlplab.tensor(data).dtype == dtype


def test_python_defaults_are_the_same_as_torch():
    for data in (1.5, [1.0, 2.0], 3, [1, 2], True):
        ours = mlplab.tensor(data).dtype
        theirs = torch.tensor(data).dtype
        assert str(theirs).removeprefix("torch.") == str(ours)


@pytest.mark.parametrize("dtype", ["float64", np.float64, np.dtype("float64"), float])
def test_dtype_accepts_names_types_and_dtypes(dtype):
    assert mlplab.tensor([1, 2], dtype=dtype).dtype == np.float64


def test_unknown_dtype_and_unsupported_data_are_type_errors():
    with pytest.raises(TypeError, match="dtype"):
        mlplab.tensor([1.0], dtype="float128x")
    with pytest.raises(TypeError, match="Cannot make a tensor"):
        mlplab.tensor("abc")
    with pytest.raises(TypeError, match="Cannot make a tensor"):
        mlplab.tensor({"a": 1})
    with pytest.raises(TypeError, match="complex"):
        mlplab.tensor(np.array([1j]))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (mlplab.tensor([1.0]), 2.0, np.float32),
        (2.0, mlplab.tensor([1.0]), np.float32),
        (mlplab.tensor([1.0]), 2, np.float32),
        (mlplab.tensor([1.0]), mlplab.tensor([1.0], dtype="float64"), np.float64),
        (mlplab.tensor([1.0], dtype="float64"), mlplab.tensor([1.0]), np.float64),
        (mlplab.tensor([1.0]), np.array([2.0]), np.float64),
        (mlplab.tensor([1.0]), np.array([2.0], dtype=np.float32), np.float32),
        (mlplab.tensor([1]), 2.5, np.float32),
        (mlplab.tensor([1]), mlplab.tensor([1.0]), np.float32),
        (mlplab.tensor([1]), 2, np.int64),
        (mlplab.tensor([1.0]), mlplab.tensor(2.0, dtype="float64"), np.float32),
        (mlplab.tensor([True]), 2, np.int64),
    ],
)
def test_results_follow_pytorchs_type_promotion(a, b, expected):
    assert (a * b).dtype == expected
    assert (a + b).dtype == expected
    twin = [
        torch.as_tensor(np.asarray(x)) if isinstance(x, Tensor | np.ndarray) else x for x in (a, b)
    ]
    assert torch.empty(0, dtype=(twin[0] * twin[1]).dtype).numpy().dtype == expected


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mlplab.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        mlplab.tensor([True], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        mlplab.tensor([1, 2]).requires_grad_()
    assert mlplab.tensor([1, 2], dtype="float32", requires_grad=True).requires_grad


# ----------------------------------------------------------------------------- attributes
def test_attributes():
    x = mlplab.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert isinstance(x.data, mlplab.Tensor) and not x.data.requires_grad
    assert np.shares_memory(np.asarray(x.data), x.numpy())
    assert x.grad is None
    assert x.requires_grad
    assert x.shape == (2, 3)
    assert x.dtype == np.float32
    assert x.ndim == 2
    assert x.numel() == 6
    assert x.size() == (2, 3)
    assert x.size(1) == 3
    assert len(x) == 2
    assert x.T.shape == (3, 2)
    np.testing.assert_array_equal(x.T.data, x._data.T)
    assert x.is_leaf
    assert x.grad_fn is None


def test_tensor_copies_its_data_and_from_numpy_shares_it():
    array = np.array([1.0, 2.0])
    copied, shared = mlplab.tensor(array), mlplab.from_numpy(array)
    array[0] = 9.0
    assert copied._data[0] == 1.0
    assert shared._data[0] == 9.0
    assert mlplab.as_tensor(array)._data is array
    assert mlplab.as_tensor(shared) is shared
    assert mlplab.as_tensor(array, dtype="float32").dtype == np.float32
    with pytest.raises(TypeError, match="ndarray"):
        mlplab.from_numpy([1.0])


def test_numpy_scalars_on_the_left_give_tensors():
    x = mlplab.tensor([1.0, 2.0], requires_grad=True)
    for out in (np.float32(2.0) * x, np.float64(1.0) + x, np.float32(1.0) / x):
        assert isinstance(out, Tensor)
        assert out.requires_grad


def test_backward_on_a_leaf_adds_the_gradient_given():
    x = mlplab.tensor([1.0, 2.0], requires_grad=True)
    x.backward(np.array([3.0, 4.0], dtype=np.float32))
    np.testing.assert_array_equal(x._grad, [3.0, 4.0])


def test_tensor_of_a_tensor_copies():
    x = mlplab.tensor([1.0, 2.0], requires_grad=True)
    y = Tensor(x)
    assert not y.requires_grad
    y._data[0] = 5.0
    assert x._data[0] == 1.0


def test_numpy_item_tolist():
    x = mlplab.tensor([[1.5, 2.0]])
    assert x.numpy() is x._data
    assert x[0, 1].item() == 2.0
    assert isinstance(x[0, 0].item(), float)
    assert x.tolist() == [[1.5, 2.0]]
    assert float(mlplab.tensor([2.5])) == 2.5
    assert int(mlplab.tensor(3)) == 3
    with pytest.raises(ValueError, match="exactly one element"):
        x.item()


def test_numpy_functions_see_the_data():
    x = mlplab.tensor([1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])
    m = mlplab.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.asarray(m).shape == (2, 2)
    assert np.asarray(m, dtype=np.float64).dtype == np.float64
    assert np.array(m) is not m._data
    assert mlplab.tensor([mlplab.tensor(1.0), mlplab.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_detach_shares_data_and_leaves_the_graph():
    x = mlplab.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.0).detach()
    assert not y.requires_grad
    assert y.grad_fn is None
    d = x.detach()
    d._data[0] = 7.0
    assert x._data[0] == 7.0


def test_requires_grad_():
    x = mlplab.tensor([1.0])
    assert x.requires_grad_() is x
    assert x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    y = mlplab.tensor([1.0], requires_grad=True) * 2.0
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


def test_astype_float_double_long():
    x = mlplab.tensor([1.7, -2.2])
    assert x.double().dtype == np.float64
    assert x.float().dtype == np.float32
    assert x.long().dtype == np.int64
    np.testing.assert_array_equal(x.long()._data, [1, -2])
    assert x.astype("float16").dtype == np.float16


def test_index_and_bool():
    items = ["a", "b", "c"]
    assert items[mlplab.tensor(2)] == "c"
    with pytest.raises(TypeError, match="integer"):
        items[mlplab.tensor(1.0)]
    assert bool(mlplab.tensor(1.0))
    assert not bool(mlplab.tensor([0]))
    with pytest.raises(ValueError, match="one element"):
        bool(mlplab.tensor([1.0, 2.0]))


def test_iteration_gives_rows_that_keep_the_graph():
    x = mlplab.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[0] * 2.0 + rows[1]).sum().backward()
    np.testing.assert_array_equal(x._grad, [[2.0, 2.0], [1.0, 1.0]])


def test_repr():
    assert repr(mlplab.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "requires_grad=True" in repr(mlplab.tensor([1.0], requires_grad=True))
    assert "dtype=float64" in repr(mlplab.tensor(np.array([1.0])))
    assert "grad_fn=<MulBackward>" in repr(mlplab.tensor([1.0], requires_grad=True) * 2.0)


# ----------------------------------------------------------------------------- operators
def test_comparisons_give_bool_tensors_without_gradient():
    x = mlplab.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [
        (x == 2.0, [False, True, False]),
        (x != 2.0, [True, False, True]),
        (x < 2.0, [True, False, False]),
        (x <= 2.0, [True, True, False]),
        (x > mlplab.tensor([0.0, 5.0, 3.0]), [True, False, False]),
        (x >= np.array([1.0, 5.0, 3.0]), [True, False, True]),
    ]:
        assert result.dtype == np.bool_
        assert not result.requires_grad
        np.testing.assert_array_equal(result.data, expected)
    assert len({x, x}) == 1  # hashable by identity


def test_arithmetic_values():
    a = mlplab.tensor([1.0, 2.0])
    b = mlplab.tensor([4.0, 8.0])
    np.testing.assert_array_equal((a + b)._data, [5.0, 10.0])
    np.testing.assert_array_equal((b - a)._data, [3.0, 6.0])
    np.testing.assert_array_equal((a * b)._data, [4.0, 16.0])
    np.testing.assert_array_equal((b / a)._data, [4.0, 4.0])
    np.testing.assert_array_equal((a**2)._data, [1.0, 4.0])
    np.testing.assert_array_equal((2**a)._data, [2.0, 4.0])
    np.testing.assert_array_equal((-a)._data, [-1.0, -2.0])
    assert (+a) is a
    assert (a @ b).item() == 20.0
    np.testing.assert_array_equal((1 - a)._data, [0.0, -1.0])
    np.testing.assert_array_equal((8 / b)._data, [2.0, 1.0])


def test_shape_methods():
    x = mlplab.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.reshape(6, 4).shape == (6, 4)
    assert x.reshape((4, -1)).shape == (4, 6)
    assert x.view(-1).shape == (24,)
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert x.transpose().shape == (4, 3, 2)
    assert x.transpose(0, 2).shape == (4, 3, 2)
    assert x.transpose(1, 2, 0).shape == (3, 4, 2)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.swapaxes(0, 1).shape == (3, 2, 4)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4)
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1)
    y = mlplab.tensor(np.zeros((1, 3, 1)))
    assert y.squeeze().shape == (3,)
    assert y.squeeze(0).shape == (3, 1)
    assert y.squeeze(-1).shape == (1, 3)
    assert y.squeeze(1).shape == (1, 3, 1)
    np.testing.assert_array_equal(x.permute(2, 0, 1)._data, x._data.transpose(2, 0, 1))
    assert mlplab.tensor(5.0).squeeze(0).shape == ()


@pytest.mark.parametrize(("method", "axis"), [("squeeze", 3), ("squeeze", -4), ("unsqueeze", 4)])
def test_squeeze_and_unsqueeze_reject_axes_out_of_range(method, axis):
    with pytest.raises(ValueError, match="out of range"):
        getattr(mlplab.zeros(1, 2, 1), method)(axis)


def test_python_data_with_a_dtype_is_made_in_that_dtype():
    assert mlplab.tensor([1, 2], dtype="float64").dtype == np.float64
    assert mlplab.tensor(2.5, dtype="int32").dtype == np.int32


def test_argmax_argmin():
    x = mlplab.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    np.testing.assert_array_equal(x.argmax(axis=1)._data, [1, 0])
    np.testing.assert_array_equal(x.argmin(dim=0)._data, [0, 1, 0])
    assert x.argmax().item() == 3
    assert x.argmax(1, keepdims=True).shape == (2, 1)
    assert x.argmax(dim=1).dtype == np.int64
