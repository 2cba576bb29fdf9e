"""Tests of the ``mlplab`` command itself: how it starts, and how it ends when its reader leaves."""

import subprocess
import sys

import pytest

from mlplab.cli import main


def test_python_dash_m_mlplab_is_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "mlplab", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.startswith("mlplab ")


@pytest.mark.parametrize(
    ("argument", "suggestion"),
    [
        ("--lerning-rate", "--learning-rate"),
        ("--epoch-count", "--epochs"),
        ("--dropot", "--dropout"),
    ],
)
def test_an_unknown_option_suggests_the_near_one(capsys, argument, suggestion):
    assert main(["train", argument, "1"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"unrecognized arguments: {argument} 1; did you mean {suggestion}?" in line


def test_learning_rate_is_another_spelling_of_lr(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--learning-rate", "0.002", "--epochs", "1", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    assert '"lr": 0.002' in (out / "config.json").read_text()


def test_a_closed_pipe_neither_aborts_the_run_nor_prints_a_traceback(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "mlplab", "train", "--epochs", "12", "--out", str(out)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout.readline().startswith(b"Training")
        process.stdout.close()  # what `| head -1` does once it has its line
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=120) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
    assert (out / "model.safetensors").is_file() and (out / "results.json").is_file()
