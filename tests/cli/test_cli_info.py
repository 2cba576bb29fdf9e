"""Tests of ``mlplab info``: architecture, parameter counts, training settings."""

import json

import mlplab
from mlplab import nn
from mlplab.cli import main


def test_info_shows_architecture_counts_and_settings(default_run, capsys):
    assert main(["info", str(default_run)]) == 0
    text = capsys.readouterr().out
    assert "Linear(in_features=64, out_features=256" in text
    assert "19,210" in text  # 64·256 + 256 + 256·10 + 10
    assert "trained on digits" in text and "optimizer" in text and "adam" in text
    assert "results after 30 epochs" in text


def test_info_of_a_lone_model_file(default_run, tmp_path, capsys):
    lone = tmp_path / "model.safetensors"
    lone.write_bytes((default_run / "model.safetensors").read_bytes())
    assert main(["info", str(lone)]) == 0
    text = capsys.readouterr().out
    assert "19,210" in text and "trained on digits" in text


def test_info_lists_datasets(capsys):
    assert main(["info", "--datasets"]) == 0
    text = capsys.readouterr().out
    assert "fashion-mnist" in text and "linnerud" in text


def test_info_refuses_what_is_not_a_model(tmp_path, capsys):
    (tmp_path / "model.safetensors").write_bytes(b"garbage")
    assert main(["info", str(tmp_path)]) == 2
    assert main(["info"]) == 2
    assert "cannot load model" in capsys.readouterr().err


def test_a_model_saved_from_python_is_described_but_not_evaluated(tmp_path, capsys):
    path = tmp_path / "plain.safetensors"
    mlplab.save(nn.MLP([2, 3]), path)
    assert main(["info", str(path)]) == 0
    assert "training settings unknown" in capsys.readouterr().out
    assert main(["evaluate", str(path)]) == 2
    assert "was not saved by a training run" in capsys.readouterr().err


def test_a_hand_edited_config_is_one_line_exit_2(default_run, tmp_path, capsys):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes((default_run / "model.safetensors").read_bytes())
    document = json.loads((default_run / "config.json").read_text())
    del document["data"]["num_features"]
    (folder / "config.json").write_text(json.dumps(document))
    for command in ("info", "evaluate"):
        assert main([command, str(folder)]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert "data.num_features must be a positive integer" in line, command
