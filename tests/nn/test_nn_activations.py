"""Activation modules and their primitives: values and gradients against PyTorch, gradcheck."""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import nn
from mlplab.nn.module import build_layer, layer_spec

# (mlplab module, torch module); points are kept away from kinks (x = 0) by the data below.
CASES = [
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.ELU(), torch.nn.ELU()),
    (nn.ELU(alpha=0.5), torch.nn.ELU(alpha=0.5)),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    (nn.Softplus(), torch.nn.Softplus()),
    (nn.Softplus(beta=2.0, threshold=5.0), torch.nn.Softplus(beta=2.0, threshold=5.0)),
    (nn.SiLU(), torch.nn.SiLU()),
    (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
    (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)),
    (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
    (nn.LogSoftmax(dim=-1), torch.nn.LogSoftmax(dim=-1)),
]
IDS = [repr(ours) for ours, _ in CASES]


def _data(seed=0, shape=(6, 5), scale=3.0):
    """float64 points with |x| >= 0.05: no kink of ReLU-like functions is hit."""
    x = np.random.default_rng(seed).normal(size=shape) * scale
    return np.where(np.abs(x) < 0.05, 0.5, x)


@pytest.mark.parametrize(("ours", "theirs"), CASES, ids=IDS)
def test_value_and_gradient_match_torch(ours, theirs):
    x = _data()
    upstream = np.random.default_rng(1).normal(size=x.shape)
    a = mlplab.tensor(x, requires_grad=True)
    out = ours(a)
    out.backward(upstream)
    t = torch.tensor(x, requires_grad=True)
    expected = theirs(t)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out._data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(a._grad, t.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize(("ours", "theirs"), CASES, ids=IDS)
def test_gradcheck(ours, theirs):
    x = mlplab.tensor(_data(2, (3, 4), 2.0), requires_grad=True)
    assert mlplab.gradcheck(ours, [x])


@pytest.mark.parametrize(("ours", "theirs"), CASES, ids=IDS)
def test_config_round_trip(ours, theirs):
    rebuilt = build_layer(layer_spec(ours))
    assert type(rebuilt) is type(ours)
    assert rebuilt.get_config() == ours.get_config()
    assert repr(rebuilt) == repr(ours)
    assert list(rebuilt.parameters()) == []


@pytest.mark.parametrize(
    "module", [nn.Sigmoid(), nn.Softplus(), nn.ELU(), nn.GELU(), nn.GELU(approximate="tanh")]
)
def test_extreme_inputs_stay_finite(module):
    x = np.array([-1000.0, -50.0, 0.5, 50.0, 1000.0])
    a = mlplab.tensor(x, requires_grad=True)
    with np.errstate(all="raise"):
        out = module(a)
        out.sum().backward()
    assert np.isfinite(out._data).all()
    assert np.isfinite(a._grad).all()


def test_extreme_inputs_match_torch_in_float64():
    x = np.array([-800.0, -30.0, 30.0, 800.0])
    for ours, theirs in [(nn.Softplus(), torch.nn.Softplus()), (nn.ELU(), torch.nn.ELU())]:
        a = mlplab.tensor(x, requires_grad=True)
        ours(a).sum().backward()
        t = torch.tensor(x, requires_grad=True)
        theirs(t).sum().backward()
        np.testing.assert_allclose(ours(mlplab.tensor(x))._data, theirs(torch.tensor(x)).numpy())
        np.testing.assert_allclose(a._grad, t.grad.numpy())


def test_float32_stays_float32():
    x = mlplab.tensor(_data().astype(np.float32), requires_grad=True)
    for module, _ in CASES:
        out = module(x)
        assert out.dtype == np.float32, module
        out.sum().backward()
        assert x._grad.dtype == np.float32


def test_get_activation_names_every_activation():
    for name, cls in nn.ACTIVATIONS.items():
        assert isinstance(nn.get_activation(name), cls)
    with pytest.raises(ValueError, match="Unknown activation 'swish'; use one of sigmoid, tanh"):
        nn.get_activation("swish")


def test_names_with_dashes_are_the_registry_names():
    assert type(nn.get_activation("leaky-relu")) is nn.LeakyReLU
    assert type(nn.get_activation("log-softmax")) is nn.LogSoftmax
    assert nn.activation_name("leaky-relu") == nn.activation_name("leaky_relu") == "leaky_relu"
    for name in nn.ACTIVATIONS:
        assert nn.activation_name(name) == name
    for bad in ["leaky relu", "ReLU", "", None, 3]:
        with pytest.raises(ValueError, match=f"Unknown activation {bad!r}"):
            nn.activation_name(bad)


def test_hidden_activations_are_all_but_those_along_an_axis():
    hidden = nn.HIDDEN_ACTIVATIONS
    assert hidden == ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softplus", "silu")
    assert set(nn.ACTIVATIONS) - set(nn.HIDDEN_ACTIVATIONS) == {"softmax", "log_softmax"}
    x = _data()
    for name in nn.HIDDEN_ACTIVATIONS:
        # Elementwise: the values do not depend on how the elements are laid out.
        module = nn.get_activation(name)
        np.testing.assert_allclose(
            module(mlplab.tensor(x.ravel()))._data, module(mlplab.tensor(x))._data.ravel()
        )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nn.LeakyReLU("0.1"), "negative_slope must be a finite number"),
        (lambda: nn.ELU(float("nan")), "alpha must be a finite number"),
        (lambda: nn.Softplus(beta=0), "beta must be positive"),
        (lambda: nn.GELU(approximate="fast"), "approximate must be 'none' or 'tanh'"),
        (lambda: nn.Softmax(dim=1.5), "dim must be an int"),
    ],
)
def test_bad_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_reprs_show_settings():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.ReLU()) == "ReLU()"
