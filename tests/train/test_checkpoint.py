"""Tests of mlplab.train.checkpoint: exact round trips, no pickle, refusals."""

import json
import pickle

import numpy
import pytest

import mlplab
from mlplab.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


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
    with pytest.raises(CheckpointError, match=r"format version '99'.*upgrade"):
        load_checkpoint(path)
    _rewrite_metadata(path, format_version="1", format="something-else")
    with pytest.raises(CheckpointError, match="not an mlplab checkpoint"):
        load_checkpoint(path)
