"""Layers: Linear against PyTorch, Sequential, Identity, Flatten, Dropout, and the layer contract
(output shape, parameter count, config round trip) for every built-in layer."""

import math

import numpy as np
import pytest
import torch

import mlplab
from mlplab import functional as F
from mlplab import nn
from mlplab.nn.module import LAYERS, build_layer, layer_spec

RNG = np.random.default_rng(0)


def check_layer_contract(layer, input_shape, output_shape, parameter_count):
    """Every built-in layer: output shape, parameter count, and a config that rebuilds it."""
    dtypes = {p.dtype for p in layer.parameters()} or {np.dtype(np.float32)}
    x = mlplab.tensor(RNG.normal(size=input_shape).astype(dtypes.pop()))
    assert layer(x).shape == output_shape
    assert layer.parameter_count().total == parameter_count
    spec = layer_spec(layer)
    rebuilt = build_layer(spec)
    assert type(rebuilt) is type(layer)
    assert layer_spec(rebuilt) == spec
    assert repr(rebuilt) == repr(layer)
    assert [(n, p.shape) for n, p in rebuilt.named_parameters()] == [
        (n, p.shape) for n, p in layer.named_parameters()
    ]


@pytest.mark.parametrize(
    ("layer", "input_shape", "output_shape", "count"),
    [
        (nn.Linear(5, 3), (4, 5), (4, 3), 18),
        (nn.Linear(5, 3, bias=False), (2, 6, 5), (2, 6, 3), 15),
        (nn.Linear(5, 3, dtype="float64"), (5,), (3,), 18),
        (nn.Sequential(nn.Flatten(), nn.Linear(6, 2), nn.Tanh()), (4, 2, 3), (4, 2), 14),
        (nn.Sequential(), (4, 2), (4, 2), 0),
        (nn.Identity(), (4, 2), (4, 2), 0),
        (nn.Flatten(), (4, 2, 3, 5), (4, 30), 0),
        (nn.Flatten(0, 1), (4, 2, 3), (8, 3), 0),
        (nn.Dropout(0.3), (4, 2), (4, 2), 0),
        (nn.SiLU(), (4, 2), (4, 2), 0),
        (nn.BatchNorm1d(3), (4, 3), (4, 3), 6),
        (nn.BatchNorm1d(3, affine=False, momentum=None), (4, 3, 5), (4, 3, 5), 0),
        (nn.BatchNorm1d(3, bias=False, track_running_stats=False), (4, 3), (4, 3), 3),
        (nn.LayerNorm(5), (4, 5), (4, 5), 10),
        (nn.LayerNorm((2, 5), elementwise_affine=False), (4, 2, 5), (4, 2, 5), 0),
        (nn.LayerNorm(5, bias=False, eps=1e-3, dtype="float64"), (4, 5), (4, 5), 5),
        (
            nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.SiLU(), nn.LayerNorm(3)),
            (6, 4),
            (6, 3),
            15 + 6 + 6,
        ),
        (
            nn.MLP("6-5-4-3", activation="gelu", dropout=0.1, output_activation="softmax"),
            (2, 6),
            (2, 3),
            35 + 24 + 15,
        ),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, nn.Module) else None,
)
def test_layer_contract(layer, input_shape, output_shape, count):
    check_layer_contract(layer, input_shape, output_shape, count)


def test_every_registered_layer_is_covered_by_a_contract():
    assert set(LAYERS) == {
        "Linear", "Sequential", "Identity", "Flatten", "Dropout", "MLP", "Sigmoid", "Tanh",
        "ReLU", "LeakyReLU", "ELU", "GELU", "Softplus", "Softmax", "LogSoftmax", "SiLU",
        "BatchNorm1d", "LayerNorm",
    }  # fmt: skip


# ----------------------------------------------------------------------------- Linear
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("input_shape", [(7, 5), (2, 3, 5), (5,)])
def test_linear_matches_torch(bias, input_shape):
    ours = nn.Linear(5, 3, bias=bias, dtype="float64")
    theirs = torch.nn.Linear(5, 3, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight._data))
        if bias:
            theirs.bias.copy_(torch.tensor(ours.bias._data))
    x = RNG.normal(size=input_shape)
    upstream = RNG.normal(size=(*input_shape[:-1], 3))
    a = mlplab.tensor(x, requires_grad=True)
    out = ours(a)
    out.backward(upstream)
    t = torch.tensor(x, requires_grad=True)
    expected = theirs(t)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out._data, expected.detach().numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(a._grad, t.grad.numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ours.weight._grad, theirs.weight._grad.numpy(), rtol=1e-13)
    if bias:
        np.testing.assert_allclose(ours.bias._grad, theirs.bias._grad.numpy(), rtol=1e-13)


