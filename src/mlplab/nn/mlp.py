"""MLP: the multilayer perceptron, Linear layers in series with a nonlinearity between them."""

import itertools

from mlplab.nn.activations import get_activation
from mlplab.nn.layers import Dropout, Linear, Sequential, check_probability
from mlplab.nn.module import register_layer


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


@register_layer
class MLP(Sequential):
    """A multilayer perceptron: Linear, activation, [Dropout], ..., Linear, [output activation].

    Parameters
    ----------
    sizes : str or sequence of int
        Widths from input to output, e.g. "784-256-512-10" or [784, 256, 512, 10].
    activation : str or None
        Nonlinearity after each hidden layer (a name of ``mlplab.nn.ACTIVATIONS``); None for
        none, which leaves a single linear map however many layers there are.
    dropout : float
        Dropout probability after each hidden activation (0: no Dropout layers).
    output_activation : str or None
        Applied to the output, e.g. "softmax"; None for logits (what CrossEntropyLoss expects).
    bias : bool
        Whether the Linear layers have biases.
    dtype : str
        "float32" or "float64".
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
    ):
        sizes = parse_sizes(sizes)
        dropout = check_probability(dropout)
        layers = []
        for index, (width_in, width_out) in enumerate(itertools.pairwise(sizes)):
            layers.append(Linear(width_in, width_out, bias, dtype, generator))
            if index < len(sizes) - 2:
                if activation is not None:
                    layers.append(get_activation(activation))
                if dropout:
                    layers.append(Dropout(dropout, generator))
        if output_activation is not None:
            layers.append(get_activation(output_activation))
        super().__init__(*layers)
        self.activation = activation
        self.dropout = dropout
        self.output_activation = output_activation

    def get_config(self):
        """The constructor's arguments, with the widths read from the Linear layers now present
        (so a replaced head is described by its new width)."""
        linears = [layer for layer in self if isinstance(layer, Linear)]
        return {
            "sizes": [linears[0].in_features] + [layer.out_features for layer in linears],
            "activation": self.activation,
            "dropout": self.dropout,
            "output_activation": self.output_activation,
            "bias": linears[0].bias is not None,
            "dtype": linears[0].dtype.name,
        }

    @classmethod
    def from_config(cls, config):
        """Build an MLP from its config."""
        return cls(**config)
