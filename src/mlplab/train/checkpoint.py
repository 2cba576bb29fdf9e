"""Training checkpoints: everything a run needs to continue exactly, in one file, without pickle.

A checkpoint is a safetensors file. Its arrays are the model's parameters, the optimizer's state
(moments, step counts), the per-step losses so far and whatever arrays callbacks keep (an early
stopper's best weights); everything else -- optimizer settings, the schedule's position, every
random generator's state, epoch, step, history, counters -- is JSON in the file's metadata, where
each array appears as a reference to its entry. Loading never executes code.

A file is written atomically, and only when every floating-point array in it is finite: a run
that diverges keeps its last good checkpoint.
"""

import json
import math

import numpy
import safetensors
import safetensors.numpy

from mlplab.backend import to_numpy, xp
from mlplab.tensor import Tensor
from mlplab.utils import atomic_write_bytes

FORMAT = "mlplab-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file that cannot be read or written (names the file and the problem)."""


def _store(value, kind, path, arrays):
    """Put an array into ``arrays`` under a unique name; returns the JSON reference to it."""
    array = numpy.asarray(to_numpy(value))
    name = path if path not in arrays else f"{path}#{len(arrays)}"
    # safetensors reads a 0-d array back with shape (1,): the reference keeps the true shape.
    arrays[name] = array.reshape(-1) if array.ndim == 0 else array
    return {"__array__": name, "kind": kind, "shape": list(array.shape)}


def _encode(value, path, arrays):
    """``value`` as JSON-ready data; arrays move into ``arrays`` under their dotted ``path``."""
    if isinstance(value, Tensor):
        return _store(value.data, "tensor", path, arrays)
    if isinstance(value, numpy.generic):
        return _store(value, "scalar", path, arrays)
    if isinstance(value, numpy.ndarray | xp.ndarray):
        return _store(value, "array", path, arrays)
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            return {key: _encode(item, f"{path}.{key}", arrays) for key, item in value.items()}
        # Optimizer states are keyed by parameter index: keep integer keys integers.
        items = [[key, _encode(item, f"{path}.{key}", arrays)] for key, item in value.items()]
        return {"__items__": items}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item, f"{path}.{i}", arrays) for i, item in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(item, f"{path}.{i}", arrays) for i, item in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no inf or nan; a plateau schedule's "best so far" starts at inf.
        return {"__float__": repr(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise CheckpointError(
        f"Cannot store {type(value).__name__} at {path!r} in a checkpoint: only arrays, numbers, "
        "strings, None, lists, tuples and dicts are stored"
    )


def _load_reference(reference, arrays):
    """The array (tensor, NumPy scalar) a ``{"__array__": name, ...}`` reference points to."""
    name = reference["__array__"]
    if name not in arrays:
        raise CheckpointError(f"the checkpoint lacks the array {name!r}")
    array = arrays[name].reshape(reference["shape"])
    if reference["kind"] == "tensor":
        return Tensor(xp.asarray(array))
    return array[()] if reference["kind"] == "scalar" else xp.asarray(array)


def _decode(value, arrays):
    """Undo :func:`_encode`: references become arrays (or tensors, or NumPy scalars) again."""
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return _load_reference(value, arrays)
    if "__float__" in value:
        return float(value["__float__"])
    if "__tuple__" in value:
        return tuple(_decode(item, arrays) for item in value["__tuple__"])
    if "__items__" in value:
        return {key: _decode(item, arrays) for key, item in value["__items__"]}
    return {key: _decode(item, arrays) for key, item in value.items()}


def _check_finite(arrays, path):
    """Refuse to write a checkpoint holding NaN or Inf: the last good one must stay."""
    for name, array in arrays.items():
        if array.dtype.kind in "fc" and not numpy.isfinite(array).all():
            raise CheckpointError(
                f"Not writing checkpoint {path}: {name} holds NaN or Inf (training diverged); "
                "the previous checkpoint is kept"
            )


def save_checkpoint(path, state):
    """Write ``state`` (nested dicts/lists of arrays, numbers and strings) to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The file to (re)place.
    state : dict
        What to store; arrays anywhere in it go to the safetensors part.

    Raises
    ------
    CheckpointError
        If a floating-point array holds NaN or Inf (nothing is written), or a value has a type
        that cannot be stored.
    """
    arrays = {}
    document = _encode(state, "state", arrays)
    _check_finite(arrays, path)
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "state": json.dumps(document, allow_nan=False),
    }
    contiguous = {name: numpy.ascontiguousarray(array) for name, array in arrays.items()}
    atomic_write_bytes(path, safetensors.numpy.save(contiguous, metadata=metadata))


def _metadata(data):
    """The metadata dict of safetensors bytes: an 8-byte little-endian length, then JSON."""
    if len(data) < 8:
        raise ValueError(f"{len(data)} bytes is too short for a safetensors header")
    length = int.from_bytes(data[:8], "little")
    if length > len(data) - 8:
        raise ValueError(f"header of {length} bytes, but only {len(data) - 8} follow")
    header = json.loads(data[8 : 8 + length])
    metadata = header.get("__metadata__", {}) if isinstance(header, dict) else None
    if not isinstance(metadata, dict):
        raise ValueError("the header is not a JSON object with a __metadata__ object")
    return metadata


def load_checkpoint(path):
    """Read a checkpoint written by :func:`save_checkpoint`; returns the ``state`` dict.

    Raises
    ------
    CheckpointError
        If the file is missing, unreadable, not a checkpoint, or of a newer format version.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise CheckpointError(f"Cannot read checkpoint {path}: {error.strerror}") from error
    try:
        metadata = _metadata(data)
        arrays = safetensors.numpy.load(data)
    except (safetensors.SafetensorError, ValueError) as error:
        raise CheckpointError(f"{path} is not a readable mlplab checkpoint ({error})") from error
    if metadata.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not an mlplab checkpoint (format {metadata.get('format')!r}); "
            "pass the checkpoint.safetensors of a run directory"
        )
    version = metadata.get("format_version", "")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {version!r}, but this mlplab reads versions up "
            f"to {FORMAT_VERSION}: upgrade mlplab"
        )
    try:
        document = json.loads(metadata["state"])
    except (KeyError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path} has a damaged checkpoint header ({error})") from error
    return _decode(document, arrays)
