"""Generator and manual_seed: the one source of randomness for all of mlplab.

Initialisation, dropout masks, shuffling and generated data sets all draw from a
:class:`Generator` -- the one passed to them, or the default one that :func:`manual_seed` resets.
The same seed gives the same numbers. NumPy's global ``np.random`` is never used.
"""

import numpy

from mlplab import devices as _device
from mlplab import dtypes
from mlplab.backend import xp
from mlplab.tensor import Tensor, shape_from_args


class Generator:
    """A seeded stream of random numbers (NumPy's PCG64 underneath).

    Parameters
    ----------
    seed : int
        Non-negative seed; the same seed gives the same stream.
    """

    def __init__(self, seed=0):
        self.manual_seed(seed)

    def manual_seed(self, seed):
        """Restart the stream from ``seed``; returns the generator."""
        if isinstance(seed, bool) or not isinstance(seed, int | numpy.integer) or seed < 0:
            raise ValueError(f"Invalid seed: {seed!r}; use a non-negative integer")
        self._seed = int(seed)
        self._numpy = numpy.random.Generator(numpy.random.PCG64(self._seed))
        return self

    def initial_seed(self):
        """The seed the stream was last started from."""
        return self._seed

    def get_state(self):
        """The generator's exact position as a JSON-serialisable dict (for checkpoints)."""
        state = self._numpy.bit_generator.state
        return {
            "seed": self._seed,
            "bit_generator": state["bit_generator"],
            "state": {key: int(value) for key, value in state["state"].items()},
            "has_uint32": int(state["has_uint32"]),
            "uinteger": int(state["uinteger"]),
        }

    def set_state(self, state):
        """Continue exactly from a position returned by :meth:`get_state`."""
        if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
            raise ValueError("Generator.set_state expects a dict returned by Generator.get_state()")
        self._seed = int(state["seed"])
        self._numpy.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": dict(state["state"]),
            "has_uint32": state["has_uint32"],
            "uinteger": state["uinteger"],
        }
        return self

    # -------------------------------------------------------------- arrays
    def normal(self, size, mean=0.0, std=1.0, dtype=numpy.float32):
        """Array of normal samples N(mean, std^2)."""
        return xp.asarray(self._numpy.normal(mean, std, size).astype(dtype, copy=False))

    def uniform(self, size, low=0.0, high=1.0, dtype=numpy.float32):
        """Array of uniform samples from [low, high)."""
        return xp.asarray(self._numpy.uniform(low, high, size).astype(dtype, copy=False))

    def random(self, size, dtype=numpy.float32):
        """Array of uniform samples from [0, 1), drawn directly in ``dtype`` (fast)."""
        return xp.asarray(self._numpy.random(size, dtype=dtype))

    def integers(self, low, high, size=None):
        """Array of integers from [low, high)."""
        return xp.asarray(self._numpy.integers(low, high, size))

    def permutation(self, n):
        """A random permutation of range(n)."""
        return xp.asarray(self._numpy.permutation(n))


default_generator = Generator(0)
"""The generator used wherever none is passed."""


def manual_seed(seed):
    """Reset the default generator to ``seed``; returns it."""
    return default_generator.manual_seed(seed)


def generator_or_default(generator):
    """``generator`` itself, or the default generator when it is None."""
    return default_generator if generator is None else generator


def _float(dtype):
    """``dtype`` resolved, or the default float dtype when None."""
    return dtypes.get_default_dtype() if dtype is None else dtypes.resolve(dtype)


def _made(data, device, requires_grad):
    """Wrap new samples after checking the device this process can use."""
    _device.check(device)
    return Tensor(data, requires_grad=requires_grad) if requires_grad else Tensor._make(data)


def randn(*shape, generator=None, dtype=None, device=None, requires_grad=False):
    """Tensor of standard normal samples (the default float dtype unless ``dtype`` says)."""
    data = generator_or_default(generator).normal(shape_from_args(shape), dtype=_float(dtype))
    return _made(data, device, requires_grad)


def rand(*shape, generator=None, dtype=None, device=None, requires_grad=False):
    """Tensor of uniform samples from [0, 1) (the default float dtype unless ``dtype`` says)."""
    data = generator_or_default(generator).uniform(shape_from_args(shape), dtype=_float(dtype))
    return _made(data, device, requires_grad)


def randn_like(x, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples of ``x``'s shape and (float) dtype."""
    dtype = x.dtype if dtype is None else dtype
    return randn(
        x.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad
    )


def rand_like(x, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1) of ``x``'s shape and (float) dtype."""
    dtype = x.dtype if dtype is None else dtype
    return rand(
        x.shape, generator=generator, dtype=dtype, device=device, requires_grad=requires_grad
    )


def randint(low, high=None, size=None, generator=None, dtype=None, device=None):
    """Tensor of integers from [low, high): ``randint(low, high, size)`` or ``randint(high, size)``
    (PyTorch's two forms); int64 unless ``dtype`` says otherwise."""
    if size is None:
        if high is None:
            raise TypeError(
                "randint() needs a size, e.g. randint(10, (3,)) or randint(0, 10, (3,))"
            )
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    size = (size,) if isinstance(size, int) else tuple(size)
    dtype = numpy.int64 if dtype is None else dtypes.resolve(dtype)
    data = generator_or_default(generator).integers(low, high, size).astype(dtype)
    return _made(data, device, False)


def randperm(n, generator=None, dtype=None, device=None):
    """Tensor holding a random permutation of range(n) (int64 unless ``dtype`` says)."""
    dtype = numpy.int64 if dtype is None else dtypes.resolve(dtype)
    return _made(generator_or_default(generator).permutation(n).astype(dtype), device, False)
