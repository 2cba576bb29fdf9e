"""mlplab.utils.tensorfile: the one safetensors reader agrees with the safetensors library on
every file it writes, is never more lenient than it, and refuses every malformed layout."""

import json

import numpy as np
import pytest
import safetensors
import safetensors.numpy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mlplab.utils.tensorfile import (
    TensorFileError,
    parse_format_version,
    parse_tensor_file,
    tensor_digest,
)

_DTYPES = [np.float64, np.float32, np.float16, np.int64, np.uint64, np.int32, np.uint32]
_DTYPES += [np.int16, np.uint16, np.int8, np.uint8, np.bool_, np.complex64]


def _same_arrays(ours, theirs):
    assert set(ours) == set(theirs)
    for name, array in theirs.items():
        assert ours[name].dtype == array.dtype and ours[name].shape == array.shape, name
        assert ours[name].tobytes() == array.tobytes(), name


def _file(arrays, metadata=None):
    return safetensors.numpy.save(arrays, metadata=metadata)


def _raw(header, body=b""):
    """A file from a header written by hand (any JSON) and body bytes."""
    encoded = json.dumps(header).encode()
    return len(encoded).to_bytes(8, "little") + encoded + body


# ----------------------------------------------------------------------------- agreement
def test_every_dtype_and_shape_the_library_writes_reads_back_alike():
    rng = np.random.default_rng(0)
    arrays = {
        f"t{i}.{dtype.__name__}": rng.integers(0, 2, size=(2, 3)).astype(dtype)
        for i, dtype in enumerate(_DTYPES)
    }
    arrays["empty"] = np.zeros((0, 4), dtype=np.float32)
    arrays["scalar"] = np.array(2.5)
    data = _file(arrays, {"format": "x", "note": "ü"})
    parsed = parse_tensor_file(data)
    assert parsed.metadata == {"format": "x", "note": "ü"}
    assert parsed.shapes == {name: array.shape for name, array in arrays.items()}
    _same_arrays(parsed.arrays(), safetensors.numpy.load(data))
    assert parse_tensor_file(_file({})).entries == {}


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        hnp.arrays(
            st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_]),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        ),
        max_size=5,
    )
)
def test_random_contents_read_back_as_the_library_reads_them(arrays):
    data = _file(arrays)
    parsed = parse_tensor_file(data)
    _same_arrays(parsed.arrays(), safetensors.numpy.load(data))
    assert tensor_digest(parsed.arrays()) == tensor_digest(arrays)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_a_damaged_file_is_accepted_only_where_the_library_accepts_it_too(data):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3)}
    damaged = bytearray(_file(arrays, {"format": "mlplab"}))
    for _ in range(data.draw(st.integers(1, 3))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    damaged = bytes(damaged[: data.draw(st.integers(0, len(damaged)))])
    try:
        parsed = parse_tensor_file(damaged)
    except TensorFileError:
        return
    _same_arrays(parsed.arrays(), safetensors.numpy.load(damaged))


# ----------------------------------------------------------------------------- refusals
_F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "has 0 bytes, too few"),
        ((100).to_bytes(8, "little") + b"{}", "claims 100 bytes but only 2 follow"),
        ((2).to_bytes(8, "little") + b"[]", "not a JSON object"),
        ((3).to_bytes(8, "little") + b"{x}", "not valid JSON"),
        ((4).to_bytes(8, "little") + b'{"\xff"', "not valid JSON"),
        (_raw({"__metadata__": {"a": 1}}), "not an object of strings"),
        (_raw({"__metadata__": ["a"]}), "not an object of strings"),
        (_raw({"t": [1, 2]}), "expected exactly 'dtype', 'shape' and 'data_offsets'"),
        (_raw({"t": {**_F32, "extra": 1}}, bytes(8)), "expected exactly"),
        (_raw({"t": {**_F32, "dtype": "BF16"}}, bytes(8)), "unknown dtype 'BF16'"),
        (_raw({"t": {**_F32, "dtype": None}}, bytes(8)), "unknown dtype None"),
        (_raw({"t": {**_F32, "shape": [-2]}}, bytes(8)), "has the shape"),
        (_raw({"t": {**_F32, "shape": [2.0]}}, bytes(8)), "has the shape"),
        (_raw({"t": {**_F32, "shape": [True, 2]}}, bytes(8)), "has the shape"),
        (_raw({"t": {**_F32, "shape": [1] * 33}}, bytes(4)), "at most 32"),
        (_raw({"t": {**_F32, "data_offsets": [8, 0]}}, bytes(8)), "byte range"),
        (_raw({"t": {**_F32, "data_offsets": [0]}}, bytes(8)), "byte range"),
        (_raw({"t": {**_F32, "data_offsets": [0, 12]}}, bytes(12)), "needs 8 bytes"),
        (_raw({"t": {**_F32, "shape": [10**30]}}, bytes(8)), "needs 4"),
        (_raw({"t": _F32}, bytes(4)), "the file is truncated"),
        (_raw({"t": _F32}, bytes(12)), "followed by bytes that belong to nothing"),
        (
            _raw({"a": _F32, "b": {**_F32, "data_offsets": [4, 12]}}, bytes(12)),
            "overlap or leave gaps",
        ),
        (
            _raw({"a": _F32, "b": {**_F32, "data_offsets": [12, 20]}}, bytes(20)),
            "overlap or leave gaps",
        ),
        (_raw({"\ud800": _F32}, bytes(8)), "not UTF-8 text"),
    ],
)
def test_malformed_files_are_refused_with_what_is_wrong(data, message):
    with pytest.raises(TensorFileError, match=message):
        parse_tensor_file(data)


