"""Tests of mlplab.sweep.run with the local backend: worker processes, failures, resumption."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sweep_checks import assert_same_as_sequential

from mlplab import sweep
from mlplab.experiment import RunFolderError, Settings
from mlplab.experiment.folder import locked
from mlplab.sweep import local
from mlplab.sweep.grid import SweepError, check_axes, expand
from mlplab.sweep.trials import make_trials
from mlplab.utils import atomic

# The generated moons load in no time (no scikit-learn to import in each worker process).
MOONS = {"dataset": "moons", "epochs": 3, "batch_size": 32, "seed": 5}


def test_two_worker_processes_give_exactly_the_numbers_of_sequential_runs(tmp_path):
    grid = {"hidden": [8, 16], "dropout": [0.0, 0.3]}
    result = sweep.run(MOONS, grid, seeds=2, workers=2, out=tmp_path / "s", progress=False)
    trials = make_trials(Settings(**MOONS), expand(check_axes(grid)), seeds=2)
    assert len(result.trials) == 8 and len(result.configurations) == 4
    assert_same_as_sequential(result, trials)
    folder = tmp_path / "s" / "trials" / trials[0].name
    for name in ("config.json", "history.csv", "model.safetensors", "results.json", "trial.json"):
        assert (folder / name).is_file(), name
    assert not list(folder.glob("*.png"))  # the sweep draws its own plots, not each trial's
    summary = json.loads((folder / "trial.json").read_text())
    assert summary["parameters"] == 2 * 8 + 8 + 8 * 2 + 2 and summary["error"] is None


def _spy(monkeypatch):
    """Record the names of the trials the (in-process) local backend runs."""
    ran = []
    real = local.run_trial

    def run_trial(trial, blas_threads=None):
        ran.append(trial.name)
        return real(trial, blas_threads)

    monkeypatch.setattr(local, "run_trial", run_trial)
    return ran


def test_a_failing_trial_is_recorded_and_the_others_complete(tmp_path, monkeypatch):
    ran = _spy(monkeypatch)
    base = {"dataset": "linear", "epochs": 3}
    result = sweep.run(base, {"lr": [0.01, 100.0, 0.1]}, workers=1, out=tmp_path, progress=False)
    status = {row["lr"]: row["status"] for row in result.trials}
    assert status == {0.01: "done", 100.0: "failed", 0.1: "done"}
    failed = next(row for row in result.trials if row["status"] == "failed")
    assert failed["error"].startswith("NonFiniteLossError: The training loss became inf")
    assert result.metric == "mse" and result.best["lr"] == 0.1
    assert "## Failed trials\n\n- lr=100.0,run=0: NonFiniteLossError" in result.to_markdown()
    failed_folder = tmp_path / "trials" / "lr=100.0,run=0"
    assert not (failed_folder / "results.json").exists()
    assert json.loads((failed_folder / "trial.json").read_text())["error"] == failed["error"]
    # Run again: the failed trial is tried again (it fails again), the complete ones are not.
    ran.clear()
    sweep.run(base, {"lr": [0.01, 100.0, 0.1]}, workers=1, out=tmp_path, progress=False)
    assert ran == ["lr=100.0,run=0"]


def test_running_again_skips_the_complete_trials_and_refuses_other_settings(tmp_path, monkeypatch):
    ran = _spy(monkeypatch)
    grid = {"lr": [0.01, 0.001]}
    first = sweep.run(MOONS, grid, seeds=2, workers=1, out=tmp_path, progress=False)
    assert len(ran) == 4
    (tmp_path / "trials" / "lr=0.001,run=1" / "results.json").unlink()
    ran.clear()
    again = sweep.run(MOONS, grid, seeds=2, workers=1, out=tmp_path, progress=False)
    assert ran == ["lr=0.001,run=1"]
    means = [(row["lr"], row["accuracy_mean"]) for row in first.configurations]
    assert [(row["lr"], row["accuracy_mean"]) for row in again.configurations] == means
    with pytest.raises(RunFolderError, match=r"epochs 3 there vs 4 here.*choose another --out"):
        sweep.run({**MOONS, "epochs": 4}, grid, seeds=2, workers=1, out=tmp_path, progress=False)


def test_bad_input_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "never"
    with pytest.raises(SweepError, match="unknown backend 'spark'"):
        sweep.run(MOONS, {"lr": [0.1]}, backend="spark", out=out)
    with pytest.raises(SweepError, match="address: joins a Ray cluster"):
        sweep.run(MOONS, {"lr": [0.1]}, address="127.0.0.1:6379", out=out)
    with pytest.raises(SweepError, match="workers"):
        sweep.run(MOONS, {"lr": [0.1]}, workers=0, out=out)
    with pytest.raises(SweepError, match=r"grid: trial lr=-0\.1"):
        sweep.run(MOONS, {"lr": [0.1, -0.1]}, out=out)
    assert not out.exists()


def test_without_a_folder_nothing_stays(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = sweep.run(MOONS, {"hidden": [8]}, workers=1, progress=False)
    assert result.folder is None and result.trials[0]["folder"] is None
    assert result.trials[0]["status"] == "done" and list(tmp_path.iterdir()) == []


def _children(pid):
    """The processes whose parent is ``pid`` (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _command(pid):
    """The command line of process ``pid`` (empty once it has gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _alive(pid):
    """Whether process ``pid`` still runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_of_the_sweep_then_running_again_runs_only_the_unfinished_trials(
    tmp_path, monkeypatch
):
    base = {**MOONS, "epochs": 6}
    grid = {"hidden": [16, 32, 48, 64]}
    script = textwrap.dedent(f"""
        from mlplab import sweep
        if __name__ == "__main__":
            sweep.run({base!r}, {grid!r}, seeds=2, workers=2, out={str(tmp_path)!r},
                      progress=False)
    """)
    (tmp_path / "sweep_script.py").write_text(script)
    process = subprocess.Popen([sys.executable, str(tmp_path / "sweep_script.py")])
    trials = tmp_path / "trials"
    deadline = time.monotonic() + 120
    while not list(trials.glob("*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = _children(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    complete = {path.parent.name for path in trials.glob("*/results.json")}
    assert 1 <= len(complete) < 8, "the sweep must be killed half-way"
    # The workers notice that the driver is gone and end (they check every second).
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, workers)), "worker processes outlived the killed sweep"
    ran = _spy(monkeypatch)
    result = sweep.run(base, grid, seeds=2, workers=1, out=tmp_path, progress=False)
    assert sorted(ran + list(complete)) == sorted(row["trial"] for row in result.trials)
    assert all(row["status"] == "done" for row in result.trials)
    assert not list(trials.glob(".*.partial"))


def test_a_sweep_folder_in_use_by_another_sweep_is_refused(tmp_path):
    with locked(tmp_path), pytest.raises(RunFolderError, match="is in use by another run"):
        sweep.run(MOONS, {"hidden": [8]}, workers=1, out=tmp_path, progress=False)
    assert not list((tmp_path / "trials").iterdir())


def test_the_workers_of_a_finished_sweep_exit_on_their_own(tmp_path):
    before = set(_children(os.getpid()))
    sweep.run(MOONS, {"hidden": [8, 16]}, workers=2, out=tmp_path, progress=False)
    # multiprocessing's resource tracker stays for the life of this process; the workers go.
    workers = {pid for pid in set(_children(os.getpid())) - before
               if "spawn_main" in _command(pid)}  # fmt: skip
    # Not waited for: they end while the driver writes the summary, and soon after at the latest.
    deadline = time.monotonic() + 10
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(_alive, workers))


