"""The safetensors layout, read and checked in one place for model files and checkpoints.

A safetensors file is an 8-byte little-endian header length N, N bytes of UTF-8 JSON (an object
mapping each tensor's name to its dtype, shape and byte range, plus an optional
``"__metadata__"`` object of strings), then the tensors' bytes, which the byte ranges must tile
exactly. :func:`parse_tensor_file` checks all of that before any tensor is touched, so a caller
can compare the shapes with what it expects first; :meth:`TensorFile.arrays` then gives views on
the bytes, without copying them. :func:`tensor_digest` is the SHA-256 of the tensors that both
formats store, and :func:`parse_format_version` reads the version string both keep.

The safetensors library writes the files; reading them needs nothing from it.
"""

import hashlib
import json
import math
import re
from collections import namedtuple
from dataclasses import dataclass

import numpy

from mlplab.utils.messages import short_repr

_DTYPES = {
    "F64": numpy.dtype("<f8"),
    "F32": numpy.dtype("<f4"),
    "F16": numpy.dtype("<f2"),
    "I64": numpy.dtype("<i8"),
    "U64": numpy.dtype("<u8"),
    "I32": numpy.dtype("<i4"),
    "U32": numpy.dtype("<u4"),
    "I16": numpy.dtype("<i2"),
    "U16": numpy.dtype("<u2"),
    "I8": numpy.dtype("i1"),
    "U8": numpy.dtype("u1"),
    "BOOL": numpy.dtype("?"),
    "C64": numpy.dtype("<c8"),
}
"""The dtypes ``safetensors.numpy`` writes, by their names in the header (all little-endian)."""

_MAX_HEADER = 100_000_000
"""The largest header the safetensors library itself accepts, in bytes."""

_MAX_DIMENSIONS = 32

_VERSION = re.compile(r"[1-9][0-9]{0,8}")
"""A format version: a positive whole number in ASCII digits (``str.isdigit`` would also let
through digits such as "١" or "²", which ``int`` reads differently or not at all)."""


class TensorFileError(ValueError):
    """Bytes that are not a well-formed safetensors file; callers add the file's name."""


TensorEntry = namedtuple("TensorEntry", ["dtype", "shape", "start", "end"])
"""One tensor's dtype (a NumPy dtype), shape (tuple) and byte range in the file's bytes."""


@dataclass(frozen=True)
class TensorFile:
    """A parsed safetensors file: its metadata strings, where each tensor lies, and its bytes."""

    metadata: dict
    entries: dict
    data: bytes

    @property
    def shapes(self):
        """Every tensor's shape, by name."""
        return {name: entry.shape for name, entry in self.entries.items()}

    def arrays(self):
        """Every tensor as a read-only NumPy view on the file's bytes, by name."""
        return {
            name: numpy.frombuffer(
                self.data, entry.dtype, count=math.prod(entry.shape), offset=entry.start
            ).reshape(entry.shape)
            for name, entry in self.entries.items()
        }


