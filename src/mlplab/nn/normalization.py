"""Normalisation layers: BatchNorm1d (over the batch) and LayerNorm (over each sample's features).

Both subtract a mean and divide by a standard deviation, ``(x - μ) / √(σ² + ε)``, then scale and
shift by learnable ``weight`` (γ) and ``bias`` (β). They are composed from the engine's
primitives (mean, subtraction, square root), so autograd differentiates them through the batch
statistics; nothing is fused. BatchNorm1d keeps running estimates of the mean and variance as
buffers (in the state dict and model files, not trained) for evaluation mode.
"""

import numbers

from mlplab.autograd import no_grad
from mlplab.nn import init
from mlplab.nn.layers import _check_size
from mlplab.nn.module import (
    Module,
    check_dtype,
    check_number,
    init_enabled,
    new_buffer,
    new_parameter,
    register_layer,
)


def _check_input_dtype(owner, input, dtype):
    """Raise RuntimeError unless ``input`` has the layer's dtype (as Linear does)."""
    if getattr(input, "dtype", dtype) != dtype:
        raise RuntimeError(
            f"{owner}: the input is {input.dtype.name} but the layer's parameters are "
            f"{dtype.name}; convert the input or build the layer with dtype='{input.dtype.name}'"
        )


def _check_flag(owner, name, value):
    """Raise ValueError unless ``value`` is a bool."""
    if not isinstance(value, bool):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}")


def _normalize(centered, variance, eps):
    """``centered / √(variance + ε)``, differentiable in both."""
    return centered / (variance + eps).sqrt()


@register_layer
class BatchNorm1d(Module):
    """Batch normalisation over (N, C) or (N, C, L) inputs: PyTorch's ``nn.BatchNorm1d``.

    In training, each of the C features is normalised by the mean and (biased) variance of the
    batch (over N, and L for 3-D inputs), and the running estimates move towards them:
    ``running = (1 - momentum)·running + momentum·batch``, with the unbiased variance; with
    ``momentum=None`` they are the cumulative averages over all batches
    (``num_batches_tracked`` counts them). In evaluation mode the running estimates are used.

    Parameters
    ----------
    num_features : int
        C, the number of features (channels).
    eps : float
        ε added to the variance.
    momentum : float or None
        The weight of each new batch in the running estimates; None for a cumulative average.
    affine : bool
        Whether to learn ``weight`` (γ, ones at first) and, with ``bias``, ``bias`` (β, zeros).
    track_running_stats : bool
        Whether to keep running estimates; without them the batch statistics are used in
        evaluation mode too.
    dtype : str
        "float32" (default) or "float64".
    bias : bool
        Whether the affine part has a bias (keyword-only, as in PyTorch).
    """

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        dtype="float32",
        *,
        bias=True,
    ):
        super().__init__()
        _check_size("num_features", num_features)
        if check_number("BatchNorm1d", "eps", eps) <= 0:
            raise ValueError(f"BatchNorm1d: eps must be above 0, got {eps!r}")
        if momentum is not None and not check_number("BatchNorm1d", "momentum", momentum) >= 0:
            raise ValueError(f"BatchNorm1d: momentum must be >= 0 or None, got {momentum!r}")
        _check_flag("BatchNorm1d", "affine", affine)
        _check_flag("BatchNorm1d", "track_running_stats", track_running_stats)
        _check_flag("BatchNorm1d", "bias", bias)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self.use_bias = bias
        self.dtype = check_dtype(dtype)
        self.weight = new_parameter((num_features,), self.dtype) if affine else None
        self.bias = new_parameter((num_features,), self.dtype) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", new_buffer((num_features,), self.dtype, 0))
            self.register_buffer("running_var", new_buffer((num_features,), self.dtype, 1))
            self.register_buffer("num_batches_tracked", new_buffer((), "int64", 0))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        if init_enabled():
            self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches counted."""
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self, generator=None):
        """γ = 1, β = 0 and fresh running statistics (``generator`` is not needed)."""
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def _axes(self, input):
        """The axes the statistics are taken over, after checking the input's shape."""
        if input.ndim not in (2, 3) or input.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}): expected an input of shape (N, "
                f"{self.num_features}) or (N, {self.num_features}, L), got {tuple(input.shape)}"
            )
        return (0,) if input.ndim == 2 else (0, 2)

    def forward(self, input):
        """The normalised, scaled and shifted input, of the input's shape."""
        _check_input_dtype("BatchNorm1d", input, self.dtype)
        axes = self._axes(input)
        # (C,) statistics and parameters line up with axis 1: (C,) for 2-D inputs, (C, 1) for 3-D.
        shape = (self.num_features,) if input.ndim == 2 else (self.num_features, 1)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            count = input.numel() // self.num_features
            if self.training and count < 2:
                raise ValueError(
                    "BatchNorm1d: expected more than 1 value per feature when training, got an "
                    f"input of shape {tuple(input.shape)}; use batches of 2 or more, or eval()"
                )
            mean = input.mean(axis=axes)
            centered = input - mean.reshape(*shape)
            variance = (centered * centered).mean(axis=axes)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean, variance, count)
            output = _normalize(centered, variance.reshape(*shape), self.eps)
        else:
            centered = input - self.running_mean.reshape(*shape)
            output = _normalize(centered, self.running_var.reshape(*shape), self.eps)
        if self.weight is not None:
            output = output * self.weight.reshape(*shape)
        if self.bias is not None:
            output = output + self.bias.reshape(*shape)
        return output

    def _update_running_stats(self, mean, variance, count):
        """Move the running estimates towards the batch's mean and unbiased variance."""
        with no_grad():
            self.num_batches_tracked._data[...] += 1
            if self.momentum is None:
                factor = 1.0 / int(self.num_batches_tracked.item())
            else:
                factor = self.momentum
            unbiased = variance._data * (count / (count - 1))
            running_mean, running_var = self.running_mean._data, self.running_var._data
            running_mean[...] = (1 - factor) * running_mean + factor * mean._data
            running_var[...] = (1 - factor) * running_var + factor * unbiased

    def get_config(self):
        """The constructor's arguments."""
        return {
            "num_features": self.num_features,
            "eps": self.eps,
            "momentum": self.momentum,
            "affine": self.affine,
            "track_running_stats": self.track_running_stats,
            "dtype": self.dtype.name,
            "bias": self.use_bias,
        }

    def extra_repr(self):
        dtype = "" if self.dtype.name == "float32" else f", dtype={self.dtype.name}"
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}{dtype}"
        )


