"""Tensor: an array, its gradient, and the operation that made it.

A tensor wraps an array of the engine's array module (``._data``; ``.data`` is that array as a
tensor outside the graph, as in PyTorch). When it requires a gradient, every operation applied to
it records a node (``._ctx``) so that :meth:`Tensor.backward` can apply the chain rule in reverse;
the gradient array is ``._grad``, seen as a tensor through ``.grad``. Operators and methods here
only forward to the primitives in :mod:`mlplab.ops` and the functions in
:mod:`mlplab.functional`. In-place operations (``add_``, ``+=``, ``t[i] = v`` ...) follow
PyTorch's rules, with a version counter that catches a saved value changed before backward.

Dtypes follow PyTorch:

* Python floats (and lists holding any float) become the default dtype (float32 unless
  :func:`mlplab.set_default_dtype` says otherwise), Python ints ``int64``, Python bools ``bool``;
* an ndarray (or NumPy scalar) keeps its dtype;
* results of operations follow PyTorch's promotion (:mod:`mlplab.dtypes`): ``float32 op float64
  -> float64``, a Python number keeps the tensor's dtype (``float32 * 2.0 -> float32``), and a
  float32 tensor stays float32 with an integer tensor (``x ** n``).
"""

import numbers

import numpy

from mlplab import dtypes
from mlplab.backend import to_numpy, xp

FLOAT_KINDS = ("f",)


def _resolve_dtype(dtype):
    """Turn a dtype given as a NumPy dtype, a type or a name into a NumPy dtype."""
    return dtypes.resolve(dtype)


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
        return dtypes.get_default_dtype()
    raise TypeError(
        f"Cannot make a tensor from {type(data).__name__} data of kind {array.dtype}: "
        "use numbers, nested lists of numbers, or an ndarray"
    )


