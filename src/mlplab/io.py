"""save / load: a model's weights in safetensors and its architecture as JSON in the same file.

The file is a plain safetensors file. Its string metadata holds ``format`` ("mlplab"),
``format_version``, ``model`` (the JSON description of the architecture: a built-in layer's
class name and constructor arguments, see :func:`mlplab.nn.module.layer_spec`), ``metadata``
(the caller's JSON) and ``sha256`` (a checksum of the tensors). Loading parses the header,
checks everything, builds the architecture from the registry of built-in layers only, and puts
the tensors in: no pickle, no code from the file is ever run. Writes are atomic
(:func:`mlplab.utils.atomic_write_bytes`).
"""

import hashlib
import json

import numpy
import safetensors.numpy

from mlplab.backend import to_numpy, xp
from mlplab.nn.module import build_layer, deferred_init, layer_spec
from mlplab.utils import atomic_write_bytes

FORMAT = "mlplab"
FORMAT_VERSION = 1
"""The version this mlplab writes; files of a higher version are refused with a clear error."""

_SUPPORTED_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


class ModelFileError(ValueError):
    """A file that is not a readable mlplab model; the message says what is wrong and what to do."""


# ----------------------------------------------------------------------------- writing
def _checksum(tensors):
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        array = tensors[name]
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(numpy.ascontiguousarray(array).data)
    return digest.hexdigest()


def _rebuild_matches(model, spec):
    """Raise ValueError unless ``spec`` rebuilds exactly the model's structure and shapes."""
    with deferred_init():
        rebuilt = build_layer(spec)
    shapes = {name: p.shape for name, p in model.named_parameters()}
    rebuilt_shapes = {name: p.shape for name, p in rebuilt.named_parameters()}
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
        name: numpy.ascontiguousarray(to_numpy(p.data)) for name, p in model.named_parameters()
    }
    header = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "model": json.dumps(spec),
        "metadata": user,
        "sha256": _checksum(tensors),
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


def _header(path, data):
    """The JSON header of the safetensors bytes ``data``, checked before anything is parsed."""
    size = int.from_bytes(data[:8], "little")
    # A header length that fits, followed by "{", is a safetensors file whatever its first bytes
    # (a length of 640 starts with the bytes of a pickle's protocol-2 marker).
    if not (len(data) > 8 and size <= len(data) - 8 and data[8:9] == b"{"):
        for magic, kind in _FOREIGN_MAGIC:
            if data.startswith(magic):
                raise _fail(
                    path,
                    f"this is {kind}, not an mlplab model file",
                    "mlplab never unpickles files, because loading a pickle can run arbitrary "
                    "code; save the weights with mlplab.save (or safetensors) instead",
                )
    if len(data) < 8:
        raise _fail(path, f"the file has {len(data)} bytes, too few for a model file")
    if size > len(data) - 8:
        raise _fail(
            path,
            f"the header claims {size} bytes but only {len(data) - 8} follow: the file is "
            "truncated or is not a safetensors file",
        )
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _fail(path, "the header is not valid JSON: not a safetensors file") from None
    if not isinstance(header, dict):
        raise _fail(path, "the header is not a JSON object: not a safetensors file")
    return header


def _mlplab_metadata(path, header):
    """The mlplab entries of the header's metadata, with the format version checked."""
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _fail(
            path,
            "a safetensors file without mlplab's metadata, so the architecture is unknown",
            "read its tensors with safetensors.numpy.load_file and pass them to "
            "model.load_state_dict() of a model you build in code",
        )
    version = meta.get("format_version")
    if not (isinstance(version, str) and version.isdigit() and len(version) < 10):
        raise _fail(path, f"invalid format_version {version!r}")
    if int(version) > FORMAT_VERSION:
        raise _fail(
            path,
            f"written in format version {version} by a newer mlplab; this one reads versions up "
            f"to {FORMAT_VERSION}",
            "upgrade mlplab",
        )
    if int(version) < 1:
        raise _fail(path, f"invalid format_version {version!r}")
    for key in ("model", "metadata", "sha256"):
        if not isinstance(meta.get(key), str):
            raise _fail(path, f"the metadata entry {key!r} is missing")
    return meta


