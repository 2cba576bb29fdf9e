"""Tests of mlplab.data.idx: round trips, every malformed-file error, fuzzing, bounded memory."""

import ast
import gzip
import inspect
import io
import math
import tracemalloc

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlplab.data import IDXError, decode_idx, encode_idx, idx, read_idx, read_idx_record, write_idx

DTYPES = {
    0x08: numpy.uint8,
    0x09: numpy.int8,
    0x0B: numpy.int16,
    0x0C: numpy.int32,
    0x0D: numpy.float32,
    0x0E: numpy.float64,
}


def sample(dtype, shape):
    """Values that exercise sign, extremes and byte order of ``dtype``."""
    count = int(numpy.prod(shape))
    if numpy.dtype(dtype).kind == "f":
        values = numpy.linspace(-1e6, 1e6, count).astype(dtype)
        if count >= 3:
            values[:3] = [numpy.inf, -numpy.inf, numpy.nan]
    else:
        info = numpy.iinfo(dtype)
        values = numpy.linspace(info.min, info.max, count).astype(dtype)
    return values.reshape(shape)


@pytest.mark.parametrize("code", sorted(DTYPES))
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5), (0, 28, 28), (1, 1, 1, 2)])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_every_type_code(tmp_path, code, shape, suffix):
    array = sample(DTYPES[code], shape)
    path = write_idx(tmp_path / f"a.idx{suffix}", array)
    raw = path.read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == (suffix == ".gz")
    header = gzip.decompress(raw)[:4] if suffix else raw[:4]
    assert header == bytes([0, 0, code, len(shape)])
    back = read_idx(path)
    assert back.dtype == numpy.dtype(DTYPES[code]).newbyteorder("=")
    assert back.shape == shape
    numpy.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_layout_is_big_endian_as_specified():
    data = encode_idx(numpy.array([[1, 256]], dtype=numpy.int32))
    assert data == bytes([0, 0, 0x0C, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 0])


def test_mnist_magic_numbers(mnist_files):
    images = gzip.decompress((mnist_files / "t10k-images-idx3-ubyte.gz").read_bytes())
    labels = gzip.decompress((mnist_files / "t10k-labels-idx1-ubyte.gz").read_bytes())
    assert int.from_bytes(images[:4], "big") == 2051
    assert int.from_bytes(labels[:4], "big") == 2049
    assert decode_idx(images).shape == (10000, 28, 28)
    assert decode_idx(labels).shape == (10000,)


def test_record_checksums_of_file_and_content(tmp_path):
    array = numpy.arange(12, dtype=numpy.uint8).reshape(3, 4)
    raw = read_idx_record(write_idx(tmp_path / "a", array))
    packed = read_idx_record(write_idx(tmp_path / "a.gz", array))
    assert raw.compressed is False and packed.compressed is True
    assert raw.content_md5 == raw.file_md5 == packed.content_md5
    assert packed.file_md5 != packed.content_md5
    # Re-compressing changes the file's md5 but not the content's.
    (tmp_path / "b.gz").write_bytes(gzip.compress(encode_idx(array), compresslevel=1, mtime=7))
    again = read_idx_record(tmp_path / "b.gz")
    assert again.content_md5 == packed.content_md5 and again.file_md5 != packed.file_md5


def test_concatenated_gzip_members_are_one_stream(tmp_path):
    data = encode_idx(numpy.arange(100, dtype=numpy.int16))
    (tmp_path / "m.gz").write_bytes(gzip.compress(data[:30]) + gzip.compress(data[30:]))
    numpy.testing.assert_array_equal(read_idx(tmp_path / "m.gz"), numpy.arange(100))