def _normalized_shape(value):
    """``normalized_shape`` as a tuple of positive ints, or a ValueError."""
    shape = (value,) if isinstance(value, numbers.Integral) else tuple(value)
    if not shape or any(
        isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in shape
    ):
        raise ValueError(
            f"LayerNorm: normalized_shape must be a positive int or a tuple of them, got {value!r}"
        )
    return tuple(int(n) for n in shape)


@register_layer
class LayerNorm(Module):
    """Layer normalisation over the last axes of each sample: PyTorch's ``nn.LayerNorm``.

    Each sample is normalised by the mean and (biased) variance of its last
    ``len(normalized_shape)`` axes; the same in training and evaluation, with no running state.

    Parameters
    ----------
    normalized_shape : int or tuple of int
        The shape of those last axes, e.g. 256 for (N, 256) inputs.
    eps : float
        ε added to the variance.
    elementwise_affine : bool
        Whether to learn ``weight`` (ones at first) and, with ``bias``, a ``bias`` (zeros), of
        shape ``normalized_shape``.
    bias : bool
        Whether the affine part has a bias.
    dtype : str
        "float32" (default) or "float64".
    """

    def __init__(
        self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype="float32"
    ):
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        if check_number("LayerNorm", "eps", eps) <= 0:
            raise ValueError(f"LayerNorm: eps must be above 0, got {eps!r}")
        _check_flag("LayerNorm", "elementwise_affine", elementwise_affine)
        _check_flag("LayerNorm", "bias", bias)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.use_bias = bias
        self.dtype = check_dtype(dtype)
        shape = self.normalized_shape
        self.weight = new_parameter(shape, self.dtype) if elementwise_affine else None
        self.bias = new_parameter(shape, self.dtype) if elementwise_affine and bias else None
        if init_enabled():
            self.reset_parameters()

    def reset_parameters(self, generator=None):
        """Weight 1, bias 0 (``generator`` is not needed)."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        """The input normalised over its last axes, scaled and shifted, of the input's shape."""
        _check_input_dtype("LayerNorm", input, self.dtype)
        count = len(self.normalized_shape)
        if tuple(input.shape[-count:]) != self.normalized_shape or input.ndim < count:
            raise ValueError(
                f"LayerNorm: the input's last axes must have the shape {self.normalized_shape}, "
                f"got an input of shape {tuple(input.shape)}"
            )
        axes = tuple(range(input.ndim - count, input.ndim))
        centered = input - input.mean(axis=axes, keepdims=True)
        variance = (centered * centered).mean(axis=axes, keepdims=True)
        output = _normalize(centered, variance, self.eps)
        if self.weight is not None:
            output = output * self.weight
        if self.bias is not None:
            output = output + self.bias
        return output

    def get_config(self):
        """The constructor's arguments (the shape as a list, as JSON gives it back)."""
        return {
            "normalized_shape": list(self.normalized_shape),
            "eps": self.eps,
            "elementwise_affine": self.elementwise_affine,
            "bias": self.use_bias,
            "dtype": self.dtype.name,
        }

    def extra_repr(self):
        dtype = "" if self.dtype.name == "float32" else f", dtype={self.dtype.name}"
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}{dtype}"
        )
