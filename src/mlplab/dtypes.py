"""PyTorch's dtype names, the default float dtype, and PyTorch's type promotion.

A dtype is a NumPy dtype: ``mlplab.float32 == numpy.dtype("float32")``, so a tensor's ``dtype``
compares equal to both. Operations promote their operands as PyTorch does, which differs from
NumPy in one respect: the *category* (bool < integer < floating point) decides first, and a
tensor with dimensions outranks a 0-d tensor, which outranks a Python number, within the winning
category. So a float32 tensor ``** int64 tensor`` stays float32 (NumPy: float64), an int64 tensor
``* 2.5`` is float32 (the default dtype, NumPy: float64), and ``int / int`` is a float.
"""

import builtins

import numpy

from mlplab.backend import xp

_NDARRAY = xp.ndarray

float16 = half = numpy.dtype(numpy.float16)
float32 = float = numpy.dtype(numpy.float32)
float64 = double = numpy.dtype(numpy.float64)
int8 = numpy.dtype(numpy.int8)
uint8 = numpy.dtype(numpy.uint8)
int16 = short = numpy.dtype(numpy.int16)
int32 = int = numpy.dtype(numpy.int32)
int64 = long = numpy.dtype(numpy.int64)
bool = numpy.dtype(numpy.bool_)

DTYPES = {
    name: value
    for name, value in globals().items()
    if isinstance(value, numpy.dtype) and not name.startswith("_")
}
"""Every dtype name mlplab knows (PyTorch's spellings), to its NumPy dtype."""

_FLOAT_DTYPES = (float16, float32, float64)


class _Default:
    """The dtype Python floats and float creation functions get (float32 until changed)."""

    dtype = float32


def get_default_dtype():
    """The dtype of tensors made from Python floats and of float creation functions."""
    return _Default.dtype


def set_default_dtype(dtype):
    """Set the default float dtype (float32 or float64, as PyTorch allows)."""
    dtype = resolve(dtype)
    if dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"set_default_dtype: only floating-point dtypes can be the default, got {dtype}; "
            "use mlplab.float32 or mlplab.float64"
        )
    _Default.dtype = dtype


def resolve(dtype):
    """``dtype`` (a NumPy dtype, a type such as ``float``, or a name) as a NumPy dtype, or None."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype in DTYPES:
        return DTYPES[dtype]
    try:
        return numpy.dtype(dtype)
    except TypeError as error:
        raise TypeError(
            f"Unknown dtype {dtype!r}: use mlplab.float32, mlplab.int64, ... or a name such as "
            "'float32'"
        ) from error


def category(dtype):
    """0 for bool, 1 for integers, 2 for floating point: the order PyTorch promotes in."""
    kind = dtype.kind
    return 2 if kind == "f" else 0 if kind == "b" else 1


def _python_category(value):
    """The category of a Python number (bool is checked first: it is an int subclass)."""
    if isinstance(value, builtins.bool):
        return 0
    return 2 if isinstance(value, builtins.float) else 1


_DEFAULT_OF_CATEGORY = {0: bool, 1: int64}


def promote(a, b):
    """``a`` and ``b`` (arrays or Python numbers) cast to the dtype PyTorch computes ``a op b`` in.

    Arrays of one dtype (the common case) and a Python float beside a float array come back
    unchanged at once: NumPy then computes in the array's dtype, as PyTorch does.
    """
    type_a, type_b = type(a), type(b)
    if type_a is _NDARRAY:
        if type_b is _NDARRAY:
            if a.dtype is b.dtype:
                return a, b
        elif type_b is builtins.float and a.dtype.kind == "f":
            return a, b
    elif type_b is _NDARRAY and type_a is builtins.float and b.dtype.kind == "f":
        return a, b
    return _promote_checked(a, b)


def _promote_checked(a, b):
    """:func:`promote` for every case but the common ones."""
    dtype_a = getattr(a, "dtype", None)
    dtype_b = getattr(b, "dtype", None)
    if dtype_a is dtype_b or dtype_a == dtype_b:
        return a, b
    target = result_dtype(a, b)
    return _cast(a, target), _cast(b, target)


def _cast(x, dtype):
    """An array ``x`` in ``dtype`` (no copy when it is already); a Python number as it is."""
    if hasattr(x, "dtype"):
        return x if x.dtype == dtype else x.astype(dtype)
    return x


def result_dtype(a, b):
    """The dtype PyTorch gives ``a op b`` for arrays or Python numbers ``a`` and ``b``."""
    ranked = []  # (category, rank, dtype): rank 2 for an array with dimensions, 1 for 0-d, 0 else
    for x in (a, b):
        dtype = getattr(x, "dtype", None)
        if dtype is None:
            ranked.append((_python_category(x), 0, None))
        else:
            ranked.append((category(dtype), 2 if x.ndim else 1, dtype))
    top = max(c for c, _, _ in ranked)
    best = max(rank for c, rank, _ in ranked if c == top)
    dtypes = [d for c, rank, d in ranked if c == top and rank == best]
    if best == 0:  # only Python numbers in the winning category
        return _Default.dtype if top == 2 else _DEFAULT_OF_CATEGORY[top]
    return numpy.result_type(*dtypes)


def float_of(dtype):
    """``dtype`` if it is floating point, else the default float dtype (true division, exp...)."""
    return dtype if dtype.kind == "f" else _Default.dtype
