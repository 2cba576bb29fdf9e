"""Tests of mlplab.train.checkpoint: exact round trips, no pickle, a checksum that catches damage,
refusals, and fuzzing of the loader (only CheckpointError may come out)."""

import contextlib
import json
import os
import pickle
import time

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlplab
from mlplab import nn
from mlplab.data import DataLoader
from mlplab.optim import Adam, lr_scheduler
from mlplab.train import Checkpoint, fit
from mlplab.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mlplab.utils.tensorfile import parse_tensor_file, tensor_digest


def _state():
    generator = mlplab.Generator(7)
    generator.normal((3,))
    return {
        "epoch": 3,
        "weights": {"0.weight": numpy.arange(6, dtype=numpy.float32).reshape(2, 3)},
        "optimizer": {0: {"step": numpy.float32(12.0), "exp_avg": numpy.ones(3)}, 1: {}},
        "betas": (0.9, 0.999),
        "scalar": numpy.array(2.5),
        "tensor": mlplab.tensor([1.0, 2.0]),
        "generator": generator.get_state(),
        "nothing": None,
        "names": ["a", "b"],
        "limits": [float("inf"), -float("inf")],
    }


def test_round_trip_keeps_values_types_and_keys(tmp_path):
    path = tmp_path / "c.safetensors"
    state = _state()
    save_checkpoint(path, state)
    loaded = load_checkpoint(path)
    assert loaded["limits"] == [float("inf"), -float("inf")]
    assert loaded["epoch"] == 3 and loaded["betas"] == (0.9, 0.999) and loaded["nothing"] is None
    numpy.testing.assert_array_equal(loaded["weights"]["0.weight"], state["weights"]["0.weight"])
    assert loaded["weights"]["0.weight"].dtype == numpy.float32
    assert set(loaded["optimizer"]) == {0, 1}
    assert isinstance(loaded["optimizer"][0]["step"], numpy.float32)
    assert loaded["scalar"].shape == () and loaded["scalar"] == 2.5
    assert isinstance(loaded["tensor"], mlplab.Tensor)
    again = mlplab.Generator(0).set_state(loaded["generator"])
    numpy.testing.assert_array_equal(
        again.normal((4,)), mlplab.Generator(7).set_state(state["generator"]).normal((4,))
    )


def test_non_finite_values_are_never_written(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, _state())
    before = path.read_bytes()
    bad = _state()
    bad["weights"]["0.weight"][1, 2] = numpy.nan
    with pytest.raises(CheckpointError, match="NaN or Inf"):
        save_checkpoint(path, bad)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.safetensors"]


def test_unstorable_values_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="Cannot store set"):
        save_checkpoint(tmp_path / "c", {"x": {1, 2}})
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00" * 3,
        pickle.dumps({"epoch": 1}),
        bytes(range(256)) * 4,
    ],
)
def test_unreadable_files_raise_checkpoint_error(tmp_path, content):
    path = tmp_path / "c.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=r"c\.safetensors"):
        load_checkpoint(path)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(CheckpointError, match=r"Cannot read checkpoint .*missing"):
        load_checkpoint(tmp_path / "missing")


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, _state())
    data = path.read_bytes()
    for cut in (4, 40, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError):
            load_checkpoint(path)


def _rewrite_metadata(path, **changes):
    """Rewrite a checkpoint's safetensors header metadata in place (same arrays)."""
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    header["__metadata__"].update(changes)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    path.write_bytes(len(encoded).to_bytes(8, "little") + encoded + data[8 + length :])


def test_future_version_and_foreign_files_are_refused(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, _state())
    _rewrite_metadata(path, format_version="99")
    with pytest.raises(CheckpointError, match=r"format version 99, .*upgrade"):
        load_checkpoint(path)
    _rewrite_metadata(path, format_version="1", format="something-else")
    with pytest.raises(CheckpointError, match="not an mlplab checkpoint"):
        load_checkpoint(path)


