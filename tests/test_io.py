"""mlplab.save / mlplab.load: bit-exact round trips, every kind of bad file, atomic writes, and
fuzzing of the loader (only ModelFileError may come out)."""

import json
import os
import pickle
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlplab
from mlplab import io, nn
from mlplab.io import ModelFileError
from mlplab.nn.module import deferred_init
from mlplab.utils.files import NotARegularFileError
from mlplab.utils.tensorfile import tensor_digest


@pytest.fixture
def saved(tmp_path):
    """A small MLP saved to a file: (model, path)."""
    model = nn.MLP("3-5-2", dropout=0.25, output_activation="log_softmax")
    path = tmp_path / "model.safetensors"
    mlplab.save(model, path, metadata={"epochs": 3, "accuracy": 0.5})
    return model, path


def _assert_same_model(a, b):
    assert repr(a) == repr(b)
    pairs = zip(a.named_parameters(), b.named_parameters(), strict=True)
    for (name_a, p), (name_b, q) in pairs:
        assert name_a == name_b
        assert p.dtype == q.dtype and p.shape == q.shape
        assert p._data.tobytes() == q._data.tobytes(), name_a


def _rewrite(path, tensors=None, change_meta=None, fix_checksum=True):
    """Re-write a saved file with changed tensors or metadata, as a hand-made file would be."""
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    meta = json.loads(data[8 : 8 + size])["__metadata__"]
    tensors = safetensors.numpy.load(data) if tensors is None else tensors
    if change_meta:
        change_meta(meta)
    if fix_checksum:
        meta["sha256"] = tensor_digest(tensors)
    path.write_bytes(safetensors.numpy.save(tensors, metadata=meta))


# ----------------------------------------------------------------------------- round trips
@pytest.mark.parametrize(
    "model",
    [
        nn.MLP("4-8-8-3"),
        nn.MLP([4, 6, 2], activation="tanh", bias=False, dtype="float64"),
        nn.Sequential(
            nn.Flatten(),
            nn.Linear(12, 6),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.1),
            nn.Sequential(nn.Linear(6, 6), nn.GELU("tanh"), nn.Identity()),
            nn.Linear(6, 3, dtype="float64"),
            nn.Softmax(dim=1),
        ),
        nn.Linear(3, 2),
        nn.Softplus(beta=2.0),
    ],
    ids=["mlp", "mlp-float64-nobias", "sequential", "linear", "activation"],
)
def test_round_trip_is_bit_exact(tmp_path, model):
    path = tmp_path / "m.safetensors"
    mlplab.save(model, path)
    loaded = mlplab.load(path)
    _assert_same_model(model, loaded)


def test_loaded_model_trains_and_predicts_like_the_original(saved):
    model, path = saved
    loaded = mlplab.load(path)
    assert loaded.training and all(p.requires_grad for p in loaded.parameters())
    x = mlplab.randn(4, 3)
    model.eval(), loaded.eval()
    np.testing.assert_array_equal(loaded(x)._data, model(x)._data)
    loaded.train()
    loaded(x).sum().backward()
    for p in loaded.parameters():
        p._data -= 0.1 * p._grad  # parameters are writable arrays


def test_state_dict_round_trip_through_safetensors_is_bit_exact(tmp_path):
    model = nn.MLP("5-7-2", dtype="float64")
    arrays = {name: t.numpy() for name, t in model.state_dict().items()}
    safetensors.numpy.save_file(arrays, tmp_path / "weights.safetensors")
    other = nn.MLP("5-7-2", dtype="float64", generator=mlplab.Generator(99))
    other.load_state_dict(safetensors.numpy.load_file(tmp_path / "weights.safetensors"))
    _assert_same_model(model, other)


def test_read_info_reports_without_building(saved):
    model, path = saved
    info = io.read_info(path)
    assert info["format_version"] == io.FORMAT_VERSION
    assert info["model"] == {"class": "MLP", "config": model.get_config()}
    assert info["metadata"] == {"epochs": 3, "accuracy": 0.5}
    assert info["tensors"] == {name: p.shape for name, p in model.named_parameters()}
    assert info["parameters"] == model.parameter_count().total


def test_fine_tuned_model_with_new_head_saves_and_loads(tmp_path):
    model = nn.MLP("6-8-10")
    model.requires_grad_(False)
    model[-1] = nn.Linear(8, 2)
    mlplab.save(model, tmp_path / "tuned.safetensors")
    loaded = mlplab.load(tmp_path / "tuned.safetensors")
    _assert_same_model(model, loaded)
    assert loaded.get_config()["sizes"] == [6, 8, 2]


