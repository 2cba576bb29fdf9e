"""Tensors made from a shape: zeros, ones, full, empty, arange, linspace, eye, the *_like variants.

Every one takes PyTorch's ``dtype=``, ``device=`` and ``requires_grad=``. Float results get the
default dtype (float32 unless :func:`mlplab.set_default_dtype` says otherwise).
"""

import numpy

from mlplab import devices as _device
from mlplab import dtypes
from mlplab.backend import xp
from mlplab.tensor import Tensor, as_array, shape_from_args


def _float_default(dtype):
    """``dtype`` resolved, or the default float dtype when None."""
    return dtypes.get_default_dtype() if dtype is None else dtypes.resolve(dtype)


def _made(data, device, requires_grad):
    """Wrap a new array after checking the device this process can use."""
    _device.check(device)
    return Tensor(data, requires_grad=requires_grad) if requires_grad else Tensor._make(data)


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    """Tensor of zeros (the default float dtype unless ``dtype`` says otherwise)."""
    data = xp.zeros(shape_from_args(shape), dtype=_float_default(dtype))
    return _made(data, device, requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False):
    """Tensor of ones (the default float dtype unless ``dtype`` says otherwise)."""
    data = xp.ones(shape_from_args(shape), dtype=_float_default(dtype))
    return _made(data, device, requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False):
    """Tensor of the shape with unset values (zeros here: NumPy's ``empty`` costs the same)."""
    return zeros(*shape, dtype=dtype, device=device, requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    """Tensor of ``shape`` filled with ``fill_value``, of the dtype ``tensor(fill_value)`` has.

    As in PyTorch, ``full((2,), 1.5)`` is float32, ``full((2,), 7)`` int64, ``full((2,), True)``
    bool, unless ``dtype`` says otherwise.
    """
    dtype = as_array(fill_value, copy=False).dtype if dtype is None else dtypes.resolve(dtype)
    data = xp.full(tuple(shape) if isinstance(shape, list) else shape, fill_value, dtype)
    return _made(data, device, requires_grad)


def _source(x):
    """The array of a tensor, or an array-like as an array."""
    return x._data if isinstance(x, Tensor) else xp.asarray(x)


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    """Zeros of ``x``'s shape and dtype."""
    data = xp.zeros_like(_source(x), dtype=dtypes.resolve(dtype))
    return _made(data, device, requires_grad)


def ones_like(x, dtype=None, device=None, requires_grad=False):
    """Ones of ``x``'s shape and dtype."""
    data = xp.ones_like(_source(x), dtype=dtypes.resolve(dtype))
    return _made(data, device, requires_grad)


def empty_like(x, dtype=None, device=None, requires_grad=False):
    """A tensor of ``x``'s shape and dtype with unset values (zeros here)."""
    return zeros_like(x, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    """``fill_value`` in ``x``'s shape and dtype."""
    data = xp.full_like(_source(x), fill_value, dtype=dtypes.resolve(dtype))
    return _made(data, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Evenly spaced values in [start, end); int64 for integer arguments, else the default float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, end, step))
        dtype = numpy.int64 if integral else dtypes.get_default_dtype()
    data = xp.arange(start, end, step, dtype=dtypes.resolve(dtype))
    return _made(data, device, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"linspace: number of steps must be a non-negative int, got {steps!r}")
    # Computed in float64, then cast, so float32 points are the nearest to the true ones.
    data = xp.linspace(start, end, steps, dtype=numpy.float64).astype(_float_default(dtype))
    return _made(data, device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """n x m identity matrix (the default float dtype)."""
    return _made(xp.eye(n, m, dtype=_float_default(dtype)), device, requires_grad)