@pytest.mark.parametrize(("out", "loaded"), [(False, False), (True, True)])
def test_matplotlib_loads_only_for_a_sweep_folder_s_summary(tmp_path, out, loaded):
    # The driver must not load it before the workers start (it costs a third of a second), and
    # a sweep without a folder draws nothing at all.
    script = textwrap.dedent(f"""
        import sys
        from mlplab import sweep
        if __name__ == "__main__":
            sweep.run({MOONS!r}, {{"hidden": [8, 16]}}, workers=2, progress=False,
                      out={str(tmp_path / "s") if out else None!r})
            print("matplotlib" in sys.modules)
    """)
    (tmp_path / "script.py").write_text(script)
    printed = subprocess.run([sys.executable, str(tmp_path / "script.py")], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    assert printed.split() == [str(loaded)]


def test_the_driver_writes_each_trial_s_files_durably(tmp_path, monkeypatch):
    # The worker's scratch copy skips fsync; the copy in the sweep folder must not.
    calls = []
    monkeypatch.setattr(atomic.os, "fsync", calls.append)
    sweep.run(MOONS, {"hidden": [8]}, workers=1, out=tmp_path, progress=False)
    (folder,) = (tmp_path / "trials").iterdir()
    files = [path for path in folder.iterdir() if path.is_file()]
    assert len(files) >= 5 and len(calls) >= 2 * len(files)  # each file and its folder entry