def test_mlp_with_one_activation_per_hidden_layer_saves_and_loads(tmp_path):
    model = nn.MLP("4-8-6-5-3", activation=["tanh", None, "gelu"], dropout=0.1)
    mlplab.save(model, tmp_path / "per-layer.safetensors")
    loaded = mlplab.load(tmp_path / "per-layer.safetensors")
    _assert_same_model(model, loaded)
    assert loaded.get_config() == model.get_config()
    assert loaded.get_config()["activation"] == ["tanh", None, "gelu"]


# ----------------------------------------------------------------------------- what save refuses
def test_save_refuses_a_custom_module(tmp_path):
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 2)

    with pytest.raises(TypeError, match="Custom is not one of mlplab's built-in layers"):
        mlplab.save(Custom(), tmp_path / "x.safetensors")
    with pytest.raises(TypeError, match="Custom is not one of"):
        mlplab.save(nn.Sequential(Custom()), tmp_path / "x.safetensors")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_a_model_its_config_no_longer_describes(tmp_path):
    model = nn.MLP("4-8-2")
    model[1] = nn.Tanh()  # the config still says relu
    with pytest.raises(ValueError, match="Wrap the layers in a Sequential"):
        mlplab.save(model, tmp_path / "x.safetensors")
    mlplab.save(nn.Sequential(*model), tmp_path / "x.safetensors")  # the suggested fix works
    assert isinstance(mlplab.load(tmp_path / "x.safetensors")[1], nn.Tanh)


def test_save_refuses_metadata_that_is_not_json(tmp_path):
    with pytest.raises(TypeError, match="metadata must be JSON-serialisable"):
        mlplab.save(nn.Linear(2, 2), tmp_path / "x.safetensors", metadata={"x": object()})


# ----------------------------------------------------------------------------- bad files
class _Exploit:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_a_malicious_pickle_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps(_Exploit(str(marker))))
    pickle.loads(path.read_bytes())  # the payload really works when unpickled ...
    assert marker.exists()
    marker.unlink()
    with pytest.raises(ModelFileError, match=r"a pickle file .*never unpickles"):
        mlplab.load(path)
    assert not marker.exists()  # ... and mlplab never unpickled it
    with pytest.raises(ModelFileError):
        io.read_info(path)
    assert not marker.exists()


def test_a_torch_save_file_is_named_as_such(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(ModelFileError, match=r"zip archive \(torch.save output"):
        mlplab.load(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "has 0 bytes, too few"),
        (b"\x00" * 5, "has 5 bytes, too few"),
        (
            np.random.default_rng(7).bytes(64) + b"\xff" * 8,
            "the header claims|not valid JSON|pickle",
        ),
        ((2).to_bytes(8, "little") + b"[]", "not a JSON object"),
        ((3).to_bytes(8, "little") + b"{x}", "not valid JSON"),
        (np.save.__doc__.encode()[:100], "the header claims"),
    ],
    ids=["empty", "five-zero-bytes", "random-bytes", "json-list", "bad-json", "text"],
)
def test_random_and_foreign_bytes_are_rejected(tmp_path, content, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        mlplab.load(path)


def test_a_plain_safetensors_file_is_not_ours(tmp_path):
    path = tmp_path / "weights.safetensors"
    safetensors.numpy.save_file({"w": np.zeros(2, dtype=np.float32)}, path)
    with pytest.raises(ModelFileError, match=r"without mlplab's metadata.*load_state_dict"):
        mlplab.load(path)


def test_a_truncated_file_is_rejected(saved):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 10])
    with pytest.raises(ModelFileError, match=r"truncated|damaged"):
        mlplab.load(path)


def test_a_future_format_version_is_refused(saved):
    _, path = saved
    _rewrite(path, change_meta=lambda meta: meta.update(format_version="2"))
    with pytest.raises(ModelFileError, match=r"format version 2 by a newer mlplab.*upgrade"):
        mlplab.load(path)


def test_damaged_tensor_bytes_fail_the_checksum(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="do not match their checksum"):
        mlplab.load(path)


