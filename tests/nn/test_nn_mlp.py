"""MLP: construction from sizes, config, and what depth with a nonlinearity buys: XOR and two
spirals learnt to 100% training accuracy, and not without the activation (then the network is
one linear map)."""

import numpy as np
import pytest

import mlplab
from mlplab import nn

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


def two_spirals(n, generator):
    """``n`` points on two interleaved spirals (1.5 turns each), labels 0 and 1."""
    radius = np.sqrt(generator.uniform((n,), 0.02, 1.0, dtype=np.float64))
    labels = generator.integers(0, 2, n)
    angle = radius * 3 * np.pi + labels * np.pi
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points + generator.normal((n, 2), 0.0, 0.01, dtype=np.float64), labels


def train_sgd(model, x, y, steps, lr):
    """Full-batch plain SGD (p -= lr * grad) on cross-entropy; returns the training accuracy."""
    loss_fn = nn.CrossEntropyLoss()
    inputs = mlplab.tensor(x)
    for _ in range(steps):
        model.zero_grad()
        loss_fn(model(inputs), y).backward()
        for p in model.parameters():
            p._data -= lr * p._grad
    with mlplab.no_grad():
        return float((model(inputs)._data.argmax(axis=1) == y).mean())


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "gelu"])
def test_mlp_learns_xor(activation):
    model = nn.MLP("2-8-2", activation=activation, dtype="float64", generator=mlplab.Generator(0))
    assert train_sgd(model, XOR_X, XOR_Y, steps=1500, lr=1.0) == 1.0


def test_linear_network_cannot_learn_xor():
    """No line separates XOR: a linear model gets at most 3 of the 4 points right."""
    model = nn.MLP("2-8-8-2", activation=None, dtype="float64", generator=mlplab.Generator(0))
    assert train_sgd(model, XOR_X, XOR_Y, steps=1500, lr=0.5) <= 0.75


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_mlp_learns_two_spirals(activation):
    x, y = two_spirals(200, mlplab.Generator(0))
    model = nn.MLP(
        "2-32-32-2", activation=activation, dtype="float64", generator=mlplab.Generator(1)
    )
    assert train_sgd(model, x, y, steps=2000, lr=0.5) == 1.0


def test_linear_network_cannot_learn_two_spirals():
    x, y = two_spirals(200, mlplab.Generator(0))
    model = nn.MLP("2-32-32-2", activation=None, dtype="float64", generator=mlplab.Generator(1))
    assert train_sgd(model, x, y, steps=1000, lr=0.1) < 0.8


def test_layers_without_activation_are_one_linear_map():
    model = nn.MLP("3-5-4-2", activation=None, dtype="float64", generator=mlplab.Generator(2))
    w1, b1, w2, b2, w3, b3 = (p._data for p in model.parameters())
    weight = w3 @ w2 @ w1
    bias = w3 @ (w2 @ b1 + b2) + b3
    x = np.random.default_rng(0).normal(size=(6, 3))
    np.testing.assert_allclose(model(mlplab.tensor(x))._data, x @ weight.T + bias, rtol=1e-12)


# ----------------------------------------------------------------------------- construction
def test_sizes_from_a_string_or_a_list():
    assert nn.parse_sizes("784-256-512-10") == [784, 256, 512, 10]
    assert nn.parse_sizes((4, 2)) == [4, 2]
    a = nn.MLP("784-256-512-10", generator=mlplab.Generator(0))
    b = nn.MLP([784, 256, 512, 10], generator=mlplab.Generator(0))
    assert repr(a) == repr(b)
    assert a.parameter_count().total == 784 * 256 + 256 + 256 * 512 + 512 + 512 * 10 + 10
    assert all(
        pa._data.tobytes() == pb._data.tobytes()
        for pa, pb in zip(a.parameters(), b.parameters(), strict=True)
    )


def test_structure_with_dropout_and_output_activation():
    model = nn.MLP("4-8-6-3", activation="elu", dropout=0.2, output_activation="softmax")
    kinds = [type(layer).__name__ for layer in model]
    assert kinds == ["Linear", "ELU", "Dropout", "Linear", "ELU", "Dropout", "Linear", "Softmax"]
    out = model.eval()(mlplab.randn(5, 4))
    np.testing.assert_allclose(out._data.sum(axis=1), 1, rtol=1e-6)


