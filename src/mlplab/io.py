"""save / load: a model's weights in safetensors and its architecture as JSON in the same file.

The file is a plain safetensors file. Its string metadata holds ``format`` ("mlplab"),
``format_version``, ``model`` (the JSON description of the architecture: a built-in layer's
class name and constructor arguments, see :func:`mlplab.nn.module.layer_spec`), ``metadata``
(the caller's JSON) and ``sha256`` (a checksum of the tensors). Loading parses the header
(:mod:`mlplab.utils.tensorfile`), checks everything, builds the architecture from the registry
of built-in layers only, and puts the tensors in: no pickle, no code from the file is ever run.
Writes are atomic (:func:`mlplab.utils.atomic_write_bytes`).

What a file describes is measured against what it holds before it costs anything. It may
describe :data:`FREE_LAYERS` layers plus :data:`LAYERS_PER_TENSOR` per tensor it holds (never
more than :data:`MAX_LAYERS`); its description may be :data:`SPEC_BYTES_PER_LAYER` bytes long per
such layer, which is checked before the description is parsed; the architecture is built as
zero-memory placeholders, stopped at the first layer past the limit; and every parameter's shape
must equal its tensor's before any memory is allocated for it. A small file cannot make loading
slow or large, and error messages list at most ten problems.
"""

import json

import numpy
import safetensors.numpy

from mlplab.backend import to_numpy, xp
from mlplab.nn.module import BuildLimitError, build_layer, deferred_init, layer_spec
from mlplab.utils import atomic_write_bytes
from mlplab.utils.files import read_regular_file
from mlplab.utils.messages import listed, short_repr, shorten
from mlplab.utils.tensorfile import (
    TensorFileError,
    parse_format_version,
    parse_tensor_file,
    tensor_digest,
)

FORMAT = "mlplab"
FORMAT_VERSION = 1
"""The version this mlplab writes; files of a higher version are refused with a clear error."""

LAYERS_PER_TENSOR = 4
"""Layers a file may describe per tensor it holds: every built-in layer with parameters holds at
least one tensor, and the parameter-free ones around it (activation, dropout, a container) are
fewer than four."""

FREE_LAYERS = 64
"""Layers a file may describe beyond those, for models of few or no tensors (activations)."""

MAX_LAYERS = 10_000
"""The most layers any file may describe: memory for the model's objects (about 1 kB per layer,
whatever its size) then stays a few MB even for a file of tiny tensors."""

SPEC_BYTES_PER_LAYER = 512
"""Bytes of architecture description a file may have per layer it may describe (a Linear's
description takes about 110)."""

# int64: a buffer's count, such as BatchNorm1d's num_batches_tracked.
_SUPPORTED_DTYPES = (
    numpy.dtype(numpy.float32),
    numpy.dtype(numpy.float64),
    numpy.dtype(numpy.int64),
)


class ModelFileError(ValueError):
    """A file that is not a readable mlplab model; the message says what is wrong and what to do."""


# ----------------------------------------------------------------------------- writing
def _rebuild_matches(model, spec):
    """Raise ValueError unless ``spec`` rebuilds exactly the model's structure and shapes."""
    with deferred_init():
        rebuilt = build_layer(spec)
    shapes = {name: p.shape for name, p in model.named_state().items()}
    rebuilt_shapes = {name: p.shape for name, p in rebuilt.named_state().items()}
    if repr(rebuilt) != repr(model) or shapes != rebuilt_shapes:
        raise ValueError(
            f"Cannot save this {type(model).__name__}: its layers were changed so that its config "
            f"no longer describes it (the config rebuilds\n{rebuilt!r}\nbut the model is\n"
            f"{model!r}). Wrap the layers in a Sequential, which describes any list of layers."
        )


