"""``mlplab.save`` / ``mlplab.load``: models, state dicts and checkpoint dicts, never pickled.

``save(model, path)`` writes a model file as :mod:`mlplab.io` always has (weights plus the JSON
architecture; ``load`` rebuilds the model). Anything else a PyTorch script saves --
``model.state_dict()``, ``{"model": ..., "optimizer": ..., "epoch": 3}``, a tensor, a list -- is
written as safetensors (every tensor and array) plus JSON (every other value: numbers, strings,
None, nested dicts, lists and tuples) by :mod:`mlplab.train.checkpoint`'s format, and ``load``
gives the same structure back, tensors as tensors. Nothing loaded ever runs code, so
``weights_only`` (PyTorch's guard against pickle) is accepted and true whatever it says.
"""

from mlplab import devices as _device
from mlplab import io
from mlplab.nn.module import Module
from mlplab.train import checkpoint
from mlplab.utils.files import read_regular_file
from mlplab.utils.tensorfile import TensorFileError, parse_tensor_file


def save(obj, path, *, metadata=None):
    """Write a model (model file), or a dict, list, tuple or tensor (safetensors + JSON).

    Parameters
    ----------
    obj : Module, dict, list, tuple or Tensor
        What to save; a dict's values may nest (an optimizer's ``state_dict()`` does).
    path : str or PathLike
        Where to write, atomically (an existing file is replaced only once the new one is whole).
    metadata : dict, optional
        For a model only: JSON kept with it (:func:`mlplab.io.read_info` returns it).
    """
    if isinstance(obj, Module):
        io.save(obj, path, metadata=metadata)
        return
    if metadata is not None:
        raise TypeError("save(): metadata= goes with a model; put it into the dict you save")
    try:
        checkpoint.save_checkpoint(path, obj)
    except checkpoint.CheckpointError as error:
        raise TypeError(f"save(): cannot save this object to {path}: {error}") from None


def _is_checkpoint_file(path):
    """True when ``path`` holds what :func:`save` writes for a dict (not a model file)."""
    try:
        metadata = parse_tensor_file(read_regular_file(path)).metadata
    except (OSError, TensorFileError):
        return False  # io.load then says what is wrong with the file
    return metadata.get("format") == checkpoint.FORMAT


def _check_map_location(map_location):
    """Accept the devices scripts pass (None, "cpu", a device); refuse what cannot apply here."""
    if map_location is None or isinstance(map_location, str | _device.device):
        _device.check(map_location)
        return
    raise TypeError(
        f"load(): map_location={map_location!r} is not supported; mlplab has one device per "
        "process, so pass None, 'cpu' or mlplab.device(...)"
    )


def load(path, *, weights_only=True, map_location=None):
    """Read what :func:`save` wrote: the model, or the dict (list, tensor) with its tensors.

    ``weights_only`` is accepted for PyTorch scripts: no file is ever unpickled, whatever it says.
    ``map_location`` must name this process's device (or "cpu").
    """
    _check_map_location(map_location)
    if _is_checkpoint_file(path):
        return checkpoint.load_checkpoint(path)
    return io.load(path)
