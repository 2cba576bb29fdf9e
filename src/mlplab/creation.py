"""Tensors made from a shape: zeros, ones, full, arange, eye and the *_like variants."""

import numpy

from mlplab.backend import xp
from mlplab.tensor import Tensor, _resolve_dtype, as_array, shape_from_args


def _float_default(dtype):
    return numpy.dtype(numpy.float32) if dtype is None else _resolve_dtype(dtype)


def zeros(*shape, dtype=None, requires_grad=False):
    """Tensor of zeros (float32 unless ``dtype`` says otherwise)."""
    data = xp.zeros(shape_from_args(shape), dtype=_float_default(dtype))
    return Tensor(data, requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    """Tensor of ones (float32 unless ``dtype`` says otherwise)."""
    data = xp.ones(shape_from_args(shape), dtype=_float_default(dtype))
    return Tensor(data, requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    """Tensor of ``shape`` filled with ``fill_value``, of the dtype ``tensor(fill_value)`` has.

    As in PyTorch, ``full((2,), 1.5)`` is float32, ``full((2,), 7)`` int64, ``full((2,), True)``
    bool, unless ``dtype`` says otherwise.
    """
    dtype = as_array(fill_value, copy=False).dtype if dtype is None else _resolve_dtype(dtype)
    data = xp.full(tuple(shape) if isinstance(shape, list) else shape, fill_value, dtype)
    return Tensor(data, requires_grad=requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    """Zeros of ``x``'s shape and dtype."""
    source = x.data if isinstance(x, Tensor) else xp.asarray(x)
    return Tensor(xp.zeros_like(source, dtype=_resolve_dtype(dtype)), requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    """Ones of ``x``'s shape and dtype."""
    source = x.data if isinstance(x, Tensor) else xp.asarray(x)
    return Tensor(xp.ones_like(source, dtype=_resolve_dtype(dtype)), requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in [start, stop); int64 for integer arguments, else float32."""
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        integral = all(isinstance(v, int) for v in (start, stop, step))
        dtype = numpy.int64 if integral else numpy.float32
    return Tensor(xp.arange(start, stop, step, dtype=_resolve_dtype(dtype)))


def eye(n, m=None, dtype=None):
    """n x m identity matrix (float32 by default)."""
    return Tensor(xp.eye(n, m, dtype=_float_default(dtype)))