def test_mismatched_missing_and_unexpected_tensors_are_all_listed(saved):
    _, path = saved
    tensors = safetensors.numpy.load(path.read_bytes())
    tensors["0.weight"] = np.zeros((6, 3), dtype=np.float32)
    del tensors["3.bias"]
    tensors["9.weight"] = np.zeros(1, dtype=np.float32)
    _rewrite(path, tensors)
    with pytest.raises(ModelFileError) as error:
        mlplab.load(path)
    message = str(error.value)
    assert "tensor '0.weight' has shape (6, 3), the architecture needs (5, 3)" in message
    assert "missing tensor '3.bias'" in message
    assert "unexpected tensor '9.weight'" in message


def test_a_file_for_another_architecture_is_rejected(saved):
    _, path = saved
    spec = {"class": "MLP", "config": {**nn.MLP("3-7-2").get_config()}}
    _rewrite(path, change_meta=lambda meta: meta.update(model=json.dumps(spec)))
    with pytest.raises(ModelFileError, match=r"has shape .* the architecture needs"):
        mlplab.load(path)


_MLP_CONFIG = nn.MLP("3-5-2").get_config()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"class": "Evil", "config": {}}, "Unknown layer class 'Evil'"),
        ({"class": "os.system", "config": {"command": "touch x"}}, "Unknown layer class"),
        ({"class": "Linear", "config": {"in_features": -3, "out_features": 2}}, "in_features"),
        ({"class": "Linear", "config": {"nonsense": 1}}, "architecture description is invalid"),
        ({"class": "Dropout", "config": {"p": 0.5, "generator": 3}}, "settings mlplab does not"),
        (
            {"class": "MLP", "config": {**_MLP_CONFIG, "sizes": [10**6, 10**6]}},
            "architecture needs",
        ),
        (
            {"class": "MLP", "config": {**_MLP_CONFIG, "sizes": [10**30, 2]}},
            "architecture description",
        ),
        ({"class": "MLP", "config": {"sizes": [3, 2]}}, "settings mlplab does not write"),
        ({"class": "Sequential", "config": {"layers": "ReLU"}}, "architecture description"),
        ([1, 2], "architecture description is invalid"),
    ],
)
def test_invalid_architecture_descriptions_are_rejected(saved, spec, message):
    _, path = saved
    _rewrite(path, change_meta=lambda meta: meta.update(model=json.dumps(spec)))
    with pytest.raises(ModelFileError, match=message):
        mlplab.load(path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mlplab.load(tmp_path / "nothing.safetensors")


# ----------------------------------------------------------------------------- atomic writes
def test_a_failed_write_keeps_the_previous_file_and_leaves_nothing(saved, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def crash(descriptor):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        mlplab.save(nn.MLP("3-9-2"), path)
    with pytest.raises(OSError, match="simulated"):
        mlplab.save(nn.MLP("3-9-2"), path.parent / "new.safetensors")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["model.safetensors"]
    _assert_same_model(model, mlplab.load(path))


# ----------------------------------------------------------------------------- fuzzing
@pytest.fixture(scope="module")
def valid_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("valid") / "m.safetensors"
    mlplab.save(nn.MLP("3-4-2", output_activation="softmax"), path)
    return path.read_bytes()


def _load_bytes(directory, data):
    path = directory / "fuzz.safetensors"
    path.write_bytes(data)
    return mlplab.load(path)


def test_truncation_at_every_offset_is_a_model_file_error(tmp_path, valid_bytes):
    for end in range(len(valid_bytes)):
        with pytest.raises(ModelFileError):
            _load_bytes(tmp_path, valid_bytes[:end])
    assert isinstance(_load_bytes(tmp_path, valid_bytes), nn.MLP)


FUZZ = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes_give_only_model_file_errors(tmp_path, data):
    with pytest.raises(ModelFileError):
        _load_bytes(tmp_path, data)


@FUZZ
@given(size=st.integers(0, 2**64 - 1), body=st.binary(max_size=256))
def test_random_headers_give_only_model_file_errors(tmp_path, size, body):
    with pytest.raises(ModelFileError):
        _load_bytes(tmp_path, size.to_bytes(8, "little") + b'{"__metadata__":' + body)


@FUZZ
@given(st.data())
def test_corrupted_files_load_or_give_model_file_errors(tmp_path, valid_bytes, data):
    corrupted = bytearray(valid_bytes)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(corrupted) - 1))
        corrupted[position] = data.draw(st.integers(0, 255))
    try:
        model = _load_bytes(tmp_path, bytes(corrupted))
    except ModelFileError:
        return
    assert isinstance(model, nn.Module)  # a change the checks cannot see (e.g. JSON spacing)


