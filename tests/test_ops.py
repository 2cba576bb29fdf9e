"""Tests of mlplab.ops: every primitive's gradient by finite differences and against PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mlplab
import mlplab.functional as F
from mlplab import gradcheck
from mlplab.ops import GetItem, unbroadcast

RNG = np.random.default_rng(1234)


def leaf(*shape, low=-2.0, high=2.0, away_from=None):
    """A float64 tensor requiring grad, with values at least 0.1 away from ``away_from``."""
    data = RNG.uniform(low, high, size=shape)
    if away_from is not None:
        near = np.abs(data - away_from) < 0.1
        data = np.where(near, away_from + np.sign(data - away_from + 1e-9) * 0.3, data)
    return mlplab.tensor(data, requires_grad=True)


def positive(*shape):
    """A float64 tensor requiring grad with values in [0.5, 2]."""
    return leaf(*shape, low=0.5, high=2.0)


def torch_twin(t):
    """The same values as a float64 torch leaf that requires grad."""
    return torch.tensor(t._data, dtype=torch.float64, requires_grad=True)


def assert_matches_torch(fn_ours, fn_theirs, *inputs, rtol=1e-12):
    """Values and gradients of sum(w * fn(inputs)) agree with PyTorch's."""
    twins = [torch_twin(t) for t in inputs]
    out, ref = fn_ours(*inputs), fn_theirs(*twins)
    np.testing.assert_allclose(out._data, ref.detach().numpy(), rtol=rtol, atol=1e-14)
    w = RNG.uniform(0.5, 1.5, size=out.shape)
    grads = mlplab.grad((out * w).sum(), list(inputs), allow_unused=True)
    ref_grads = torch.autograd.grad((ref * torch.tensor(w)).sum(), twins, allow_unused=True)
    for g, r in zip(grads, ref_grads, strict=True):
        expected = np.zeros(g.shape) if r is None else r.numpy()
        np.testing.assert_allclose(g, expected, rtol=rtol, atol=1e-14)


BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3, 4), (3, 1)),
    ((1, 3, 1), (2, 1, 4)),
    ((), (2, 3)),
    ((2, 3), ()),
]


# ----------------------------------------------------------------------------- arithmetic
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_PAIRS)
@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a / b,
        lambda a, b: a**b,
        F.add,
        F.sub,
        F.mul,
        F.div,
        F.pow,
    ],
    ids=["add", "sub", "mul", "div", "pow", "F.add", "F.sub", "F.mul", "F.div", "F.pow"],
)
def test_binary_ops_gradcheck_with_broadcasting(op, shape_a, shape_b):
    assert gradcheck(op, [positive(*shape_a), positive(*shape_b)])


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x + 2.5,
        lambda x: 2.5 + x,
        lambda x: x - 2.5,
        lambda x: 2.5 - x,
        lambda x: x * 3.0,
        lambda x: 3.0 * x,
        lambda x: x / 3.0,
        lambda x: 3.0 / x,
        lambda x: x**3,
        lambda x: x**0.5,
        lambda x: x**-1.5,
        lambda x: 2.0**x,
        lambda x: -x,
        lambda x: F.neg(x),
        lambda x: x + np.arange(4.0),
        lambda x: np.arange(4.0) + x,
        lambda x: np.arange(1.0, 5.0) / x,
        lambda x: np.ones((2, 1, 1)) * x,
        lambda x: np.ones((2, 3)) @ x,
    ],
)
def test_ops_with_constants_on_either_side_gradcheck(op):
    assert gradcheck(op, [positive(3, 4)])


def test_ndarray_on_the_left_gives_a_tensor():
    x = positive(3, 4)
    for out in (
        np.ones(4) + x,
        np.ones(4) * x,
        np.ones(4) - x,
        np.ones(4) / x,
        np.ones((2, 3)) @ x,
    ):
        assert isinstance(out, mlplab.Tensor)
        assert out.requires_grad