def test_linear_gradcheck():
    x = mlplab.tensor(RNG.normal(size=(4, 3)), requires_grad=True)
    w = mlplab.tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    b = mlplab.tensor(RNG.normal(size=2), requires_grad=True)
    assert mlplab.gradcheck(F.linear, [x, w, b])
    x3 = mlplab.tensor(RNG.normal(size=(2, 2, 3)), requires_grad=True)
    assert mlplab.gradcheck(lambda a, c: F.linear(a, c), [x3, w])


def test_linear_skips_the_input_gradient_when_not_needed():
    layer = nn.Linear(3, 2)
    x = mlplab.randn(4, 3)
    layer(x).sum().backward()
    assert x._grad is None
    assert layer.weight._grad.shape == (2, 3) and layer.bias._grad.shape == (2,)
    assert layer.weight._grad.dtype == np.float32


def test_linear_default_init_is_pytorchs():
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, as torch.nn.Linear."""
    layer = nn.Linear(400, 300, generator=mlplab.Generator(1))
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32
        assert np.abs(p._data).max() <= bound
        assert np.abs(p._data).max() > 0.99 * bound
    # Variance of U(-b, b) is b^2 / 3; 120,000 samples pin it within a few percent.
    np.testing.assert_allclose(layer.weight._data.var(), bound**2 / 3, rtol=0.03)
    np.testing.assert_allclose(layer.weight._data.mean(), 0, atol=0.01 * bound)


def test_linear_same_seed_same_weights():
    a = nn.Linear(6, 4, generator=mlplab.Generator(5))
    b = nn.Linear(6, 4, generator=mlplab.Generator(5))
    c = nn.Linear(6, 4, generator=mlplab.Generator(6))
    assert a.weight._data.tobytes() == b.weight._data.tobytes()
    assert a.bias._data.tobytes() == b.bias._data.tobytes()
    assert a.weight._data.tobytes() != c.weight._data.tobytes()
    mlplab.manual_seed(3)
    d = nn.Linear(6, 4)
    mlplab.manual_seed(3)
    e = nn.Linear(6, 4)
    assert d.weight._data.tobytes() == e.weight._data.tobytes()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nn.Linear(0, 3), "Invalid in_features: 0"),
        (lambda: nn.Linear(3, 2.5), "Invalid out_features: 2.5"),
        (lambda: nn.Linear(3, True), "Invalid out_features: True"),
        (lambda: nn.Linear(3, 2, dtype="int32"), "Invalid dtype 'int32'"),
        (lambda: nn.Dropout(1.5), "Invalid dropout probability: 1.5"),
        (lambda: nn.Flatten("1"), "start_dim must be an int"),
    ],
)
def test_bad_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("layer_dtype", "input_dtype", "hints"),
    [
        ("float32", np.float64, ["x.float()", "astype('float32')", "dtype='float64'"]),
        ("float64", np.float32, ["x.double()", "astype('float64')", "dtype='float32'"]),
        ("float32", np.int64, ["x.float()", "astype('float32')"]),
        ("float32", np.uint8, ["x.float()", "astype('float32')"]),
    ],
)
def test_linear_refuses_an_input_of_another_dtype_as_torch_does(layer_dtype, input_dtype, hints):
    layer = nn.Linear(3, 2, dtype=layer_dtype)
    x = np.ones((4, 3), dtype=input_dtype)
    with pytest.raises(RuntimeError) as caught:
        layer(mlplab.tensor(x))
    message = str(caught.value)
    assert f"input is {np.dtype(input_dtype).name}" in message and layer_dtype in message
    for hint in hints:
        assert hint in message
    if np.dtype(input_dtype).kind != "f":  # no layer of an integer dtype can be built
        assert "build the layer" not in message
    with pytest.raises(RuntimeError, match="input is"):
        layer(x)  # a bare ndarray is checked too
    with pytest.raises(RuntimeError, match="must have the same dtype"):
        torch.nn.Linear(3, 2, dtype=getattr(torch, layer_dtype))(torch.tensor(x))


def test_linear_keeps_the_dtype_of_matching_inputs():
    assert nn.Linear(3, 2)(mlplab.randn(4, 3)).dtype == np.float32
    assert nn.Linear(3, 2, dtype="float64")(mlplab.randn(4, 3, dtype="float64")).dtype == np.float64
    x = mlplab.randn(4, 3).double()
    assert nn.Linear(3, 2, dtype="float64")(x).dtype == np.float64
    assert nn.Linear(3, 2)(x.float()).dtype == np.float32


def test_linear_names_a_wrong_input_width():
    with pytest.raises(ValueError, match="in_features=3"):
        nn.Linear(3, 2)(mlplab.randn(4, 5))


# ----------------------------------------------------------------------------- Sequential
def test_sequential_indexing_slicing_replacing_appending():
    first, act, last = nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)
    model = nn.Sequential(first, act, last)
    assert len(model) == 3 and list(model) == [first, act, last]
    assert model[0] is first and model[-1] is last
    head = model[1:]
    assert isinstance(head, nn.Sequential) and list(head) == [act, last]
    new_last = nn.Linear(4, 5)
    model[-1] = new_last
    assert model[2] is new_last and model(mlplab.randn(2, 3)).shape == (2, 5)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.append(nn.Sigmoid())
    assert len(model) == 4
    with pytest.raises(IndexError, match="index 4 is out of range"):
        model[4]
    with pytest.raises(TypeError, match="argument 1 is a function"):
        nn.Sequential(first, lambda x: x)
    with pytest.raises(TypeError, match="only Modules"):
        model[0] = "layer"


# ----------------------------------------------------------------------------- Dropout
def test_dropout_training_keeps_the_mean_and_drops_at_rate_p():
    p = 0.3
    x = mlplab.ones(200, 500)
    out = nn.Dropout(p, generator=mlplab.Generator(0))(x)._data
    n = out.size
    dropped = (out == 0).mean()
    # Binomial: std of the observed rate is sqrt(p (1 - p) / n) ~ 0.0007; allow 5 sigma.
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n)
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1 / (1 - p), rtol=1e-6)
    # Mean of each element: 1, with std sqrt(p / (1 - p) / n) for the average.
    assert abs(out.mean() - 1) < 5 * math.sqrt(p / (1 - p) / n)


def test_dropout_eval_is_the_identity_and_p_zero_too():
    x = mlplab.randn(10, 10)
    layer = nn.Dropout(0.5).eval()
    assert layer(x) is x
    assert nn.Dropout(0.0)(x) is x


def test_dropout_p_one_zeroes_everything():
    x = mlplab.randn(10, 10, requires_grad=True)
    out = nn.Dropout(1.0)(x)
    assert not out._data.any()
    out.sum().backward()
    assert not x._grad.any()


def test_dropout_same_seed_same_mask_and_gradient_follows_mask():
    x = mlplab.randn(50, 40, requires_grad=True)
    a = nn.Dropout(0.5, generator=mlplab.Generator(7))(x)
    b = nn.Dropout(0.5, generator=mlplab.Generator(7))(x)
    c = nn.Dropout(0.5, generator=mlplab.Generator(8))(x)
    assert a._data.tobytes() == b._data.tobytes()
    assert a._data.tobytes() != c._data.tobytes()
    a.sum().backward()
    expected = np.where(a._data != 0, 2.0, 0.0)
    np.testing.assert_array_equal(x._grad, expected.astype(np.float32))


def test_dropout_default_generator_is_reset_by_manual_seed():
    x = mlplab.ones(30, 30)
    mlplab.manual_seed(11)
    first = F.dropout(x, 0.5)._data.copy()
    mlplab.manual_seed(11)
    np.testing.assert_array_equal(F.dropout(x, 0.5)._data, first)


def test_dropout_keeps_the_dtype():
    assert nn.Dropout(0.5)(mlplab.ones(3, 3)).dtype == np.float32
    assert nn.Dropout(0.5)(mlplab.ones(3, 3, dtype="float64")).dtype == np.float64


# ----------------------------------------------------------------------------- Flatten, Identity
def test_flatten_matches_torch():
    x = RNG.normal(size=(2, 3, 4, 5))
    for args in [(), (0,), (1, 2), (2, -1), (0, -2)]:
        ours = nn.Flatten(*args)(mlplab.tensor(x))._data
        theirs = torch.nn.Flatten(*args)(torch.tensor(x)).numpy()
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match="start_dim 2 comes after end_dim 1"):
        nn.Flatten(2, 1)(mlplab.tensor(x))


def test_identity_returns_its_input():
    x = mlplab.randn(2, 2)
    assert nn.Identity()(x) is x


def test_dropout_gradcheck_with_a_fixed_mask():
    x = mlplab.tensor(RNG.normal(size=(4, 5)), requires_grad=True)
    assert mlplab.gradcheck(lambda a: F.dropout(a, 0.4, generator=mlplab.Generator(0)), [x])