# ----------------------------------------------------------------------------- integrity
def _trained_checkpoint(path):
    """A real checkpoint: two epochs of a small MLP trained by fit with a Checkpoint callback."""
    generator = mlplab.Generator(0)
    x = generator.normal((64, 4))
    y = (numpy.arange(64) % 3).astype(numpy.int64)
    model = nn.MLP("4-8-3", dropout=0.1, generator=generator)
    optimizer = Adam(model.parameters(), lr=0.01)
    loader = DataLoader(x, y, 16, shuffle=True, generator=generator)
    fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        loader,
        epochs=2,
        scheduler=lr_scheduler.StepLR(optimizer, 1, 0.5),
        callbacks=[Checkpoint(path)],
        generators={"run": generator},
    )
    return path


@pytest.fixture(scope="module")
def trained_bytes(tmp_path_factory):
    return _trained_checkpoint(tmp_path_factory.mktemp("run") / "c.safetensors").read_bytes()


def test_one_flipped_byte_inside_a_tensor_is_detected(tmp_path, trained_bytes):
    entry = parse_tensor_file(trained_bytes).entries["state.model.0.weight"]
    for position in (entry.start, entry.start + 13, entry.end - 1):
        damaged = bytearray(trained_bytes)
        damaged[position] ^= 0x01
        path = tmp_path / "c.safetensors"
        path.write_bytes(bytes(damaged))
        with pytest.raises(
            CheckpointError, match=r"c\.safetensors is damaged: its arrays or state do not"
        ):
            load_checkpoint(path)


def test_every_array_is_covered_by_the_checksum(tmp_path, trained_bytes):
    parsed = parse_tensor_file(trained_bytes)
    assert parsed.metadata["format_version"] == "2" and len(parsed.entries) > 5
    for entry in parsed.entries.values():  # parameters, optimizer moments, step losses, ...
        if entry.start == entry.end:
            continue
        damaged = bytearray(trained_bytes)
        damaged[entry.start] ^= 0x80
        (tmp_path / "c").write_bytes(bytes(damaged))
        with pytest.raises(CheckpointError, match="damaged"):
            load_checkpoint(tmp_path / "c")


def test_a_version_1_checkpoint_without_a_checksum_still_loads(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, _state())
    expected = load_checkpoint(path)
    _rewrite_metadata(path, format_version="1")
    _drop_metadata(path, "sha256")
    loaded = load_checkpoint(path)
    assert loaded["epoch"] == expected["epoch"] and loaded["betas"] == expected["betas"]
    numpy.testing.assert_array_equal(loaded["weights"]["0.weight"], expected["weights"]["0.weight"])


def test_a_version_2_checkpoint_without_its_checksum_is_refused(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, _state())
    _drop_metadata(path, "sha256")
    with pytest.raises(CheckpointError, match=r"is damaged: its header lacks sha256"):
        load_checkpoint(path)


def test_loaded_arrays_are_writable_copies(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, _state())
    loaded = load_checkpoint(path)
    loaded["weights"]["0.weight"][0, 0] = 5.0
    loaded["tensor"]._data[0] = 7.0
    assert loaded["weights"]["0.weight"].flags.owndata


def test_an_array_referenced_twice_is_refused(tmp_path):
    """Each reference makes a copy: two to one array would let a file outgrow its size."""
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, {"a": numpy.ones(4)})
    state = json.loads(parse_tensor_file(path.read_bytes()).metadata["state"])
    _rewrite_state(path, {"a": state["a"], "b": state["a"]})
    with pytest.raises(CheckpointError, match="refers to it twice"):
        load_checkpoint(path)


def _rewrite_state(path, document):
    """Give a checkpoint another JSON state, with a checksum that matches it (a hand-made file)."""
    text = json.dumps(document)
    arrays = parse_tensor_file(path.read_bytes()).arrays()
    _rewrite_metadata(path, state=text, sha256=tensor_digest(arrays, text))


def test_one_changed_digit_in_the_state_is_detected(tmp_path, trained_bytes):
    """The JSON state holds the generators' states and the counters: a digit flipped there
    leaves valid JSON, and would resume silently from another position without the checksum."""
    length = int.from_bytes(trained_bytes[:8], "little")
    position = trained_bytes.index(b'"epoch\\": 2', 8, 8 + length) + len(b'"epoch\\": ')
    damaged = bytearray(trained_bytes)
    damaged[position : position + 1] = b"7"
    path = tmp_path / "c.safetensors"
    path.write_bytes(bytes(damaged))
    with pytest.raises(CheckpointError, match="is damaged: its arrays or state do not match"):
        load_checkpoint(path)


