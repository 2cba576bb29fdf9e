"""``mlplab.nn.functional``: the functions PyTorch scripts reach as ``torch.nn.functional``.

Everything is :mod:`mlplab.functional` under the same names (``F.relu``, ``F.softmax(x, dim=1)``,
``F.cross_entropy``, ``F.mse_loss``...), plus the activations PyTorch keeps only here.
"""

from mlplab.functional import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    dropout,
    elu,
    gelu,
    huber_loss,
    l1_loss,
    leaky_relu,
    linear,
    log_softmax,
    logsumexp,
    mse_loss,
    nll_loss,
    relu,
    sigmoid,
    softmax,
    softplus,
    tanh,
)


def silu(input):
    """x * sigmoid(x) (also called swish)."""
    return input * sigmoid(input)


__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "huber_loss",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsumexp",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]