def write(tmp_path, data, name="bad.idx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


VALID = encode_idx(numpy.arange(24, dtype=numpy.uint8).reshape(2, 3, 4))  # 16 header + 24 data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "found 0 bytes"),
        (b"\x00\x00\x08", "found 3 bytes"),
        (b"\x01\x00\x08\x01" + bytes(8), "two zero bytes"),
        (b"\x00\x02\x08\x01" + bytes(8), "two zero bytes"),
        (b"\x00\x00\x0a\x01\x00\x00\x00\x01\x00", "unknown IDX type code 0x0A"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00", "truncated IDX header"),
        (VALID[:-1], "truncated"),
        (VALID + b"\x00", "trailing bytes"),
        (b"PK\x03\x04" + bytes(20), "two zero bytes"),
    ],
)
def test_malformed_files_raise_idx_error_naming_the_file(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(IDXError, match=message) as caught:
        read_idx(path)
    assert str(path) in str(caught.value)


def test_size_errors_state_expected_and_actual_sizes(tmp_path):
    with pytest.raises(IDXError) as short:
        read_idx(write(tmp_path, VALID[:-5]))
    assert "expected 40 bytes" in str(short.value) and "found 35" in str(short.value)
    with pytest.raises(IDXError) as long:
        read_idx(write(tmp_path, VALID + b"abc"))
    assert "expected 40 bytes" in str(long.value) and "found 43" in str(long.value)


def test_wrong_size_header_is_caught(tmp_path):
    lying = bytearray(VALID)
    lying[7] = 3  # header now claims (3, 3, 4): 36 data bytes, the file has 24
    with pytest.raises(IDXError, match="truncated"):
        read_idx(write(tmp_path, bytes(lying)))


def test_gzip_truncated_corrupt_and_trailing(tmp_path):
    packed = gzip.compress(VALID, mtime=0)
    with pytest.raises(IDXError, match="gzip stream ends"):
        read_idx(write(tmp_path, packed[:-4], "cut.gz"))
    flipped = bytearray(packed)
    flipped[len(packed) // 2] ^= 0xFF
    with pytest.raises(IDXError, match=r"corrupt gzip|truncated|trailing|gzip stream ends"):
        read_idx(write(tmp_path, bytes(flipped), "flip.gz"))
    with pytest.raises(IDXError, match=r"trailing bytes.*expected 40 bytes.*found at least 43"):
        read_idx(write(tmp_path, gzip.compress(VALID + b"xyz"), "long.gz"))
    with pytest.raises(IDXError, match="truncated"):
        read_idx(write(tmp_path, gzip.compress(VALID[:-2]), "short.gz"))
    with pytest.raises(IDXError, match="corrupt gzip"):
        read_idx(write(tmp_path, b"\x1f\x8b" + b"not really gzip at all", "fake.gz"))


def test_gzip_is_detected_by_magic_not_by_name(tmp_path):
    path = write(tmp_path, gzip.compress(VALID), "no-suffix")
    numpy.testing.assert_array_equal(read_idx(path), numpy.arange(24).reshape(2, 3, 4))


def test_huge_header_claim_allocates_nothing_big(tmp_path):
    claim = b"\x00\x00\x0e\x03" + b"\xff\xff\xff\xff" * 3  # (2^32-1)^3 float64s
    tracemalloc.start()
    try:
        for data, name in ((claim + bytes(64), "raw"), (gzip.compress(claim + bytes(64)), "gz")):
            with pytest.raises(IDXError, match="truncated"):
                read_idx(write(tmp_path, data, name))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20


def peak_memory(function, *args, **kwargs):
    """Run ``function``; returns (its IDXError or None, the peak of traced memory in bytes)."""
    tracemalloc.start()
    try:
        function(*args, **kwargs)
        error = None
    except IDXError as caught:
        error = caught
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


ZEROS_16M = gzip.compress(bytes(16 << 20), 9)  # ~16 KiB


def gzip_bomb(path, header, zeros):
    """A .gz holding ``header`` then ``zeros`` zero bytes, as members of up to 16 MiB each."""
    full, rest = divmod(zeros, 16 << 20)
    members = [gzip.compress(header), *[ZEROS_16M] * full]
    if rest:
        members.append(gzip.compress(bytes(rest), 9))
    path.write_bytes(b"".join(members))
    return path


def uint8_header(*shape):
    return bytes([0, 0, 0x08, len(shape)]) + numpy.asarray(shape, ">u4").tobytes()


def test_gzip_bomb_claiming_4_gib_fails_before_allocating(tmp_path):
    # Claims 4 GiB and holds 8 MiB of zeros in ~8 KiB: no gzip of that size can hold 4 GiB.
    path = gzip_bomb(tmp_path / "bomb.gz", uint8_header(65536, 65536), 8 << 20)
    assert path.stat().st_size < 16 << 10
    error, peak = peak_memory(read_idx, path)
    assert error is not None and str(path) in str(error)
    assert "truncated" in str(error) and "expected 4294967308 bytes" in str(error)
    assert peak < 1 << 20  # before this fix: 10 MiB here, 1 GiB for a 1 MiB bomb


def test_gzip_bomb_over_the_size_limit_fails_before_decompressing(tmp_path):
    # 1.5 GiB of zeros in 1.5 MiB: the gzip bytes could hold the claim, the limit refuses it.
    claim = (3 << 29) - 8
    path = gzip_bomb(tmp_path / "big.gz", uint8_header(claim), claim)
    error, peak = peak_memory(read_idx, path)
    assert error is not None and "more than the limit of 1073741824 bytes" in str(error)
    assert "max_size" in str(error)
    assert peak < 1 << 20
    assert idx.MAX_SIZE == 1 << 30


def test_gzip_holding_one_byte_less_than_claimed_costs_no_memory(tmp_path):
    # The first pass counts the data in 1 MiB pieces: nothing of the claimed size is allocated.
    path = gzip_bomb(tmp_path / "short.gz", uint8_header(64, 1024, 1024), (64 << 20) - 1)
    error, peak = peak_memory(read_idx, path)
    assert error is not None
    assert "truncated" in str(error) and "expected 67108880 bytes" in str(error)
    assert "found 67108879" in str(error)
    assert peak < 4 << 20  # before this fix: the 64 MiB buffer, and more while it grew


@pytest.mark.parametrize("name", ["big.idx", "big.idx.gz"])
def test_valid_file_costs_its_array_and_no_copy(tmp_path, name):
    # 16 MiB, big-endian on disk; repetitive, so that writing the .gz takes no time
    array = numpy.tile(numpy.arange(-512, 512, dtype=numpy.int32), 4 << 10)
    path = write_idx(tmp_path / name, array)
    tracemalloc.start()
    try:
        back = read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    numpy.testing.assert_array_equal(back, array)
    # The array, byte order swapped in place (a converted copy would double it), plus a few MiB
    # of decompression buffers.
    assert peak < array.nbytes + (5 << 20)


def test_max_size_limits_the_content_and_none_lifts_it(tmp_path):
    array = numpy.zeros(1000, numpy.uint8)
    for name in ("a.idx", "a.gz"):
        path = write_idx(tmp_path / name, array)
        with pytest.raises(IDXError, match="1008 bytes, more than the limit of 1007") as caught:
            read_idx(path, max_size=1007)
        assert str(path) in str(caught.value)
        assert read_idx(path, max_size=1008).shape == (1000,)
        assert read_idx_record(path, max_size=None).array.shape == (1000,)
    with pytest.raises(IDXError, match="more than the limit of 10 bytes"):
        decode_idx(encode_idx(array), max_size=10)


@pytest.mark.parametrize("max_size", [0, -1, 1.5, True, "1"])
def test_invalid_max_size_is_refused_before_the_file_is_opened(tmp_path, max_size):
    for reader in (read_idx, read_idx_record):
        with pytest.raises(ValueError, match=f"Invalid max_size: {max_size!r}"):
            reader(tmp_path / "absent.idx", max_size=max_size)
    with pytest.raises(ValueError, match="Invalid max_size"):
        decode_idx(VALID, max_size=max_size)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes([0, 0, 0x08, 65]) + b"\x00\x00\x00\x01" * 65 + b"\x00", "at most 64"),
        (bytes([0, 0, 0x08, 255]) + bytes(4 * 255), "at most 64"),
        (uint8_header(0, 2**32 - 1, 2**32 - 1, 2**32 - 1), "numpy cannot represent"),
        (bytes([0, 0, 0x0E, 3, 0, 0, 0, 0]) + b"\xff\xff\xff\xff" * 2, "numpy cannot represent"),
    ],
    ids=["65-dims", "255-dims", "zero-beside-huge", "zero-beside-huge-float64"],
)
@pytest.mark.parametrize("packed", [False, True], ids=["raw", "gzip"])
def test_what_numpy_refuses_is_an_idx_error(tmp_path, data, message, packed):
    data = gzip.compress(data) if packed else data
    with pytest.raises(IDXError, match=message) as caught:
        read_idx(write(tmp_path, data), max_size=None)
    assert str(tmp_path / "bad.idx") in str(caught.value)
    with pytest.raises(IDXError, match=message):
        decode_idx(data)


