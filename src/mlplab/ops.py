"""The primitive operations: one class each, its forward and its local chain rule side by side.

Every ``forward`` and ``backward`` works on plain arrays of :data:`mlplab.backend.xp`. Inputs that
are constants (Python numbers, arrays) arrive as they are and get no gradient. Binary operations
broadcast as NumPy does; :func:`unbroadcast` sums each gradient back to its input's shape.
"""

from mlplab.autograd import Function
from mlplab.backend import errstate, xp
from mlplab.dtypes import float_of, promote


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting (the chain rule for a copy)."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _shape(x):
    """The shape of an array or a Python number (``()``)."""
    return getattr(x, "shape", ())


def _normalize_axes(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = axis if isinstance(axis, tuple | list) else (axis,)
    for a in axes:
        # A 0-d tensor accepts axis 0 or -1, as PyTorch does, and has nothing to reduce.
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    if ndim == 0:
        return ()
    normalized = sorted({a % ndim for a in axes})
    if len(normalized) != len(axes):
        raise ValueError(f"axis {axis} names the same axis twice")
    return tuple(normalized)


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    """a + b."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.shapes = (_shape(a), _shape(b))
        return a + b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        shape_a, shape_b = ctx.shapes
        return (
            unbroadcast(grad, shape_a) if need_a else None,
            unbroadcast(grad, shape_b) if need_b else None,
        )


class Sub(Function):
    """a - b."""

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.shapes = (_shape(a), _shape(b))
        return a - b

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        shape_a, shape_b = ctx.shapes
        return (
            unbroadcast(grad, shape_a) if need_a else None,
            unbroadcast(-grad, shape_b) if need_b else None,
        )


class Mul(Function):
    """a * b:  d/da = b,  d/db = a."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        need_a, need_b = ctx.needs_input_grad
        # Only what a needed gradient uses is kept (as PyTorch): x * 2 keeps 2, not x, so a later
        # in-place change of x does not invalidate it.
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.shapes = (_shape(a), _shape(b))
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        shape_a, shape_b = ctx.shapes
        return (
            unbroadcast(grad * b, shape_a) if need_a else None,
            unbroadcast(grad * a, shape_b) if need_b else None,
        )


class Div(Function):
    """a / b:  d/da = 1/b,  d/db = -a/b^2 = -out/b."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        dtype = getattr(a, "dtype", None)
        dtype = getattr(b, "dtype", None) if dtype is None else dtype
        if dtype is not None and dtype.kind != "f":
            # int / int is true division: a float of the default dtype, as PyTorch gives.
            a, b = promote(xp.asarray(a, dtype=float_of(dtype)), b)
        out = a / b
        ctx.save_for_backward(b, out if ctx.needs_input_grad[1] else None)
        ctx.shapes = (_shape(a), _shape(b))
        return out

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        shape_a, shape_b = ctx.shapes
        grad_over_b = grad / b
        return (
            unbroadcast(grad_over_b, shape_a) if need_a else None,
            unbroadcast(-grad_over_b * out, shape_b) if need_b else None,
        )


class Pow(Function):
    """a ** b:  d/da = b * a^(b-1),  d/db = a^b * log(a)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        out = a**b
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            # a^0 has d/da = 0 even at a = 0 (PyTorch's convention), not 0 * 0^-1 = NaN; a zero
            # base with an exponent below one has an infinite slope, as in PyTorch, not a warning.
            with errstate(divide="ignore", invalid="ignore"):
                slope = xp.where(b == 0, 0.0, b * a ** (b - 1))
            grad_a = unbroadcast(grad * slope, _shape(a))
        if need_b:
            # 0^b with b >= 0 has d/db = 0 (PyTorch's convention), not 0 * log(0) = NaN.
            with errstate(divide="ignore", invalid="ignore"):
                log_a = xp.where((a == 0) & (b >= 0), 0.0, xp.log(a))
            grad_b = unbroadcast(grad * out * log_a, _shape(b))
        return grad_a, grad_b


class Neg(Function):
    """-a."""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad):
        return -grad