def test_config_round_trips_and_follows_a_replaced_head():
    model = nn.MLP("4-8-3", activation="leaky_relu", dropout=0.1, dtype="float64")
    config = model.get_config()
    assert config == {
        "sizes": [4, 8, 3],
        "activation": "leaky_relu",
        "dropout": 0.1,
        "output_activation": None,
        "bias": True,
        "dtype": "float64",
    }
    assert repr(nn.MLP.from_config(config)) == repr(model)
    model[-1] = nn.Linear(8, 2, dtype="float64")
    assert model.get_config()["sizes"] == [4, 8, 2]


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ("784-abc-10", "Invalid layer sizes '784-abc-10'"),
        ("784", "need an input and an output width"),
        ([4, 0, 2], "all positive"),
        (7, "use a list of ints"),
        ([4.0, 2], "use a list of ints"),
    ],
)
def test_bad_sizes_are_named(sizes, message):
    with pytest.raises(ValueError, match=message):
        nn.MLP(sizes)


def test_bad_activation_and_dropout_are_named():
    with pytest.raises(ValueError, match="Unknown activation 'swish'"):
        nn.MLP("2-2-2", activation="swish")
    with pytest.raises(ValueError, match=r"Invalid dropout probability: -0\.1"):
        nn.MLP("2-2", dropout=-0.1)


# ----------------------------------------------------------------------- per-layer activations
def test_one_activation_per_hidden_layer():
    model = nn.MLP("2-8-8-6-2", activation=["tanh", None, "leaky-relu"], dropout=0.1)
    kinds = [type(layer) for layer in model]
    assert kinds == [
        nn.Linear,
        nn.Tanh,
        nn.Dropout,
        nn.Linear,
        nn.Dropout,
        nn.Linear,
        nn.LeakyReLU,
        nn.Dropout,
        nn.Linear,
    ]
    assert model(mlplab.randn(3, 2)).shape == (3, 2)


def test_a_per_layer_sequence_may_be_a_tuple_and_equal_names_build_the_shared_network():
    shared = nn.MLP("2-8-8-2", activation="relu", generator=mlplab.Generator(0))
    per_layer = nn.MLP("2-8-8-2", activation=("relu", "relu"), generator=mlplab.Generator(0))
    assert repr(shared) == repr(per_layer)
    assert shared.get_config()["activation"] == "relu"
    assert per_layer.get_config()["activation"] == ["relu", "relu"]


@pytest.mark.parametrize(
    ("sizes", "activation", "message"),
    [
        (
            "2-8-8-2",
            ["tanh"],
            r"MLP 2-8-8-2 has 2 hidden layers, but activation \['tanh'\] names 1",
        ),
        ("2-8-2", ["tanh", "relu"], r"has 1 hidden layers, but activation .* names 2: give one"),
        ("2-2", ["relu"], r"MLP 2-2 has 0 hidden layers"),
        ("2-8-8-2", ["tanh", "swish"], r"Unknown activation 'swish'"),
        ("2-8-2", [3], r"Unknown activation 3"),
    ],
)
def test_bad_per_layer_activations_are_named(sizes, activation, message):
    with pytest.raises(ValueError, match=message):
        nn.MLP(sizes, activation=activation)


def test_per_layer_config_round_trips_with_registry_names():
    model = nn.MLP(
        "3-8-8-2",
        activation=["leaky-relu", None],
        output_activation="log-softmax",
        dtype="float64",
        generator=mlplab.Generator(0),
    )
    config = model.get_config()
    assert config["activation"] == ["leaky_relu", None]
    assert config["output_activation"] == "log_softmax"
    rebuilt = nn.MLP.from_config(config)
    assert rebuilt.get_config() == config
    assert [type(layer) for layer in rebuilt] == [type(layer) for layer in model]


def test_a_single_dashed_name_is_stored_as_the_registry_name():
    assert nn.MLP("2-4-2", activation="leaky-relu").get_config()["activation"] == "leaky_relu"