def _drop_metadata(path, key):
    """Remove one metadata entry from a checkpoint's header (same arrays)."""
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    del header["__metadata__"][key]
    encoded = json.dumps(header).encode()
    path.write_bytes(len(encoded).to_bytes(8, "little") + encoded + data[8 + length :])


# ----------------------------------------------------------------------------- versions and paths
@pytest.mark.parametrize(
    "version",
    ["1.5", "١", "²", "", "0", "-1", "99999999999999999999", "9" * 5000, None],
    ids=["decimal", "arabic-indic", "superscript", "empty", "zero", "negative", "huge",
         "5000-digits", "missing"],
)  # fmt: skip
def test_a_format_version_that_is_not_a_plain_whole_number_is_refused(tmp_path, version):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, _state())
    if version is None:
        _drop_metadata(path, "format_version")
    else:
        _rewrite_metadata(path, format_version=version)
    with pytest.raises(CheckpointError, match=r"c\.safetensors .*invalid format_version") as error:
        load_checkpoint(path)
    assert len(str(error.value)) < 400


def test_a_format_version_that_is_not_a_string_is_refused(tmp_path):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, _state())
    _rewrite_metadata(path, format_version=2)
    with pytest.raises(CheckpointError, match="not an object of strings"):
        load_checkpoint(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "checkpoint.safetensors"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(CheckpointError, match=r"Cannot read checkpoint .*: it is a FIFO"):
        load_checkpoint(fifo)  # no writer: an ordinary open would wait for one forever
    assert time.perf_counter() - start < 1.0


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_device_is_refused_without_reading():
    with pytest.raises(CheckpointError, match="/dev/zero: it is a character device"):
        load_checkpoint("/dev/zero")


# ----------------------------------------------------------------------------- fuzzing
FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _load_bytes(directory, data):
    path = directory / "fuzz.safetensors"
    path.write_bytes(data)
    return load_checkpoint(path)


@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes_give_only_checkpoint_errors(tmp_path, data):
    with pytest.raises(CheckpointError):
        _load_bytes(tmp_path, data)


@FUZZ
@given(size=st.integers(0, 2**64 - 1), body=st.binary(max_size=256))
def test_random_headers_give_only_checkpoint_errors(tmp_path, size, body):
    with pytest.raises(CheckpointError):
        _load_bytes(tmp_path, size.to_bytes(8, "little") + b'{"__metadata__":' + body)


@FUZZ
@given(st.data())
def test_truncating_a_real_checkpoint_anywhere_gives_a_checkpoint_error(
    tmp_path, trained_bytes, data
):
    end = data.draw(st.integers(0, len(trained_bytes) - 1))
    with pytest.raises(CheckpointError):
        _load_bytes(tmp_path, trained_bytes[:end])


@FUZZ
@given(st.data())
def test_corrupted_checkpoints_load_or_give_checkpoint_errors(tmp_path, trained_bytes, data):
    corrupted = bytearray(trained_bytes)
    for _ in range(data.draw(st.integers(1, 4))):
        corrupted[data.draw(st.integers(0, len(corrupted) - 1))] = data.draw(st.integers(0, 255))
    try:
        state = _load_bytes(tmp_path, bytes(corrupted))
    except CheckpointError:
        return
    assert isinstance(state, dict)  # a change the checks cannot see (e.g. JSON spacing)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
_MARKERS = st.sampled_from(["__array__", "__float__", "__tuple__", "__items__", "kind", "shape"])


@FUZZ
@given(
    document=st.recursive(
        _JSON,
        lambda inner: st.dictionaries(_MARKERS | st.text(max_size=4), inner, max_size=4),
        max_leaves=30,
    )
)
def test_any_state_document_decodes_or_gives_a_checkpoint_error(tmp_path, document):
    path = tmp_path / "c.safetensors"
    save_checkpoint(path, {"w": numpy.ones(3)})
    _rewrite_state(path, document)
    with contextlib.suppress(CheckpointError):  # anything else fails the test
        load_checkpoint(path)
