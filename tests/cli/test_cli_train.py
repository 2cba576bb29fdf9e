"""End-to-end tests of ``mlplab train`` through :func:`mlplab.cli.main` (and a subprocess)."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy
import pytest
from cli_checks import assert_refused

import mlplab
from mlplab.cli import config, main
from mlplab.experiment import Settings
from mlplab.train import load_checkpoint


def results(folder):
    """The results.json of a finished run."""
    return json.loads((folder / "results.json").read_text())


QUICK = ["--dataset", "digits", "--epochs", "3", "--batch-size", "64", "--quiet"]


def test_default_train_reaches_95_percent_on_digits(default_run, capsys):
    assert results(default_run)["test"]["accuracy"] >= 0.95
    for name in (
        "config.json",
        "checkpoint.safetensors",
        "model.safetensors",
        "history.csv",
        "history.jsonl",
        "loss.png",
        "accuracy.png",
        "confusion_matrix.png",
    ):
        assert (default_run / name).is_file(), name
    records = [
        json.loads(line) for line in (default_run / "history.jsonl").read_text().splitlines()
    ]
    assert [r["epoch"] for r in records] == list(range(1, 31))
    assert {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"} <= set(records[0])
    model = mlplab.load(default_run / "model.safetensors")
    assert model.get_config()["sizes"] == [64, 256, 10]


def test_linear_regression_recovers_the_true_parameters(tmp_path, capsys):
    out = tmp_path / "linear"
    assert (
        main(["train", "--task", "regression", "--dataset", "linear", "--quiet", "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    learned = results(out)["learned_parameters"]
    true = {"a": 2.0, "b": -3.0, "c": 1.5, "d": 1.0}
    assert set(learned) == set(true)
    for name, value in true.items():
        assert learned[name] == pytest.approx(value, rel=0.01), name
        assert f"{learned[name]:9.4f}  {value:9.4f}" in printed
    assert json.loads((out / "config.json").read_text())["settings"]["optimizer"] == "sgd"


def test_linnerud_fits_three_targets_at_once(tmp_path):
    out = tmp_path / "linnerud"
    assert (
        main(["train", "--dataset", "linnerud", "--epochs", "5", "--quiet", "--out", str(out)]) == 0
    )
    assert mlplab.load(out / "model.safetensors").get_config()["sizes"] == [3, 3]
    assert set(results(out)["test"]["per_target"]) == {"Weight", "Waist", "Pulse"}


def test_toml_sets_options_and_the_command_line_overrides_it(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text(
        textwrap.dedent("""
        dataset = "digits"
        layers = "64-32-10"
        batch-size = 128
        epochs = 1
        optimizer = "sgd"
        lr = 0.05
        momentum = 0.9
        nesterov = true
        weight_decay = 1e-4
        schedule = "step:1:0.5"
        quiet = true
    """)
    )
    out = tmp_path / "run"
    assert main(["train", "--config", str(toml), "--lr", "0.02", "--out", str(out)]) == 0
    settings = json.loads((out / "config.json").read_text())["settings"]
    assert settings["layers"] == [64, 32, 10] and settings["batch_size"] == 128
    assert settings["nesterov"] is True and settings["lr"] == 0.02


def test_toml_takes_lists_where_python_does(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('layers = [64, 16, 16, 10]\nactivation = ["tanh", "relu"]\nepochs = 1\n')
    out = tmp_path / "run"
    assert main(["train", "--config", str(toml), "--quiet", "--out", str(out)]) == 0
    assert mlplab.load(out / "model.safetensors").get_config()["sizes"] == [64, 16, 16, 10]
    assert json.loads((out / "config.json").read_text())["settings"]["activation"] == [
        "tanh",
        "relu",
    ]


def test_a_bad_toml_value_is_named_with_its_file(tmp_path, capsys):
    toml = tmp_path / "run.toml"
    toml.write_text('schedule = "exp:-1"\n')
    line = assert_refused(["train", "--config", str(toml), "--out", str(tmp_path / "o")], capsys)
    assert "--schedule" in line and "run.toml" in line
    assert not (tmp_path / "o").exists()


def test_course_preset_is_the_reference_network():
    settings = Settings.from_dict({"preset": "course"})
    assert settings.layers == [784, 256, 512, 10] and settings.activation == "relu"
    assert settings.loss == "cross-entropy" and settings.optimizer == "adam"
    assert (settings.lr, settings.batch_size, settings.epochs) == (1e-3, 100, 30)
    assert Settings.from_dict({"preset": "course", "epochs": 2}).epochs == 2


def test_help_explains_every_option(capsys):
    assert main(["train", "--help"]) == 0
    text = capsys.readouterr().out
    for field in dataclasses.fields(Settings):
        if field.metadata["kind"] is not dict:
            assert config.flag(field.name) in text, field.name
    for flag in ("--config", "--resume", "--preset", "--out", "--quiet", "--no-nesterov"):
        assert flag in text
    assert "exit codes" in text
    for name in (*mlplab.optim.OPTIMIZERS, *mlplab.nn.LOSSES, *mlplab.nn.HIDDEN_ACTIVATIONS):
        assert name in text, name  # the choices come from the registries


def test_help_lists_the_data_sets_a_command_can_load_but_not_in_memory_arrays(capsys):
    assert main(["train", "--help"]) == 0
    listed = " ".join(capsys.readouterr().out.split())  # argparse wraps the list over lines
    names = ", ".join(mlplab.data.available_datasets())
    assert "{" + names + "}" in listed
    assert "arrays" not in listed  # Settings accept it, but only run_arrays() can train on it


def _kill_script(mode, step, argv):
    """A Python program running ``mlplab`` that sends itself ``mode`` after ``step`` updates."""
    return textwrap.dedent(f"""
        import os, signal, sys
        import mlplab.optim.optimizer as optimizer
        original, count = optimizer.Optimizer.step, [0]
        def step(self, *args, **kwargs):
            result = original(self, *args, **kwargs)
            count[0] += 1
            if count[0] == {step}:
                os.kill(os.getpid(), signal.{mode})
            return result
        optimizer.Optimizer.step = step
        from mlplab.cli import main
        sys.exit(main({argv!r}))
    """)


def _same_run(folder_a, folder_b):
    """Assert two runs ended with identical weights, optimizer state and per-step losses."""
    a = load_checkpoint(folder_a / "checkpoint.safetensors")
    b = load_checkpoint(folder_b / "checkpoint.safetensors")
    assert a["step"] == b["step"]
    numpy.testing.assert_array_equal(a["history"]["step_losses"], b["history"]["step_losses"])
    for name in a["model"]:
        numpy.testing.assert_array_equal(a["model"][name]._data, b["model"][name]._data)
    weights_a = {
        n: p._data for n, p in mlplab.load(folder_a / "model.safetensors").named_parameters()
    }
    weights_b = {
        n: p._data for n, p in mlplab.load(folder_b / "model.safetensors").named_parameters()
    }
    for name, value in weights_a.items():
        assert value.tobytes() == weights_b[name].tobytes(), name


def test_kill_9_then_resume_in_a_new_process_is_bit_identical(tmp_path):
    args = [*QUICK, "--dropout", "0.3", "--schedule", "exp:0.9", "--patience", "5"]
    assert main(["train", *args, "--out", str(tmp_path / "whole")]) == 0
    broken = str(tmp_path / "broken")
    # 21 batches per epoch: step 40 dies in the middle of epoch 2, after one checkpoint.
    script = _kill_script("SIGKILL", 40, ["train", *args, "--out", broken])
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    assert load_checkpoint(tmp_path / "broken" / "checkpoint.safetensors")["epoch"] == 1
    resumed = subprocess.run(
        [sys.executable, "-m", "mlplab.cli", "train", *args, "--out", broken, "--resume"],
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    _same_run(tmp_path / "whole", tmp_path / "broken")


def test_ctrl_c_saves_a_mid_epoch_checkpoint_and_resume_is_exact(tmp_path, capsys):
    args = [*QUICK, "--dropout", "0.2"]
    assert main(["train", *args, "--out", str(tmp_path / "whole")]) == 0
    out = str(tmp_path / "stopped")
    script = _kill_script("SIGINT", 30, ["train", *args, "--out", out])
    stopped = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert stopped.returncode == 130, stopped.stderr
    assert "--resume" in stopped.stderr and "Traceback" not in stopped.stderr
    state = load_checkpoint(tmp_path / "stopped" / "checkpoint.safetensors")
    assert (state["epoch"], state["batch"], state["step"]) == (1, 9, 30)
    assert main(["train", *args, "--out", out, "--resume"]) == 0
    _same_run(tmp_path / "whole", tmp_path / "stopped")


def test_resume_may_extend_the_epochs(tmp_path):
    out = str(tmp_path / "run")
    assert main(["train", *QUICK, "--epochs", "1", "--out", out]) == 0
    assert main(["train", "--epochs", "2", "--quiet", "--out", out, "--resume"]) == 0
    assert load_checkpoint(tmp_path / "run" / "checkpoint.safetensors")["epoch"] == 2


def test_nan_loss_stops_with_epoch_step_and_advice(tmp_path, capsys):
    out = tmp_path / "nan"
    assert main(["train", "--dataset", "linear", "--lr", "1e6", "--quiet", "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "epoch 1, step" in error and "learning rate" in error
    assert not (out / "checkpoint.safetensors").exists()


def test_nan_after_a_checkpoint_keeps_the_last_good_one(tmp_path, capsys, monkeypatch):
    loss_forward = mlplab.nn.MSELoss.forward
    calls = [0]

    def poisoned(self, outputs, targets):
        calls[0] += 1
        loss = loss_forward(self, outputs, targets)
        return loss * float("nan") if calls[0] == 30 else loss

    monkeypatch.setattr(mlplab.nn.MSELoss, "forward", poisoned)
    out = tmp_path / "nan"
    assert main(["train", "--dataset", "linear", "--quiet", "--out", str(out)]) == 1
    assert "epoch 2, step" in capsys.readouterr().err
    state = load_checkpoint(out / "checkpoint.safetensors")
    assert state["epoch"] == 1
    assert all(numpy.isfinite(value._data).all() for value in state["model"].values())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--optimizer", "adamx"], "unknown value 'adamx'"),
        (["--activation", "swish"], "--activation"),
        (["--layers", "784-256-10"], "does not fit digits"),
        (["--layers", "64-ten-10"], "--layers"),
        (["--dataset", "nope"], "unknown data set 'nope'"),
        (["--lr", "abc"], "expected a number"),
        (["--lr", "-1"], "below the minimum"),
        (["--dropout", "1.5"], "--dropout"),
        (["--epochs", "0"], "--epochs"),
        (["--schedule", "bogus:1"], "--schedule"),
        (["--nesterov"], "--nesterov"),
        (["--loss", "mse"], "does not suit classification"),
        (["--task", "regression"], "digits"),
        (["--config", "missing.toml"], "cannot read config file"),
        (["--resume", "missing.safetensors"], "does not exist"),
        (["--resume"], "--resume needs the run folder"),
        (["--bogus"], "unrecognized arguments"),
        (["--schedule", "exp:-1"], "--schedule: Invalid schedule 'exp:-1': GAMMA must be > 0"),
        (["--schedule", "step:1:-1"], "GAMMA must be > 0"),
        (["--schedule", "onecycle:-1"], "MAX_LR must be > 0"),
        (["--schedule", "exp:10", "--epochs", "400"], "would set the learning rate to inf"),
        (["--patience", "3", "--val-split", "0"], "--patience: early stopping on val_loss needs"),
        (["--monitor", "val_r2", "--patience", "2"], "--monitor: 'val_r2' is not a metric"),
        (["--activation", "relu,tanh"], "--activation: 2 activations for 1 hidden layer"),
        (["--optimizer", "adagrad", "--momentum", "0.9"], "--momentum: does not apply"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path, monkeypatch, capsys, argv, message
):
    monkeypatch.chdir(tmp_path)
    line = assert_refused(["train", *argv, "--quiet"], capsys)
    assert message in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", ['epochs = "many"', "learning_rate = 0.1", "this is not toml"])
def test_bad_toml_is_refused(tmp_path, capsys, content):
    (tmp_path / "run.toml").write_text(content)
    out = tmp_path / "out"
    line = assert_refused(
        ["train", "--config", str(tmp_path / "run.toml"), "--out", str(out)], capsys
    )
    assert "run.toml" in line or "--epochs" in line
    assert not out.exists()


def test_a_folder_holding_a_run_is_refused_and_left_alone(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--epochs", "1", "--out", str(out)]) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    line = assert_refused(
        ["train", *QUICK, "--epochs", "1", "--lr", "0.01", "--out", str(out)], capsys
    )
    assert "different run" in line and "lr" in line
    line = assert_refused(["train", *QUICK, "--epochs", "1", "--out", str(out)], capsys)
    assert "add --resume" in line
    line = assert_refused(["train", "--lr", "0.01", "--out", str(out), "--resume"], capsys)
    assert "a resumed run keeps its settings" in line
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_a_damaged_checkpoint_is_refused_on_resume(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--epochs", "1", "--out", str(out)]) == 0
    (out / "checkpoint.safetensors").write_bytes(b"not a checkpoint")
    line = assert_refused(["train", "--out", str(out), "--resume"], capsys)
    assert "checkpoint" in line


def test_main_without_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "train" in capsys.readouterr().err
    assert os.environ.get("MLPLAB_ARRAY_MODULE", "numpy") == "numpy"


@pytest.mark.parametrize(
    "schedule",
    [["onecycle:0.01"], ["warmup:1+cosine"], ["step:1:0.5"]],
)
def test_every_kind_of_schedule_drives_the_learning_rate(tmp_path, schedule):
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--schedule", *schedule, "--out", str(out)]) == 0
    rates = [json.loads(line)["lr"] for line in (out / "history.jsonl").read_text().splitlines()]
    assert len(set(rates)) > 1, rates


def test_a_full_disk_names_the_file_keeps_the_checkpoint_and_resume_finishes(
    tmp_path, capsys, monkeypatch
):
    import errno

    from mlplab.utils import atomic

    real_fsync, out = atomic.os.fsync, tmp_path / "run"

    def full_when_saving_the_model(descriptor):
        if ".model.safetensors." in os.readlink(f"/proc/self/fd/{descriptor}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", full_when_saving_the_model)
    assert main(["train", *QUICK, "--epochs", "2", "--out", str(out)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"cannot write {out / 'model.safetensors'}: No space left on device" in line
    assert "The last good checkpoint stays in" in line
    assert load_checkpoint(out / "checkpoint.safetensors")["epoch"] == 2
    assert not (out / "model.safetensors").exists()
    monkeypatch.setattr(atomic.os, "fsync", real_fsync)  # the disk has room again
    assert main(["train", "--out", str(out), "--resume", "--quiet"]) == 0
    assert (out / "model.safetensors").is_file() and results(out)["epochs"] == 2


def test_resume_says_when_it_starts_over_and_when_nothing_is_left(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *QUICK, "--epochs", "1", "--out", str(out)]) == 0
    line = assert_refused(["train", "--out", str(out), "--resume"], capsys)
    assert "already complete: it trained all 1 epochs" in line and "--epochs" in line
    (out / "checkpoint.safetensors").unlink()
    (out / "results.json").unlink()
    assert main(["train", "--out", str(out), "--resume", "--quiet"]) == 0
    assert "has no checkpoint yet" in capsys.readouterr().err


def test_early_stopping_says_which_epoch_the_test_figures_are_of(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", *QUICK, "--epochs", "40", "--lr", "0.3", "--patience", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    summary = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("Test after")
    )
    saved = results(out)
    assert f"with the weights of epoch {saved['restored_epoch']}, the best" in summary
    assert saved["restored_epoch"] < saved["epochs"] and "(early stopping)" in summary


def test_a_data_dir_that_does_not_exist_is_refused(tmp_path, capsys):
    line = assert_refused(["train", "--data-dir", str(tmp_path / "nowhere")], capsys)
    assert "--data-dir: folder" in line and "does not exist" in line


def test_two_runs_started_at_once_into_one_folder_leave_one_consistent_run(tmp_path):
    out = str(tmp_path / "run")
    commands = [
        [sys.executable, "-m", "mlplab", "train", *QUICK, "--epochs", "8", "--lr", lr, "--out", out]
        for lr in ("0.001", "0.002")
    ]
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for c in commands]  # fmt: skip
    finished = [(p.wait(timeout=300), p.stderr.read()) for p in processes]
    for process in processes:
        process.stdout.close()
        process.stderr.close()
    codes = sorted(code for code, _ in finished)
    assert codes == [0, 2], finished
    refused = next(err for code, err in finished if code == 2)
    assert "in use by another run" in refused or "already holds a different run" in refused
    saved_lr = json.loads((tmp_path / "run" / "config.json").read_text())["settings"]["lr"]
    winner = next(c for c, (code, _) in zip(commands, finished, strict=True) if code == 0)
    assert saved_lr == float(winner[winner.index("--lr") + 1])
    model = mlplab.load(tmp_path / "run" / "model.safetensors")
    assert model.get_config()["sizes"] == [64, 256, 10]
    assert results(tmp_path / "run")["epochs"] == 8


def test_a_foreign_or_flipped_checkpoint_is_one_line_exit_2_and_changes_nothing(tmp_path, capsys):
    small, large = tmp_path / "small", tmp_path / "large"
    assert (
        main(["train", *QUICK, "--epochs", "1", "--layers", "64-16-10", "--out", str(small)]) == 0
    )
    assert (
        main(["train", *QUICK, "--epochs", "1", "--layers", "64-32-10", "--out", str(large)]) == 0
    )
    (small / "checkpoint.safetensors").write_bytes((large / "checkpoint.safetensors").read_bytes())
    before = {path.name: path.read_bytes() for path in small.iterdir()}
    line = assert_refused(["train", "--out", str(small), "--resume", "--epochs", "3"], capsys)
    assert "cannot resume" in line and "0.weight" in line
    assert {path.name: path.read_bytes() for path in small.iterdir()} == before
    checkpoint = large / "checkpoint.safetensors"
    data = bytearray(checkpoint.read_bytes())
    data[-100] ^= 0x01  # one bit of one weight
    checkpoint.write_bytes(bytes(data))
    line = assert_refused(["train", "--out", str(large), "--resume", "--epochs", "3"], capsys)
    assert "damaged" in line