def _json_entry(path, meta, key):
    """The metadata entry ``key`` parsed as JSON."""
    try:
        return json.loads(meta[key])
    except (ValueError, RecursionError):
        raise _fail(path, f"the metadata entry {key!r} is not valid JSON") from None


def _tensors(path, data, meta):
    """The tensors of the file, their dtypes and checksum verified."""
    try:
        tensors = safetensors.numpy.load(data)
    except Exception as error:  # safetensors reports damage with several exception types
        raise _fail(path, f"the tensor data is damaged ({error})") from None
    for name, array in tensors.items():
        if array.dtype not in _SUPPORTED_DTYPES:
            raise _fail(path, f"tensor {name!r} has dtype {array.dtype}; expected float32/float64")
    if _checksum(tensors) != meta["sha256"]:
        raise _fail(
            path, "the tensors do not match their checksum: the file is damaged", "save it again"
        )
    return tensors


def _read(path):
    """The parsed file: (metadata entries, architecture description, tensors)."""
    with open(path, "rb") as file:
        data = file.read()
    meta = _mlplab_metadata(path, _header(path, data))
    spec = _json_entry(path, meta, "model")
    return meta, spec, _tensors(path, data, meta)


def _build(path, spec):
    """The architecture described by ``spec``, with placeholder parameters (no memory)."""
    try:
        with deferred_init():
            model = build_layer(spec)
    except (TypeError, ValueError, KeyError, OverflowError, RecursionError, MemoryError) as error:
        raise _fail(path, f"the architecture description is invalid ({error})") from None
    # Settings a layer does not report in its config (e.g. a generator) are never accepted.
    if layer_spec(model) != spec:
        raise _fail(path, "the architecture description has settings mlplab does not write")
    return model


def _check_entries(path, model, tensors):
    """Raise one error listing every missing, unexpected and mis-shaped tensor."""
    own = {name: p.shape for name, p in model.named_parameters()}
    problems = [
        f"missing tensor {name!r} (shape {shape})"
        for name, shape in own.items()
        if name not in tensors
    ]
    problems += [f"unexpected tensor {name!r}" for name in tensors if name not in own]
    problems += [
        f"tensor {name!r} has shape {tensors[name].shape}, the architecture needs {shape}"
        for name, shape in own.items()
        if name in tensors and tensors[name].shape != shape
    ]
    if problems:
        raise _fail(
            path,
            f"the tensors do not fit the {type(model).__name__} described in the file:\n  "
            + "\n  ".join(problems),
        )


def load(path):
    """Rebuild the model saved at ``path`` by :func:`save`, with its weights, in training mode.

    Raises
    ------
    ModelFileError
        The file is not an mlplab model (a pickle, random bytes, another safetensors file), is
        truncated or damaged, comes from a newer format version, or its tensors do not fit the
        architecture (each missing, unexpected or mis-shaped tensor is listed).
    OSError
        The file cannot be read (e.g. FileNotFoundError).
    """
    _, spec, tensors = _read(path)
    model = _build(path, spec)
    _check_entries(path, model, tensors)
    for name, parameter in model.named_parameters():
        array = tensors[name]
        # The layer's dtype decides (a float64 file loads into a float32 layer as float32).
        parameter.data = xp.asarray(array.astype(parameter.dtype, copy=not array.flags.writeable))
    return model


def read_info(path):
    """What a model file holds, without building the model.

    Returns
    -------
    dict with ``format_version`` (int), ``model`` (the architecture description),
    ``metadata`` (what was passed to :func:`save`), ``tensors`` (name -> shape) and
    ``parameters`` (the number of scalars).
    """
    meta, spec, tensors = _read(path)
    return {
        "format_version": int(meta["format_version"]),
        "model": spec,
        "metadata": _json_entry(path, meta, "metadata"),
        "tensors": {name: tuple(array.shape) for name, array in tensors.items()},
        "parameters": sum(int(array.size) for array in tensors.values()),
    }