def test_a_header_length_that_looks_like_a_pickle_marker_still_loads(tmp_path):
    """A header of 640 bytes starts the file with 0x80 0x02, a pickle's protocol-2 marker."""
    model = nn.Linear(2, 2)
    path = tmp_path / "m.safetensors"
    for pad in range(700):
        mlplab.save(model, path, metadata={"pad": "x" * pad})
        if path.read_bytes()[:2] == b"\x80\x02":
            break
    assert path.read_bytes()[:2] == b"\x80\x02"
    _assert_same_model(model, mlplab.load(path))


# ----------------------------------------------------------------------------- what a file may ask
def _crafted(path, spec, extra_tensors=0):
    """A file whose tensors are those of a 3-4-2 MLP (plus tiny extras) and whose description
    is ``spec``, with a correct checksum: only the description is hostile."""
    tensors = {name: p._data for name, p in nn.MLP("3-4-2").named_parameters()}
    tensors.update({f"pad.{i}": np.zeros(1, dtype=np.float32) for i in range(extra_tensors)})
    meta = {"format": "mlplab", "format_version": "1", "model": json.dumps(spec)}
    meta.update(metadata="{}", sha256=tensor_digest(tensors))
    path.write_bytes(safetensors.numpy.save(tensors, metadata=meta))
    return path


_DEEP = {"class": "MLP", "config": {**nn.MLP("3-4-2").get_config(), "sizes": [1] * 10**6}}

_MEASURE = """
import json, sys, time, tracemalloc
import mlplab

def attempt():
    try:
        mlplab.load(sys.argv[1])
        return "loaded"
    except mlplab.ModelFileError as error:
        return str(error)

start = time.perf_counter()
message = attempt()
seconds = time.perf_counter() - start
tracemalloc.start()  # a second time, traced (tracing slows it down)
attempt()
print(json.dumps([seconds, tracemalloc.get_traced_memory()[1], message]))
"""


def _measure_load(path):
    """(seconds, peak memory allocated in bytes, message) of mlplab.load in a fresh process.

    Memory is traced with tracemalloc (NumPy reports its buffers to it too): a child's
    ``ru_maxrss`` starts at its parent's, which would hide the load behind pytest's own size.
    """
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("spec", "extra", "message"),
    [
        (_DEEP, 0, r"description has 3,000,\d+ characters, more than the 40,960 a file of 4"),
        # Enough tensors to pass the size check: the build itself stops at the layer limit.
        (_DEEP, 1500, r"more layers than a file of 1504 tensors may describe \(6,080\)"),
        (_DEEP, 3000, r"more layers than a file of 3004 tensors may describe \(10,000\)"),
        (
            {"class": "MLP", "config": {**nn.MLP("3-4-2").get_config(), "sizes": [10**6] * 2}},
            0,
            r"has shape \(4, 3\), the architecture needs \(1000000, 1000000\)",
        ),
    ],
    ids=["million-layers", "million-layers-padded", "million-layers-padded-more", "huge-linear"],
)
def test_a_description_the_tensors_cannot_fill_is_refused_fast_small_and_short(
    tmp_path, spec, extra, message
):
    """Before: a 3 MB file asking for 10^6 layers took 43 s and 2.3 GB to be refused with a
    93-million-character message."""
    path = _crafted(tmp_path / "hostile.safetensors", spec, extra)
    seconds, grown, text = _measure_load(path)
    assert re.search(message, text), text
    assert seconds < 2.0, seconds
    assert grown < 50 * 2**20, grown
    assert len(text) < 600 and text.count("\n") <= 11


def test_the_layer_limit_admits_real_models_and_its_error_is_a_model_file_error(tmp_path):
    deep = nn.MLP([4] * 200, dropout=0.1, bias=False)  # 199 tensors, 596 layers
    mlplab.save(deep, tmp_path / "deep.safetensors")
    _assert_same_model(deep, mlplab.load(tmp_path / "deep.safetensors"))
    activations = nn.Sequential(*[nn.Tanh() for _ in range(io.FREE_LAYERS - 1)])
    mlplab.save(activations, tmp_path / "tanh.safetensors")
    assert len(mlplab.load(tmp_path / "tanh.safetensors")) == io.FREE_LAYERS - 1
    too_many = nn.Sequential(*[nn.Tanh() for _ in range(io.FREE_LAYERS)])
    mlplab.save(too_many, tmp_path / "more.safetensors")
    with pytest.raises(ModelFileError, match=r"more layers than a file of 0 tensors may describe"):
        mlplab.load(tmp_path / "more.safetensors")


