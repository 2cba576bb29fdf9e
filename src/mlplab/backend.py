"""The array module mlplab computes with: the one place the engine gets its array functions from.

Every operation in the engine calls ``xp`` (NumPy by default) instead of importing NumPy itself,
so a NumPy-compatible module holding its arrays elsewhere (CuPy, in GPU memory) can take its place
without touching the operations. The module is chosen once, when mlplab is imported, from the
environment variable ``MLPLAB_ARRAY_MODULE`` (default ``numpy``): arrays of two modules never mix.
"""

import importlib
import os

import numpy

_REQUIRED = ("asarray", "exp", "log", "matmul", "zeros", "where", "maximum", "ndarray")


def _load_array_module(name):
    """Import the array module called ``name`` and check it offers what the engine uses."""
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        raise ImportError(
            f"MLPLAB_ARRAY_MODULE={name!r} cannot be imported ({error}); install it or unset "
            "the variable to use numpy"
        ) from error
    missing = [attr for attr in _REQUIRED if not hasattr(module, attr)]
    if missing:
        raise ImportError(
            f"MLPLAB_ARRAY_MODULE={name!r} is not a NumPy-compatible array module: it lacks "
            f"{', '.join(missing)}"
        )
    return module


xp = _load_array_module(os.environ.get("MLPLAB_ARRAY_MODULE", "numpy"))
"""The array module in use (NumPy unless ``MLPLAB_ARRAY_MODULE`` names another)."""


def _errstate_of(module):
    """``module.errstate``, or NumPy's where the module has none.

    CuPy has none: a GPU raises no floating-point errors, and NumPy's context, which then governs
    nothing the engine computes, stands in for it.
    """
    return getattr(module, "errstate", numpy.errstate)


errstate = _errstate_of(xp)
"""The context that sets how floating-point errors are handled, as ``numpy.errstate`` does."""


def to_numpy(array):
    """Return ``array`` as a NumPy array in host memory (no copy for NumPy arrays)."""
    if isinstance(array, numpy.ndarray):
        return array
    get = getattr(array, "get", None)  # CuPy's device-to-host copy
    return get() if get is not None else numpy.asarray(array)
