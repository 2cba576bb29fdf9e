"""Layers: Linear, Sequential, Identity, Flatten, Dropout.

Each layer keeps its configuration from ``__init__`` (returned by ``get_config()``), creates its
state in ``reset_parameters(generator)``, and only computes in ``forward``.
"""

import math

import numpy

from mlplab import functional as F
from mlplab.nn import init
from mlplab.nn.module import (
    Module,
    build_layer,
    check_dtype,
    init_enabled,
    layer_spec,
    new_parameter,
    register_layer,
)


def _check_size(name, value):
    """Raise ValueError unless ``value`` is a positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Invalid {name}: {value!r}; use a positive integer")


def _dtype_mismatch(input_dtype, layer_dtype):
    """The message for an input whose dtype is not the layer's: what to convert, and how."""
    method = "float" if layer_dtype == numpy.float32 else "double"
    fixes = f"convert the input (x.{method}() or x.astype('{layer_dtype.name}'))"
    if input_dtype in (numpy.float32, numpy.float64):
        fixes += f" or build the layer with dtype='{input_dtype.name}'"
    return (
        f"Linear: the input is {input_dtype.name} but the layer's weights are "
        f"{layer_dtype.name}; {fixes}"
    )


def check_probability(p):
    """``p`` as a float, or a ValueError unless it is a number in [0, 1]."""
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ValueError(f"Invalid dropout probability: {p!r}; use a number in [0, 1]")
    return float(p)


@register_layer
class Linear(Module):
    """y = x W^T + b: ``out_features`` neurons, each a weighted sum of ``in_features`` inputs.

    Parameters
    ----------
    in_features, out_features : int
        Input size and output size (the layer's width).
    bias : bool
        Whether to add a learnable bias b.
    dtype : str
        "float32" (default) or "float64".
    generator : mlplab.random.Generator, optional
        Source of the initial weights (default: ``mlplab.random.default_generator``).

    Shapes: input (..., in_features) -> output (..., out_features). ``weight`` is
    (out_features, in_features) and ``bias`` (out_features,), initialised as PyTorch does:
    U(-1/sqrt(in_features), 1/sqrt(in_features)) for both.

    The input must have the layer's dtype: a float64 (or integer) input to a float32 layer raises
    a RuntimeError, as PyTorch's "mat1 and mat2 must have the same dtype" does, instead of being
    silently promoted to float64.
    """

    def __init__(self, in_features, out_features, bias=True, dtype="float32", generator=None):
        super().__init__()
        _check_size("in_features", in_features)
        _check_size("out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.dtype = check_dtype(dtype)
        self.weight = new_parameter((out_features, in_features), self.dtype)
        self.bias = new_parameter((out_features,), self.dtype) if bias else None
        if init_enabled():
            self.reset_parameters(generator)

    def reset_parameters(self, generator=None):
        """PyTorch's default: kaiming_uniform_(W, a=sqrt(5)) and b ~ U(-1/sqrt(fan_in), ...)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound, generator=generator)

    def forward(self, input):
        """input @ weight.T + bias; the input must have the layer's dtype, as in PyTorch."""
        # NumPy would promote float64 @ float32 (or int @ float32) to float64, and the rest of the
        # network would silently run in another precision; PyTorch refuses, and so do we.
        if getattr(input, "dtype", self.dtype) != self.dtype:
            raise RuntimeError(_dtype_mismatch(input.dtype, self.dtype))
        return F.linear(input, self.weight, self.bias)

    def get_config(self):
        """The constructor's arguments."""
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "bias": self.bias is not None,
            "dtype": self.dtype.name,
        }

    def extra_repr(self):
        dtype = "" if self.dtype.name == "float32" else f", dtype={self.dtype.name}"
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}{dtype}"
        )


@register_layer
class Sequential(Module):
    """Modules applied one after another; they are registered as "0", "1", ...

    Supports ``len``, iteration, indexing (``model[-1]``), slicing (a new Sequential sharing the
    layers), ``model[i] = layer`` (e.g. to replace the head) and ``append``.
    """

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {index} is a {type(module).__name__}, not a Module"
                )
            setattr(self, str(index), module)

    def forward(self, input):
        """Each module's output is the next one's input."""
        for module in self._modules.values():
            input = module(input)
        return input

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def _name(self, index):
        """The registered name of position ``index`` (negative counts from the end)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for a Sequential of {len(self)}")
        return list(self._modules)[index]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*list(self._modules.values())[index])
        return self._modules[self._name(index)]

    def __setitem__(self, index, module):
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: cannot store a {type(module).__name__}, only Modules")
        self._modules[self._name(index)] = module

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential: cannot append a {type(module).__name__}, only Modules")
        setattr(self, str(len(self)), module)
        return self

    def get_config(self):
        """The layers, each as {"class": ..., "config": ...}."""
        return {"layers": [layer_spec(module) for module in self]}

    @classmethod
    def from_config(cls, config):
        """Build the layers from their descriptions."""
        if set(config) != {"layers"} or not isinstance(config["layers"], list):
            raise ValueError(f"A Sequential config must be {{'layers': [...]}}, got {config!r}")
        return cls(*(build_layer(spec) for spec in config["layers"]))


@register_layer
class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for a removed layer)."""

    def forward(self, input):
        """The input itself."""
        return input

    def get_config(self):
        """No settings."""
        return {}


@register_layer
class Flatten(Module):
    """Merge the axes ``start_dim`` .. ``end_dim`` into one: (N, 28, 28) -> (N, 784)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"Flatten: {name} must be an int, got {value!r}")
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        """The input reshaped, its data not copied."""
        shape = input.shape
        start = self.start_dim % max(len(shape), 1)
        end = self.end_dim % max(len(shape), 1)
        if start > end:
            raise ValueError(
                f"Flatten: start_dim {self.start_dim} comes after end_dim {self.end_dim} for an "
                f"input of shape {shape}"
            )
        merged = math.prod(shape[start : end + 1])
        return input.reshape(*shape[:start], merged, *shape[end + 1 :])

    def get_config(self):
        """The constructor's arguments."""
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


@register_layer
class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the rest by
    1 / (1 - p); in eval mode, the identity.

    Parameters
    ----------
    p : float in [0, 1]
        Drop probability.
    generator : mlplab.random.Generator, optional
        Source of the masks (default: ``mlplab.random.default_generator``).
    """

    def __init__(self, p=0.5, generator=None):
        super().__init__()
        self.p = check_probability(p)
        self.generator = generator

    def forward(self, input):
        """The input with a fresh random mask applied (training) or unchanged (eval)."""
        return F.dropout(input, self.p, self.training, generator=self.generator)

    def get_config(self):
        """The drop probability (the generator is not part of the config)."""
        return {"p": self.p}

    def extra_repr(self):
        return f"p={self.p}"
