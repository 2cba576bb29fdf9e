"""Every operation as a function: ``F.exp(x)``, ``F.softmax(x, axis=1)``, ``F.stack([a, b])``.

Arguments may be tensors, arrays or numbers; the work is done by the primitives of
:mod:`mlplab.ops`. Reductions take NumPy's ``axis``/``keepdims`` and PyTorch's ``dim``/``keepdim``.
"""

import numpy

from mlplab import ops
from mlplab.tensor import Tensor, as_tensor


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
    return ops.Clip.apply(_tensor(x), low=min, high=max)


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
def _shape_argument(shape):
    """Accept ``f(x, 2, 3)`` and ``f(x, (2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return tuple(shape)


def reshape(x, *shape):
    """The same elements in a new shape (one dimension may be -1)."""
    return ops.Reshape.apply(_tensor(x), shape=_shape_argument(shape))


def permute(x, *dims):
    """Axes reordered by the permutation ``dims``."""
    x = _tensor(x)
    dims = tuple(d % x.ndim for d in _shape_argument(dims))
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
    axes = _shape_argument(axes)
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