class MatMul(Function):
    """a @ b, with NumPy's rules for 1-D operands and batch dimensions."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, b):
        a_shape, b_shape = _shape(a), _shape(b)
        if len(a_shape) == 0 or len(b_shape) == 0:
            raise ValueError(
                f"matmul needs operands with at least one dimension, got shapes {a_shape} and "
                f"{b_shape}; use * to multiply by a scalar"
            )
        inner_b = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
        if a_shape[-1] != inner_b:
            raise ValueError(
                f"matmul: shapes {a_shape} and {b_shape} are not aligned: the last dimension of "
                f"the first ({a_shape[-1]}) must equal the "
                f"{'only' if len(b_shape) == 1 else 'second-to-last'} dimension of the second "
                f"({inner_b})"
            )
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.shapes = (a_shape, b_shape)
        try:
            return a @ b
        except ValueError as error:  # batch dimensions that do not broadcast
            raise ValueError(
                f"matmul: shapes {a_shape} and {b_shape} do not match: the dimensions before the "
                f"last two must broadcast ({error})"
            ) from None

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        a_shape, b_shape = ctx.shapes
        if len(a_shape) == 2 and len(b_shape) == 2:  # the common case, without reshaping
            return (grad @ b.T if need_a else None, a.T @ grad if need_b else None)
        # A gradient that is not needed was not saved: stand in zeros of its shape.
        a = xp.zeros(a_shape, grad.dtype) if a is None else a
        b = xp.zeros(b_shape, grad.dtype) if b is None else b
        # Promote 1-D operands to matrices as NumPy does, then undo it on the gradients: a
        # vector b became a column (output axis -1), a vector a a row (output axis -2).
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = grad
        if b.ndim == 1:
            g2 = g2[..., None]
        if a.ndim == 1:
            g2 = g2[..., None, :]
        grad_a = grad_b = None
        if need_a:
            grad_a = unbroadcast(g2 @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if need_b:
            grad_b = unbroadcast(xp.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return grad_a, grad_b


# ----------------------------------------------------------------------------- elementwise
class Exp(Function):
    """e^a:  d/da = e^a."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        out = xp.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    """log a:  d/da = 1/a."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.log(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Sqrt(Function):
    """sqrt a:  d/da = 1 / (2 sqrt a)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        out = xp.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Abs(Function):
    """|a|:  d/da = sign(a) (0 at 0, as PyTorch)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.abs(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * xp.sign(a)


class Cast(Function):
    """a converted to another float dtype; the gradient goes back in a's dtype.

    Casts to integer or bool dtypes have no gradient and are not recorded (see ``F.cast``).
    """

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad.astype(ctx.dtype)


class Maximum(Function):
    """Elementwise max(a, b); at a tie each side gets half the gradient (as PyTorch)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return xp.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a = (a > b) + 0.5 * (a == b)
        return _split_by_share(ctx, grad, share_a, a, b)


class Minimum(Function):
    """Elementwise min(a, b); at a tie each side gets half the gradient (as PyTorch)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(a, b)
        return xp.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a = (a < b) + 0.5 * (a == b)
        return _split_by_share(ctx, grad, share_a, a, b)


def _split_by_share(ctx, grad, share_a, a, b):
    """Send ``share_a`` of the gradient to a and the rest to b, each summed to its shape."""
    need_a, need_b = ctx.needs_input_grad
    share_a = share_a.astype(grad.dtype, copy=False)
    return (
        unbroadcast(grad * share_a, _shape(a)) if need_a else None,
        unbroadcast(grad * (1 - share_a), _shape(b)) if need_b else None,
    )


class Clip(Function):
    """a limited to [low, high]; the gradient passes where low <= a <= high (as PyTorch's clamp)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.bounds = (low, high)
        return xp.clip(a, low, high)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        low, high = ctx.bounds
        inside = xp.ones(a.shape, dtype=bool)
        if low is not None:
            inside &= a >= low
        if high is not None:
            inside &= a <= high
        return grad * inside


class Where(Function):
    """condition ? a : b, elementwise; the condition gets no gradient."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, condition, a, b):
        a, b = promote(a, b)
        ctx.save_for_backward(condition)
        ctx.shapes = (_shape(a), _shape(b))
        return xp.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        (condition,) = ctx.saved_tensors
        _, need_a, need_b = ctx.needs_input_grad
        shape_a, shape_b = ctx.shapes
        zero = xp.zeros((), dtype=grad.dtype)
        return (
            None,
            unbroadcast(xp.where(condition, grad, zero), shape_a) if need_a else None,
            unbroadcast(xp.where(condition, zero, grad), shape_b) if need_b else None,
        )


class Sin(Function):
    """sin a:  d/da = cos a."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.sin(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * xp.cos(a)


class Cos(Function):
    """cos a:  d/da = -sin a."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return xp.cos(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return -grad * xp.sin(a)


class Clone(Function):
    """A copy of a in new memory:  d/da = 1."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


class Norm(Function):
    """sqrt(sum(a^2)) over axes:  d/da = a / norm (0 where the norm is 0, as PyTorch)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        axes = _normalize_axes(axis, a.ndim)
        out = xp.sqrt((a * a).sum(axis=axes, keepdims=True))
        ctx.save_for_backward(a, out)
        return (
            out
            if keepdims
            else out.reshape(tuple(n for i, n in enumerate(a.shape) if i not in axes))
        )

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        safe = xp.where(out == 0, 1, out)
        return a * (grad.reshape(out.shape) / safe) * (out != 0)


# ----------------------------------------------------------------------------- in-place writes
class Fill(Function):
    """Every element set to ``value`` (a number or an array of a's shape):  d/da = 0."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, value):
        out = xp.empty_like(a)
        out[...] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        return xp.zeros_like(grad)  # zeros, not None: PyTorch's graph goes on through a


class CopyFrom(Function):
    """a overwritten by src, broadcast to a's shape and cast to its dtype:  d/dsrc = 1, d/da = 0."""

    @staticmethod
    def forward(ctx, a, src):
        ctx.shape = _shape(src)
        out = xp.empty_like(a)
        out[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        need_a, need_src = ctx.needs_input_grad
        return (
            xp.zeros_like(grad) if need_a else None,
            unbroadcast(grad, ctx.shape) if need_src else None,
        )


class SetItem(Function):
    """a with a[index] = value:  d/da = grad outside the index, d/dvalue = grad[index]."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, value, index):
        ctx.index = index
        ctx.shape = _shape(value)
        out = a.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        need_a, need_value = ctx.needs_input_grad
        grad_a = grad_value = None
        if need_a:
            grad_a = grad.copy()
            grad_a[ctx.index] = 0
        if need_value:
            grad_value = unbroadcast(grad[ctx.index], ctx.shape).copy()
        return grad_a, grad_value


# ----------------------------------------------------------------------------- activations
class Sigmoid(Function):
    """1 / (1 + e^-a), without overflow for any a:  d/da = s (1 - s)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        # e^-|a| <= 1 never overflows; an underflow to 0 is the right answer for large |a|.
        with errstate(under="ignore"):
            e = xp.exp(-xp.abs(a))
            positive_side = 1 / (1 + e)  # sigmoid(|a|); sigmoid(-|a|) = e / (1 + e)
            out = xp.where(a >= 0, positive_side, e * positive_side)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Tanh(Function):
    """tanh a:  d/da = 1 - tanh^2 a."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        out = xp.tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class ReLU(Function):
    """max(a, 0):  d/da = 1 where a > 0, else 0."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a):
        out = xp.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)


class LeakyReLU(Function):
    """a where a > 0, else slope * a:  d/da = 1 or slope."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, negative_slope):
        positive = a > 0
        ctx.save_for_backward(positive)
        ctx.negative_slope = negative_slope
        return xp.where(positive, a, a * negative_slope)

    @staticmethod
    def backward(ctx, grad):
        (positive,) = ctx.saved_tensors
        return xp.where(positive, grad, grad * ctx.negative_slope)


def _shifted(a, axis):
    """a minus its maximum along ``axis`` (a row of only -inf is shifted by 0, not by -inf)."""
    peak = a.max(axis=axis, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)
    return a - peak, peak


class Softmax(Function):
    """e^a / sum(e^a) along an axis:  backward  s * (g - sum(g * s))."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, axis):
        shifted, _ = _shifted(a, axis)
        with errstate(under="ignore"):
            e = xp.exp(shifted)
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return out * (grad - (grad * out).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Function):
    """a - logsumexp(a) along an axis:  backward  g - softmax(a) * sum(g)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, axis):
        shifted, _ = _shifted(a, axis)
        with errstate(under="ignore"):
            out = shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        with errstate(under="ignore"):
            return grad - xp.exp(out) * grad.sum(axis=ctx.axis, keepdims=True)


class LogSumExp(Function):
    """log(sum(e^a)) over axes, shifted by the maximum:  d/da = e^(a - out)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        axes = _normalize_axes(axis, a.ndim)
        shifted, peak = _shifted(a, axes)
        with errstate(under="ignore"):
            out = xp.log(xp.exp(shifted).sum(axis=axes, keepdims=True)) + peak
        ctx.save_for_backward(a, out)
        ctx.axes = axes
        return out if keepdims else out.squeeze(axis=axes)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        grad = grad.reshape(out.shape)
        with errstate(under="ignore"):
            return grad * xp.exp(a - out)


# ----------------------------------------------------------------------------- reductions
def _kept_shape(shape, axes):
    """``shape`` with the reduced ``axes`` kept as length one (the shape keepdims=True gives)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(grad, kept_shape, shape):
    """A reduction's output gradient copied over the reduced axes, into a new array of ``shape``.

    A new array rather than a broadcast view: it costs a copy, but a leaf then takes it as its
    ``.grad`` without one, and it skips NumPy's slow Python-level ``broadcast_to``.
    """
    out = xp.empty(shape, dtype=grad.dtype)
    out[...] = grad.reshape(kept_shape)
    return out


class Sum(Function):
    """Sum over axes:  every element gets the output's gradient."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        axes = _normalize_axes(axis, a.ndim)
        ctx.kept_shape = _kept_shape(a.shape, axes)
        ctx.shape = a.shape
        return a.sum(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _spread(grad, ctx.kept_shape, ctx.shape)


class Mean(Function):
    """Mean over axes:  every element gets the output's gradient / count."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, axis, keepdims):
        axes = _normalize_axes(axis, a.ndim)
        ctx.kept_shape = _kept_shape(a.shape, axes)
        ctx.shape = a.shape
        ctx.count = 1
        for axis_index in axes:
            ctx.count *= a.shape[axis_index]
        if a.dtype.kind == "f" and a.dtype.itemsize >= 4:
            # What NumPy's mean computes (the same sum, then one division), without its slow
            # Python wrapper; NumPy's own mean keeps float16's float32 accumulator.
            return a.sum(axis=axes, keepdims=keepdims) / ctx.count
        return a.mean(axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _spread(grad / ctx.count, ctx.kept_shape, ctx.shape)


class _Extreme(Function):
    """Max or min over axes; tied extremes share the gradient equally (as PyTorch's amax)."""

    fresh_grads = True
    reduce = None

    @classmethod
    def forward(cls, ctx, a, axis, keepdims):
        axes = _normalize_axes(axis, a.ndim)
        if a.size == 0:
            raise ValueError(f"{cls.__name__.lower()}() of an empty tensor (shape {a.shape})")
        out = cls.reduce(a, axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes = axes
        return out if keepdims else out.squeeze(axis=axes)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        hits = (a == out).astype(grad.dtype)
        return hits * (grad.reshape(out.shape) / hits.sum(axis=ctx.axes, keepdims=True))


class Max(_Extreme):
    """Largest values over axes."""

    reduce = staticmethod(xp.max)


class Min(_Extreme):
    """Smallest values over axes."""

    reduce = staticmethod(xp.min)


# ----------------------------------------------------------------------------- shape
class Reshape(Function):
    """The same elements in a new shape."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class Permute(Function):
    """Axes reordered by a permutation; backward applies the inverse permutation."""

    @staticmethod
    def forward(ctx, a, axes):
        ctx.inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
        return a.transpose(axes)

    @staticmethod
    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


def _is_basic_index(index):
    """True for ints, slices, None and Ellipsis only: each element is picked at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, int | slice) or p is None or p is Ellipsis for p in parts)


class GetItem(Function):
    """a[index] for ints, slices, integer and boolean arrays; repeated picks add their gradients."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape = a.shape
        ctx.index = index
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        full = xp.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic_index(ctx.index):
            full[ctx.index] = grad
        else:
            xp.add.at(full, ctx.index, grad)
        return full


class Concatenate(Function):
    """Tensors joined along an existing axis; backward splits the gradient into the pieces."""

    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in arrays]
        return xp.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        bounds = []
        total = 0
        for size in ctx.sizes[:-1]:
            total += size
            bounds.append(total)
        return tuple(xp.split(grad, bounds, axis=ctx.axis))


class Stack(Function):
    """Tensors of one shape joined along a new axis; backward takes each slice back."""

    @staticmethod
    def forward(ctx, *arrays, axis):
        out = xp.stack(arrays, axis=axis)
        ctx.axis = axis % out.ndim
        return out

    @staticmethod
    def backward(ctx, grad):
        return tuple(xp.moveaxis(grad, ctx.axis, 0))


# ----------------------------------------------------------------------------- layers and losses
def _special():
    """SciPy's special functions for the array module in use (CuPy's own for CuPy arrays)."""
    if xp.__name__ == "numpy":
        import scipy.special

        return scipy.special
    import cupyx.scipy.special

    return cupyx.scipy.special


class Linear(Function):
    """x @ W.T + b, fused for speed:  gx = g @ W,  gW = g.T @ x,  gb = g summed over rows.

    ``x`` has shape (..., in); leading axes are folded into one for the matrix products.
    """

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, weight, bias):
        if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear: input of shape {_shape(x)} does not fit a weight of shape "
                f"{weight.shape}: the input's last dimension must be in_features={weight.shape[1]}"
            )
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        out = x2 @ weight.T  # BLAS reads the transpose in place: no copy of W
        if bias is not None:
            out += bias
        ctx.save_for_backward(x2, weight)
        ctx.shape = x.shape
        return out if x.ndim == 2 else out.reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad):
        x2, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = grad if grad.ndim == 2 else grad.reshape(-1, weight.shape[0])
        return (
            (g2 @ weight).reshape(ctx.shape) if need_x else None,
            g2.T @ x2 if need_w else None,
            g2.sum(axis=0) if need_b else None,
        )


class ELU(Function):
    """a where a > 0, else alpha (e^a - 1):  d/da = 1, or alpha e^a."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, alpha):
        positive = a > 0
        # min(a, 0): the exponential is never taken of a large positive number.
        negative_part = xp.minimum(a, 0)
        out = xp.where(positive, a, alpha * xp.expm1(negative_part))
        # alpha e^a, not out + alpha, which cancels to nothing for very negative a.
        with errstate(under="ignore"):
            slope = alpha * xp.exp(negative_part)
        ctx.save_for_backward(positive, slope)
        return out

    @staticmethod
    def backward(ctx, grad):
        positive, slope = ctx.saved_tensors
        return xp.where(positive, grad, grad * slope)


_SQRT_2_OVER_PI = 0.7978845608028654  # sqrt(2 / pi)
_INV_SQRT_2PI = 0.3989422804014327  # 1 / sqrt(2 pi)


class GELU(Function):
    """x Phi(x) (Phi: the standard normal CDF), or its tanh approximation (``approximate``).

    Exact:  d/dx = Phi(x) + x phi(x).
    Tanh form:  0.5 x (1 + t),  t = tanh(sqrt(2/pi) (x + 0.044715 x^3)),
    d/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    """

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, approximate):
        ctx.save_for_backward(a)
        ctx.approximate = approximate
        if approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a**3))
            return 0.5 * a * (1 + t)
        return a * _special().ndtr(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a**3))
            slope = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * _SQRT_2_OVER_PI * (
                1 + 3 * 0.044715 * a * a
            )
            return grad * slope
        with errstate(under="ignore"):
            density = _INV_SQRT_2PI * xp.exp(-0.5 * a * a)
        return grad * (_special().ndtr(a) + a * density)