def test_largest_empty_shape_numpy_holds_is_read():
    # The non-zero sizes multiply to 2^62 bytes, under numpy's limit: an empty array.
    array = decode_idx(uint8_header(0, 2**31, 2**31))
    assert array.shape == (0, 2**31, 2**31) and array.size == 0


def test_gzip_file_changing_between_the_two_passes_is_an_error():
    class Changing(io.BytesIO):
        """Serves a shorter file once rewound for the second pass."""

        rewinds = 0

        def seek(self, offset, whence=io.SEEK_SET):
            if (offset, whence) == (0, io.SEEK_SET):
                self.rewinds += 1
                if self.rewinds == 3:  # to the end and back, the magic, then the second pass
                    self.__init__(gzip.compress(VALID[:-1]))
            return super().seek(offset, whence)

    with pytest.raises(IDXError, match="changed while it was being read"):
        idx._read_record(Changing(gzip.compress(VALID)), "moving.gz", idx.MAX_SIZE)


def test_gzip_bomb_is_not_expanded_past_the_header_claim(tmp_path):
    bomb = gzip.compress(encode_idx(numpy.zeros(10, numpy.uint8)) + bytes(200 * 2**20))
    path = write(tmp_path, bomb, "bomb.gz")
    tracemalloc.start()
    try:
        with pytest.raises(IDXError, match="trailing bytes"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # the file (~200 KiB) plus a few MiB of chunks, not 200 MiB


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.idx")


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (numpy.zeros(3, numpy.int64), "cannot store dtype int64"),
        (numpy.zeros(3, numpy.uint16), "cannot store dtype uint16"),
        (numpy.zeros(3, bool), "cannot store dtype bool"),
        (numpy.array(5, numpy.uint8), "1 to 255 dimensions"),
    ],
)
def test_writer_refuses_what_idx_cannot_hold(tmp_path, array, message):
    with pytest.raises(IDXError, match=message):
        write_idx(tmp_path / "x.idx", array)
    assert not (tmp_path / "x.idx").exists()


