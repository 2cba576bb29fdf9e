"""Every operation as a function: ``F.exp(x)``, ``F.softmax(x, axis=1)``, ``F.stack([a, b])``.

Arguments may be tensors, arrays or numbers; the work is done by the primitives of
:mod:`mlplab.ops`. Reductions take NumPy's ``axis``/``keepdims`` and PyTorch's ``dim``/``keepdim``.
"""

import numpy

from mlplab import ops
from mlplab import random as _random
from mlplab.backend import xp
from mlplab.tensor import Tensor, as_tensor, shape_from_args


def resolve_axis(axis, keepdims, dim, keepdim):
    """Merge NumPy's (axis, keepdims) and PyTorch's (dim, keepdim) spellings into one pair."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError(f"got both axis={axis} and dim={dim}: use one of them")
        axis = dim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis, bool(keepdims if keepdim is None else keepdim)


def _tensor(x):
    """``x`` as a tensor (no copy for arrays)."""
    return x if isinstance(x, Tensor) else as_tensor(x)


# ----------------------------------------------------------------------------- arithmetic
def add(a, b):
    """a + b, broadcasting."""
    return ops.Add.apply(a, b)


def sub(a, b):
    """a - b, broadcasting."""
    return ops.Sub.apply(a, b)


def mul(a, b):
    """a * b elementwise, broadcasting."""
    return ops.Mul.apply(a, b)


def div(a, b):
    """a / b elementwise, broadcasting."""
    return ops.Div.apply(a, b)


def pow(a, b):
    """a ** b elementwise, broadcasting."""
    return ops.Pow.apply(a, b)


def neg(a):
    """-a."""
    return ops.Neg.apply(_tensor(a))


def matmul(a, b):
    """Matrix product a @ b (1-D operands and batch dimensions as NumPy's matmul)."""
    return ops.MatMul.apply(a, b)


# ----------------------------------------------------------------------------- elementwise
def exp(x):
    """e^x elementwise."""
    return ops.Exp.apply(_tensor(x))


def log(x):
    """Natural logarithm elementwise."""
    return ops.Log.apply(_tensor(x))


def sqrt(x):
    """Square root elementwise."""
    return ops.Sqrt.apply(_tensor(x))


def abs(x):
    """|x| elementwise."""
    return ops.Abs.apply(_tensor(x))


def cast(x, dtype):
    """x converted to ``dtype``; gradients flow back to float inputs in their own dtype."""
    dtype = numpy.dtype(dtype)
    x = _tensor(x)
    if dtype.kind != "f":
        # An integer or bool result has no gradient (as in PyTorch), so it is not recorded.
        return Tensor._make(x.data.astype(dtype))
    return ops.Cast.apply(x, dtype=dtype)


def maximum(a, b):
    """Elementwise maximum of a and b, broadcasting."""
    return ops.Maximum.apply(a, b)


def minimum(a, b):
    """Elementwise minimum of a and b, broadcasting."""
    return ops.Minimum.apply(a, b)


def clip(x, min=None, max=None):
    """x limited to [min, max] (either bound may be None); alias ``clamp``."""
    if min is None and max is None:
        raise ValueError("clip() needs at least one of min and max")
    # Bounds are constants (no gradient flows to them, as in PyTorch's clamp).
    low = min.data if isinstance(min, Tensor) else min
    high = max.data if isinstance(max, Tensor) else max
    return ops.Clip.apply(_tensor(x), low=low, high=high)


clamp = clip


def where(condition, a, b):
    """Elementwise ``a`` where ``condition`` is true, else ``b``."""
    return ops.Where.apply(condition, a, b)


# ----------------------------------------------------------------------------- activations
def sigmoid(x):
    """1 / (1 + e^-x), without overflow for large |x|."""
    return ops.Sigmoid.apply(_tensor(x))


def tanh(x):
    """Hyperbolic tangent."""
    return ops.Tanh.apply(_tensor(x))


def relu(x):
    """max(x, 0)."""
    return ops.ReLU.apply(_tensor(x))


def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else negative_slope * x."""
    return ops.LeakyReLU.apply(_tensor(x), negative_slope=negative_slope)


def softmax(x, axis=-1, *, dim=None):
    """e^x / sum(e^x) along ``axis`` (shifted by the maximum: no overflow)."""
    axis, _ = resolve_axis(axis if dim is None else None, False, dim, None)
    return ops.Softmax.apply(_tensor(x), axis=axis)


def log_softmax(x, axis=-1, *, dim=None):
    """log(softmax(x)) along ``axis``, computed as x - logsumexp(x) for stability."""
    axis, _ = resolve_axis(axis if dim is None else None, False, dim, None)
    return ops.LogSoftmax.apply(_tensor(x), axis=axis)


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """log(sum(e^x)) over ``axis``, shifted by the maximum for stability."""
    axis, keepdims = resolve_axis(axis, keepdims, dim, keepdim)
    return ops.LogSumExp.apply(_tensor(x), axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------------------- reductions
def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Sum over ``axis`` (every axis when None)."""
    axis, keepdims = resolve_axis(axis, keepdims, dim, keepdim)
    return ops.Sum.apply(_tensor(x), axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Mean over ``axis`` (every axis when None)."""
    axis, keepdims = resolve_axis(axis, keepdims, dim, keepdim)
    return ops.Mean.apply(_tensor(x), axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Largest values over ``axis`` (values only, as NumPy); ties share the gradient."""
    axis, keepdims = resolve_axis(axis, keepdims, dim, keepdim)
    return ops.Max.apply(_tensor(x), axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Smallest values over ``axis`` (values only, as NumPy); ties share the gradient."""
    axis, keepdims = resolve_axis(axis, keepdims, dim, keepdim)
    return ops.Min.apply(_tensor(x), axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------------------- shape
def reshape(x, *shape):
    """The same elements in a new shape (one dimension may be -1)."""
    return ops.Reshape.apply(_tensor(x), shape=shape_from_args(shape))


def permute(x, *dims):
    """Axes reordered by the permutation ``dims``."""
    x = _tensor(x)
    dims = tuple(d % x.ndim for d in shape_from_args(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"{dims} is not a permutation of the {x.ndim} axes of shape {x.shape}")
    return ops.Permute.apply(x, axes=dims)


def swapaxes(x, axis1, axis2):
    """Axes ``axis1`` and ``axis2`` exchanged."""
    x = _tensor(x)
    dims = list(range(x.ndim))
    dims[axis1], dims[axis2] = dims[axis2], dims[axis1]
    return ops.Permute.apply(x, axes=tuple(dims))


def transpose(x, *axes):
    """Reverse the axes; with two axes, swap them (PyTorch); with all axes, permute (NumPy)."""
    x = _tensor(x)
    axes = shape_from_args(axes)
    if not axes:
        return ops.Permute.apply(x, axes=tuple(reversed(range(x.ndim))))
    if len(axes) == 2:
        return swapaxes(x, *axes)
    return permute(x, *axes)


def getitem(x, index):
    """x[index]: ints, slices, None, Ellipsis, integer or boolean arrays (or tensors)."""
    if isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    elif isinstance(index, Tensor):
        index = index.data
    if isinstance(index, list):
        index = numpy.asarray(index)
    return ops.GetItem.apply(_tensor(x), index=index)


def concatenate(tensors, axis=0, *, dim=None):
    """Tensors joined along an existing axis."""
    axis, _ = resolve_axis(axis if dim is None else None, False, dim, None)
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate() needs at least one tensor")
    return ops.Concatenate.apply(*tensors, axis=axis)


cat = concatenate


def stack(tensors, axis=0, *, dim=None):
    """Tensors of one shape joined along a new axis."""
    axis, _ = resolve_axis(axis if dim is None else None, False, dim, None)
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack() needs tensors of one shape, got {sorted(shapes)}")
    return ops.Stack.apply(*tensors, axis=axis)


# ----------------------------------------------------------------------------- layers
def linear(input, weight, bias=None):
    """input @ weight.T + bias, fused into one primitive.

    Parameters
    ----------
    input : Tensor, shape (..., in_features)
    weight : Tensor, shape (out_features, in_features)
    bias : Tensor, shape (out_features,), optional

    Returns
    -------
    Tensor, shape (..., out_features)
    """
    weight = _tensor(weight)
    if weight.ndim != 2:
        raise ValueError(
            f"linear: weight must be 2-D (out_features, in_features), got {weight.shape}"
        )
    if bias is not None and _tensor(bias).shape != (weight.shape[0],):
        raise ValueError(
            f"linear: bias must have shape ({weight.shape[0]},) to match weight {weight.shape}, "
            f"got {_tensor(bias).shape}"
        )
    return ops.Linear.apply(_tensor(input), weight, bias)


def dropout(input, p=0.5, training=True, *, generator=None):
    """Inverted dropout: zero each element with probability ``p``, scale the rest by 1 / (1 - p).

    Parameters
    ----------
    input : Tensor, any shape
    p : float in [0, 1]
        Drop probability.
    training : bool
        When False, ``input`` is returned unchanged.
    generator : mlplab.random.Generator, optional
        Source of the mask (default: ``mlplab.random.default_generator``).

    Returns
    -------
    Tensor of ``input``'s shape; the expected value of each element is unchanged.
    """
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ValueError(f"Invalid dropout probability: {p!r}; use a number in [0, 1]")
    input = _tensor(input)
    if not training or p == 0:
        return input
    dtype = input.dtype if input.dtype.kind == "f" else numpy.dtype(numpy.float32)
    source = _random.generator_or_default(generator)
    mask = (source.random(input.shape, dtype=dtype) >= p).astype(dtype)
    if p == 1:  # everything dropped; 1 / (1 - p) would be infinite
        return input * mask
    mask *= dtype.type(1 / (1 - p))
    return input * mask


# ----------------------------------------------------------------------------- more activations
def elu(input, alpha=1.0):
    """input where input > 0, else alpha * (e^input - 1)."""
    return ops.ELU.apply(_tensor(input), alpha=alpha)


def gelu(input, approximate="none"):
    """input * Phi(input) (Phi: standard normal CDF); ``approximate="tanh"`` for the tanh form."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return ops.GELU.apply(_tensor(input), approximate=approximate)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(beta * input)) / beta; input itself where beta * input > threshold."""
    if beta <= 0:
        raise ValueError(f"softplus: beta must be positive, got {beta!r}")
    return ops.Softplus.apply(_tensor(input), beta=beta, threshold=threshold)


# ----------------------------------------------------------------------------- losses
REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction):
    """Raise ValueError unless ``reduction`` is one of "none", "mean", "sum"."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid reduction: {reduction!r}; use one of 'none', 'mean', 'sum'")


def _constant(x, name, like, shape=None):
    """``x`` (a tensor, array or None) as a plain array of ``like``'s float dtype, checked to
    broadcast to ``shape``."""
    if x is None:
        return None
    array = x.data if isinstance(x, Tensor) else xp.asarray(x)
    if like.dtype.kind == "f":
        array = array.astype(like.dtype, copy=False)  # a float64 weight keeps float32 float32
    if shape is None:
        return array
    try:
        fits = numpy.broadcast_shapes(array.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name} of shape {array.shape} does not broadcast to the shape {shape}")
    return array


def _check_pair(name, input, target):
    """Raise ValueError unless input and target have one shape (broadcasting hides bugs)."""
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: input shape {input.shape} and target shape {target.shape} differ; reshape "
            "one of them (e.g. output (N, 1) against target (N,) would broadcast to (N, N))"
        )


def _reduce(loss, reduction, denominator=None):
    """Apply ``reduction`` to elementwise losses; "mean" divides by ``denominator`` if given."""
    if reduction == "none":
        return loss
    if reduction == "sum" or denominator is not None:
        total = sum(loss)
        return total if reduction == "sum" else total / denominator
    return mean(loss)


def _pointwise_loss(name, input, target, reduction, weight, elementwise, weighted_mean):
    """Shared frame of mse, l1 and huber: check, compute elementwise, weight, reduce."""
    check_reduction(reduction)
    input, target = _tensor(input), _tensor(target)
    _check_pair(name, input, target)
    weight = _constant(weight, f"{name}: weight", input, input.shape)
    loss = elementwise(input - target)
    if weight is None:
        return _reduce(loss, reduction)
    loss = loss * weight
    denominator = xp.broadcast_to(weight, input.shape).sum() if weighted_mean else None
    return _reduce(loss, reduction, denominator)


def mse_loss(input, target, *, reduction="mean", weight=None):
    """Mean squared error (input - target)^2, optionally weighted per element (PyTorch's rules).

    Parameters
    ----------
    input, target : Tensor, same shape
    reduction : "mean" | "sum" | "none"
    weight : array_like broadcasting to input's shape, optional
        Constant per-element (or per-output, shape (D,)) weights; "mean" then divides by their sum.

    Returns
    -------
    Tensor: a scalar, or input's shape for "none".
    """
    return _pointwise_loss("mse_loss", input, target, reduction, weight, lambda d: d * d, True)


def l1_loss(input, target, *, reduction="mean", weight=None):
    """Mean absolute error |input - target|; arguments as :func:`mse_loss`."""
    return _pointwise_loss("l1_loss", input, target, reduction, weight, abs, True)


def huber_loss(input, target, *, reduction="mean", delta=1.0, weight=None):
    """Huber loss: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = input - target.

    Arguments as :func:`mse_loss`; with a weight, "mean" is the plain mean of the weighted losses
    (PyTorch's rule for this loss).
    """
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}")

    def elementwise(d):
        size = abs(d)
        return where(size.data < delta, 0.5 * d * d, delta * (size - 0.5 * delta))

    return _pointwise_loss("huber_loss", input, target, reduction, weight, elementwise, False)


def _class_rows(name, input):
    """``input`` (C,), (N, C) or (N, C, d1, ...) as rows (M, C), and the shape of the batch."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class axis, got a scalar")
    if input.ndim == 1:
        return input.reshape(1, -1), ()
    if input.ndim == 2:
        return input, input.shape[:1]
    order = (0, *range(2, input.ndim), 1)  # move the class axis last
    batch = (input.shape[0], *input.shape[2:])
    return permute(input, order).reshape(-1, input.shape[1]), batch


def _class_targets(name, target, batch, classes, ignore_index):
    """Integer targets as a flat array, checked against the batch shape and the class range."""
    labels = target.data if isinstance(target, Tensor) else xp.asarray(target)
    if labels.shape != batch:
        raise ValueError(
            f"{name}: class-index target must have shape {batch} for this input, got {labels.shape}"
        )
    labels = labels.reshape(-1)
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise ValueError(
            f"{name}: target {int(labels[bad][0])} is out of bounds: class indices must be in "
            f"[0, {classes}) or equal ignore_index={ignore_index}"
        )
    return labels


def _row_weights(labels, weight, ignore_index, dtype):
    """Each row's class weight (0 for ignored rows): the denominator of PyTorch's weighted mean."""
    keep = labels != ignore_index
    if weight is None:
        return keep.astype(dtype)
    return weight[xp.where(keep, labels, 0)] * keep


def _class_weight(name, weight, classes, like):
    """The per-class weight as an array of shape (C,), or None."""
    weight = _constant(weight, f"{name}: weight", like)
    if weight is not None and weight.shape != (classes,):
        raise ValueError(f"{name}: weight must have shape ({classes},), got {weight.shape}")
    return weight


def cross_entropy(
    input, target, weight=None, *, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Cross-entropy between logits and class indices or class probabilities (log-softmax fused).

    Parameters
    ----------
    input : Tensor, shape (N, C), (C,) or (N, C, d1, ...)
        Unnormalised scores (logits).
    target : Tensor
        Integer class indices of shape (N,) (resp. () or (N, d1, ...)), or float class
        probabilities of input's shape.
    weight : array_like, shape (C,), optional
        Constant weight of each class; with indices, "mean" divides by the targets' total weight.
    ignore_index : int
        Rows whose index target equals it contribute nothing (indices only).
    reduction : "mean" | "sum" | "none"
    label_smoothing : float in [0, 1]
        Mix the target with the uniform distribution: (1 - s) target + s / C.

    Returns
    -------
    Tensor: a scalar, or the batch shape for "none".
    """
    check_reduction(reduction)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    input = _tensor(input)
    rows, batch = _class_rows("cross_entropy", input)
    classes = rows.shape[1]
    weight = _class_weight("cross_entropy", weight, classes, input)
    target = _tensor(target)
    if target.dtype.kind == "f":
        if target.shape != input.shape:
            raise ValueError(
                f"cross_entropy: a float target holds class probabilities and must have the "
                f"input's shape {input.shape}, got {target.shape}; for class indices "
                "pass integers (e.g. target.long())"
            )
        return _soft_cross_entropy(input, target, weight, reduction, label_smoothing)
    labels = _class_targets("cross_entropy", target, batch, classes, ignore_index)
    loss = ops.CrossEntropy.apply(
        rows,
        labels,
        weight=weight,
        ignore_index=ignore_index,
        label_smoothing=label_smoothing,
    )
    if reduction == "none":
        return loss.reshape(batch)
    return _reduce(loss, reduction, _row_weights(labels, weight, ignore_index, loss.dtype).sum())


def _soft_cross_entropy(input, target, weight, reduction, label_smoothing):
    """Cross-entropy against class probabilities: -sum_c w_c t_c log softmax(input)_c."""
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    products = log_softmax(input, axis=axis) * target
    if weight is not None:
        products = products * weight.reshape((classes,) + (1,) * (input.ndim - axis - 1))
    return _reduce(-sum(products, axis=axis), reduction)


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` at class indices ``target``.

    Arguments as :func:`cross_entropy` with index targets; ``input`` holds log-probabilities
    (e.g. from ``log_softmax``).
    """
    check_reduction(reduction)
    input = _tensor(input)
    rows, batch = _class_rows("nll_loss", input)
    weight = _class_weight("nll_loss", weight, rows.shape[1], input)
    labels = _class_targets("nll_loss", target, batch, rows.shape[1], ignore_index)
    row_weight = _row_weights(labels, weight, ignore_index, input.dtype)
    safe = xp.where(labels != ignore_index, labels, 0)  # ignored rows pick 0, weighted by 0
    picked = getitem(rows, (xp.arange(labels.shape[0]), safe))
    loss = -(picked * row_weight)
    if reduction == "none":
        return loss.reshape(batch)
    return _reduce(loss, reduction, row_weight.sum())


def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    """Binary cross-entropy of probabilities ``input`` in [0, 1] against targets in [0, 1].

    Parameters
    ----------
    input, target : Tensor, same shape
    weight : array_like broadcasting to input's shape, optional
        Constant weight of each element.
    reduction : "mean" | "sum" | "none"

    Returns
    -------
    Tensor: a scalar, or input's shape for "none". Each log is clamped at -100, as PyTorch.
    """
    check_reduction(reduction)
    input, target = _tensor(input), _tensor(target)
    _check_pair("binary_cross_entropy", input, target)
    if input.data.size and not bool(((input.data >= 0) & (input.data <= 1)).all()):
        raise ValueError(
            "binary_cross_entropy: every element of input must be a probability in [0, 1]; "
            "for logits use binary_cross_entropy_with_logits"
        )
    weight = _constant(weight, "binary_cross_entropy: weight", input, input.shape)
    loss = ops.BinaryCrossEntropy.apply(input, target, weight=weight)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input, target, weight=None, *, reduction="mean", pos_weight=None
):
    """Binary cross-entropy of sigmoid(input) against ``target``, stable for any logit.

    Parameters
    ----------
    input, target : Tensor, same shape
        Logits and targets in [0, 1].
    weight : array_like broadcasting to input's shape, optional
        Constant weight of each element.
    reduction : "mean" | "sum" | "none"
    pos_weight : array_like broadcasting to input's shape, optional
        Weight of the positive term, one per class (last axis): > 1 raises recall.

    Returns
    -------
    Tensor: a scalar, or input's shape for "none".
    """
    check_reduction(reduction)
    input, target = _tensor(input), _tensor(target)
    _check_pair("binary_cross_entropy_with_logits", input, target)
    name = "binary_cross_entropy_with_logits"
    weight = _constant(weight, f"{name}: weight", input, input.shape)
    pos_weight = _constant(pos_weight, f"{name}: pos_weight", input, input.shape)
    loss = ops.BinaryCrossEntropyWithLogits.apply(
        input, target, weight=weight, pos_weight=pos_weight
    )
    return _reduce(loss, reduction)
