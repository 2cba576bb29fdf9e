"""The functions and methods tutorial scripts call: values and gradients beside PyTorch (float64),
each new differentiable one also checked by finite differences (mlplab.gradcheck)."""

import math

import numpy as np
import pytest
import torch

import mlplab

A = np.array([[0.5, -1.5, 2.0, 0.3], [1.0, 0.25, -0.75, 1.7], [-0.4, 0.9, 1.1, -2.2]])
V = np.array([0.3, -1.2, 0.8, 2.0])


def pair(array):
    """The same float64 leaf in both libraries."""
    return (
        mlplab.tensor(array, dtype=mlplab.float64, requires_grad=True),
        torch.tensor(array, dtype=torch.float64, requires_grad=True),
    )


def check(f, *arrays, differentiable=True):
    """f(lib, *tensors) agrees in value and gradient; gradcheck passes for mlplab's."""
    ours, theirs = zip(*(pair(a) for a in arrays), strict=True)
    out_a, out_b = f(mlplab, *ours), f(torch, *theirs)
    np.testing.assert_allclose(
        out_a.detach().numpy(), out_b.detach().numpy(), rtol=1e-12, atol=1e-14
    )
    assert out_a.dtype == out_b.detach().numpy().dtype
    if not differentiable:
        return
    weights = np.linspace(0.5, 1.5, out_a.numel()).reshape(out_a.shape)
    (out_a * mlplab.tensor(weights)).sum().backward()
    (out_b * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.asarray(a.grad), b.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert mlplab.gradcheck(lambda *xs: f(mlplab, *xs), [a.detach().requires_grad_() for a in ours])


@pytest.mark.parametrize(
    "f",
    [
        lambda lib, x: lib.sin(x),
        lambda lib, x: lib.cos(x),
        lambda lib, x: x.sin() * x.cos(),
        lambda lib, x: lib.tanh(x),
        lambda lib, x: lib.sigmoid(x),
        lambda lib, x: lib.relu(x + 0.1),
        lambda lib, x: lib.exp(x),
        lambda lib, x: lib.log(abs(x)),
        lambda lib, x: abs(x) + lib.abs(x),
        lambda lib, x: x**2 + lib.pow(x, 3) + x.pow(2),
        lambda lib, x: lib.sum(x, 1),
        lambda lib, x: lib.sum(x, dim=0, keepdim=True),
        lambda lib, x: lib.mean(x, 1),
        lambda lib, x: x.std(),
        lambda lib, x: x.std(1),
        lambda lib, x: x.std(0, unbiased=False),
        lambda lib, x: x.var(dim=1, keepdim=True),
        lambda lib, x: lib.std(x, 1),
        lambda lib, x: lib.var(x),
        lambda lib, x: x.norm(),
        lambda lib, x: x.norm(dim=1),
        lambda lib, x: lib.norm(x, 1),
        lambda lib, x: x.norm(p=3, dim=0),
        lambda lib, x: x.clone() * 2,
        lambda lib, x: lib.clone(x),
        lambda lib, x: x.t() @ x,
        lambda lib, x: lib.t(x),
        lambda lib, x: lib.mm(x, x.t()),
        lambda lib, x: x.mm(x.T),
        lambda lib, x: lib.matmul(x, x.t()),
        lambda lib, x: x.max(1).values,
        lambda lib, x: x.min(dim=0, keepdim=True).values,
        lambda lib, x: lib.max(x, 1)[0],
        lambda lib, x: lib.min(x, 0).values,
        lambda lib, x: x.max(),
        lambda lib, x: lib.amax(x, 1),
        lambda lib, x: lib.maximum(x, x.t().t() * 0.5),
        lambda lib, x: lib.max(x, x * 0.5),
        lambda lib, x: lib.min(x, x * 0.5),
        lambda lib, x: x % 0.7,
    ],
)
def test_functions_match_torch_and_gradcheck(f):
    check(f, A)


def test_mv_matches_torch():
    check(lambda lib, m, v: lib.mv(m, v), A, V)
    check(lambda lib, m, v: m.mv(v), A, V)


def test_max_and_min_along_a_dim_give_values_and_indices_named_as_torch():
    x = mlplab.tensor(A)
    t = torch.tensor(A)
    for name in ("max", "min"):
        ours = getattr(x, name)(1)
        theirs = getattr(t, name)(1)
        values, indices = ours
        np.testing.assert_array_equal(values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())
        assert ours.indices.dtype == mlplab.int64
        kept = getattr(mlplab, name)(x, dim=0, keepdim=True)
        assert kept.values.shape == getattr(torch, name)(t, dim=0, keepdim=True).values.shape
    np.testing.assert_array_equal(mlplab.argmax(x, dim=1).numpy(), torch.argmax(t, dim=1).numpy())
    np.testing.assert_array_equal(x.argmin(1).numpy(), t.argmin(1).numpy())
    assert mlplab.argmax(x).item() == torch.argmax(t).item()


def test_max_along_a_dim_sends_the_gradient_to_the_index_chosen_like_torch():
    tied = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    check(lambda lib, x: x.max(1).values, tied, differentiable=False)
    ours, theirs = pair(tied)
    ours.max(dim=1).values.sum().backward()
    theirs.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(np.asarray(ours.grad), theirs.grad.numpy())


def test_small_helpers_match_torch():
    x, t = mlplab.tensor(A), torch.tensor(A)
    assert x.dim() == t.dim() and x.numel() == t.numel() == mlplab.numel(x)
    assert mlplab.allclose(x, x + 1e-9) == torch.allclose(t, t + 1e-9)
    assert mlplab.allclose(x, x + 1e-3) == torch.allclose(t, t + 1e-3)
    np.testing.assert_allclose(
        mlplab.linspace(-math.pi, math.pi, 7).numpy(), torch.linspace(-math.pi, math.pi, 7).numpy()
    )
    assert mlplab.is_tensor(x) and not mlplab.is_tensor(A)
    with pytest.raises(RuntimeError, match="matrices"):
        mlplab.mm(x, mlplab.tensor(V))
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        mlplab.zeros(2, 2, 2).t()


def test_manual_seed_repeats_the_draws():
    mlplab.manual_seed(3)
    first = mlplab.randn(5).numpy().copy()
    mlplab.manual_seed(3)
    np.testing.assert_array_equal(mlplab.randn(5).numpy(), first)
    assert mlplab.randint(10, (4,)).dtype == mlplab.int64
    assert mlplab.randint(0, 10, (4,)).shape == (4,)


def test_inference_mode_records_nothing_like_no_grad():
    w = mlplab.ones(2, requires_grad=True)
    with mlplab.inference_mode():
        assert not (w * 2).requires_grad
    with mlplab.inference_mode(False):
        assert (w * 2).requires_grad

    @mlplab.inference_mode()
    def predict(x):
        return x * 2

    assert not predict(w).requires_grad


def test_nn_functional_is_where_torch_scripts_look():
    import mlplab.nn.functional as F  # as scripts write it

    x, t = pair(A)
    np.testing.assert_allclose(
        F.relu(x).detach().numpy(), torch.nn.functional.relu(t).detach().numpy()
    )
    np.testing.assert_allclose(
        F.softmax(x, dim=1).detach().numpy(), torch.nn.functional.softmax(t, dim=1).detach().numpy()
    )
    np.testing.assert_allclose(
        F.silu(x).detach().numpy(), torch.nn.functional.silu(t).detach().numpy()
    )
    labels = [0, 3, 1]
    np.testing.assert_allclose(
        F.cross_entropy(x, mlplab.tensor(labels)).item(),
        torch.nn.functional.cross_entropy(t, torch.tensor(labels)).item(),
        rtol=1e-12,
    )