def save(model, path, *, metadata=None):
    """Save ``model`` (an MLP or any Sequential of built-in layers) to ``path``, atomically.

    Parameters
    ----------
    model : Module
        A built-in layer or model (``mlplab.nn.LAYERS``).
    path : str or PathLike
        Where to write; an existing file is replaced only once the new one is complete.
    metadata : dict, optional
        Anything JSON-serialisable to keep with the model (training settings, scores);
        :func:`read_info` returns it.
    """
    spec = layer_spec(model)
    _rebuild_matches(model, spec)
    try:
        user = json.dumps({} if metadata is None else metadata, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"save(): metadata must be JSON-serialisable: {error}") from None
    tensors = {
        # asarray, not ascontiguousarray, which would make a 0-d buffer (a count) 1-d.
        name: numpy.asarray(to_numpy(p._data), order="C")
        for name, p in model.named_state().items()
    }
    header = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "model": json.dumps(spec),
        "metadata": user,
        "sha256": tensor_digest(tensors),
    }
    atomic_write_bytes(path, safetensors.numpy.save(tensors, metadata=header))


# ----------------------------------------------------------------------------- reading
_FOREIGN_MAGIC = (
    (b"\x80", "a pickle file (pickle.dump output)"),
    (b"PK\x03\x04", "a zip archive (torch.save output holds pickles)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
)


def _fail(path, problem, advice=""):
    """A ModelFileError naming the file, the problem, and what to do."""
    return ModelFileError(f"{path}: {problem}" + (f"; {advice}" if advice else ""))


def _parse(path, data):
    """The safetensors layout of the bytes ``data``; a pickle or other foreign file is named."""
    try:
        return parse_tensor_file(data)
    except TensorFileError as error:
        # Only bytes that fail as safetensors are judged by their first bytes: a header length
        # of 640 starts a valid file with the bytes of a pickle's protocol-2 marker.
        for magic, kind in _FOREIGN_MAGIC:
            if data.startswith(magic):
                raise _fail(
                    path,
                    f"this is {kind}, not an mlplab model file",
                    "mlplab never unpickles files, because loading a pickle can run arbitrary "
                    "code; save the weights with mlplab.save (or safetensors) instead",
                ) from None
        raise _fail(path, str(error)) from None


def _mlplab_metadata(path, meta):
    """The mlplab entries of the header's metadata, with the format version checked."""
    if meta.get("format") != FORMAT:
        raise _fail(
            path,
            "a safetensors file without mlplab's metadata, so the architecture is unknown",
            "read its tensors with safetensors.numpy.load_file and pass them to "
            "model.load_state_dict() of a model you build in code",
        )
    try:
        version = parse_format_version(meta.get("format_version"))
    except TensorFileError as error:
        raise _fail(path, str(error)) from None
    if version > FORMAT_VERSION:
        raise _fail(
            path,
            f"written in format version {version} by a newer mlplab; this one reads versions up "
            f"to {FORMAT_VERSION}",
            "upgrade mlplab",
        )
    for key in ("model", "metadata", "sha256"):
        if key not in meta:
            raise _fail(path, f"the metadata entry {key!r} is missing")
    return meta


def _json_entry(path, meta, key):
    """The metadata entry ``key`` parsed as JSON."""
    try:
        return json.loads(meta[key])
    except (ValueError, RecursionError):
        raise _fail(path, f"the metadata entry {key!r} is not valid JSON") from None


def _read(path):
    """The checked parts of the file: (metadata entries, layout, architecture description)."""
    data = read_regular_file(path)
    parsed = _parse(path, data)
    meta = _mlplab_metadata(path, parsed.metadata)
    for name, entry in parsed.entries.items():
        if entry.dtype not in _SUPPORTED_DTYPES:
            raise _fail(
                path,
                f"tensor {short_repr(name)} has dtype {entry.dtype}; expected float32, float64 "
                "or int64",
            )
    # The description is measured before it is parsed: JSON takes many times its size in memory.
    most = SPEC_BYTES_PER_LAYER * _layer_limit(parsed)
    if len(meta["model"]) > most:
        raise _fail(
            path,
            f"the architecture description has {len(meta['model']):,} characters, more than "
            f"the {most:,} a file of {len(parsed.entries)} tensors may have",
        )
    return meta, parsed, _json_entry(path, meta, "model")


def _layer_limit(parsed):
    """The most layers the file of layout ``parsed`` may describe."""
    return min(MAX_LAYERS, FREE_LAYERS + LAYERS_PER_TENSOR * len(parsed.entries))


def _verified_arrays(path, parsed, meta):
    """The file's tensors (read-only views on its bytes), their checksum verified."""
    arrays = parsed.arrays()
    if tensor_digest(arrays) != meta["sha256"]:
        raise _fail(
            path, "the tensors do not match their checksum: the file is damaged", "save it again"
        )
    return arrays


def _build(path, spec, parsed):
    """The architecture described by ``spec``, with placeholder parameters (no memory).

    The build stops as soon as it makes more layers than the file may describe, so what it
    costs stays proportional to the file; the shapes are compared afterwards, before any
    parameter memory is allocated.
    """
    try:
        with deferred_init(max_modules=_layer_limit(parsed)):
            model = build_layer(spec)
    except BuildLimitError:
        raise _fail(
            path,
            f"the architecture has more layers than a file of {len(parsed.entries)} tensors may "
            f"describe ({_layer_limit(parsed):,})",
        ) from None
    except (TypeError, ValueError, KeyError, OverflowError, RecursionError, MemoryError) as error:
        raise _fail(path, f"the architecture description is invalid ({shorten(error)})") from None
    # Settings a layer does not report in its config (e.g. a generator) are never accepted.
    if layer_spec(model) != spec:
        raise _fail(path, "the architecture description has settings mlplab does not write")
    return model


def _check_entries(path, model, shapes):
    """Raise one error listing the missing, unexpected and mis-shaped tensors (ten at most)."""
    own = {name: p.shape for name, p in model.named_state().items()}
    problems = [
        f"missing tensor {name!r} (shape {shape})"
        for name, shape in own.items()
        if name not in shapes
    ]
    problems += [f"unexpected tensor {name!r}" for name in shapes if name not in own]
    problems += [
        f"tensor {name!r} has shape {shapes[name]}, the architecture needs {shape}"
        for name, shape in own.items()
        if name in shapes and shapes[name] != shape
    ]
    if problems:
        raise _fail(
            path,
            f"the tensors do not fit the {type(model).__name__} described in the file:"
            + listed(problems),
        )


def load(path):
    """Rebuild the model saved at ``path`` by :func:`save`, with its weights, in training mode.

    Raises
    ------
    ModelFileError
        The file is not an mlplab model (a pickle, random bytes, another safetensors file), is
        truncated or damaged, comes from a newer format version, describes more than its
        tensors can fill, or its tensors do not fit the architecture (the missing, unexpected
        or mis-shaped tensors are listed, ten at most).
    OSError
        The file cannot be read: FileNotFoundError, PermissionError, or
        :class:`~mlplab.utils.files.NotARegularFileError` for a FIFO, device or folder.
    """
    meta, parsed, spec = _read(path)
    model = _build(path, spec, parsed)
    _check_entries(path, model, parsed.shapes)
    arrays = _verified_arrays(path, parsed, meta)
    for name, parameter in model.named_state().items():
        # A copy in the layer's dtype (a float64 file loads into a float32 layer as float32),
        # which also frees the parameters from the file's read-only bytes.
        parameter._data = xp.asarray(arrays[name].astype(parameter.dtype))
    return model


def read_info(path):
    """What a model file holds, without building the model.

    Returns
    -------
    dict with ``format_version`` (int), ``model`` (the architecture description),
    ``metadata`` (what was passed to :func:`save`), ``tensors`` (name -> shape) and
    ``parameters`` (the number of scalars).
    """
    meta, parsed, spec = _read(path)
    arrays = _verified_arrays(path, parsed, meta)
    return {
        "format_version": int(meta["format_version"]),  # checked by _mlplab_metadata
        "model": spec,
        "metadata": _json_entry(path, meta, "metadata"),
        "tensors": parsed.shapes,
        "parameters": sum(int(array.size) for array in arrays.values()),
    }
