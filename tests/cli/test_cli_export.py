"""Tests of ``mlplab export --onnx``: the file ONNX Runtime runs gives the saved run's outputs."""

import numpy
import onnxruntime
import pytest
from cli_checks import assert_refused

import mlplab
from mlplab.cli import main
from mlplab.data import load_dataset
from mlplab.experiment.data import scale_inputs
from mlplab.experiment.saved import SavedRun
from mlplab.onnx import read_metadata


def _run_onnx(path, x):
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("softmax", [False, True])
def test_export_gives_the_run_outputs(default_run, tmp_path, capsys, softmax):
    path = tmp_path / "digits.onnx"
    assert main(["export", str(default_run), "--onnx", str(path)] + ["--softmax"] * softmax) == 0
    assert f"Wrote {path}" in capsys.readouterr().out
    saved = SavedRun.open(default_run)
    metadata = read_metadata(path)
    assert metadata["mlplab.preprocessing"] == saved.config["preprocessing"]
    assert metadata["mlplab.data"]["num_outputs"] == 10
    raw = load_dataset("digits").x_test
    outputs = _run_onnx(path, scale_inputs(raw, metadata["mlplab.preprocessing"]["inputs"]))
    expected = saved.predict_proba(raw) if softmax else saved.outputs(raw)
    assert numpy.abs(outputs - expected).max() <= 1e-5


def test_lone_model_file_without_a_run(tmp_path, capsys):
    model_path = tmp_path / "bare.safetensors"
    mlplab.save(mlplab.nn.MLP([4, 3, 2]), model_path)
    assert main(["export", str(model_path), "--onnx", str(tmp_path / "bare.onnx")]) == 0
    assert "no input scaling recorded" in capsys.readouterr().out
    assert read_metadata(tmp_path / "bare.onnx") == {}


def test_refused_before_writing(default_run, tmp_path, capsys):
    line = assert_refused(
        ["export", str(default_run), "--onnx", str(tmp_path / "nowhere" / "m.onnx")], capsys
    )
    assert "--onnx: folder" in line and "does not exist" in line
    line = assert_refused(["export", str(tmp_path / "no-run"), "--onnx", "m.onnx"], capsys)
    assert "does not exist" in line
    line = assert_refused(["export", str(default_run)], capsys)
    assert "--onnx" in line
    assert not list(tmp_path.iterdir())


def test_float64_model_refused_in_one_line(tmp_path, capsys):
    model_path = tmp_path / "wide.safetensors"
    mlplab.save(mlplab.nn.MLP([4, 3, 2], dtype="float64"), model_path)
    line = assert_refused(["export", str(model_path), "--onnx", str(tmp_path / "w.onnx")], capsys)
    assert "float64" in line and "float32" in line
    assert not (tmp_path / "w.onnx").exists()