def as_array(data, dtype=None, copy=True):
    """``data`` (Tensor, ndarray, number or nested list) as an array, by mlplab's dtype rules."""
    dtype = _resolve_dtype(dtype)
    if isinstance(data, Tensor):
        data = data._data
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

    # ``_data`` is the array, ``_grad`` the gradient array (or None); the public ``data`` and
    # ``grad`` wrap them as tensors. ``_grad_tensor`` caches the wrapper of ``_grad``.
    # ``_version`` counts in-place changes, so a backward pass can tell that a value it saved
    # was changed since (PyTorch's version counter).
    __slots__ = (
        "__weakref__",
        "_ctx",
        "_data",
        "_grad",
        "_grad_tensor",
        "_stamp",
        "_version",
        "requires_grad",
    )

    # Make ndarray <op> Tensor defer to Tensor's reflected operators instead of broadcasting
    # over the Tensor object element by element.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad=False):
        self._data = as_array(data, dtype)
        self._grad = None
        self._version = self._stamp = 0
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
        tensor._data = array
        tensor._grad = None
        tensor._version = tensor._stamp = 0
        tensor.requires_grad = ctx is not None
        tensor._ctx = ctx
        return tensor

    # ----------------------------------------------------------------- attributes
    @property
    def data(self):
        """The values as a tensor outside the graph, sharing its memory (PyTorch's ``.data``)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        self._data = as_array(value, copy=False)

    @property
    def grad(self):
        """The gradient as a tensor (the same object while the gradient array is), or None."""
        array = self._grad
        if array is None:
            return None
        wrapper = getattr(self, "_grad_tensor", None)
        if wrapper is None or wrapper._data is not array:
            wrapper = Tensor._make(array)
            self._grad_tensor = wrapper
        return wrapper

    @grad.setter
    def grad(self, value):
        if value is None:
            self._grad = None
            return
        array = as_array(value, copy=False)
        if array.shape != self._data.shape:
            raise RuntimeError(
                f"assigned grad has data of a different size: shape {list(array.shape)} for a "
                f"tensor of shape {list(self._data.shape)}"
            )
        if array.dtype != self._data.dtype:
            raise RuntimeError(
                f"assigned grad has data of a different type: {array.dtype} for a tensor of "
                f"dtype {self._data.dtype}; convert it first, e.g. g.astype('{self._data.dtype}')"
            )
        self._grad = array

    @property
    def shape(self):
        """The shape of the data, a tuple of ints."""
        return self._data.shape

    @property
    def dtype(self):
        """The NumPy dtype of the data."""
        return self._data.dtype

    @property
    def ndim(self):
        """The number of dimensions."""
        return self._data.ndim

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

    @property
    def device(self):
        """The device the data is on: ``cpu`` with NumPy, ``cuda:0`` with CuPy."""
        return _device.CURRENT

    @property
    def is_cuda(self):
        """True when the data is a CuPy (GPU) array."""
        return _device.CURRENT.type == "cuda"

    def numel(self):
        """The number of elements."""
        return self._data.size

    def dim(self):
        """The number of dimensions (PyTorch's spelling of ``ndim``)."""
        return self._data.ndim

    def is_floating_point(self):
        """True for a floating-point dtype."""
        return self._data.dtype.kind == "f"

    def element_size(self):
        """Bytes per element."""
        return self._data.itemsize

    def size(self, dim=None):
        """The shape, or the length of dimension ``dim`` (PyTorch's spelling)."""
        return self._data.shape if dim is None else self._data.shape[dim]

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ----------------------------------------------------------------- conversion
    def numpy(self):
        """The data as a NumPy array (shared with the tensor, not copied, when it is NumPy's)."""
        return to_numpy(self._data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, this one has shape {self.shape}"
            )
        return self._data.item()

    def __array__(self, dtype=None, copy=None):
        """The data for NumPy functions (``np.asarray(t)``), in host memory."""
        array = to_numpy(self._data)
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def tolist(self):
        """The data as (nested) Python lists."""
        return self._data.tolist()

    def detach(self):
        """A tensor sharing this one's data, cut off from the graph (requires no gradient)."""
        return Tensor._make(self._data)

    def requires_grad_(self, requires_grad=True):
        """Set whether operations on this leaf tensor are recorded; returns the tensor."""
        if requires_grad:
            _check_can_require_grad(self._data)
        elif self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False) only applies to leaf tensors; use .detach() to cut a "
                "computed tensor off the graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def astype(self, dtype):
        """This tensor converted to ``dtype`` (itself when it has it already); the gradient flows
        back in the old dtype."""
        dtype = dtypes.resolve(dtype)
        return self if dtype == self._data.dtype else F.cast(self, dtype)

    def clone(self):
        """A copy in new memory that stays in the graph (the gradient flows back to this one)."""
        return ops.Clone.apply(self)

    def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False):
        """This tensor in another dtype and/or on a device: ``to(dtype)``, ``to(device)``,
        ``to(device, dtype)``, ``to(other_tensor)``; itself when nothing changes (unless copy)."""
        dtype, device = to_arguments(args, dtype, device)
        _device.check(device)
        out = self if dtype is None else self.astype(dtype)
        return out.clone() if copy and out is self else out

    def cpu(self):
        """This tensor for host memory: itself (``.numpy()`` copies CuPy data to the host)."""
        return self

    def cuda(self, device=None, non_blocking=False):
        """This tensor on the GPU: itself with CuPy, refused (with the way to CUDA) otherwise."""
        _device.check("cuda" if device is None else device)
        return self

    def type(self, dtype=None):
        """The type name without an argument (e.g. ``'torch.FloatTensor'``), else ``.to(dtype)``."""
        if dtype is None:
            return _TYPE_NAMES.get(self._data.dtype, f"torch.{self._data.dtype}")
        return self.astype(dtype)

    def type_as(self, other):
        """This tensor in ``other``'s dtype."""
        return self.astype(other.dtype)

    def float(self):
        """This tensor as float32."""
        return self.astype(numpy.float32)

    def double(self):
        """This tensor as float64."""
        return self.astype(numpy.float64)

    def long(self):
        """This tensor as int64 (no gradient flows through an integer result)."""
        return self.astype(numpy.int64)

    def int(self):
        """This tensor as int32."""
        return self.astype(numpy.int32)

    def bool(self):
        """This tensor as bool."""
        return self.astype(numpy.bool_)

    def __bool__(self):
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of one element can be used as an index")
        return int(self._data.item())

    def __repr__(self):
        body = numpy.array2string(
            to_numpy(self._data), separator=", ", prefix="tensor(", threshold=200
        )
        extras = ""
        if self._data.dtype not in (numpy.float32, numpy.int64, numpy.bool_):
            extras += f", dtype={self._data.dtype}"
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

    def __floordiv__(self, other):
        a, b = dtypes.promote(self._data, _data(other))
        return Tensor._make(a // b)  # piecewise constant: no gradient, as in PyTorch

    def __mod__(self, other):
        # a - floor(a / b) * b: the gradient with respect to a is 1, as PyTorch's remainder.
        return self - (self // other) * other

    def __neg__(self):
        return ops.Neg.apply(self)

    def __abs__(self):
        return F.abs(self)

    def __pos__(self):
        return self

    def __getitem__(self, index):
        return F.getitem(self, index)

    # ----------------------------------------------------------------- in-place operations
    def _inplace(self, function, *args, **params):
        """Write ``function(self, *args)`` into this tensor's memory, by PyTorch's rules.

        Recorded (grad mode on, and this tensor or an argument requires grad): the previous
        value becomes a hidden copy that the new node takes as input 0, and the tensor takes the
        new node -- so ``c += c * 2`` differentiates right. Outside the graph (``no_grad()``, or
        nothing requires grad) the values are just overwritten. Either way the version counter
        goes up, which is how a backward pass notices a value it saved was changed since.
        """
        record = self._records(*args)
        if record and self.requires_grad and self._ctx is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Update parameters inside `with mlplab.no_grad():` (or change p.data)"
            )
        if record:
            previous = Tensor._make(self._data.copy(), self._ctx)
            previous.requires_grad = self.requires_grad
            result = function.apply(previous, *args, **params)
            result._ctx.previous = previous  # for nodes that read the value before this change
            out = result._data
        else:
            ctx = object.__new__(function)
            ctx.needs_input_grad = (False,) * (1 + len(args))
            arrays = [a._data if isinstance(a, Tensor) else a for a in args]
            out = function.forward(ctx, self._data, *arrays, **params)
        self._write(out, function)
        autograd.mark_output_modified(self)
        if record:
            self._ctx = result._ctx
            self.requires_grad = True
        self._count_change()
        return self

    def _count_change(self):
        """Count an in-place change: this tensor's version, and the process-wide stamp."""
        self._version += 1
        autograd._Mode.inplace_stamp += 1
        self._stamp = autograd._Mode.inplace_stamp

    def _write(self, out, function):
        """Copy an in-place operation's result into this tensor, checking shape and dtype."""
        out = xp.asarray(out)
        if out.shape != self.shape:
            raise RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(out.shape)} ({function.__name__.lower()}_ cannot grow the tensor it "
                "changes in place; use the out-of-place form)"
            )
        if dtypes.category(out.dtype) > dtypes.category(self._data.dtype):
            raise RuntimeError(
                f"result type {out.dtype} can't be cast to the desired output type "
                f"{self._data.dtype}: convert the tensor first, e.g. t = t.float()"
            )
        self._data[...] = out

    def add_(self, other, *, alpha=1):
        """self += alpha * other, in place; returns self."""
        return self._inplace(ops.Add, other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1):
        """self -= alpha * other, in place; returns self."""
        return self._inplace(ops.Sub, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        """self *= other, in place; returns self."""
        return self._inplace(ops.Mul, other)

    def div_(self, other):
        """self /= other, in place; returns self."""
        return self._inplace(ops.Div, other)

    def pow_(self, exponent):
        """self **= exponent, in place; returns self."""
        return self._inplace(ops.Pow, exponent)

    def clamp_(self, min=None, max=None):
        """Limit each element to [min, max], in place; returns self."""
        if min is None and max is None:
            raise ValueError("clamp_() needs at least one of min and max")
        return self._inplace(ops.Clip, low=_data(min), high=_data(max))

    clip_ = clamp_

    def copy_(self, src):
        """Overwrite this tensor with ``src`` (broadcast to its shape, cast to its dtype)."""
        return self._inplace(ops.CopyFrom, src)

    def fill_(self, value):
        """Set every element to ``value``, in place; returns self."""
        return self._inplace(ops.Fill, value=_data(value))

    def zero_(self):
        """Set every element to 0, in place; returns self."""
        return self._inplace(ops.Fill, value=0)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill with uniform samples from [a, b), drawn from mlplab's generator; returns self."""
        values = _random.generator_or_default(generator).uniform(self.shape, a, b, self.dtype)
        return self._inplace(ops.Fill, value=values)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with normal samples N(mean, std^2), drawn from mlplab's generator; returns self."""
        values = _random.generator_or_default(generator).normal(self.shape, mean, std, self.dtype)
        return self._inplace(ops.Fill, value=values)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, exponent):
        return self.pow_(exponent)

    def __setitem__(self, index, value):
        """``t[index] = value``: an in-place write, recorded when a gradient flows through it."""
        index = F.index_arrays(index)
        if self._records(value):
            self._inplace(ops.SetItem, value, index=index)
            return
        if isinstance(value, Tensor) and dtypes.category(value.dtype) > dtypes.category(self.dtype):
            raise RuntimeError(
                f"Index put requires the source and destination dtypes match, got "
                f"{self.dtype} for the destination and {value.dtype} for the source"
            )
        self._data[index] = _data(value)
        autograd.mark_output_modified(self)
        self._count_change()

    def _records(self, *args):
        """True when an in-place operation with ``args`` on this tensor must be recorded."""
        return autograd._Mode.grad_enabled and (
            self.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        )

    # Comparisons give bool tensors and are not differentiable, as in PyTorch.
    def __eq__(self, other):
        return Tensor._make(self._data == _data(other))

    def __ne__(self, other):
        return Tensor._make(self._data != _data(other))

    def __lt__(self, other):
        return Tensor._make(self._data < _data(other))

    def __le__(self, other):
        return Tensor._make(self._data <= _data(other))

    def __gt__(self, other):
        return Tensor._make(self._data > _data(other))

    def __ge__(self, other):
        return Tensor._make(self._data >= _data(other))

    __hash__ = object.__hash__

    def eq(self, other):
        """Elementwise ==, as a bool tensor (PyTorch's method form)."""
        return self == other

    def ne(self, other):
        """Elementwise !=, as a bool tensor."""
        return self != other

    def view_as(self, other):
        """This tensor in ``other``'s shape."""
        return F.reshape(self, other.shape)

    reshape_as = view_as

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

    def sin(self):
        """Sine of each element."""
        return F.sin(self)

    def cos(self):
        """Cosine of each element."""
        return F.cos(self)

    def pow(self, exponent):
        """Each element to the power ``exponent``."""
        return ops.Pow.apply(self, exponent)

    def add(self, other, *, alpha=1):
        """self + alpha * other."""
        return ops.Add.apply(self, other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        """self - alpha * other."""
        return ops.Sub.apply(self, other if alpha == 1 else other * alpha)

    def mul(self, other):
        """self * other, elementwise."""
        return ops.Mul.apply(self, other)

    def div(self, other):
        """self / other, elementwise."""
        return ops.Div.apply(self, other)

    def matmul(self, other):
        """Matrix product self @ other."""
        return ops.MatMul.apply(self, other)

    def mm(self, other):
        """Product of two matrices."""
        return F.mm(self, other)

    def mv(self, vector):
        """Product of a matrix and a vector."""
        return F.mv(self, vector)

    def t(self):
        """The transpose of a matrix (a vector or scalar as it is)."""
        return F.t(self)

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
        return Tensor._make(self._data.argmax(axis=axis, keepdims=keepdims))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Indices of the smallest values along an axis (not differentiable)."""
        axis, keepdims = F.resolve_axis(axis, keepdims, dim, keepdim)
        return Tensor._make(self._data.argmin(axis=axis, keepdims=keepdims))

    # ----------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Sum over ``axis`` (all axes when None); ``dim``/``keepdim`` are accepted too."""
        return F.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over ``axis`` (all axes when None)."""
        return F.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The largest value; along ``dim``, PyTorch's ``(values, indices)`` named tuple.

        NumPy's spelling ``max(axis=...)`` gives the values only.
        """
        return F.extreme_along(self, "max", dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The smallest value; along ``dim``, PyTorch's ``(values, indices)`` named tuple.

        NumPy's spelling ``min(axis=...)`` gives the values only.
        """
        return F.extreme_along(self, "min", dim, keepdim, axis, keepdims)

    def amax(self, dim=None, keepdim=False):
        """Largest values over ``dim`` (all dimensions when None)."""
        return F.max(self, dim=dim, keepdim=keepdim)

    def amin(self, dim=None, keepdim=False):
        """Smallest values over ``dim`` (all dimensions when None)."""
        return F.min(self, dim=dim, keepdim=keepdim)

    def var(self, dim=None, *, correction=1, unbiased=None, keepdim=False):
        """Variance over ``dim``, with Bessel's correction by default (as PyTorch)."""
        return F.var(self, dim, correction=correction, unbiased=unbiased, keepdim=keepdim)

    def std(self, dim=None, *, correction=1, unbiased=None, keepdim=False):
        """Standard deviation over ``dim``, with Bessel's correction by default (as PyTorch)."""
        return F.std(self, dim, correction=correction, unbiased=unbiased, keepdim=keepdim)

    def norm(self, p=2, dim=None, keepdim=False):
        """The p-norm over ``dim`` (all elements when None): 2 (Frobenius), 1, inf, or any p."""
        return F.norm(self, p, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        """True where any element (along ``dim``) is nonzero (not differentiable)."""
        return Tensor._make(self._data.any(axis=dim, keepdims=keepdim))

    def all(self, dim=None, keepdim=False):
        """True where every element (along ``dim``) is nonzero (not differentiable)."""
        return Tensor._make(self._data.all(axis=dim, keepdims=keepdim))

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


_TYPE_NAMES = {
    numpy.dtype(numpy.float32): "torch.FloatTensor",
    numpy.dtype(numpy.float64): "torch.DoubleTensor",
    numpy.dtype(numpy.float16): "torch.HalfTensor",
    numpy.dtype(numpy.int64): "torch.LongTensor",
    numpy.dtype(numpy.int32): "torch.IntTensor",
    numpy.dtype(numpy.bool_): "torch.BoolTensor",
}
"""What ``Tensor.type()`` answers, in PyTorch's names, so scripts comparing them work."""


def _data(x):
    """The array inside ``x`` if it is a Tensor, else ``x`` itself."""
    return x._data if isinstance(x, Tensor) else x


def tensor(data, dtype=None, device=None, requires_grad=False):
    """Make a tensor from ``data`` (copied), with PyTorch's default dtypes for Python data."""
    _device.check(device)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Make a tensor sharing ``data``'s memory when it is already an array of the right dtype."""
    _device.check(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype == _resolve_dtype(dtype)):
        return data
    return Tensor._make(as_array(data, dtype, copy=False))


def to_arguments(args, dtype, device):
    """Split the positional arguments of ``Tensor.to`` and ``Module.to`` into (dtype, device),
    as PyTorch reads them: a tensor gives its dtype, a string, device or int is a device, and
    anything else a dtype."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype if dtype is None else dtype
        elif isinstance(arg, str | _device.device) or (
            isinstance(arg, int) and not isinstance(arg, bool)
        ):
            device = arg
        else:
            dtype = arg
    return dtype, device


def from_numpy(array):
    """A tensor sharing the memory of the NumPy array ``array``."""
    if not isinstance(array, numpy.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(as_array(array, copy=False))


# Bound at the end: these modules import Tensor from here.
from mlplab import autograd, ops  # noqa: E402
from mlplab import devices as _device  # noqa: E402
from mlplab import functional as F  # noqa: E402
from mlplab import random as _random  # noqa: E402
