"""``mlplab.cuda``: what PyTorch scripts ask of ``torch.cuda``, answered for mlplab's one device.

CUDA means CuPy arrays here (``MLPLAB_ARRAY_MODULE=cupy``, see :mod:`mlplab.devices`); with NumPy
every question answers "no CUDA". mlplab has one random generator for every device, so seeding is
:func:`mlplab.manual_seed`'s job; the CUDA seeding calls scripts make are accepted and do nothing.
"""

from mlplab import devices as _device


def is_available():
    """True only when mlplab computes with CuPy (CUDA) arrays."""
    return _device.CURRENT.type == "cuda"


def device_count():
    """1 with CuPy (mlplab uses one GPU), else 0."""
    return 1 if is_available() else 0


def current_device():
    """The index of the GPU in use (0); refused without CUDA, as in PyTorch."""
    if not is_available():
        raise RuntimeError("No CUDA device: mlplab computes with NumPy on the CPU")
    return 0


def manual_seed(seed):
    """Accepted and ignored: seed mlplab's one generator with mlplab.manual_seed."""


manual_seed_all = manual_seed


def synchronize(device=None):
    """Wait for the GPU to finish its work (nothing to wait for without CuPy)."""
    if is_available():
        import cupy

        cupy.cuda.Device().synchronize()
