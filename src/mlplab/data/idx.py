"""The IDX file format (MNIST and its relatives): reading and writing, raw or gzip-compressed.

An IDX file is a 4-byte magic number -- two zero bytes, a type code, the number of dimensions --
then one big-endian unsigned 32-bit size per dimension, then the elements in C order, big-endian.
Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.

Reading checks everything before trusting it: the header's length, its zero bytes, the type code,
at least one dimension, and the exact data size the header implies -- computed before anything is
allocated -- against what the file holds. Truncated data and trailing bytes are both errors that
name the file, the expected and the actual size. A gzip file (first bytes 1f 8b) is decompressed,
at most as many bytes as the header promises (plus one to detect trailing data), so a lying header
or a decompression bomb cannot exhaust memory. Every problem with the content raises
:class:`~mlplab.data.errors.IDXError`; problems opening the file raise ``OSError``.
"""

import gzip
import hashlib
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

_CODE_OF_KIND = {(dtype.kind, dtype.itemsize): code for code, dtype in TYPE_CODES.items()}
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # decompress and hash in 1 MiB pieces


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
    """Decompress gzip bytes on demand, never producing more output than asked for."""

    def __init__(self, data, source):
        self._source = source
        self._decompressor = zlib.decompressobj(wbits=31)
        self._pending = memoryview(data)  # compressed input not yet handed to the decompressor

    def read(self, size):
        """Up to ``size`` decompressed bytes (fewer only at the end of the stream)."""
        out = bytearray()
        while len(out) < size:
            if self._decompressor.eof:
                rest = self._decompressor.unused_data
                if not rest.strip(b"\x00"):  # nothing, or the zero padding some tools append
                    break
                # another gzip member follows (concatenated .gz files are one stream)
                self._decompressor = zlib.decompressobj(wbits=31)
                self._pending = memoryview(rest)
            source = self._decompressor.unconsumed_tail or self._pending
            if source is self._pending:
                self._pending = memoryview(b"")
            try:
                chunk = self._decompressor.decompress(source, min(size - len(out), _CHUNK))
            except zlib.error as error:
                raise IDXError(
                    f"{self._source}: corrupt gzip data ({error}); download or copy it again"
                ) from error
            if not chunk and not self._decompressor.eof and not self._decompressor.unconsumed_tail:
                raise IDXError(
                    f"{self._source}: the gzip stream ends before its end marker (the file is "
                    "truncated); download or copy it again"
                )
            out += chunk
        return out


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
    return TYPE_CODES[code], ndim


def _shape(dims_bytes, ndim, source):
    """Decode the big-endian sizes, or name how much of the header is missing."""
    if len(dims_bytes) < 4 * ndim:
        raise IDXError(
            f"{source}: truncated IDX header: expected {4 + 4 * ndim} header bytes for "
            f"{ndim} dimensions, found {4 + len(dims_bytes)}"
        )
    return tuple(int(v) for v in numpy.frombuffer(dims_bytes, dtype=">u4", count=ndim))


def _size_error(source, shape, dtype, header_size, expected, actual, at_least=False):
    """The error for data that is shorter or longer than the header says."""
    problem = "truncated" if actual < expected else "has trailing bytes"
    found = f"at least {header_size + actual}" if at_least else header_size + actual
    return IDXError(
        f"{source}: IDX file {problem}: header says shape {shape} of {dtype.newbyteorder('=')}, "
        f"so expected {header_size + expected} bytes ({header_size} header + {expected} data), "
        f"found {found}"
    )


def _to_array(buffer, offset, dtype, shape):
    """View ``buffer[offset:]`` as ``shape`` of ``dtype``, then convert to native byte order."""
    array = numpy.frombuffer(buffer, dtype=dtype, offset=offset).reshape(shape)
    if dtype.byteorder == ">":
        return array.astype(dtype.newbyteorder("="))
    return array


def _decode_raw(buffer, source):
    """Parse a complete (uncompressed) IDX file held in a writable ``buffer``."""
    dtype, ndim = _header_fields(buffer[:4], source)
    shape = _shape(buffer[4 : 4 + 4 * ndim], ndim, source)
    header_size = 4 + 4 * ndim
    expected = math.prod(shape) * dtype.itemsize
    actual = len(buffer) - header_size
    if actual != expected:
        raise _size_error(source, shape, dtype, header_size, expected, actual)
    return _to_array(buffer, header_size, dtype, shape)


def _decode_gzip(data, source):
    """Decompress and parse; returns (array, md5 of the decompressed bytes)."""
    stream = _GzipStream(data, source)
    digest = hashlib.md5(usedforsecurity=False)
    head = stream.read(4)
    dtype, ndim = _header_fields(head, source)
    dims = stream.read(4 * ndim)
    shape = _shape(dims, ndim, source)
    header_size = 4 + 4 * ndim
    expected = math.prod(shape) * dtype.itemsize
    # Grow the buffer as data actually arrives: a header promising terabytes costs nothing.
    buffer = bytearray(head + dims)
    while len(buffer) - header_size < expected:
        chunk = stream.read(min(_CHUNK, expected - (len(buffer) - header_size)))
        if not chunk:
            break
        buffer += chunk
    actual = len(buffer) - header_size
    if actual == expected and stream.read(1):
        # Decompressing the rest just to count it could take long (a gzip bomb): say "at least".
        actual += 1 + len(stream.read(_CHUNK))
        raise _size_error(source, shape, dtype, header_size, expected, actual, at_least=True)
    if actual != expected:
        raise _size_error(source, shape, dtype, header_size, expected, actual)
    digest.update(buffer)
    return _to_array(buffer, header_size, dtype, shape), digest.hexdigest()


def decode_idx(data, source="<bytes>"):
    """Parse IDX bytes (raw or gzip-compressed) into an array.

    Parameters
    ----------
    data : bytes-like
        The whole file's contents.
    source : str
        What to call the data in error messages (a file name).

    Returns
    -------
    numpy.ndarray
        The elements, shaped as the header says, in native byte order.
    """
    return _decode_record(bytearray(data), source).array


def _decode_record(buffer, source):
    """Parse a whole file's bytes (a writable bytearray) into an :class:`IDXRecord`."""
    file_md5 = hashlib.md5(buffer, usedforsecurity=False).hexdigest()
    if bytes(buffer[:2]) == GZIP_MAGIC:
        array, content_md5 = _decode_gzip(buffer, source)
        return IDXRecord(array, True, file_md5, content_md5)
    return IDXRecord(_decode_raw(buffer, source), False, file_md5, file_md5)


def read_idx_record(path):
    """Read an IDX file (raw or gzip) with its checksums.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    IDXRecord
        The array, whether the file was compressed, and the md5 of the file and of its content.
    """
    path = Path(path)
    with path.open("rb") as handle:
        size = path.stat().st_size
        buffer = bytearray(size)
        read = handle.readinto(buffer)
    # The file may change between stat and read; what we actually got is what we parse.
    return _decode_record(buffer[:read] if read != size else buffer, str(path))


def read_idx(path):
    """Read an IDX file (raw or gzip-compressed, told apart by its first bytes).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    numpy.ndarray
        Shape from the header; dtype uint8, int8, int16, int32, float32 or float64 (native
        byte order).

    Raises
    ------
    IDXError
        The content is not a valid IDX file; the message names the file, what was expected and
        what was found.
    OSError
        The file cannot be opened.
    """
    return read_idx_record(path).array


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
