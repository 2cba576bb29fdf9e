"""Tests of mlplab.data.idx: round trips, every malformed-file error, fuzzing, bounded memory."""

import ast
import gzip
import inspect
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


def test_mnist_magic_numbers(shared_mnist):
    images = gzip.decompress((shared_mnist / "t10k-images-idx3-ubyte.gz").read_bytes())
    labels = gzip.decompress((shared_mnist / "t10k-labels-idx1-ubyte.gz").read_bytes())
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


def decode_or_idx_error(data):
    """Decode; the only exception allowed out is IDXError."""
    try:
        return decode_idx(data, "fuzz")
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
