"""Tests of mlplab.experiment.run / resume: one run from settings, the same as the command line."""

import json

import numpy
import pytest
from sklearn import metrics as sk

import mlplab
from mlplab.cli import main
from mlplab.data import load_dataset
from mlplab.experiment import RunFolderError, Settings, SettingsError, load_data, resume, run
from mlplab.train import load_checkpoint

QUICK = {"dataset": "digits", "epochs": 2, "batch_size": 64}


def weights(model):
    """Each parameter's bytes, by name."""
    return {name: p._data.tobytes() for name, p in model.named_parameters()}


def test_run_returns_the_model_history_and_test_figures_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(Settings(**QUICK), progress=False)
    assert result.folder is None and list(tmp_path.iterdir()) == []
    assert result.settings.optimizer == "adam" and result.epochs == 2
    assert [record["epoch"] for record in result.history.records] == [1, 2]
    assert 0.5 < result.test["accuracy"] <= 1.0
    assert numpy.asarray(result.confusion_matrix).sum() == result.data["samples"]["test"]
    assert result.model.get_config()["sizes"] == [64, 256, 10]
    assert run(QUICK, progress=False).test == result.test  # a dict of settings works too


def test_same_settings_and_seed_give_the_same_numbers_as_mlplab_train(tmp_path, capsys):
    settings = Settings(**QUICK, dropout=0.2, schedule="step:1:0.5", seed=3)
    ours = run(settings, out=tmp_path / "python", progress=False)
    argv = ["train", "--dataset", "digits", "--epochs", "2", "--batch-size", "64",
            "--dropout", "0.2", "--schedule", "step:1:0.5", "--seed", "3", "--quiet"]  # fmt: skip
    assert main([*argv, "--out", str(tmp_path / "cli")]) == 0
    theirs = mlplab.load(tmp_path / "cli" / "model.safetensors")
    assert weights(ours.model) == weights(theirs)
    cli_state = load_checkpoint(tmp_path / "cli" / "checkpoint.safetensors")
    numpy.testing.assert_array_equal(cli_state["history"]["step_losses"],
                                     ours.history.step_losses)  # fmt: skip
    saved = json.loads((tmp_path / "cli" / "results.json").read_text())
    assert saved["test"] == ours.test
    assert (
        json.loads((tmp_path / "cli" / "config.json").read_text())["settings"]
        == (json.loads((tmp_path / "python" / "config.json").read_text())["settings"])
    )


def test_a_seed_changes_the_validation_split_and_the_weights_but_never_the_test_rows():
    first = load_data(Settings(seed=0), mlplab.Generator(0))
    second = load_data(Settings(seed=1), mlplab.Generator(1))
    numpy.testing.assert_array_equal(first.x_test, second.x_test)
    numpy.testing.assert_array_equal(first.y_test, second.y_test)
    assert not numpy.array_equal(first.x_val, second.x_val)
    rows = {row.tobytes() for row in first.x_test}
    assert not rows & {row.tobytes() for row in numpy.concatenate([second.x_train, second.x_val])}
    a = run(Settings(**QUICK, seed=0), progress=False)
    b = run(Settings(**QUICK, seed=1), progress=False)
    assert weights(a.model) != weights(b.model)


def test_regression_reports_mse_mae_and_r2_in_the_targets_units(tmp_path):
    result = run(Settings(dataset="linnerud", epochs=20), out=tmp_path / "run", progress=False)
    truth = load_dataset("linnerud").y_test
    outputs = result.test["per_target"]
    for i, name in enumerate(("Weight", "Waist", "Pulse")):
        predicted = _predictions(result)[:, i]
        assert outputs[name]["mse"] == pytest.approx(sk.mean_squared_error(truth[:, i], predicted))
        assert outputs[name]["mae"] == pytest.approx(sk.mean_absolute_error(truth[:, i], predicted))
        assert outputs[name]["r2"] == pytest.approx(sk.r2_score(truth[:, i], predicted))
    whole = _predictions(result)
    assert result.test["mse"] == pytest.approx(sk.mean_squared_error(truth, whole), rel=1e-5)
    assert result.test["mae"] == pytest.approx(sk.mean_absolute_error(truth, whole), rel=1e-5)
    # The loss is on standardised targets: a different number, reported under its own name.
    assert result.test["loss"] != pytest.approx(result.test["mse"], rel=0.5)
    record = result.history.records[-1]
    assert {"train_loss", "train_mse", "train_mae", "train_r2", "val_mse", "val_r2"} <= set(record)
    for plot in ("mse.png", "loss.png", "r2.png", "predictions.png"):
        assert (tmp_path / "run" / plot).read_bytes()[:4] == b"\x89PNG", plot