def _encodable(text):
    """Whether ``text`` is valid UTF-8 text (JSON lets lone surrogates such as "\\ud800" in)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _entry(name, info, data_start):
    """The TensorEntry of a header item, its dtype, shape and byte count checked."""
    where = f"tensor {short_repr(name)}"
    if not _encodable(name):
        raise TensorFileError(f"{where}: the name is not UTF-8 text")
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        raise TensorFileError(f"{where}: expected exactly 'dtype', 'shape' and 'data_offsets'")
    dtype = _DTYPES.get(info["dtype"]) if isinstance(info["dtype"], str) else None
    if dtype is None:
        raise TensorFileError(f"{where} has the unknown dtype {short_repr(info['dtype'])}")
    shape, offsets = info["shape"], info["data_offsets"]
    if not (
        isinstance(shape, list)
        and len(shape) <= _MAX_DIMENSIONS
        and all(type(size) is int and size >= 0 for size in shape)
    ):
        raise TensorFileError(
            f"{where} has the shape {short_repr(shape)}: expected at most {_MAX_DIMENSIONS} "
            "whole numbers >= 0"
        )
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(type(offset) is int for offset in offsets)
        and 0 <= offsets[0] <= offsets[1]
    ):
        raise TensorFileError(f"{where} has the byte range {short_repr(offsets)}")
    start, end = offsets
    if end - start != math.prod(shape) * dtype.itemsize:
        raise TensorFileError(
            f"{where} of shape {tuple(shape)} and dtype {info['dtype']} needs "
            f"{math.prod(shape) * dtype.itemsize} bytes, but its byte range holds {end - start}"
        )
    return TensorEntry(dtype, tuple(shape), data_start + start, data_start + end)


def _check_layout(entries, data_start, data_end):
    """Raise unless the tensors' byte ranges tile the bytes after the header exactly."""
    expected = data_start
    for name, entry in sorted(entries.items(), key=lambda item: (item[1].start, item[1].end)):
        if entry.start != expected:
            raise TensorFileError(
                f"tensor {short_repr(name)} starts at byte {entry.start - data_start} of the "
                f"data, not at {expected - data_start}: the byte ranges overlap or leave gaps"
            )
        expected = entry.end
    if expected != data_end:
        raise TensorFileError(
            f"the tensors take {expected - data_start} bytes but {data_end - data_start} follow "
            "the header: the file is "
            + ("truncated" if expected > data_end else "followed by bytes that belong to nothing")
        )


def parse_tensor_file(data):
    """Parse and check the safetensors bytes ``data``; no tensor is read or copied.

    Parameters
    ----------
    data : bytes
        A whole file.

    Returns
    -------
    TensorFile
        Its ``metadata`` (a dict of strings, empty when the file has none) and ``entries``
        (name -> TensorEntry), whose byte ranges tile the data after the header exactly.

    Raises
    ------
    TensorFileError
        Saying what is wrong: too short, a header length beyond the end, a header that is not a
        JSON object, a bad entry, byte ranges that overlap, leave gaps or run past the end.
    """
    if len(data) < 8:
        raise TensorFileError(f"the file has {len(data)} bytes, too few for a safetensors file")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8:
        raise TensorFileError(
            f"the header claims {size} bytes but only {len(data) - 8} follow: the file is "
            "truncated or is not a safetensors file"
        )
    if size > _MAX_HEADER:
        raise TensorFileError(f"the header claims {size} bytes, more than {_MAX_HEADER}")
    if data[8:9] != b"{":
        raise TensorFileError("the header is not a JSON object: not a safetensors file")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise TensorFileError("the header is not valid JSON: not a safetensors file") from None
    if not isinstance(header, dict):
        raise TensorFileError("the header is not a JSON object: not a safetensors file")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise TensorFileError("the header's __metadata__ is not an object of strings")
    entries = {name: _entry(name, info, 8 + size) for name, info in header.items()}
    _check_layout(entries, 8 + size, len(data))
    return TensorFile(metadata, entries, data)


def tensor_digest(arrays, text=""):
    """The SHA-256 (hex) of every array's name, dtype, shape and bytes, in name order, then of
    ``text``.

    Parameters
    ----------
    arrays : dict of str -> numpy.ndarray
        What a file holds (or is about to hold), as written and as read back alike.
    text : str
        Metadata the digest covers too (a checkpoint's state); the default adds nothing, which
        is the digest model files have always carried.
    """
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = arrays[name]
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(numpy.ascontiguousarray(array).data)
    digest.update(text.encode())
    return digest.hexdigest()


def parse_format_version(value):
    """The ``format_version`` metadata string ``value`` as an int.

    Raises
    ------
    TensorFileError
        Unless ``value`` is a string of 1 to 9 ASCII digits, not starting with 0.
    """
    if isinstance(value, str) and _VERSION.fullmatch(value):
        return int(value)
    raise TensorFileError(
        f"invalid format_version {short_repr(value)}: expected a whole number such as '1'"
    )