class Softplus(Function):
    """log(1 + e^(beta a)) / beta, or a where beta a > threshold:  d/da = sigmoid(beta a)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, a, beta, threshold):
        scaled = a * beta
        linear = scaled > threshold
        # e^min(beta a, threshold) never overflows; the linear branch covers the rest.
        with errstate(under="ignore"):
            e = xp.exp(xp.minimum(scaled, threshold))
        ctx.save_for_backward(linear, e)
        return xp.where(linear, a, xp.log1p(e) / beta)

    @staticmethod
    def backward(ctx, grad):
        linear, e = ctx.saved_tensors
        return xp.where(linear, grad, grad * (e / (1 + e)))


class CrossEntropy(Function):
    """Cross-entropy of logits (M, C) against class indices (M,), per row, log-softmax fused in.

    loss_i = -(1 - s) w[y_i] logp[i, y_i] - (s / C) sum_c w[c] logp[i, c]   (s: label smoothing),
    and 0 where y_i == ignore_index.  With p = softmax(logits):
    d loss_i / d logits_i = (1 - s) w[y_i] (p_i - onehot(y_i)) + (s / C) (sum(w) p_i - w).
    """

    fresh_grads = True

    @staticmethod
    def forward(ctx, logits, target, *, weight, ignore_index, label_smoothing):
        rows = xp.arange(target.shape[0])
        keep = target != ignore_index
        safe = xp.where(keep, target, 0)  # ignored rows pick class 0, then get weight 0
        shifted, _ = _shifted(logits, 1)
        with errstate(under="ignore"):
            e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_total = xp.log(total)
        row_weight = keep.astype(logits.dtype) if weight is None else weight[safe] * keep
        loss = (label_smoothing - 1) * row_weight * (shifted[rows, safe] - log_total[:, 0])
        if label_smoothing:
            log_p = shifted - log_total
            smooth = log_p.sum(axis=1) if weight is None else log_p @ weight
            loss -= (label_smoothing / logits.shape[1]) * keep * smooth
        e /= total  # now softmax(logits), kept for backward
        ctx.save_for_backward(e, safe, row_weight, keep)
        ctx.weight = weight
        ctx.label_smoothing = label_smoothing
        return loss

    @staticmethod
    def backward(ctx, grad):
        p, safe, row_weight, keep = ctx.saved_tensors
        smoothing = ctx.label_smoothing
        coef = (1 - smoothing) * row_weight * grad
        with errstate(under="ignore"):
            gx = p * coef[:, None]
            gx[xp.arange(safe.shape[0]), safe] -= coef
            if smoothing:
                share = (smoothing / p.shape[1]) * keep * grad
                weight = ctx.weight
                total_weight = p.shape[1] if weight is None else weight.sum()
                gx += p * (share * total_weight)[:, None]
                gx -= share[:, None] if weight is None else share[:, None] * weight
        return gx, None


class BinaryCrossEntropy(Function):
    """-w (y log x + (1 - y) log(1 - x)) elementwise, each log clamped at -100 (as PyTorch).

    d/dx = w (x - y) / max(x (1 - x), 1e-12),  d/dy = w (log(1 - x) - log x).
    """

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, y, *, weight):
        with errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), -100)
            log_1mx = xp.maximum(xp.log1p(-x), -100)
        loss = -(y * log_x + (1 - y) * log_1mx)
        if weight is not None:
            loss *= weight
        ctx.save_for_backward(x, y, log_x, log_1mx)
        ctx.weight = weight
        return loss

    @staticmethod
    def backward(ctx, grad):
        x, y, log_x, log_1mx = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        if ctx.weight is not None:
            grad = grad * ctx.weight
        return (
            grad * (x - y) / xp.maximum(x * (1 - x), 1e-12) if need_x else None,
            grad * (log_1mx - log_x) if need_y else None,
        )


class BinaryCrossEntropyWithLogits(Function):
    """BCE of sigmoid(x) against y, from the logit x without overflow, elementwise.

    loss = w ((1 - y) x + (1 + (pw - 1) y) softplus(-x))   (pw: pos_weight), with
    softplus(-x) = log(1 + e^-|x|) + max(-x, 0).
    d/dx = w ((1 + (pw - 1) y) sigmoid(x) - pw y),   d/dy = w ((pw - 1) softplus(-x) - x).
    """

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, y, *, weight, pos_weight):
        with errstate(under="ignore"):
            e = xp.exp(-xp.abs(x))  # <= 1: never overflows
        softplus_neg = xp.log1p(e) + xp.maximum(-x, 0)
        coef = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        loss = (1 - y) * x + coef * softplus_neg
        if weight is not None:
            loss *= weight
        ctx.save_for_backward(x, y, e, softplus_neg)
        ctx.weights = (weight, pos_weight)
        return loss

    @staticmethod
    def backward(ctx, grad):
        x, y, e, softplus_neg = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        weight, pos_weight = ctx.weights
        if weight is not None:
            grad = grad * weight
        grad_x = grad_y = None
        if need_x:
            sigmoid = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
            if pos_weight is None:
                grad_x = grad * (sigmoid - y)
            else:
                grad_x = grad * ((1 + (pos_weight - 1) * y) * sigmoid - pos_weight * y)
        if need_y:
            slope = -x if pos_weight is None else (pos_weight - 1) * softplus_neg - x
            grad_y = grad * slope
        return grad_x, grad_y
