"""nn.initializers: each scheme's statistics against its formula and against torch.nn.init,
seeding, ``default`` as the Linear layers have always been built, and the symmetry of ``zeros``."""

import itertools
import json
import math

import numpy as np
import pytest
import torch
from safetensors import safe_open

import mlplab
from mlplab import nn
from mlplab.nn.initializers import INITIALIZERS, gain_of, init_layer, parse_init

WIDTH = 512  # a 512x512 weight: 262,144 samples pin a std within well under 1%


def _layer(spec, activation=None, seed=0):
    """A WIDTH x WIDTH Linear initialised by ``spec`` (activation: the module after it)."""
    layer = nn.Linear(WIDTH, WIDTH, generator=mlplab.Generator(seed))
    return init_layer(layer, spec, activation, mlplab.Generator(seed + 1))


def _torch_weight(fill):
    """A WIDTH x WIDTH weight filled by the torch.nn.init function ``fill``."""
    torch.manual_seed(0)
    weight = torch.empty(WIDTH, WIDTH)
    fill(weight)
    return weight.numpy()


def _check_uniform(values, bound, reference):
    """Samples of U(-bound, bound): inside it, reaching its ends, with its variance, as torch's."""
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert np.abs(values).max() > 0.99 * bound
    np.testing.assert_allclose(values.var(), bound**2 / 3, rtol=0.02)
    np.testing.assert_allclose(np.abs(values).max(), np.abs(reference).max(), rtol=0.01)
    np.testing.assert_allclose(values.std(), reference.std(), rtol=0.02)


def _check_normal(values, std, reference):
    """Samples of N(0, std^2), with the spread of torch's."""
    np.testing.assert_allclose(values.std(), std, rtol=0.02)
    np.testing.assert_allclose(values.mean(), 0, atol=0.02 * std)
    np.testing.assert_allclose(values.std(), reference.std(), rtol=0.02)


def test_xavier_uniform_bound_and_spread_match_the_formula_and_torch():
    layer = _layer("xavier-uniform")
    reference = _torch_weight(torch.nn.init.xavier_uniform_)
    _check_uniform(layer.weight.numpy(), math.sqrt(6 / (WIDTH + WIDTH)), reference)
    assert not layer.bias.numpy().any()


def test_xavier_normal_std_matches_the_formula_and_torch():
    layer = _layer("xavier-normal")
    reference = _torch_weight(torch.nn.init.xavier_normal_)
    _check_normal(layer.weight.numpy(), math.sqrt(2 / (WIDTH + WIDTH)), reference)
    assert not layer.bias.numpy().any()


@pytest.mark.parametrize(
    ("activation", "nonlinearity", "slope"),
    [
        (nn.ReLU(), "relu", 0),
        (nn.Tanh(), "tanh", 0),
        (nn.Sigmoid(), "sigmoid", 0),
        (nn.LeakyReLU(0.2), "leaky_relu", 0.2),
        (None, "linear", 0),
    ],
)
def test_kaiming_schemes_take_the_gain_of_the_next_activation_as_torch_does(
    activation, nonlinearity, slope
):
    std = torch.nn.init.calculate_gain(nonlinearity, slope) / math.sqrt(WIDTH)
    normal = _layer("kaiming-normal", activation)
    _check_normal(
        normal.weight.numpy(),
        std,
        _torch_weight(lambda w: torch.nn.init.kaiming_normal_(w, slope, nonlinearity=nonlinearity)),
    )
    uniform = _layer("kaiming-uniform", activation)
    _check_uniform(
        uniform.weight.numpy(),
        math.sqrt(3) * std,
        _torch_weight(
            lambda w: torch.nn.init.kaiming_uniform_(w, slope, nonlinearity=nonlinearity)
        ),
    )
    assert not normal.bias.numpy().any() and not uniform.bias.numpy().any()


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        (nn.GELU(), ("relu", None)),  # not in calculate_gain's table: ReLU's gain
        (nn.ELU(), ("relu", None)),
        (nn.SiLU(), ("relu", None)),
        (nn.Softmax(), ("linear", None)),  # along an axis, on the output: gain 1
        (nn.Identity(), ("linear", None)),  # not an activation
        (nn.LeakyReLU(0.3), ("leaky_relu", 0.3)),
    ],
)
def test_the_gain_of_activations_outside_the_table(activation, expected):
    assert gain_of(activation) == expected


def test_zeros_and_a_small_normal():
    zeros = _layer("zeros")
    assert not zeros.weight.numpy().any() and not zeros.bias.numpy().any()
    _check_normal(_layer("normal:0.05").weight.numpy(), 0.05, np.random.default_rng(0).normal(
        0, 0.05, (WIDTH, WIDTH)))  # fmt: skip
    assert parse_init("normal") == (INITIALIZERS["normal"], 0.01)
    np.testing.assert_allclose(_layer("normal").weight.numpy().std(), 0.01, rtol=0.02)


