"""Devices, as PyTorch names them: ``cpu`` for NumPy arrays, ``cuda`` for CuPy arrays.

mlplab computes with one array module, chosen when it is imported (:mod:`mlplab.backend`), so a
process has one device: ``cpu`` with NumPy (the default) and ``cuda`` with CuPy
(``MLPLAB_ARRAY_MODULE=cupy``). Scripts written for PyTorch name devices anyway --
``x.to(device)``, ``torch.zeros(3, device=device)`` -- and those calls work when they name that
device. ``cpu`` is accepted on either, as the way to the host memory that ``.numpy()`` reads
(CuPy's arrays are copied there by ``.numpy()`` itself). Any other device is refused with the
way to get it.
"""

from mlplab.backend import xp

_ON_GPU = xp.__name__ == "cupy"
_KNOWN = ("cpu", "cuda", "mps", "meta", "xpu")


class device:
    """A device name such as ``device("cpu")`` or ``device("cuda", 0)``; equal to its string."""

    __slots__ = ("index", "type")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu' or 'cuda:0', got {type!r}")
        name, _, number = type.partition(":")
        if name not in _KNOWN:
            raise RuntimeError(
                f"Expected one of {', '.join(_KNOWN)} device type at start of device string: "
                f"{type!r}"
            )
        if number:
            if index is not None or not number.isdigit():
                raise RuntimeError(f"Invalid device string: {type!r}")
            index = int(number)
        self.type = name
        self.index = index

    def __repr__(self):
        suffix = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{suffix})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))


CURRENT = device("cuda", 0) if _ON_GPU else device("cpu")
"""The device every tensor of this process lives on."""


class _Default:
    """The device named by set_default_device (checked like every other device argument)."""

    device = CURRENT


def check(where):
    """The device ``where`` names (None: the default), after checking this process can use it."""
    if where is None:
        return _Default.device
    if isinstance(where, int) and not isinstance(where, bool):
        where = device("cuda", where)  # PyTorch: an int is a CUDA device index
    where = device(where)
    if where.type == "cpu":
        return where
    if where.type == "cuda" and _ON_GPU:
        return where
    if where.type == "cuda":
        raise RuntimeError(
            f"Device {str(where)!r} is not available: mlplab computes with NumPy on the CPU. "
            "Set MLPLAB_ARRAY_MODULE=cupy (with CuPy installed) for CUDA, or use 'cpu' -- "
            "mlplab.cuda.is_available() says which"
        )
    raise RuntimeError(
        f"Device {str(where)!r} is not available in mlplab: only 'cpu' (NumPy) and 'cuda' "
        "(CuPy, with MLPLAB_ARRAY_MODULE=cupy)"
    )


def set_default_device(where):
    """Make ``where`` the device creation functions use when none is given."""
    _Default.device = CURRENT if where is None else check(where)


def get_default_device():
    """The device creation functions use when none is given."""
    return _Default.device
