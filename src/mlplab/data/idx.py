"""The IDX file format (MNIST and its relatives): reading and writing, raw or gzip-compressed.

An IDX file is a 4-byte magic number -- two zero bytes, a type code, the number of dimensions --
then one big-endian unsigned 32-bit size per dimension, then the elements in C order, big-endian.
Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.

Reading checks everything before trusting it: the header's length, its zero bytes, the type code,
one to 64 dimensions (numpy's limit), and the exact data size the header implies -- computed
before anything is allocated -- against what the file holds. Truncated data and trailing bytes are
both errors that name the file, the expected and the actual size. A gzip file (first bytes 1f 8b)
is read in two passes: the first decompresses in 1 MiB pieces that are counted and dropped, the
second, once the size is proven, decompresses into an array of exactly that size. So memory is
bounded by what the file really holds, never by what its header claims: a header claiming more
than the gzip bytes can hold (deflate expands at most 1032-fold) fails at once, and a gzip bomb
costs time, not memory. Content larger than ``max_size`` (:data:`MAX_SIZE`, 1 GiB, by default) is
refused before anything is read. Every problem with the content raises
:class:`~mlplab.data.errors.IDXError`; problems opening the file raise ``OSError``.
"""

import gzip
import hashlib
import io
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy

from mlplab.data.errors import IDXError
from mlplab.utils.atomic import atomic_write

TYPE_CODES = {
    0x08: numpy.dtype(numpy.uint8),
    0x09: numpy.dtype(numpy.int8),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}
"""IDX type code -> the big-endian dtype of the elements on disk."""

MAX_SIZE = 1 << 30
"""The largest IDX content (header and data, decompressed) read unless ``max_size`` says more:
1 GiB, over twenty times MNIST's training images (47 MB)."""

_CODE_OF_KIND = {(dtype.kind, dtype.itemsize): code for code, dtype in TYPE_CODES.items()}
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # decompressed bytes produced per step
# Compressed bytes read per step: small, because zlib copies the unconsumed rest of its input on
# every call, and a highly compressed chunk takes many 1 MiB steps to consume.
_INPUT_CHUNK = 1 << 16
# Deflate's best case is a 258-byte match coded in 2 bits: no gzip file expands further.
_DEFLATE_MAX_RATIO = 1032
_MAX_NDIM = 64 if numpy.lib.NumpyVersion(numpy.__version__) >= "2.0.0" else 32
_MAX_BYTES = int(numpy.iinfo(numpy.intp).max)  # the largest array numpy can describe


@dataclass(frozen=True)
class IDXRecord:
    """An IDX file as read: the array plus the checksums a caller may want to verify.

    Attributes
    ----------
    array : numpy.ndarray
        The elements in the header's shape, native byte order, writable.
    compressed : bool
        Whether the file on disk was gzip-compressed.
    file_md5 : str
        md5 of the bytes on disk (the gzip bytes for a compressed file).
    content_md5 : str
        md5 of the IDX bytes themselves (decompressed): stable when a file is re-compressed.
    """

    array: numpy.ndarray
    compressed: bool
    file_md5: str
    content_md5: str