def test_default_is_pytorchs_linear_initialisation():
    layer = _layer("default")
    bound = 1 / math.sqrt(WIDTH)
    torch.manual_seed(0)
    reference = torch.nn.Linear(WIDTH, WIDTH).weight.detach().numpy()
    _check_uniform(layer.weight.numpy(), bound, reference)
    assert np.abs(layer.bias.numpy()).max() <= bound and layer.bias.numpy().any()


@pytest.mark.parametrize("spec", [*INITIALIZERS, "normal:0.2"])
def test_the_same_seed_gives_the_same_weights(spec):
    def weights(seed):
        model = nn.MLP("6-16-16-3", activation="relu", init=spec, generator=mlplab.Generator(seed))
        return [p.numpy().tobytes() for p in model.parameters()]

    assert weights(4) == weights(4)
    if spec != "zeros":
        assert weights(4) != weights(5)


def test_default_builds_the_network_the_linear_layers_always_made():
    """The weights of MLP(init="default") are those of its Linear layers built one after another
    with the same generator, as every run before the init setting was made."""
    generator = mlplab.Generator(7)
    reference = [nn.Linear(5, 12, generator=generator), nn.Linear(12, 9, generator=generator),
                 nn.Linear(9, 3, generator=generator)]  # fmt: skip
    model = nn.MLP("5-12-9-3", activation="tanh", dropout=0.1, generator=mlplab.Generator(7))
    built = [p.numpy().tobytes() for p in model.parameters()]
    assert built == [p.numpy().tobytes() for layer in reference for p in layer.parameters()]
    same = nn.MLP("5-12-9-3", "tanh", 0.1, init="default", generator=mlplab.Generator(7))
    assert [p.numpy().tobytes() for p in same.parameters()] == built


def _train(model, steps=30, lr=0.5):
    """Full-batch SGD on cross-entropy over random data."""
    generator = mlplab.Generator(0)
    x = mlplab.tensor(generator.normal((40, 4), 0.0, 1.0, dtype=np.float64))
    y = generator.integers(0, 3, 40)
    for _ in range(steps):
        model.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        for p in model.parameters():
            p._data -= lr * p._grad


def _units_identical(model):
    """Whether every hidden unit has the same incoming weights and bias, and the same outgoing
    weights, as the others of its layer."""
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    for into, out_of in itertools.pairwise(linears):
        w, b, following = into.weight.numpy(), into.bias.numpy(), out_of.weight.numpy()
        same_in = np.all(w == w[:1]) and np.all(b == b[0])
        if not (same_in and np.all(following == following[:, :1])):
            return False
    return True


def test_zeros_keeps_hidden_units_identical_through_training():
    """All weights equal: every unit of a layer gets the same gradient, so they never differ."""
    model = nn.MLP("4-6-5-3", activation="sigmoid", dtype="float64", init="zeros",
                   generator=mlplab.Generator(0))  # fmt: skip
    _train(model)
    assert _units_identical(model)
    assert all(p.numpy().any() for p in model.parameters())  # they learned, all alike
    other = nn.MLP("4-6-5-3", activation="sigmoid", dtype="float64", generator=mlplab.Generator(0))
    _train(other)
    assert not _units_identical(other)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("glorot", r"Unknown initialization scheme 'glorot'; use one of default, xavier-uniform"),
        ("xavier_uniform", r"use one of .*kaiming-normal, zeros, normal\[:STD\]"),
        ("normal:-1", r"init 'normal:-1': STD must be a positive number, e\.g\. normal:0\.01"),
        ("normal:abc", r"STD must be a positive number"),
        ("zeros:1", r"init 'zeros' takes no value, got 'zeros:1'"),
        (None, r"Unknown initialization scheme None"),
    ],
)
def test_bad_schemes_are_named_with_the_known_ones(spec, message):
    with pytest.raises(ValueError, match=message):
        nn.MLP("2-4-2", init=spec)


def test_init_round_trips_in_the_config_and_in_a_model_file(tmp_path):
    model = nn.MLP("3-8-2", activation="relu", init="kaiming-normal", generator=mlplab.Generator(0))
    config = model.get_config()
    assert config["init"] == "kaiming-normal"
    assert nn.MLP.from_config(config).get_config() == config
    mlplab.save(model, tmp_path / "model.safetensors")
    loaded = mlplab.load(tmp_path / "model.safetensors")
    assert loaded.get_config() == config
    assert all(
        a.numpy().tobytes() == b.numpy().tobytes()
        for a, b in zip(model.parameters(), loaded.parameters(), strict=True)
    )


def test_a_default_network_is_described_as_before_init_existed(tmp_path):
    """Without ``init`` in its config (as every file written before the setting), a model file
    loads as the default scheme, and a default network's file is written the same way."""
    model = nn.MLP("3-8-2", activation="tanh", generator=mlplab.Generator(0))
    path = tmp_path / "model.safetensors"
    mlplab.save(model, path)
    with safe_open(path, framework="numpy") as handle:
        spec = json.loads(handle.metadata()["model"])
    assert spec["class"] == "MLP" and "init" not in spec["config"]
    loaded = mlplab.load(path)
    assert loaded.init == "default" and loaded.get_config() == model.get_config()
    assert loaded[0].weight.numpy().tobytes() == model[0].weight.numpy().tobytes()
