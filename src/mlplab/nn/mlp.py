"""MLP: the multilayer perceptron, Linear layers in series with a nonlinearity between them."""

import itertools
from collections.abc import Sequence

from mlplab.nn.activations import activation_name, get_activation
from mlplab.nn.initializers import init_layer, parse_init
from mlplab.nn.layers import Dropout, Linear, Sequential, check_probability
from mlplab.nn.module import init_enabled, register_layer


def parse_sizes(sizes):
    """Layer widths from "784-256-512-10" or a sequence of ints, checked: at least two, positive."""
    if isinstance(sizes, str):
        try:
            sizes = [int(part) for part in sizes.split("-")]
        except ValueError:
            raise ValueError(
                f"Invalid layer sizes {sizes!r}: write the widths joined by '-', e.g. '784-256-10'"
            ) from None
    if isinstance(sizes, int) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in sizes
    ):
        raise ValueError(f"Invalid layer sizes {sizes!r}: use a list of ints or '784-256-10'")
    sizes = list(sizes)
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(
            f"Invalid layer sizes {sizes!r}: need an input and an output width, all positive"
        )
    return sizes


def _activation_setting(activation, sizes):
    """``activation`` with its names as :data:`ACTIVATIONS` keys: one name or None, or a tuple
    of one name or None per hidden layer of ``sizes``, checked against their number."""
    if activation is None:
        return None
    if isinstance(activation, str) or not isinstance(activation, Sequence):
        return activation_name(activation)
    hidden = len(sizes) - 2
    if len(activation) != hidden:
        raise ValueError(
            f"MLP {'-'.join(map(str, sizes))} has {hidden} hidden layers, but activation "
            f"{list(activation)!r} names {len(activation)}: give one name (or None) per hidden "
            "layer, or a single name for all"
        )
    return tuple(None if name is None else activation_name(name) for name in activation)


@register_layer
class MLP(Sequential):
    """A multilayer perceptron: Linear, activation, [Dropout], ..., Linear, [output activation].

    Parameters
    ----------
    sizes : str or sequence of int
        Widths from input to output, e.g. "784-256-512-10" or [784, 256, 512, 10].
    activation : str or None, or sequence of str or None
        Nonlinearity after each hidden layer (a name of ``mlplab.nn.ACTIVATIONS``, '-' or '_'
        alike), or one such name per hidden layer, e.g. ``["tanh", "relu"]`` for "2-8-8-2";
        None for none (with no activation at all, the layers collapse into a single linear map
        however many there are).
    dropout : float
        Dropout probability after each hidden activation (0: no Dropout layers).
    output_activation : str or None
        Applied to the output, e.g. "softmax"; None for logits (what CrossEntropyLoss expects).
    bias : bool
        Whether the Linear layers have biases.
    dtype : str
        "float32" or "float64".
    init : str
        How the Linear layers get their first weights: a scheme of
        ``mlplab.nn.INITIALIZERS`` ("default" is PyTorch's, "xavier-uniform", "kaiming-normal",
        "zeros", "normal:0.1", ...); the Kaiming schemes take the gain of the activation after
        each layer.
    generator : mlplab.random.Generator, optional
        Source of the initial weights and of the dropout masks.

    Shapes: input (N, sizes[0]) -> output (N, sizes[-1]). It is a Sequential, so ``model[-1]``
    is the output layer and ``model[-1] = Linear(256, 2)`` replaces it.
    """

    def __init__(
        self,
        sizes,
        activation="relu",
        dropout=0.0,
        output_activation=None,
        bias=True,
        dtype="float32",
        generator=None,
        init="default",
    ):
        sizes = parse_sizes(sizes)
        dropout = check_probability(dropout)
        parse_init(init)
        activation = _activation_setting(activation, sizes)
        hidden_activations = (
            activation if isinstance(activation, tuple) else (activation,) * (len(sizes) - 2)
        )
        if output_activation is not None:
            output_activation = activation_name(output_activation)
        after_names = (*hidden_activations, output_activation)  # the activation after each Linear
        layers, followed = [], []  # followed: each Linear with the activation module after it
        for index, (width_in, width_out) in enumerate(itertools.pairwise(sizes)):
            linear = Linear(width_in, width_out, bias, dtype, generator)
            name = after_names[index]
            after = None if name is None else get_activation(name)
            layers += [linear] if after is None else [linear, after]
            if dropout and index < len(hidden_activations):
                layers.append(Dropout(dropout, generator))
            followed.append((linear, after))
        super().__init__(*layers)
        self.activation = activation
        self.dropout = dropout
        self.output_activation = output_activation
        self.init = init
        # Each Linear is built with PyTorch's default, as torch.nn.Linear is; another scheme
        # then re-draws it, as model.apply(init_fn) does in PyTorch. Not while loading a file.
        if init != "default" and init_enabled():
            for linear, after in followed:
                init_layer(linear, init, after, generator)

    def get_config(self):
        """The constructor's arguments, with the widths read from the Linear layers now present
        (so a replaced head is described by its new width) and activations by their registry
        names (a single name stays one name, a per-layer sequence becomes a list). ``init`` is
        there unless it is "default", so a model file saved before it existed reads the same."""
        linears = [layer for layer in self if isinstance(layer, Linear)]
        config = {
            "sizes": [linears[0].in_features] + [layer.out_features for layer in linears],
            # A list, as JSON gives it back, so that a loaded model's config equals the saved one.
            "activation": (
                list(self.activation) if isinstance(self.activation, tuple) else self.activation
            ),
            "dropout": self.dropout,
            "output_activation": self.output_activation,
            "bias": linears[0].bias is not None,
            "dtype": linears[0].dtype.name,
        }
        if self.init != "default":
            config["init"] = self.init
        return config

    @classmethod
    def from_config(cls, config):
        """Build an MLP from its config (one saved before ``init`` existed takes "default")."""
        return cls(**config)
