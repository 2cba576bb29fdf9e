"""Tensor: an array, its gradient, and the operation that made it.

A tensor wraps an array of the engine's array module (``.data``). When it requires a gradient,
every operation applied to it records a node (``._ctx``) so that :meth:`Tensor.backward` can apply
the chain rule in reverse. Operators and methods here only forward to the primitives in
:mod:`mlplab.ops` and the functions in :mod:`mlplab.functional`.

Dtypes follow PyTorch when a tensor is made from Python data and NumPy afterwards:

* Python floats (and lists holding any float) become ``float32``, Python ints ``int64``, Python
  bools ``bool`` -- as ``torch.tensor`` does;
* an ndarray (or NumPy scalar) keeps its dtype;
* results of operations follow NumPy's type promotion: ``float32 op float64 -> float64``, and a
  Python number on either side keeps the tensor's dtype (``float32 * 2.0 -> float32``).
"""

import numbers

import numpy

from mlplab.backend import to_numpy, xp

FLOAT_KINDS = ("f",)


def _resolve_dtype(dtype):
    """Turn a dtype given as a NumPy dtype, a type or a name into a NumPy dtype."""
    if dtype is None:
        return None
    try:
        return numpy.dtype(dtype)
    except TypeError as error:
        raise TypeError(
            f"Unknown dtype {dtype!r}: use a NumPy dtype or its name, e.g. 'float32'"
        ) from error


def _python_dtype(array, data):
    """The dtype PyTorch gives Python data: float32 for floats, int64 for ints, bool for bools.

    ``array`` is ``data`` as NumPy made it, which tells what kind of numbers it holds.
    """
    kind = array.dtype.kind
    if kind == "b":
        return numpy.dtype(bool)
    if kind in "iu":
        return numpy.dtype(numpy.int64)
    if kind == "f":
        return numpy.dtype(numpy.float32)
    raise TypeError(
        f"Cannot make a tensor from {type(data).__name__} data of kind {array.dtype}: "
        "use numbers, nested lists of numbers, or an ndarray"
    )


def as_array(data, dtype=None, copy=True):
    """``data`` (Tensor, ndarray, number or nested list) as an array, by mlplab's dtype rules."""
    dtype = _resolve_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, xp.ndarray | numpy.ndarray | numpy.generic):
        array = xp.asarray(data)
        if array.dtype.kind not in "biuf":
            raise TypeError(
                f"Cannot make a tensor of dtype {array.dtype}: only bool, int and float"
            )
    elif isinstance(data, numbers.Number | list | tuple):
        host = numpy.asarray(data)
        # A new array already: no copy needed, whatever ``copy`` says.
        return xp.asarray(host, dtype=_python_dtype(host, data) if dtype is None else dtype)
    else:
        raise TypeError(
            f"Cannot make a tensor from {type(data).__name__}: "
            "use numbers, nested lists or an ndarray"
        )
    if dtype is not None and array.dtype != dtype:
        return array.astype(dtype)
    return array.copy() if copy else array


