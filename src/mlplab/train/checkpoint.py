"""Training checkpoints: everything a run needs to continue exactly, in one file, without pickle.

A checkpoint is a safetensors file. Its arrays are the model's parameters, the optimizer's state
(moments, step counts), the per-step losses so far and whatever arrays callbacks keep (an early
stopper's best weights); everything else -- optimizer settings, the schedule's position, every
random generator's state, epoch, step, history, counters -- is JSON in the file's metadata, where
each array appears as a reference to its entry. Loading never executes code.

A file is written atomically, and only when every floating-point array in it is finite: a run
that diverges keeps its last good checkpoint. It carries the SHA-256 of its arrays and of its
JSON state (``sha256``, by the digest model files carry,
:func:`mlplab.utils.tensorfile.tensor_digest`), so a damaged file is refused rather than resumed;
only regular files are read (:mod:`mlplab.utils.files`).
"""

import json
import math

import numpy
import safetensors.numpy

from mlplab.backend import to_numpy, xp
from mlplab.tensor import Tensor
from mlplab.utils import atomic_write_bytes
from mlplab.utils.files import read_regular_file
from mlplab.utils.messages import short_repr, shorten
from mlplab.utils.tensorfile import (
    TensorFileError,
    parse_format_version,
    parse_tensor_file,
    tensor_digest,
)

FORMAT = "mlplab-checkpoint"
FORMAT_VERSION = 2
"""The version this mlplab writes. Version 2 added ``sha256``; version-1 files, which have no
checksum, are still read, unchecked."""

_FIRST_WITH_DIGEST = 2


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
        return _store(value._data, "tensor", path, arrays)
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
    """The array (tensor, NumPy scalar) a ``{"__array__": name, ...}`` reference points to.

    Each array is taken out of ``arrays``: one referenced twice (which :func:`save_checkpoint`
    never writes) is an error, so that the copies made here never exceed the file's size.
    """
    name = reference["__array__"]
    if not isinstance(name, str) or name not in arrays:
        raise ValueError(f"it lacks the array {short_repr(name)} or refers to it twice")
    # A copy: the arrays are read-only views on the file's bytes, and a run writes into them.
    array = arrays.pop(name).reshape(reference["shape"]).copy()
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
    contiguous = {name: numpy.ascontiguousarray(array) for name, array in arrays.items()}
    text = json.dumps(document, allow_nan=False)
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "state": text,
        "sha256": tensor_digest(contiguous, text),
    }
    atomic_write_bytes(path, safetensors.numpy.save(contiguous, metadata=metadata))


def _checked_metadata(path, metadata):
    """The format version of a checkpoint's ``metadata``, which is checked for what it needs."""
    if metadata.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not an mlplab checkpoint (format {short_repr(metadata.get('format'))}); "
            "pass the checkpoint.safetensors of a run directory"
        )
    try:
        version = parse_format_version(metadata.get("format_version"))
    except TensorFileError as error:
        raise CheckpointError(f"{path} is not a readable mlplab checkpoint ({error})") from None
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {version}, but this mlplab reads versions up "
            f"to {FORMAT_VERSION}: upgrade mlplab"
        )
    needed = ("state", "sha256") if version >= _FIRST_WITH_DIGEST else ("state",)
    missing = [key for key in needed if key not in metadata]
    if missing:
        raise CheckpointError(f"{path} is damaged: its header lacks {', '.join(missing)}")
    return version


def load_checkpoint(path):
    """Read a checkpoint written by :func:`save_checkpoint`; returns the ``state`` dict.

    Raises
    ------
    CheckpointError
        If the file is missing, unreadable, not a regular file, not a checkpoint, damaged (its
        arrays do not match their SHA-256), or of a newer format version.
    """
    try:
        data = read_regular_file(path)
    except OSError as error:
        reason = error.strerror or error
        raise CheckpointError(f"Cannot read checkpoint {path}: {reason}") from error
    try:
        parsed = parse_tensor_file(data)
    except TensorFileError as error:
        raise CheckpointError(f"{path} is not a readable mlplab checkpoint ({error})") from None
    version = _checked_metadata(path, parsed.metadata)
    arrays, text = parsed.arrays(), parsed.metadata["state"]
    if version >= _FIRST_WITH_DIGEST and tensor_digest(arrays, text) != parsed.metadata["sha256"]:
        raise CheckpointError(
            f"{path} is damaged: its arrays or state do not match their SHA-256 checksum; resume "
            "from an intact copy, or start the run again"
        )
    try:
        return _decode(json.loads(text), arrays)
    except (KeyError, TypeError, ValueError, IndexError, OverflowError, RecursionError) as error:
        # A checked state always decodes: this is a version-1 file (no checksum) or one made by
        # hand with a matching checksum, whose JSON is not a state as save_checkpoint writes it.
        detail = f"no entry {error}" if isinstance(error, KeyError) else error
        raise CheckpointError(
            f"{path} has a damaged checkpoint header ({shorten(detail)})"
        ) from None