def test_pow_gradients_match_torch_including_zero_base_and_zero_exponent():
    base = mlplab.tensor([0.0, 0.5, 2.0, 0.0], dtype="float64", requires_grad=True)
    exponent = mlplab.tensor([2.0, 3.0, 0.0, 0.0], dtype="float64", requires_grad=True)
    assert_matches_torch(lambda a, b: a**b, lambda a, b: a**b, base, exponent)
    assert_matches_torch(lambda a: a**0, lambda a: a**0, base)
    assert_matches_torch(lambda a: a**2, lambda a: a**2, base)


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [
        ((3, 4), (4, 5)),
        ((4,), (4, 5)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 3, 4), (4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 3, 4), (2, 4, 5)),
        ((1, 3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((2, 3, 4), (4,)),
    ],
)
def test_matmul_gradcheck(shape_a, shape_b):
    assert gradcheck(lambda a, b: a @ b, [leaf(*shape_a), leaf(*shape_b)])
    assert gradcheck(F.matmul, [leaf(*shape_a), leaf(*shape_b)])


@pytest.mark.parametrize(
    ("shape_a", "shape_b"), [((3, 4), (5, 6)), ((4,), (5,)), ((2, 3, 4), (5, 4, 2)), ((3,), ())]
)
def test_matmul_shape_error_names_both_shapes(shape_a, shape_b):
    a, b = leaf(*shape_a), leaf(*shape_b)
    with pytest.raises(ValueError, match="matmul") as error:
        a @ b
    assert str(shape_a) in str(error.value)
    assert str(shape_b) in str(error.value)


# ----------------------------------------------------------------------------- elementwise
@pytest.mark.parametrize(
    ("fn", "make"),
    [
        (F.exp, lambda: leaf(3, 4)),
        (F.log, lambda: positive(3, 4)),
        (F.sqrt, lambda: positive(3, 4)),
        (F.abs, lambda: leaf(3, 4, away_from=0.0)),
        (F.sigmoid, lambda: leaf(3, 4, low=-6, high=6)),
        (F.tanh, lambda: leaf(3, 4)),
        (F.relu, lambda: leaf(3, 4, away_from=0.0)),
        (F.leaky_relu, lambda: leaf(3, 4, away_from=0.0)),
        (lambda x: F.leaky_relu(x, negative_slope=0.2), lambda: leaf(3, 4, away_from=0.0)),
        (lambda x: x.exp(), lambda: leaf(3, 4)),
        (lambda x: x.log(), lambda: positive(3, 4)),
        (lambda x: x.sqrt(), lambda: positive(3, 4)),
        (lambda x: x.abs(), lambda: leaf(3, 4, away_from=0.0)),
        (lambda x: x.sigmoid(), lambda: leaf(3, 4)),
        (lambda x: x.tanh(), lambda: leaf(3, 4)),
        (lambda x: x.relu(), lambda: leaf(3, 4, away_from=0.0)),
        (lambda x: x.leaky_relu(0.1), lambda: leaf(3, 4, away_from=0.0)),
        (lambda x: x.clip(-1.0, 1.0), lambda: leaf(3, 4, low=-3, high=3)),
        (lambda x: x.clamp(min=-0.5), lambda: leaf(3, 4)),
        (lambda x: F.clip(x, max=0.5), lambda: leaf(3, 4)),
        (lambda x: x.double(), lambda: leaf(3, 4)),
        (lambda x: F.cast(x, "float64"), lambda: leaf(3, 4)),
    ],
)
def test_unary_ops_gradcheck(fn, make):
    assert gradcheck(fn, [make()])


def test_clip_gradient_at_the_bounds_matches_torch():
    x = mlplab.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], dtype="float64", requires_grad=True)
    assert_matches_torch(lambda a: a.clip(-1.0, 1.0), lambda a: a.clamp(-1.0, 1.0), x)
    assert_matches_torch(lambda a: a.clip(min=0.0), lambda a: a.clamp(min=0.0), x)


def test_abs_and_relu_gradient_at_zero_match_torch():
    x = mlplab.tensor([-1.0, 0.0, 1.0], dtype="float64", requires_grad=True)
    assert_matches_torch(F.abs, torch.abs, x)
    assert_matches_torch(F.relu, torch.relu, x)
    assert_matches_torch(
        lambda a: F.leaky_relu(a, 0.1), lambda a: torch.nn.functional.leaky_relu(a, 0.1), x
    )


def test_cast_to_float32_and_back_keeps_the_gradient_dtype():
    x = mlplab.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x._grad.dtype == np.float64
    np.testing.assert_allclose(x._grad, [2.0, 4.0])


