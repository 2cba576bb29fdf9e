"""Every operation as a function: ``F.exp(x)``, ``F.softmax(x, axis=1)``, ``F.stack([a, b])``.

Arguments may be tensors, arrays or numbers; the work is done by the primitives of
:mod:`mlplab.ops`. Reductions take NumPy's ``axis``/``keepdims`` and PyTorch's ``dim``/``keepdim``.
"""

import builtins
import math
from collections import namedtuple

import numpy

from mlplab import dtypes, ops
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


def _floating(x):
    """``x`` as a tensor, integers and bools converted to the default float dtype (as PyTorch's
    exp, log, sin... compute them)."""
    x = _tensor(x)
    if x._data.dtype.kind == "f":
        return x
    return Tensor._make(x._data.astype(dtypes.get_default_dtype()))


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
    return ops.Exp.apply(_floating(x))


def log(x):
    """Natural logarithm elementwise."""
    return ops.Log.apply(_floating(x))


def sqrt(x):
    """Square root elementwise."""
    return ops.Sqrt.apply(_floating(x))


def abs(x):
    """|x| elementwise."""
    return ops.Abs.apply(_tensor(x))


def sin(x):
    """Sine elementwise."""
    return ops.Sin.apply(_floating(x))


def cos(x):
    """Cosine elementwise."""
    return ops.Cos.apply(_floating(x))


def clone(x):
    """A copy of ``x`` in new memory that stays in the graph."""
    return ops.Clone.apply(_tensor(x))


def mm(a, b):
    """The product of two matrices (both must be 2-D, as PyTorch's ``mm``)."""
    a, b = _tensor(a), _tensor(b)
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(
            f"mm: both arguments must be matrices, got shapes {a.shape} and {b.shape}; use "
            "matmul for vectors and batches"
        )
    return ops.MatMul.apply(a, b)


def mv(matrix, vector):
    """The product of a matrix and a vector (2-D and 1-D, as PyTorch's ``mv``)."""
    matrix, vector = _tensor(matrix), _tensor(vector)
    if matrix.ndim != 2 or vector.ndim != 1:
        raise RuntimeError(
            f"mv: expects a matrix and a vector, got shapes {matrix.shape} and {vector.shape}"
        )
    return ops.MatMul.apply(matrix, vector)


def t(x):
    """The transpose of a matrix; a vector or a scalar as it is (PyTorch's ``t``)."""
    x = _tensor(x)
    if x.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but it has {x.ndim}; use transpose(i, j)"
        )
    return transpose(x) if x.ndim == 2 else x


def cast(x, dtype):
    """x converted to ``dtype``; gradients flow back to float inputs in their own dtype."""
    dtype = numpy.dtype(dtype)
    x = _tensor(x)
    if dtype.kind != "f":
        # An integer or bool result has no gradient (as in PyTorch), so it is not recorded.
        return Tensor._make(x._data.astype(dtype))
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
    low = min._data if isinstance(min, Tensor) else min
    high = max._data if isinstance(max, Tensor) else max
    return ops.Clip.apply(_tensor(x), low=low, high=high)


clamp = clip


def where(condition, a, b):
    """Elementwise ``a`` where ``condition`` is true, else ``b``."""
    return ops.Where.apply(condition, a, b)


# ----------------------------------------------------------------------------- activations
def sigmoid(x):
    """1 / (1 + e^-x), without overflow for large |x|."""
    return ops.Sigmoid.apply(_floating(x))


def tanh(x):
    """Hyperbolic tangent."""
    return ops.Tanh.apply(_floating(x))


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


MaxResult = namedtuple("max", ["values", "indices"])
"""What ``max(dim)`` returns, as PyTorch's ``torch.return_types.max``."""

MinResult = namedtuple("min", ["values", "indices"])
"""What ``min(dim)`` returns, as PyTorch's ``torch.return_types.min``."""