def test_writer_is_atomic_and_reproducible(tmp_path):
    path = write_idx(tmp_path / "a.gz", numpy.arange(5, dtype=numpy.uint8))
    first = path.read_bytes()
    write_idx(path, numpy.arange(5, dtype=numpy.uint8))
    assert path.read_bytes() == first  # mtime=0 in the gzip header: same array, same bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gz"]


def test_no_assert_statements_validate_input():
    tree = ast.parse(inspect.getsource(idx))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]


# ------------------------------------------------------------------ fuzzing
SMALL = encode_idx(numpy.arange(-6, 6, dtype=numpy.int16).reshape(3, 4))
SMALL_GZ = gzip.compress(SMALL, mtime=0)


def decode_or_idx_error(data, max_size=idx.MAX_SIZE):
    """Decode; the only exception allowed out is IDXError."""
    try:
        return decode_idx(data, "fuzz", max_size=max_size)
    except IDXError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data):
    decode_or_idx_error(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_fuzz_random_bytes_after_a_valid_header(tail):
    decode_or_idx_error(b"\x00\x00\x0b\x02" + tail)
    decode_or_idx_error(b"\x1f\x8b" + tail)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(SMALL_GZ) - 1), st.integers(1, 255))
def test_fuzz_flipped_byte_in_gzip(position, mask):
    flipped = bytearray(SMALL_GZ)
    flipped[position] ^= mask
    result = decode_or_idx_error(bytes(flipped))
    if result is not None:  # a flip in the gzip header's free fields may be harmless
        numpy.testing.assert_array_equal(result, numpy.arange(-6, 6).reshape(3, 4))