def test_a_long_list_of_problems_is_cut_at_ten(saved):
    _, path = saved
    tensors = safetensors.numpy.load(path.read_bytes())
    tensors.update({f"extra.{i}": np.zeros(1, dtype=np.float32) for i in range(40)})
    _rewrite(path, tensors)
    with pytest.raises(ModelFileError) as error:
        mlplab.load(path)
    lines = str(error.value).split("\n")
    assert len(lines) == 12 and lines[-1] == "  ... and 30 more"


def test_an_invalid_description_gives_a_short_message(saved):
    _, path = saved
    spec = {"class": "MLP", "config": {**_MLP_CONFIG, "sizes": [0] * 10_000}}
    _rewrite(path, change_meta=lambda meta: meta.update(model=json.dumps(spec)))
    with pytest.raises(ModelFileError, match="architecture description is invalid") as error:
        mlplab.load(path)
    assert len(str(error.value)) < 400


# ----------------------------------------------------------------------------- what a path may be
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
@pytest.mark.parametrize("reader", [mlplab.load, io.read_info], ids=["load", "read_info"])
def test_a_fifo_is_refused_at_once(tmp_path, reader):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(NotARegularFileError, match=r"model\.safetensors is a FIFO"):
        reader(fifo)  # no writer: an ordinary open would wait for one forever
    assert time.perf_counter() - start < 1.0


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_an_endless_device_is_refused_without_reading():
    with pytest.raises(NotARegularFileError, match="/dev/zero is a character device") as error:
        mlplab.load("/dev/zero")
    assert isinstance(error.value, OSError)


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(NotARegularFileError, match="is a folder"):
        mlplab.load(tmp_path)


# ----------------------------------------------------------------------------- format versions
@pytest.mark.parametrize(
    "version",
    ["1.5", "١", "²", "", "0", "-1", " 1", "99999999999999999999", "9" * 5000, None],
    ids=["decimal", "arabic-indic", "superscript", "empty", "zero", "negative", "space", "huge",
         "5000-digits", "missing"],
)  # fmt: skip
def test_a_format_version_that_is_not_a_plain_whole_number_is_refused(saved, version):
    _, path = saved

    def change(meta):
        if version is None:
            del meta["format_version"]
        else:
            meta["format_version"] = version

    _rewrite(path, change_meta=change)
    for reader in (mlplab.load, io.read_info):
        with pytest.raises(ModelFileError, match="invalid format_version") as error:
            reader(path)
        assert len(str(error.value)) < 300


def test_a_format_version_that_is_not_a_string_is_refused(saved):
    _, path = saved
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    header["__metadata__"]["format_version"] = None
    encoded = json.dumps(header).encode()
    path.write_bytes(len(encoded).to_bytes(8, "little") + encoded + data[8 + size :])
    with pytest.raises(ModelFileError, match="not an object of strings"):
        mlplab.load(path)


@FUZZ
@given(version=st.text(max_size=12))
def test_any_format_version_loads_or_gives_a_model_file_error(tmp_path, valid_bytes, version):
    path = tmp_path / "v.safetensors"
    path.write_bytes(valid_bytes)
    _rewrite(path, change_meta=lambda meta: meta.update(format_version=version))
    if version == "1":
        assert isinstance(mlplab.load(path), nn.MLP)
    else:
        with pytest.raises(ModelFileError):
            mlplab.load(path)


@pytest.fixture(scope="module")
def larger_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("larger") / "m.safetensors"
    mlplab.save(nn.MLP("20-64-64-10", dropout=0.1), path, metadata={"epochs": 3})
    return path.read_bytes()


@FUZZ
@given(st.data())
def test_truncating_a_larger_file_anywhere_gives_a_model_file_error(tmp_path, larger_bytes, data):
    end = data.draw(st.integers(0, len(larger_bytes) - 1))
    with pytest.raises(ModelFileError):
        _load_bytes(tmp_path, larger_bytes[:end])


def test_a_load_in_one_thread_leaves_the_layers_of_another_alone():
    """Placeholders and the layer limit are per thread: a server loading a file while another
    thread builds a model must not hand that model placeholders, or count its layers."""
    built = {}
    with deferred_init(max_modules=0):
        thread = threading.Thread(target=lambda: built.setdefault("model", nn.MLP("3-8-2")))
        thread.start()
        thread.join()
    parameter = built["model"][0].weight
    assert parameter._data.flags.writeable and parameter._data.any()