def extreme_along(x, kind, dim=None, keepdim=False, axis=None, keepdims=None):
    """PyTorch's ``max``/``min`` (``kind``): the overall value, ``(values, indices)`` along
    ``dim``, or the elementwise extreme of two tensors; NumPy's ``axis=`` gives values only."""
    reduce = max if kind == "max" else min
    if axis is not None:
        return reduce(x, axis, bool(keepdims))
    if dim is None:
        return reduce(x)
    if isinstance(dim, Tensor):
        return (maximum if kind == "max" else minimum)(x, dim)
    x = _tensor(x)
    axis, _ = resolve_axis(None, False, dim, None)
    if not isinstance(axis, int):
        raise TypeError(f"{kind}(dim): dim must be one int, got {dim!r}; use amax for several")
    axis = ops._normalize_axes(axis, x.ndim)
    axis = axis[0] if axis else 0
    array = x._data if x.ndim else x._data.reshape(1)
    picks = array.argmax(axis=axis) if kind == "max" else array.argmin(axis=axis)
    # The values are the picked elements, so the gradient goes to the index chosen (as PyTorch),
    # not shared among ties as amax's is.
    index = list(xp.indices(picks.shape, sparse=True))
    index.insert(axis, picks)
    values = getitem(x if x.ndim else x.reshape(1), tuple(index))
    if keepdim and x.ndim:
        values, picks = values.unsqueeze(axis), xp.expand_dims(picks, axis)
    result = MaxResult if kind == "max" else MinResult
    return result(values, Tensor._make(picks.astype(numpy.int64, copy=False)))


def _count(x, axis):
    """How many elements a reduction over ``axis`` takes for each result."""
    count = 1
    for a in ops._normalize_axes(axis, x.ndim):
        count *= x.shape[a]
    return count


def var(x, dim=None, *, correction=1, unbiased=None, keepdim=False):
    """Variance over ``dim`` (all elements when None), dividing by N - correction (as PyTorch:
    Bessel's correction, 1, by default; ``unbiased=False`` means 0)."""
    if unbiased is not None:
        correction = 1 if unbiased else 0
    x = _floating(x)
    axis, _ = resolve_axis(None, False, dim, None)
    deviation = x - mean(x, axis, True)
    return sum(deviation * deviation, axis, keepdim) / builtins.max(_count(x, axis) - correction, 0)


def std(x, dim=None, *, correction=1, unbiased=None, keepdim=False):
    """Standard deviation over ``dim``: the square root of :func:`var`."""
    return sqrt(var(x, dim, correction=correction, unbiased=unbiased, keepdim=keepdim))


def norm(x, p=2, dim=None, keepdim=False):
    """The p-norm over ``dim`` (all elements when None): p = 2 or "fro", 1, inf, -inf, or any p."""
    x = _floating(x)
    axis, _ = resolve_axis(None, False, dim, None)
    if p in (2, "fro"):
        return ops.Norm.apply(x, axis=axis, keepdims=keepdim)
    if p == 1:
        return sum(abs(x), axis, keepdim)
    if p == math.inf:
        return max(abs(x), axis, keepdim)
    if p == -math.inf:
        return min(abs(x), axis, keepdim)
    if isinstance(p, str) or p <= 0:
        raise ValueError(f"norm: unsupported p={p!r}; use 2, 'fro', 1, inf, -inf or a p > 0")
    return sum(abs(x) ** p, axis, keepdim) ** (1 / p)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when |a - b| <= atol + rtol |b| everywhere (PyTorch's and NumPy's test)."""
    a = a._data if isinstance(a, Tensor) else xp.asarray(a)
    b = b._data if isinstance(b, Tensor) else xp.asarray(b)
    return bool(xp.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


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


def index_arrays(index):
    """An index with its tensors (and lists) replaced by arrays, as NumPy indexes."""
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return numpy.asarray(index)
    return index


def getitem(x, index):
    """x[index]: ints, slices, None, Ellipsis, integer or boolean arrays (or tensors)."""
    return ops.GetItem.apply(_tensor(x), index=index_arrays(index))


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
    array = x._data if isinstance(x, Tensor) else xp.asarray(x)
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
        return where(size._data < delta, 0.5 * d * d, delta * (size - 0.5 * delta))

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
    labels = target._data if isinstance(target, Tensor) else xp.asarray(target)
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
    if input._data.size and not bool(((input._data >= 0) & (input._data <= 1)).all()):
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
