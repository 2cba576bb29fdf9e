"""Tests of mlplab.functional: the function forms, axis spellings and numerical stability."""

import numpy as np
import pytest
import torch

import mlplab
import mlplab.functional as F

EXTREME_LOGITS = [[1000.0, 0.0], [-1000.0, 0.0], [0.0, 0.0], [3.0, 3.0], [-1000.0, -1000.0]]


def leaf(data, dtype="float64"):
    """A tensor requiring grad."""
    return mlplab.tensor(data, dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------------------- API
@pytest.mark.parametrize(
    "name",
    [
        "add", "sub", "mul", "div", "pow", "neg", "matmul", "exp", "log", "sqrt", "abs", "cast",
        "maximum", "minimum", "clip", "clamp", "where", "sigmoid", "tanh", "relu", "leaky_relu",
        "softmax", "log_softmax", "logsumexp", "sum", "mean", "max", "min", "reshape", "permute",
        "swapaxes", "transpose", "getitem", "concatenate", "cat", "stack",
    ],
)  # fmt: skip
def test_every_operation_is_a_function(name):
    assert callable(getattr(F, name))
    assert getattr(F, name).__doc__


@pytest.mark.parametrize("name", ["concatenate", "cat", "stack", "where", "maximum", "minimum"])
def test_combining_functions_are_at_the_top_level(name):
    assert getattr(mlplab, name) is getattr(F, name)


@pytest.mark.parametrize(
    ("method", "function"),
    [
        (lambda t: t.exp(), F.exp),
        (lambda t: t.sigmoid(), F.sigmoid),
        (lambda t: t.tanh(), F.tanh),
        (lambda t: t.relu(), F.relu),
        (lambda t: t.sum(axis=0), lambda t: F.sum(t, 0)),
        (lambda t: t.mean(dim=1, keepdim=True), lambda t: F.mean(t, axis=1, keepdims=True)),
        (lambda t: t.softmax(0), lambda t: F.softmax(t, dim=0)),
        (lambda t: t.reshape(3, 2), lambda t: F.reshape(t, (3, 2))),
        (lambda t: t.T, F.transpose),
    ],
)
def test_methods_and_functions_agree(method, function):
    x = mlplab.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    np.testing.assert_array_equal(method(x)._data, function(x)._data)


def test_functions_accept_arrays_and_numbers():
    out = F.exp(np.array([0.0, 1.0]))
    assert isinstance(out, mlplab.Tensor)
    np.testing.assert_allclose(out._data, [1.0, np.e])
    assert F.sqrt(4.0).item() == 2.0
    assert F.sum([1.0, 2.0]).item() == 3.0


def test_axis_and_dim_together_must_agree():
    x = mlplab.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.sum(axis=1, dim=1).shape == (2,)
    with pytest.raises(TypeError, match="both axis"):
        x.sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="both axis"):
        F.logsumexp(x, 0, dim=1)


def test_clip_needs_a_bound_and_accepts_tensor_bounds():
    x = mlplab.tensor([-2.0, 0.5, 2.0])
    with pytest.raises(ValueError, match="at least one"):
        F.clip(x)
    np.testing.assert_array_equal(
        x.clip(mlplab.tensor(-1.0), mlplab.tensor(1.0))._data, [-1, 0.5, 1]
    )


def test_values_match_torch():
    data = np.random.default_rng(0).uniform(-3, 3, size=(3, 4))
    x, t = mlplab.tensor(data), torch.tensor(data)
    pairs = [
        (F.sigmoid(x), torch.sigmoid(t)),
        (F.tanh(x), torch.tanh(t)),
        (F.relu(x), torch.relu(t)),
        (F.leaky_relu(x, 0.2), torch.nn.functional.leaky_relu(t, 0.2)),
        (F.softmax(x, 1), torch.softmax(t, 1)),
        (F.log_softmax(x, 0), torch.log_softmax(t, 0)),
        (F.logsumexp(x, 1), torch.logsumexp(t, 1)),
        (F.clip(x, -1, 1), torch.clamp(t, -1, 1)),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- stability
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_is_stable_for_large_inputs(dtype):
    values = np.concatenate(
        [np.linspace(-1e4, 1e4, 201), [-1000, -200, -104, -100, -89, -88, -50, -17, 0]]
    )
    values = np.concatenate([values, -values])
    x = leaf(values, dtype)
    with np.errstate(all="raise"):
        y = x.sigmoid()
        y.sum().backward()
    reference = 1 / (1 + np.exp(-values.astype(np.longdouble)))
    np.testing.assert_allclose(y._data, reference.astype(dtype), rtol=1e-6, atol=0)
    assert np.isfinite(x._grad).all()
    assert (x._grad >= 0).all()
    assert x._grad.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_softmax_of_extreme_logits_is_finite_and_its_gradient_is_softmax_minus_one_hot(dtype):
    logits = leaf(EXTREME_LOGITS, dtype)
    targets = np.array([1, 1, 0, 1, 0])
    with np.errstate(all="raise"):
        out = logits.log_softmax(axis=1)
        loss = -out[np.arange(5), targets].sum()
        loss.backward()
    assert np.isfinite(out._data).all()
    np.testing.assert_allclose(out._data[0], [0.0, -1000.0])
    np.testing.assert_allclose(out._data[1], [-1000.0, 0.0])
    np.testing.assert_allclose(out._data[2], [-np.log(2), -np.log(2)], rtol=1e-6)
    expected = torch.softmax(torch.tensor(EXTREME_LOGITS, dtype=torch.float64), 1).numpy()
    expected[np.arange(5), targets] -= 1
    np.testing.assert_allclose(logits._grad, expected, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_and_logsumexp_of_extreme_logits_are_finite(dtype):
    logits = leaf(EXTREME_LOGITS, dtype)
    with np.errstate(all="raise"):
        probabilities = logits.softmax(dim=-1)
        lse = logits.logsumexp(axis=1)
        (probabilities[:, 0].sum() + lse.sum()).backward()
    reference = torch.tensor(EXTREME_LOGITS, dtype=torch.float64)
    np.testing.assert_allclose(probabilities._data, torch.softmax(reference, 1).numpy(), atol=1e-7)
    np.testing.assert_allclose(lse._data, torch.logsumexp(reference, 1).numpy(), rtol=1e-6)
    assert np.isfinite(logits._grad).all()


def test_logsumexp_of_a_row_of_minus_infinity_is_minus_infinity():
    x = mlplab.tensor([[-np.inf, -np.inf], [0.0, -np.inf]], dtype="float64")
    with np.errstate(divide="ignore"):
        out = x.logsumexp(axis=1)
    np.testing.assert_array_equal(out._data, [-np.inf, 0.0])
