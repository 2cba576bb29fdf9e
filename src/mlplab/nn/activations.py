"""Activation functions as modules: the nonlinearity a neuron applies to its weighted sum.

Without one, layers in series collapse into a single linear map (W2 (W1 x) = (W2 W1) x).
:data:`ACTIVATIONS` names them for :class:`~mlplab.nn.MLP` and the command line;
:data:`HIDDEN_ACTIVATIONS` those that suit hidden layers.
"""

from mlplab import functional as F
from mlplab.nn.module import Module, check_number, register_layer


class _Stateless(Module):
    """An activation without settings."""

    def get_config(self):
        """No settings."""
        return {}


@register_layer
class Sigmoid(_Stateless):
    """1 / (1 + e^-x), in (0, 1)."""

    def forward(self, input):
        """Elementwise sigmoid."""
        return F.sigmoid(input)


@register_layer
class Tanh(_Stateless):
    """tanh x, in (-1, 1)."""

    def forward(self, input):
        """Elementwise tanh."""
        return F.tanh(input)


@register_layer
class ReLU(_Stateless):
    """max(x, 0)."""

    def forward(self, input):
        """Elementwise ReLU."""
        return F.relu(input)


@register_layer
class SiLU(_Stateless):
    """x · sigmoid(x) (also called swish): smooth, and not monotonic just below 0."""

    def forward(self, input):
        """Elementwise SiLU, composed from sigmoid and a product."""
        return input * F.sigmoid(input)


@register_layer
class LeakyReLU(Module):
    """x for x > 0, else negative_slope * x."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = check_number("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, input):
        """Elementwise leaky ReLU."""
        return F.leaky_relu(input, self.negative_slope)

    def get_config(self):
        """The constructor's arguments."""
        return {"negative_slope": self.negative_slope}

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


@register_layer
class ELU(Module):
    """x for x > 0, else alpha * (e^x - 1)."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = check_number("ELU", "alpha", alpha)

    def forward(self, input):
        """Elementwise ELU."""
        return F.elu(input, self.alpha)

    def get_config(self):
        """The constructor's arguments."""
        return {"alpha": self.alpha}

    def extra_repr(self):
        return f"alpha={self.alpha}"


@register_layer
class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF; ``approximate="tanh"`` for the tanh form."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        """Elementwise GELU."""
        return F.gelu(input, self.approximate)

    def get_config(self):
        """The constructor's arguments."""
        return {"approximate": self.approximate}

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


@register_layer
class Softplus(Module):
    """log(1 + e^(beta x)) / beta, a smooth ReLU; x itself where beta x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        if check_number("Softplus", "beta", beta) <= 0:
            raise ValueError(f"Softplus: beta must be positive, got {beta!r}")
        self.beta = beta
        self.threshold = check_number("Softplus", "threshold", threshold)

    def forward(self, input):
        """Elementwise softplus."""
        return F.softplus(input, self.beta, self.threshold)

    def get_config(self):
        """The constructor's arguments."""
        return {"beta": self.beta, "threshold": self.threshold}

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class _AlongDim(Module):
    """An activation over one axis ``dim`` (PyTorch's implicit choice of dim is not offered:
    the default is the last axis, the class axis of an (N, C) batch)."""

    def __init__(self, dim=-1):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise ValueError(f"{type(self).__name__}: dim must be an int, got {dim!r}")
        self.dim = dim

    def get_config(self):
        """The constructor's arguments."""
        return {"dim": self.dim}

    def extra_repr(self):
        return f"dim={self.dim}"


@register_layer
class Softmax(_AlongDim):
    """e^x / sum(e^x) along ``dim``: scores to probabilities."""

    def forward(self, input):
        """Softmax along ``dim``."""
        return F.softmax(input, dim=self.dim)


@register_layer
class LogSoftmax(_AlongDim):
    """log softmax(x) along ``dim``, computed stably (pair it with NLLLoss)."""

    def forward(self, input):
        """Log-softmax along ``dim``."""
        return F.log_softmax(input, dim=self.dim)


ACTIVATIONS = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "gelu": GELU,
    "softplus": Softplus,
    "silu": SiLU,
    "softmax": Softmax,
    "log_softmax": LogSoftmax,
}
"""Activation classes by the name MLP and the command line accept."""

HIDDEN_ACTIVATIONS = tuple(
    name for name, cls in ACTIVATIONS.items() if not issubclass(cls, _AlongDim)
)
"""Names of the activations that act elementwise, as a hidden layer's nonlinearity must: all but
those that normalise along an axis (softmax, log_softmax), which belong on the output."""


def registered_name(module):
    """The key of :data:`ACTIVATIONS` whose class ``module`` is exactly (not a subclass), or
    None for a module that is no registered activation."""
    return next((name for name, cls in ACTIVATIONS.items() if type(module) is cls), None)


def activation_name(name):
    """The key of :data:`ACTIVATIONS` that ``name`` spells, '-' read as '_' ("leaky-relu")."""
    if not isinstance(name, str) or name.replace("-", "_") not in ACTIVATIONS:
        raise ValueError(f"Unknown activation {name!r}; use one of {', '.join(ACTIVATIONS)}")
    return name.replace("-", "_")


def get_activation(name):
    """A new activation module for ``name`` (a key of :data:`ACTIVATIONS`, or it with '-')."""
    return ACTIVATIONS[activation_name(name)]()