def test_a_header_larger_than_the_library_allows_is_refused():
    data = (100_000_001).to_bytes(8, "little") + b"{" + b" " * 100_000_000
    with pytest.raises(TensorFileError, match="more than 100000000"):
        parse_tensor_file(data)


def test_messages_stay_short_whatever_the_file_holds():
    huge = "x" * 100_000
    for data in (
        _raw({huge: [1]}),
        _raw({"t": {**_F32, "dtype": huge}}, bytes(8)),
        _raw({"t": {**_F32, "shape": [huge]}}, bytes(8)),
    ):
        with pytest.raises(TensorFileError) as error:
            parse_tensor_file(data)
        assert len(str(error.value)) < 300


def test_arrays_are_read_only_views_on_the_bytes():
    data = _file({"w": np.arange(4, dtype=np.float32)})
    array = parse_tensor_file(data).arrays()["w"]
    assert not array.flags.writeable and not array.flags.owndata
    assert array.tolist() == [0, 1, 2, 3]


# ----------------------------------------------------------------------------- digest
def test_the_digest_is_the_one_model_files_have_always_carried():
    """Files written before the reader was shared must still verify: the value is fixed."""
    arrays = {"b": np.arange(3, dtype=np.float64), "a": np.ones((2, 2), dtype=np.float32)}
    expected = "0bf0ade530960ea63cabf8d5bed980951f23960360bde370b789d8ebb368c3c2"
    assert tensor_digest(arrays) == expected


def test_the_digest_sees_every_byte_name_dtype_and_shape():
    base = {"w": np.arange(6, dtype=np.float32).reshape(2, 3)}
    changed = [
        {"w": base["w"].copy().reshape(3, 2)},
        {"w": base["w"].astype(np.float64)},
        {"v": base["w"]},
    ]
    flipped = base["w"].copy()
    flipped.reshape(-1).view(np.uint8)[5] ^= 1
    changed.append({"w": flipped})
    digests = {tensor_digest(arrays) for arrays in [base, *changed]}
    assert len(digests) == 5


# ----------------------------------------------------------------------------- versions
@pytest.mark.parametrize("value", ["1", "2", "10", "123456789"])
def test_plain_whole_numbers_are_format_versions(value):
    assert parse_format_version(value) == int(value)


@pytest.mark.parametrize(
    "value",
    ["1.5", "١", "²", "", None, 1, "0", "01", "-1", "+1", " 1", "1\n", "9" * 10, "9" * 5000],
)
def test_anything_else_is_an_invalid_format_version(value):
    with pytest.raises(TensorFileError, match="invalid format_version") as error:
        parse_format_version(value)
    assert len(str(error.value)) < 150