@pytest.mark.parametrize("data", [SMALL, SMALL_GZ], ids=["raw", "gzip"])
def test_truncation_at_every_offset_is_an_idx_error(data):
    for cut in range(len(data)):
        with pytest.raises(IDXError):
            decode_idx(data[:cut], f"cut at {cut}")
    numpy.testing.assert_array_equal(decode_idx(data), numpy.arange(-6, 6).reshape(3, 4))


@st.composite
def idx_files(draw):
    """A valid IDX file of a random type and small shape; returns (bytes, dtype, shape)."""
    code = draw(st.sampled_from(sorted(DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=1, max_size=4)))
    size = math.prod(shape) * idx.TYPE_CODES[code].itemsize
    header = bytes([0, 0, code, len(shape)]) + numpy.asarray(shape, ">u4").tobytes()
    return header + draw(st.binary(min_size=size, max_size=size)), idx.TYPE_CODES[code], shape


SIZES = st.sampled_from([0, 1, 2, 3, 28, 255, 2**16, 2**31, 2**32 - 1]) | st.integers(0, 2**32 - 1)


@st.composite
def idx_headers(draw):
    """Bytes that start like IDX: a known or unknown type code, any dimensions, a short tail."""
    code = draw(st.sampled_from(sorted(DTYPES)) | st.integers(0, 255))
    sizes = draw(st.lists(SIZES, max_size=70))
    ndim = draw(st.just(len(sizes)) | st.integers(0, 255))
    tail = draw(st.binary(max_size=64))
    return bytes([0, 0, code, ndim]) + numpy.asarray(sizes, ">u4").tobytes() + tail


@pytest.fixture(scope="module")
def fuzz_file(tmp_path_factory):
    """A path that each fuzzing example overwrites (hypothesis reruns the test body)."""
    return tmp_path_factory.mktemp("fuzz") / "fuzz.idx"


def read_file_or_idx_error(path, data, max_size=idx.MAX_SIZE):
    """Write ``data`` to ``path`` and read it; the only exception allowed out is IDXError."""
    path.write_bytes(data)
    try:
        return read_idx(path, max_size=max_size)
    except IDXError:
        return None


@settings(max_examples=300, deadline=None)
@given(idx_headers(), st.booleans(), st.sampled_from([idx.MAX_SIZE, None]))
def test_fuzz_headers_of_any_shape_give_only_idx_errors(fuzz_file, data, packed, max_size):
    stored = gzip.compress(data, mtime=0) if packed else data
    for result in (
        read_file_or_idx_error(fuzz_file, stored, max_size),
        decode_or_idx_error(stored, max_size),
    ):
        if result is not None:  # the header happened to match its data exactly
            assert result.nbytes == len(data) - 4 - 4 * result.ndim


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.booleans())
def test_fuzz_random_files_raw_and_gzip(fuzz_file, data, packed):
    data = gzip.compress(data, mtime=0) if packed else data
    read_file_or_idx_error(fuzz_file, data)
    decode_or_idx_error(data)


@settings(max_examples=200, deadline=None)
@given(idx_files(), st.data())
def test_fuzz_valid_files_read_back_and_any_truncation_is_an_idx_error(fuzz_file, file, data):
    raw, dtype, shape = file
    expected = numpy.frombuffer(raw, dtype, offset=4 + 4 * len(shape)).reshape(shape)
    packed = gzip.compress(raw, mtime=0)
    for whole in (raw, packed):
        fuzz_file.write_bytes(whole)
        numpy.testing.assert_array_equal(read_idx(fuzz_file), expected)
        numpy.testing.assert_array_equal(decode_idx(whole), expected)
        cut = data.draw(st.integers(0, len(whole) - 1), label="cut")
        fuzz_file.write_bytes(whole[:cut])
        with pytest.raises(IDXError):
            read_idx(fuzz_file)
        with pytest.raises(IDXError):
            decode_idx(whole[:cut])
    extra = data.draw(st.binary(min_size=1, max_size=8), label="trailing")
    for longer in (raw + extra, gzip.compress(raw + extra)):
        with pytest.raises(IDXError, match="trailing bytes"):
            decode_idx(longer)