def test_cast_to_an_integer_dtype_gives_a_tensor_without_gradient():
    x = mlplab.tensor([1.5, 2.5], requires_grad=True)
    y = x.long()
    assert y.dtype == np.int64
    assert not y.requires_grad
    np.testing.assert_array_equal(y._data, [1, 2])


@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_PAIRS)
@pytest.mark.parametrize("fn", [F.maximum, F.minimum, mlplab.maximum, mlplab.minimum])
def test_maximum_minimum_gradcheck(fn, shape_a, shape_b):
    assert gradcheck(fn, [leaf(*shape_a), leaf(*shape_b)])


def test_maximum_minimum_ties_share_the_gradient_like_torch():
    a = mlplab.tensor([1.0, 2.0, 3.0], dtype="float64", requires_grad=True)
    b = mlplab.tensor([1.0, 1.0, 4.0], dtype="float64", requires_grad=True)
    assert_matches_torch(F.maximum, torch.maximum, a, b)
    assert_matches_torch(F.minimum, torch.minimum, a, b)


@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_PAIRS)
def test_where_gradcheck(shape_a, shape_b):
    out_shape = np.broadcast_shapes(shape_a, shape_b)
    condition = RNG.uniform(size=out_shape) > 0.5
    assert gradcheck(lambda a, b: F.where(condition, a, b), [leaf(*shape_a), leaf(*shape_b)])
    assert gradcheck(lambda a: mlplab.where(condition, a, 0.0), [leaf(*shape_a)])
    assert gradcheck(lambda b: mlplab.where(mlplab.tensor(condition), 1.0, b), [leaf(*shape_b)])


# ----------------------------------------------------------------------------- softmax family
@pytest.mark.parametrize("axis", [0, 1, -1, 2, -3])
def test_softmax_log_softmax_gradcheck(axis):
    assert gradcheck(lambda x: F.softmax(x, axis), [leaf(2, 3, 4)])
    assert gradcheck(lambda x: F.log_softmax(x, axis), [leaf(2, 3, 4)])
    assert gradcheck(lambda x: x.softmax(dim=axis), [leaf(2, 3, 4)])
    assert gradcheck(lambda x: x.log_softmax(dim=axis), [leaf(2, 3, 4)])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_gradcheck(axis, keepdims):
    assert gradcheck(lambda x: F.logsumexp(x, axis, keepdims), [leaf(2, 3, 4)])
    assert_matches_torch(
        lambda x: x.logsumexp(axis=axis, keepdims=keepdims),
        lambda x: torch.logsumexp(x, dim=axis if axis is not None else (0, 1, 2), keepdim=keepdims),
        leaf(2, 3, 4),
    )


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family_matches_torch(axis):
    x = leaf(3, 5, low=-5, high=5)
    assert_matches_torch(lambda t: t.softmax(axis), lambda t: torch.softmax(t, axis), x)
    assert_matches_torch(lambda t: t.log_softmax(axis), lambda t: torch.log_softmax(t, axis), x)


# ----------------------------------------------------------------------------- reductions
REDUCTION_AXES = [None, 0, 1, 2, -1, -2, (0, 1), (0, 2), (-1, -3), (0, 1, 2)]


@pytest.mark.parametrize("axis", REDUCTION_AXES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reductions_gradcheck(name, axis, keepdims):
    x = leaf(2, 3, 4)  # distinct values: no ties
    assert gradcheck(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), [x])
    assert gradcheck(lambda t: getattr(F, name)(t, axis, keepdims), [x])


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin"])
@pytest.mark.parametrize(
    ("axis", "keepdims"), [(None, False), (1, True), (-1, False), ((0, 2), True)]
)
def test_reductions_match_torch(name, axis, keepdims):
    ours = {"amax": "max", "amin": "min"}.get(name, name)
    dims = (0, 1, 2) if axis is None else axis
    assert_matches_torch(
        lambda t: getattr(t, ours)(axis=axis, keepdims=keepdims),
        lambda t: getattr(torch, name)(t, dim=dims, keepdim=keepdims),
        leaf(2, 3, 4),
    )


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp"])
def test_reductions_accept_dim_and_keepdim(name):
    x = leaf(2, 3, 4)
    numpy_style = getattr(x, name)(axis=-2, keepdims=True)
    torch_style = getattr(x, name)(dim=-2, keepdim=True)
    if name in ("max", "min"):  # PyTorch's max(dim) gives (values, indices); amax the values
        torch_style = torch_style.values
        name = f"a{name}"
    assert torch_style.shape == (2, 1, 4)
    np.testing.assert_array_equal(numpy_style._data, torch_style.data)
    assert getattr(x, name)(1).shape == (2, 4)
    assert getattr(x, name)(dim=(0, 2)).shape == (3,)
    assert getattr(x, name)(dim=[0, 2]).shape == (3,)