def _predictions(result):
    """The model's test predictions in the targets' units, as a user would compute them."""
    from mlplab.experiment.saved import SavedRun

    saved = SavedRun.open(result.folder)
    return saved.task.decode(saved.outputs(load_dataset("linnerud").x_test))


def test_linear_regression_recovers_the_true_parameters():
    result = run(Settings(dataset="linear"), progress=False)
    for name, value in {"a": 2.0, "b": -3.0, "c": 1.5, "d": 1.0}.items():
        assert result.learned_parameters[name] == pytest.approx(value, rel=0.01), name
    assert result.test["r2"] > 0.999


def test_resume_continues_exactly_and_may_only_lengthen_the_run(tmp_path):
    settings = Settings(**QUICK, dropout=0.3, schedule="exp:0.9", patience=5)
    whole = run(settings.replace(epochs=4), out=tmp_path / "whole", progress=False)
    run(settings, out=tmp_path / "parts", progress=False)
    with pytest.raises(SettingsError, match="a resumed run keeps its settings"):
        resume(tmp_path / "parts", lr=0.5, progress=False)
    continued = resume(tmp_path / "parts", epochs=4, progress=False)
    assert weights(continued.model) == weights(whole.model)
    assert continued.history.step_losses == whole.history.step_losses
    assert continued.test == whole.test
    config = json.loads((tmp_path / "parts" / "config.json").read_text())
    assert config["settings"]["epochs"] == 4


def test_a_folder_holding_another_run_is_refused_before_any_work(tmp_path):
    out = tmp_path / "run"
    run(Settings(**QUICK), out=out, progress=False)
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    with pytest.raises(RunFolderError, match="different run"):
        run(Settings(**QUICK, lr=0.01), out=out, progress=False)
    with pytest.raises(RunFolderError, match="already holds this run"):
        run(Settings(**QUICK), out=out, progress=False)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_layers_that_do_not_fit_the_data_are_refused_before_the_folder_exists(tmp_path):
    with pytest.raises(SettingsError, match="does not fit digits") as caught:
        run(Settings(layers="784-256-10"), out=tmp_path / "run", progress=False)
    assert caught.value.setting == "layers"
    assert not (tmp_path / "run").exists()


def test_plateau_watches_the_training_loss_without_a_validation_split():
    result = run(
        Settings(**{**QUICK, "epochs": 6}, lr=0.5, schedule="plateau:0:0.5", val_split=0.0),
        progress=False,
    )
    rates = [record["lr"] for record in result.history.records]
    assert rates[0] == 0.5 and min(rates) < 0.5, rates
    assert "val_loss" not in result.history.records[0]


def test_callbacks_are_called_and_early_stopping_restores_the_best_epoch():
    seen = []

    class Recorder:
        def on_epoch_end(self, run_state, record):
            seen.append(record["epoch"])

    result = run(
        Settings(**{**QUICK, "epochs": 30}, lr=0.3, patience=1, monitor="val_loss"),
        callbacks=[Recorder()],
        progress=False,
    )
    assert result.stop_reason == "early-stopping" and seen == list(range(1, result.epochs + 1))


def test_progress_prints_epoch_lines_and_quiet_prints_nothing(capsys):
    run(Settings(**QUICK), progress=False)
    assert capsys.readouterr().out == ""
    run(Settings(**QUICK), progress=True)
    assert "epoch 2/2" in capsys.readouterr().out