def shape_from_args(shape):
    """Accept a shape given as separate ints, ``f(2, 3)``, or as one sequence, ``f((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        return tuple(shape[0])
    return tuple(shape)


def _check_can_require_grad(array):
    """Raise TypeError unless ``array`` is floating point: only those have gradients."""
    if array.dtype.kind not in FLOAT_KINDS:
        raise TypeError(
            f"Only floating-point tensors can require gradients, but this tensor has dtype "
            f"{array.dtype}: a gradient is a rate of change, and integers do not change "
            "continuously. Convert first, e.g. mlplab.tensor(data, dtype='float32')."
        )


class Tensor:
    """An n-dimensional array that can record operations and compute gradients."""

    __slots__ = ("__weakref__", "_ctx", "data", "grad", "requires_grad")

    # Make ndarray <op> Tensor defer to Tensor's reflected operators instead of broadcasting
    # over the Tensor object element by element.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = as_array(data, dtype)
        self.grad = None
        self.requires_grad = False
        self._ctx = None
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, array, ctx=None):
        """Wrap an array produced by an operation, without copying or checking it."""
        tensor = object.__new__(Tensor)
        if not isinstance(array, xp.ndarray):
            array = xp.asarray(array)  # NumPy returns scalars from 0-d operations
        tensor.data = array
        tensor.grad = None
        tensor.requires_grad = ctx is not None
        tensor._ctx = ctx
        return tensor

    # ----------------------------------------------------------------- attributes
    @property
    def shape(self):
        """The shape of the data, a tuple of ints."""
        return self.data.shape

    @property
    def dtype(self):
        """The NumPy dtype of the data."""
        return self.data.dtype

    @property
    def ndim(self):
        """The number of dimensions."""
        return self.data.ndim

    @property
    def is_leaf(self):
        """True for tensors not made by a recorded operation (parameters, inputs)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The node that made this tensor, or None for a leaf."""
        return self._ctx

    @property
    def T(self):
        """The tensor with its axes reversed (the transpose of a matrix)."""
        return self.transpose()

    def numel(self):
        """The number of elements."""
        return self.data.size

    def size(self, dim=None):
        """The shape, or the length of dimension ``dim`` (PyTorch's spelling)."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ----------------------------------------------------------------- conversion
    def numpy(self):
        """The data as a NumPy array (shared with the tensor, not copied, when it is NumPy's)."""
        return to_numpy(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, this one has shape {self.shape}"
            )
        return self.data.item()

    def __array__(self, dtype=None, copy=None):
        """The data for NumPy functions (``np.asarray(t)``), in host memory."""
        array = to_numpy(self.data)
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def tolist(self):
        """The data as (nested) Python lists."""
        return self.data.tolist()

    def detach(self):
        """A tensor sharing this one's data, cut off from the graph (requires no gradient)."""
        return Tensor._make(self.data)

    def requires_grad_(self, requires_grad=True):
        """Set whether operations on this leaf tensor are recorded; returns the tensor."""
        if requires_grad:
            _check_can_require_grad(self.data)
        elif self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False) only applies to leaf tensors; use .detach() to cut a "
                "computed tensor off the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def astype(self, dtype):
        """This tensor converted to ``dtype``; the gradient flows back in the old dtype."""
        return F.cast(self, dtype)

    def float(self):
        """This tensor as float32."""
        return self.astype(numpy.float32)

    def double(self):
        """This tensor as float64."""
        return self.astype(numpy.float64)

    def long(self):
        """This tensor as int64 (no gradient flows through an integer result)."""
        return self.astype(numpy.int64)

    def __bool__(self):
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self.data.item())

    def __repr__(self):
        body = numpy.array2string(
            to_numpy(self.data), separator=", ", prefix="tensor(", threshold=200
        )
        extras = ""
        if self.data.dtype not in (numpy.float32, numpy.int64, numpy.bool_):
            extras += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extras += f", grad_fn=<{type(self._ctx).__name__}Backward>"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=False):
        """Add the gradient of this tensor to ``.grad`` of every leaf it depends on.

        Parameters
        ----------
        gradient : array_like, optional
            d(something)/d(self), same shape as self; required unless self has one element.
        retain_graph : bool
            Keep the graph's saved arrays so that backward can run through it again.
        """
        autograd.backward(self, gradient, retain_graph)

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return ops.Add.apply(self, other)

    def __radd__(self, other):
        return ops.Add.apply(other, self)

    def __sub__(self, other):
        return ops.Sub.apply(self, other)

    def __rsub__(self, other):
        return ops.Sub.apply(other, self)

    def __mul__(self, other):
        return ops.Mul.apply(self, other)

    def __rmul__(self, other):
        return ops.Mul.apply(other, self)

    def __truediv__(self, other):
        return ops.Div.apply(self, other)

    def __rtruediv__(self, other):
        return ops.Div.apply(other, self)

    def __pow__(self, exponent):
        return ops.Pow.apply(self, exponent)

    def __rpow__(self, base):
        return ops.Pow.apply(base, self)

    def __matmul__(self, other):
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul.apply(other, self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __getitem__(self, index):
        return F.getitem(self, index)

    # Comparisons give bool tensors and are not differentiable, as in PyTorch.
    def __eq__(self, other):
        return Tensor._make(self.data == _data(other))

    def __ne__(self, other):
        return Tensor._make(self.data != _data(other))

    def __lt__(self, other):
        return Tensor._make(self.data < _data(other))

    def __le__(self, other):
        return Tensor._make(self.data <= _data(other))

    def __gt__(self, other):
        return Tensor._make(self.data > _data(other))

    def __ge__(self, other):
        return Tensor._make(self.data >= _data(other))

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- elementwise methods
    def exp(self):
        """e to the power of each element."""
        return F.exp(self)

    def log(self):
        """Natural logarithm of each element."""
        return F.log(self)

    def sqrt(self):
        """Square root of each element."""
        return F.sqrt(self)

    def abs(self):
        """Absolute value of each element."""
        return F.abs(self)

    def sigmoid(self):
        """Logistic sigmoid 1 / (1 + e^-x) of each element, computed without overflow."""
        return F.sigmoid(self)

    def tanh(self):
        """Hyperbolic tangent of each element."""
        return F.tanh(self)

    def relu(self):
        """max(x, 0) of each element."""
        return F.relu(self)

    def leaky_relu(self, negative_slope=0.01):
        """x where x > 0, else negative_slope * x."""
        return F.leaky_relu(self, negative_slope)

    def clip(self, min=None, max=None):
        """Each element limited to [min, max]; alias ``clamp``."""
        return F.clip(self, min, max)

    clamp = clip

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the largest values along an axis (not differentiable)."""
        axis, keepdims = F.resolve_axis(axis, keepdims, dim, keepdim)
        return Tensor._make(self.data.argmax(axis=axis, keepdims=keepdims))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the smallest values along an axis (not differentiable)."""
        axis, keepdims = F.resolve_axis(axis, keepdims, dim, keepdim)
        return Tensor._make(self.data.argmin(axis=axis, keepdims=keepdims))

    # ----------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum over ``axis`` (all axes when None); ``dim``/``keepdim`` are accepted too."""
        return F.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over ``axis`` (all axes when None)."""
        return F.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Largest values over ``axis`` (the values only, as NumPy's ``max``)."""
        return F.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Smallest values over ``axis`` (the values only, as NumPy's ``min``)."""
        return F.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def softmax(self, axis=-1, *, dim=None):
        """exp(x) / sum(exp(x)) along ``axis``."""
        return F.softmax(self, axis, dim=dim)

    def log_softmax(self, axis=-1, *, dim=None):
        """log(softmax(x)) along ``axis``, computed stably."""
        return F.log_softmax(self, axis, dim=dim)

    def logsumexp(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """log(sum(exp(x))) over ``axis``, computed stably."""
        return F.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        """The same data in a new shape; accepts ``reshape(2, 3)`` and ``reshape((2, 3))``."""
        return F.reshape(self, *shape)

    view = reshape

    def flatten(self, start_dim=0):
        """Merge the dimensions from ``start_dim`` on into one."""
        return F.reshape(self, (*self.shape[:start_dim], -1))

    def transpose(self, *axes):
        """Reverse the axes; ``transpose(i, j)`` swaps two; a full permutation permutes them."""
        return F.transpose(self, *axes)

    def permute(self, *dims):
        """Reorder the axes by the permutation ``dims``."""
        return F.permute(self, *dims)

    def swapaxes(self, axis1, axis2):
        """Swap two axes."""
        return F.swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        """Remove axes of length one (all of them, or those of ``axis`` that have length one)."""
        shape = self.shape
        if axis is None:
            new_shape = tuple(n for n in shape if n != 1)
        else:
            axes = ops._normalize_axes(axis, len(shape))
            new_shape = tuple(n for i, n in enumerate(shape) if i not in axes or n != 1)
        return F.reshape(self, new_shape)

    def unsqueeze(self, axis):
        """Insert an axis of length one at ``axis`` (-ndim - 1 <= axis <= ndim)."""
        shape = list(self.shape)
        if not -len(shape) - 1 <= axis <= len(shape):
            raise ValueError(
                f"unsqueeze: axis {axis} is out of range for a tensor of shape {self.shape}: "
                f"use -{len(shape) + 1} to {len(shape)}"
            )
        shape.insert(axis if axis >= 0 else len(shape) + axis + 1, 1)
        return F.reshape(self, tuple(shape))


def _data(x):
    """The array inside ``x`` if it is a Tensor, else ``x`` itself."""
    return x.data if isinstance(x, Tensor) else x


def tensor(data, dtype=None, requires_grad=False):
    """Make a tensor from ``data`` (copied), with PyTorch's default dtypes for Python data."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None):
    """Make a tensor sharing ``data``'s memory when it is already an array of the right dtype."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == _resolve_dtype(dtype)):
        return data
    return Tensor._make(as_array(data, dtype, copy=False))


def from_numpy(array):
    """A tensor sharing the memory of the NumPy array ``array``."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(as_array(array, copy=False))


# Bound at the end: these modules import Tensor from here.
from mlplab import autograd, ops  # noqa: E402
from mlplab import functional as F  # noqa: E402