def test_max_min_return_values_only_like_numpy():
    x = mlplab.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    np.testing.assert_array_equal(x.max(axis=1)._data, [5.0, 7.0])
    np.testing.assert_array_equal(x.min(axis=0)._data, [1.0, 0.0, 2.0])
    assert x.max().item() == 7.0


def test_max_ties_share_the_gradient_like_torch_amax():
    x = mlplab.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype="float64", requires_grad=True)
    assert_matches_torch(lambda t: t.max(axis=1), lambda t: t.amax(dim=1), x)
    assert_matches_torch(lambda t: t.min(), lambda t: t.amin(), x)


@pytest.mark.parametrize("axis", [3, -4, (0, 0), (1, -2)])
def test_reduction_axis_errors(axis):
    with pytest.raises(ValueError, match="axis"):
        leaf(2, 3, 4).sum(axis=axis)


def test_reductions_of_a_scalar_tensor():
    x = mlplab.tensor(2.0, dtype="float64", requires_grad=True)
    assert gradcheck(lambda t: t.sum(), [x])
    assert gradcheck(lambda t: t.mean(axis=0), [x])
    assert gradcheck(lambda t: t.max(axis=-1), [x])


def test_max_of_an_empty_tensor_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        mlplab.zeros(0, 3).max()


# ----------------------------------------------------------------------------- shape
@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.reshape(6, 4),
        lambda x: x.reshape((4, -1)),
        lambda x: F.reshape(x, 24),
        lambda x: x.view(2, 12),
        lambda x: x.flatten(),
        lambda x: x.flatten(1),
        lambda x: x.transpose(),
        lambda x: x.transpose(0, 2),
        lambda x: x.transpose(2, 0, 1),
        lambda x: x.permute(1, 2, 0),
        lambda x: x.permute((-1, 0, 1)),
        lambda x: x.swapaxes(-1, 0),
        lambda x: x.T,
        lambda x: x.unsqueeze(1),
        lambda x: x.unsqueeze(-1),
        lambda x: x.reshape(2, 1, 3, 4).squeeze(),
        lambda x: x.reshape(2, 1, 3, 4).squeeze(1),
    ],
)
def test_shape_ops_gradcheck(fn):
    assert gradcheck(fn, [leaf(2, 3, 4)])


def test_permute_rejects_a_non_permutation():
    with pytest.raises(ValueError, match="permutation"):
        leaf(2, 3, 4).permute(0, 0, 1)


@pytest.mark.parametrize(
    "index",
    [
        1,
        -1,
        slice(1, None),
        slice(None, None, -2),
        (0, 2),
        (slice(None), 1),
        (Ellipsis, 0),
        (None, 1),
        np.array([0, 2]),
        np.array([2, 2, 0, 2]),
        [0, 0, 1],
        (np.array([0, 1, 1]), np.array([3, 3, 0])),
        (slice(None), np.array([1, 1, 3])),
        (np.array([[0], [2]]), np.array([1, 3])),
        np.array([True, False, True]),
    ],
    ids=repr,
)
def test_getitem_gradcheck(index):
    assert gradcheck(lambda x: x[index], [leaf(3, 4)])


def test_getitem_with_repeated_indices_adds_gradients():
    x = mlplab.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x._grad, [3.0, 0.0, 1.0])


def test_getitem_rows_and_columns_picks_one_element_per_row():
    logits = leaf(4, 3)
    rows, cols = np.arange(4), np.array([2, 0, 1, 2])
    picked = logits[rows, cols]
    np.testing.assert_array_equal(picked._data, logits._data[rows, cols])
    assert_matches_torch(
        lambda t: t[rows, cols],
        lambda t: t[torch.from_numpy(rows), torch.from_numpy(cols)],
        logits,
    )