class _GzipStream:
    """Decompress a gzip file (one or more members) from a binary handle, never more than asked.

    ``digest``, when given, is updated with every compressed byte read from the handle.
    """

    def __init__(self, handle, source, digest=None):
        self._handle = handle
        self._source = source
        self._digest = digest
        self._decompressor = zlib.decompressobj(wbits=31)
        self._pending = b""  # compressed input read but not yet handed to the decompressor

    def _input(self):
        """The next compressed bytes from the handle (empty at its end)."""
        chunk = self._handle.read(_INPUT_CHUNK)
        if self._digest is not None:
            self._digest.update(chunk)
        return chunk

    def _next(self, limit):
        """Up to ``limit`` (> 0) decompressed bytes; empty only at the end of the stream."""
        while True:
            if self._decompressor.eof:
                # After a member: the end, zero padding (some tools append it), or another member
                # (concatenated .gz files are one stream). All input past the member's end is in
                # unused_data; unconsumed_tail may still hold a stale copy of it, so it is dropped.
                rest = self._decompressor.unused_data.lstrip(b"\x00")
                while not rest:
                    more = self._input()
                    if not more:
                        return b""
                    rest = more.lstrip(b"\x00")
                self._decompressor = zlib.decompressobj(wbits=31)
                self._pending = rest
            data = self._pending or self._input()
            try:
                chunk = self._decompressor.decompress(data, limit)
            except zlib.error as error:
                raise IDXError(
                    f"{self._source}: corrupt gzip data ({error}); download or copy it again"
                ) from error
            self._pending = self._decompressor.unconsumed_tail
            if chunk:
                return chunk
            if not data and not self._decompressor.eof:
                raise IDXError(
                    f"{self._source}: the gzip stream ends before its end marker (the file is "
                    "truncated); download or copy it again"
                )

    def read(self, size):
        """Up to ``size`` decompressed bytes (fewer only at the end of the stream)."""
        out = bytearray()
        while len(out) < size and (chunk := self._next(min(size - len(out), _CHUNK))):
            out += chunk
        return bytes(out)

    def readinto(self, view):
        """Fill the writable byte ``view``; returns how many bytes the stream had for it."""
        filled = 0
        while filled < len(view) and (chunk := self._next(min(len(view) - filled, _CHUNK))):
            view[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        return filled

    def skip(self, size):
        """Decompress and drop up to ``size`` bytes; returns how many there were."""
        skipped = 0
        while skipped < size and (chunk := self._next(min(size - skipped, _CHUNK))):
            skipped += len(chunk)
        return skipped


def _header_fields(head, source):
    """Check the 4-byte magic; returns (big-endian dtype, number of dimensions)."""
    if len(head) < 4:
        raise IDXError(
            f"{source}: too short for an IDX file: expected at least a 4-byte header, "
            f"found {len(head)} bytes"
        )
    if head[0] != 0 or head[1] != 0:
        raise IDXError(
            f"{source}: not an IDX file: expected the magic number to start with two zero bytes, "
            f"found {bytes(head[:4]).hex(' ')}"
        )
    code, ndim = head[2], head[3]
    if code not in TYPE_CODES:
        known = ", ".join(f"0x{c:02X}" for c in TYPE_CODES)
        raise IDXError(f"{source}: unknown IDX type code 0x{code:02X}; expected one of {known}")
    if ndim == 0:
        raise IDXError(f"{source}: IDX header declares 0 dimensions; expected at least one")
    if ndim > _MAX_NDIM:
        raise IDXError(
            f"{source}: IDX header declares {ndim} dimensions; numpy arrays have at most "
            f"{_MAX_NDIM}"
        )
    return TYPE_CODES[code], ndim


def _shape(dims_bytes, ndim, source):
    """Decode the big-endian sizes, or name how much of the header is missing."""
    if len(dims_bytes) < 4 * ndim:
        raise IDXError(
            f"{source}: truncated IDX header: expected {4 + 4 * ndim} header bytes for "
            f"{ndim} dimensions, found {4 + len(dims_bytes)}"
        )
    return tuple(int(v) for v in numpy.frombuffer(dims_bytes, dtype=">u4", count=ndim))


def _read_header(read, source):
    """Read and check the header through ``read(n)``; returns (dtype, shape, header bytes)."""
    head = read(4)
    dtype, ndim = _header_fields(head, source)
    dims = read(4 * ndim)
    return dtype, _shape(dims, ndim, source), head + dims


def _describe(shape, dtype):
    """``shape (2, 3) of int16``: what a header declares, for messages."""
    return f"shape {shape} of {dtype.newbyteorder('=')}"


def _size_error(source, shape, dtype, header_size, expected, actual, at_least=False):
    """The error for data that is shorter or longer than the header says."""
    problem = "truncated" if actual < expected else "has trailing bytes"
    found = f"at least {header_size + actual}" if at_least else header_size + actual
    return IDXError(
        f"{source}: IDX file {problem}: header says {_describe(shape, dtype)}, so expected "
        f"{header_size + expected} bytes ({header_size} header + {expected} data), found {found}"
    )


def _check_limits(source, shape, dtype, header_size, max_size):
    """Refuse, before anything is allocated, content over ``max_size`` or beyond numpy."""
    size = header_size + math.prod(shape) * dtype.itemsize
    if max_size is not None and size > max_size:
        raise IDXError(
            f"{source}: header says {_describe(shape, dtype)}, {size} bytes, more than the "
            f"limit of {max_size} bytes; if the file really holds that much, read it with a "
            "larger max_size (or max_size=None)"
        )
    # numpy refuses a shape whose non-zero sizes multiply past its limit, even with a 0 beside
    # them (an empty array, so the size checks above let it through).
    if math.prod(n for n in shape if n) * dtype.itemsize > _MAX_BYTES:
        raise IDXError(
            f"{source}: numpy cannot represent {_describe(shape, dtype)}: its non-zero sizes "
            f"multiply to more than {_MAX_BYTES} bytes"
        )


def _fill(data, readinto):
    """Fill the uint8 array ``data`` through ``readinto``; returns the bytes actually read."""
    view = memoryview(data)
    filled = 0
    while filled < len(view) and (count := readinto(view[filled:])):
        filled += count
    return filled


def _to_array(data, dtype, shape):
    """The raw bytes ``data`` (a writable uint8 array) as ``shape`` of ``dtype``, native order."""
    array = data.view(dtype)
    if dtype.byteorder == ">":
        # Swapped in place: a converted copy would double the memory a large file needs.
        array = array.byteswap(inplace=True).view(dtype.newbyteorder("="))
    return array.reshape(shape)


def _read_raw(handle, total, source, max_size):
    """Read an uncompressed IDX file of ``total`` bytes into an :class:`IDXRecord`."""
    dtype, shape, header = _read_header(handle.read, source)
    header_size = len(header)
    expected = math.prod(shape) * dtype.itemsize
    if total - header_size != expected:
        raise _size_error(source, shape, dtype, header_size, expected, total - header_size)
    _check_limits(source, shape, dtype, header_size, max_size)
    data = numpy.empty(expected, numpy.uint8)
    # The file may change after its size was taken: what is actually read is what counts.
    filled = _fill(data, handle.readinto)
    if filled < expected:
        raise _size_error(source, shape, dtype, header_size, expected, filled)
    if handle.read(1):
        raise _size_error(source, shape, dtype, header_size, expected, expected + 1, True)
    digest = hashlib.md5(header, usedforsecurity=False)
    digest.update(data)
    md5 = digest.hexdigest()
    return IDXRecord(_to_array(data, dtype, shape), False, md5, md5)


def _read_gzip(handle, total, source, max_size):
    """Read a gzip-compressed IDX file of ``total`` bytes into an :class:`IDXRecord`."""
    # Pass 1: prove the decompressed size, keeping nothing but the header.
    stream = _GzipStream(handle, source)
    dtype, shape, header = _read_header(stream.read, source)
    header_size = len(header)
    expected = math.prod(shape) * dtype.itemsize
    if header_size + expected > _DEFLATE_MAX_RATIO * total:
        raise IDXError(
            f"{source}: IDX file truncated: header says {_describe(shape, dtype)}, so expected "
            f"{header_size + expected} bytes decompressed, but {total} bytes of gzip hold at "
            f"most {_DEFLATE_MAX_RATIO * total} (deflate expands at most "
            f"{_DEFLATE_MAX_RATIO}-fold)"
        )
    _check_limits(source, shape, dtype, header_size, max_size)
    received = stream.skip(expected)
    if received < expected:
        raise _size_error(source, shape, dtype, header_size, expected, received)
    if extra := stream.skip(_CHUNK):
        # Decompressing the rest just to count it could take long (a gzip bomb): say "at least".
        raise _size_error(source, shape, dtype, header_size, expected, expected + extra, True)
    # Pass 2: decompress into an array of exactly the proven size, hashing what is returned.
    handle.seek(0)
    file_digest = hashlib.md5(usedforsecurity=False)
    stream = _GzipStream(handle, source, file_digest)
    again = stream.read(header_size)
    data = numpy.empty(expected, numpy.uint8)
    if again != header or _fill(data, stream.readinto) < expected or stream.skip(1):
        raise IDXError(f"{source} changed while it was being read; read it again")
    while chunk := handle.read(_CHUNK):  # whatever follows the last member (zero padding)
        file_digest.update(chunk)
    content_digest = hashlib.md5(header, usedforsecurity=False)
    content_digest.update(data)
    return IDXRecord(
        _to_array(data, dtype, shape), True, file_digest.hexdigest(), content_digest.hexdigest()
    )


def _check_max_size(max_size):
    """Raise ValueError unless ``max_size`` is a positive number of bytes or None."""
    if max_size is not None and (
        isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1
    ):
        raise ValueError(
            f"Invalid max_size: {max_size!r}; use a positive number of bytes, or None for no limit"
        )


def _read_record(handle, source, max_size):
    """Read IDX content, raw or gzip (told apart by its first bytes), from a seekable handle."""
    total = handle.seek(0, io.SEEK_END)
    handle.seek(0)
    compressed = handle.read(2) == GZIP_MAGIC
    handle.seek(0)
    read = _read_gzip if compressed else _read_raw
    return read(handle, total, source, max_size)


def decode_idx(data, source="<bytes>", *, max_size=MAX_SIZE):
    """Parse IDX bytes (raw or gzip-compressed) into an array.

    Parameters
    ----------
    data : bytes-like
        The whole file's contents.
    source : str
        What to call the data in error messages (a file name).
    max_size : int or None
        The largest content (header and data, decompressed) accepted, in bytes; None for no
        limit beyond what ``data`` really holds.

    Returns
    -------
    numpy.ndarray
        The elements, shaped as the header says, in native byte order.

    Raises
    ------
    IDXError
        ``data`` is not a valid IDX file, or declares more than ``max_size`` bytes.
    ValueError
        ``max_size`` is not a positive integer or None.
    """
    _check_max_size(max_size)
    return _read_record(io.BytesIO(data), source, max_size).array


def read_idx_record(path, *, max_size=MAX_SIZE):
    """Read an IDX file (raw or gzip) with its checksums.

    Parameters
    ----------
    path : str or os.PathLike
    max_size : int or None
        The largest content (header and data, decompressed) accepted, in bytes; None for no
        limit beyond what the file really holds.

    Returns
    -------
    IDXRecord
        The array, whether the file was compressed, and the md5 of the file and of its content.

    Raises
    ------
    IDXError
        The content is not a valid IDX file, or declares more than ``max_size`` bytes.
    OSError
        The file cannot be opened.
    ValueError
        ``max_size`` is not a positive integer or None.
    """
    _check_max_size(max_size)
    with Path(path).open("rb") as handle:
        return _read_record(handle, str(path), max_size)


def read_idx(path, *, max_size=MAX_SIZE):
    """Read an IDX file (raw or gzip-compressed, told apart by its first bytes).

    Parameters
    ----------
    path : str or os.PathLike
    max_size : int or None
        The largest content (header and data, decompressed) accepted, in bytes: by default
        :data:`MAX_SIZE` (1 GiB); None for no limit beyond what the file really holds.

    Returns
    -------
    numpy.ndarray
        Shape from the header; dtype uint8, int8, int16, int32, float32 or float64 (native
        byte order).

    Raises
    ------
    IDXError
        The content is not a valid IDX file, or declares more than ``max_size`` bytes; the
        message names the file, what was expected and what was found.
    OSError
        The file cannot be opened.
    ValueError
        ``max_size`` is not a positive integer or None.
    """
    return read_idx_record(path, max_size=max_size).array


def encode_idx(array):
    """The IDX bytes (uncompressed) of ``array``: header then big-endian elements."""
    array = numpy.asarray(array)
    code = _CODE_OF_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise IDXError(
            f"IDX cannot store dtype {array.dtype}: use uint8, int8, int16, int32, float32 or "
            "float64 (convert first, e.g. array.astype('int32'))"
        )
    if array.ndim == 0 or array.ndim > 255:
        raise IDXError(f"IDX stores 1 to 255 dimensions, this array has {array.ndim}")
    if any(n >= 2**32 for n in array.shape):
        raise IDXError(f"IDX sizes are 32-bit: shape {array.shape} is too large")
    header = bytes([0, 0, code, array.ndim]) + numpy.asarray(array.shape, ">u4").tobytes()
    return header + numpy.ascontiguousarray(array, dtype=TYPE_CODES[code]).tobytes()


def write_idx(path, array, compress=None):
    """Write ``array`` as an IDX file, atomically (a crash leaves any previous file intact).

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its folder must exist.
    array : array_like
        uint8, int8, int16, int32, float32 or float64; at least one dimension.
    compress : bool, optional
        gzip the file; by default, when ``path`` ends in ``.gz``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    data = encode_idx(array)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        # mtime=0: the same array always gives the same bytes (reproducible checksums)
        data = gzip.compress(data, mtime=0)
    with atomic_write(path) as handle:
        handle.write(data)
    return path
