"""Tests of mlplab.experiment.folder: one run per folder, locked while in use; configs checked."""

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from mlplab.experiment import RunFolderError, Settings, resume, run
from mlplab.experiment.folder import check_run_config, locked, read_run_config

QUICK = {"dataset": "digits", "epochs": 1, "batch_size": 64}


def _holder(folder):
    """A child process that takes the folder's lock and waits, printing once it holds it."""
    script = textwrap.dedent(f"""
        import sys, time
        from mlplab.experiment.folder import locked
        with locked({str(folder)!r}):
            print("locked", flush=True)
            time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_folder_in_use_is_refused_and_a_killed_holder_leaves_no_stale_lock(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    holder = _holder(folder)
    try:
        with pytest.raises(RunFolderError, match="in use by another run"):
            run(Settings(**QUICK), out=folder, progress=False)
        assert not (folder / "config.json").exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    result = run(Settings(**QUICK), out=folder, progress=False)
    assert result.folder == folder and (folder / "model.safetensors").is_file()


def test_resume_takes_the_lock_too(tmp_path):
    folder = tmp_path / "run"
    run(Settings(**QUICK), out=folder, progress=False)
    holder = _holder(folder)
    try:
        with pytest.raises(RunFolderError, match="in use by another run"):
            resume(folder, epochs=2, progress=False)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()


def test_the_same_process_cannot_take_a_folder_twice(tmp_path):
    with locked(tmp_path), pytest.raises(RunFolderError, match="in use"), locked(tmp_path):
        pass


def test_a_complete_run_has_nothing_to_resume(tmp_path):
    folder = tmp_path / "run"
    run(Settings(**QUICK), out=folder, progress=False)
    with pytest.raises(RunFolderError, match="already complete: it trained all 1 epochs"):
        resume(folder, progress=False)
    stopped = tmp_path / "stopped"
    settings = Settings(**{**QUICK, "epochs": 40}, lr=0.3, patience=1)
    assert run(settings, out=stopped, progress=False).stop_reason == "early-stopping"
    with pytest.raises(RunFolderError, match="already complete: early stopping ended it"):
        resume(stopped, epochs=80, progress=False)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """The config.json of a finished run, as a dict."""
    folder = tmp_path_factory.mktemp("config") / "run"
    run(Settings(**QUICK), out=folder, progress=False)
    return read_run_config(folder)


def _edited(config, path, value):
    """A deep copy of ``config`` with the entry at ``path`` (keys) set to ``value`` (or removed)."""
    document = json.loads(json.dumps(config))
    *parents, last = path
    target = document
    for key in parents:
        target = target[key]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return document


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("settings",), KeyError, "no 'settings' object"),
        (("settings", "lr"), "fast", "settings: lr: expects float"),
        (("settings", "optimizer"), "adamx", "unknown value 'adamx'"),
        (("data", "num_features"), KeyError, "data.num_features must be a positive integer"),
        (("data", "num_outputs"), 0, "data.num_outputs must be a positive integer"),
        (("data", "task"), "clustering", "data.task must be one of"),
        (("data", "class_names"), ["a"], "data.class_names must be null or a list of 10"),
        (("data", "feature_shape"), None, "data.feature_shape must be a list"),
        (("preprocessing", "inputs"), {"kind": "log"}, "preprocessing.inputs must be a"),
        (("preprocessing", "inputs", "factor"), -1, "factor must be a positive number"),
        (("preprocessing",), [], "no 'preprocessing' object"),
    ],
)
def test_a_hand_edited_config_is_refused_naming_the_entry(config, path, value, message):
    with pytest.raises(RunFolderError, match=message):
        check_run_config(_edited(config, path, value), "config.json")


def test_standardised_scaling_needs_one_mean_and_std_per_value(config):
    document = _edited(
        config, ("preprocessing", "inputs"), {"kind": "standardize", "mean": [0.0], "std": [1.0]}
    )
    with pytest.raises(RunFolderError, match="mean must be a list of 64 finite numbers"):
        check_run_config(document, "config.json")
    check_run_config(config, "config.json")  # the real one passes
