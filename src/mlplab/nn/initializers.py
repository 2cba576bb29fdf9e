"""Initialization schemes: the named ways an MLP's Linear layers get their first weights.

:data:`INITIALIZERS` is the one registry a run's ``init`` setting, the command line's ``--init``
and the playground read. A scheme is named by a spec, its name and, for a scheme that takes one,
``:`` and a value (``"normal:0.1"``), as learning-rate schedules are. Each scheme fills one
Linear layer through :mod:`mlplab.nn.init`, with the run's generator; only ``default`` (PyTorch's
own ``Linear`` initialisation) draws biases, the others set them to zero.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from mlplab.nn import init
from mlplab.nn.activations import HIDDEN_ACTIVATIONS, registered_name


@dataclass(frozen=True)
class Initializer:
    """One scheme of :data:`INITIALIZERS`.

    Attributes
    ----------
    description : str
        One line saying what the weights and biases become.
    fill : callable
        ``fill(layer, gain, value, generator)`` initialises the Linear ``layer`` in place;
        ``gain`` is ``(nonlinearity, param)`` for :func:`mlplab.nn.init.calculate_gain`, from the
        activation after the layer, and ``value`` the spec's value (None for a scheme without).
    value : str or None
        The label of the value the spec may give after ``:`` (e.g. ``"STD"``), None if none.
    default : float or None
        That value when the spec leaves it out.
    """

    description: str
    fill: Callable
    value: str | None = None
    default: float | None = None

    def usage(self, name):
        """The spec's syntax, e.g. ``normal[:STD]``."""
        return name if self.value is None else f"{name}[:{self.value}]"


def _zero_bias(layer):
    """Set the layer's bias (if it has one) to zero."""
    if layer.bias is not None:
        init.zeros_(layer.bias)


def _default(layer, gain, value, generator):
    """PyTorch's Linear initialisation (what ``nn.Linear`` does when built)."""
    layer.reset_parameters(generator)


def _xavier_uniform(layer, gain, value, generator):
    init.xavier_uniform_(layer.weight, generator=generator)
    _zero_bias(layer)


def _xavier_normal(layer, gain, value, generator):
    init.xavier_normal_(layer.weight, generator=generator)
    _zero_bias(layer)


def _kaiming_uniform(layer, gain, value, generator):
    nonlinearity, param = gain
    init.kaiming_uniform_(layer.weight, param or 0, "fan_in", nonlinearity, generator=generator)
    _zero_bias(layer)


def _kaiming_normal(layer, gain, value, generator):
    nonlinearity, param = gain
    init.kaiming_normal_(layer.weight, param or 0, "fan_in", nonlinearity, generator=generator)
    _zero_bias(layer)


def _zeros(layer, gain, value, generator):
    init.zeros_(layer.weight)
    _zero_bias(layer)


def _normal(layer, gain, value, generator):
    init.normal_(layer.weight, 0.0, value, generator=generator)
    _zero_bias(layer)


INITIALIZERS = {
    "default": Initializer(
        "PyTorch's Linear default: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))", _default
    ),
    "xavier-uniform": Initializer(
        "Glorot & Bengio: weights U(-a, a), a = sqrt(6/(fan_in+fan_out)); zero biases",
        _xavier_uniform,
    ),
    "xavier-normal": Initializer(
        "Glorot & Bengio: weights N(0, 2/(fan_in+fan_out)); zero biases", _xavier_normal
    ),
    "kaiming-uniform": Initializer(
        "He et al.: weights U(-a, a), a = gain·sqrt(3/fan_in), gain of the next activation; "
        "zero biases",
        _kaiming_uniform,
    ),
    "kaiming-normal": Initializer(
        "He et al.: weights N(0, gain²/fan_in), gain of the next activation; zero biases",
        _kaiming_normal,
    ),
    "zeros": Initializer(
        "all weights and biases 0: every hidden unit stays the same as its neighbours (the "
        "symmetry problem)",
        _zeros,
    ),
    "normal": Initializer(
        "weights N(0, STD²), default STD 0.01 (the classic 'small random numbers'); zero biases",
        _normal,
        value="STD",
        default=0.01,
    ),
}
"""Initialization schemes by the name ``MLP(init=...)``, ``Settings.init`` and ``--init`` accept."""


def init_usages():
    """Every scheme's spec syntax, e.g. ``default, ..., normal[:STD]``, for help and messages."""
    return ", ".join(entry.usage(name) for name, entry in INITIALIZERS.items())


def parse_init(spec):
    """The scheme and the value the spec ``spec`` names: ``"normal:0.1"`` -> (entry, 0.1).

    Raises
    ------
    ValueError
        Naming the spec and the schemes there are, or what is wrong with its value.
    """
    if not isinstance(spec, str):
        raise ValueError(f"Unknown initialization scheme {spec!r}; use one of {init_usages()}")
    name, colon, text = spec.partition(":")
    entry = INITIALIZERS.get(name)
    if entry is None:
        raise ValueError(f"Unknown initialization scheme {spec!r}; use one of {init_usages()}")
    if not colon:
        return entry, entry.default
    if entry.value is None:
        raise ValueError(f"init {name!r} takes no value, got {spec!r}; write just {name!r}")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"init {spec!r}: {entry.value} must be a positive number, e.g. {name}:{entry.default}"
        )
    return entry, value


def gain_of(activation):
    """``(nonlinearity, param)`` for :func:`~mlplab.nn.init.calculate_gain` of the activation
    module after a layer (None: none).

    No activation, one that acts along an axis (softmax on the output) or a module that is not
    a registered activation is ``linear`` (gain 1). An elementwise one outside calculate_gain's
    table (elu, gelu, silu, softplus: all ReLU-like) takes ReLU's gain sqrt(2), which is also
    what PyTorch's ``kaiming_*`` use when no nonlinearity is named.
    """
    name = registered_name(activation)
    if name not in HIDDEN_ACTIVATIONS:
        return "linear", None
    param = getattr(activation, "negative_slope", None)
    try:
        init.calculate_gain(name, param)
    except ValueError:
        return "relu", None
    return name, param


def init_layer(layer, spec, activation=None, generator=None):
    """Initialise the Linear ``layer`` in place by the scheme ``spec`` names.

    Parameters
    ----------
    layer : mlplab.nn.Linear
        The layer to fill.
    spec : str
        A scheme of :data:`INITIALIZERS`, e.g. ``"kaiming-normal"`` or ``"normal:0.1"``.
    activation : mlplab.nn.Module, optional
        The activation after the layer, whose gain the Kaiming schemes use.
    generator : mlplab.random.Generator, optional
        Source of the random weights (default: ``mlplab.random.default_generator``).
    """
    entry, value = parse_init(spec)
    entry.fill(layer, gain_of(activation), value, generator)
    return layer
