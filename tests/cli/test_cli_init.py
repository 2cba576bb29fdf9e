"""``--init`` on the command line: offered with the registry's schemes, recorded in the run
folder, refused in one line when unknown, and a sweep axis like any other setting."""

import csv
import json

from cli_checks import assert_refused

import mlplab
from mlplab.cli import main
from mlplab.cli.train import model_line
from mlplab.nn.initializers import init_usages

QUICK = ["--dataset", "moons", "--epochs", "1", "--batch-size", "32", "--quiet"]


def test_help_offers_the_registered_schemes(capsys):
    assert main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the help
    assert "--init SCHEME" in text
    for name in mlplab.nn.INITIALIZERS:
        assert name in text.replace("- ", "-"), name


def test_train_takes_init_and_records_it(tmp_path):
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--init", "kaiming-normal", "--out", str(out)]) == 0
    settings = json.loads((out / "config.json").read_text())["settings"]
    assert settings["init"] == "kaiming-normal"
    model = mlplab.load(out / "model.safetensors")
    assert model.init == "kaiming-normal" and model.get_config()["init"] == "kaiming-normal"


def test_an_unknown_scheme_is_one_line_exit_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    line = assert_refused(["train", *QUICK, "--init", "glorot"], capsys)
    assert "--init: Unknown initialization scheme 'glorot'" in line
    assert init_usages() in line
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_over_init_runs_each_scheme(tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", *QUICK, "--workers", "1", "--grid", "init=[default,zeros]", "--out", str(out)]
    assert main(argv) == 0
    assert "| init |" in capsys.readouterr().out
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert sorted(row["init"] for row in rows) == ["default", "zeros"]


def test_the_training_line_names_an_initialization_other_than_the_default():
    assert model_line(mlplab.nn.MLP([2, 4, 2], init="zeros")) == "MLP 2-4-2 (relu, init zeros)"
    assert model_line(mlplab.nn.MLP([2, 4, 2])) == "MLP 2-4-2 (relu)"