def test_getitem_accepts_integer_tensors_as_indices():
    x = leaf(3, 4)
    rows, cols = mlplab.tensor([0, 2]), mlplab.tensor([1, 1])
    np.testing.assert_array_equal(x[rows, cols]._data, x._data[[0, 2], [1, 1]])
    assert gradcheck(lambda t: t[rows], [x])
    assert gradcheck(lambda t: t[mlplab.tensor(1)], [x])


def test_getitem_backward_uses_add_at_only_for_advanced_indices():
    ctx = GetItem()
    ctx.shape, ctx.index = (4,), np.array([1, 1])
    np.testing.assert_array_equal(GetItem.backward(ctx, np.ones(2)), [0.0, 2.0, 0.0, 0.0])


@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_concatenate_gradcheck(axis):
    shapes = [(2, 3), (2, 3), (2, 3)]
    shapes = [
        tuple(n + i if k == axis % 2 else n for k, n in enumerate(s)) for i, s in enumerate(shapes)
    ]
    tensors = [leaf(*s) for s in shapes]
    assert gradcheck(lambda *ts: F.concatenate(ts, axis), tensors)
    assert gradcheck(lambda *ts: mlplab.cat(list(ts), dim=axis), tensors)


def test_concatenate_with_a_constant_piece():
    x = leaf(2, 3)
    assert gradcheck(lambda t: mlplab.concatenate([t, np.zeros((1, 3))]), [x])


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_stack_gradcheck(axis):
    tensors = [leaf(2, 3) for _ in range(3)]
    assert gradcheck(lambda *ts: mlplab.stack(ts, axis), tensors)
    assert gradcheck(lambda *ts: F.stack(list(ts), dim=axis), tensors)


def test_stack_and_concatenate_errors():
    with pytest.raises(ValueError, match="one shape"):
        mlplab.stack([leaf(2), leaf(3)])
    with pytest.raises(ValueError, match="at least one"):
        mlplab.stack([])
    with pytest.raises(ValueError, match="at least one"):
        mlplab.concatenate([])


# ----------------------------------------------------------------------------- properties
@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast together, and values for each."""
    shapes, _ = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 2.0, size=s) for s in shapes]


@settings(max_examples=40, deadline=None)
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "div", "maximum"]))
def test_property_broadcast_gradients_match_torch(values, name):
    a, b = (mlplab.tensor(v, requires_grad=True) for v in values)
    ours = getattr(F, name)
    theirs = {"maximum": torch.maximum}.get(name) or getattr(torch, name)
    assert_matches_torch(ours, theirs, a, b)


@settings(max_examples=40, deadline=None)
@given(hnp.array_shapes(min_dims=0, max_dims=4, max_side=4), st.data())
def test_property_unbroadcast_keeps_the_total_and_reaches_the_shape(shape, data):
    target = data.draw(hnp.broadcastable_shapes(shape, min_dims=0, max_dims=len(shape)))
    grad = np.random.default_rng(0).standard_normal(np.broadcast_shapes(shape, target))
    reduced = unbroadcast(grad, target)
    assert reduced.shape == target
    np.testing.assert_allclose(reduced.sum(), grad.sum(), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
    st.data(),
    st.booleans(),
    st.sampled_from(["sum", "mean", "max", "logsumexp"]),
)
def test_property_reduction_gradients_match_torch(shape, data, keepdims, name):
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim))
    axis = tuple(axes) if axes else None
    x = mlplab.tensor(
        np.random.default_rng(7).permutation(np.prod(shape)).reshape(shape) / 3.0,
        requires_grad=True,
    )
    dims = tuple(range(ndim)) if axis is None else axis
    reference = {"max": torch.amax}.get(name) or getattr(torch, name)
    assert_matches_torch(
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
        lambda t: reference(t, dim=dims, keepdim=keepdims),
        x,
    )


@settings(max_examples=40, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), st.data(), st.booleans())
def test_property_sum_gradient_is_the_upstream_gradient_copied_over_the_axes(shape, data, keep):
    ndim = len(shape)
    axes = data.draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=1))
    x = mlplab.tensor(np.ones(shape), requires_grad=True)
    out = x.sum(axis=tuple(axes), keepdims=keep)
    upstream = np.random.default_rng(3).standard_normal(out.shape)
    (grad,) = mlplab.grad(out, x, grad_outputs=upstream)
    expected = np.broadcast_to(
        np.expand_dims(upstream, tuple(axes)) if not keep else upstream, shape
    )
    np.testing.assert_array_equal(grad, expected)
