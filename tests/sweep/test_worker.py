"""Tests of mlplab.sweep.worker: one trial run in a scratch folder and sent back as bytes."""

import json
import subprocess
import sys

import threadpoolctl

from mlplab import experiment
from mlplab.experiment import Settings
from mlplab.sweep import worker
from mlplab.sweep.trials import make_trials
from mlplab.utils import atomic

MOONS = Settings(dataset="moons", epochs=2, seed=1)


def _trial(**changes):
    """The one trial of the moons base settings with ``changes``."""
    (trial,) = make_trials(MOONS.replace(**changes), [{}], seeds=1)
    return trial


def test_a_trial_comes_back_as_the_files_of_its_run_folder():
    trial = _trial()
    outcome = worker.run_trial(trial)
    assert outcome.error is None and not outcome.interrupted and outcome.name == trial.name
    assert {"config.json", "history.jsonl", "model.safetensors", "results.json"} <= set(
        outcome.files
    )
    assert ".lock" not in outcome.files
    results = json.loads(outcome.files["results.json"])
    assert results["test"] == experiment.run(trial.settings, progress=False).test
    summary = json.loads(outcome.files[worker.TRIAL])
    assert summary["seed"] == trial.settings.seed and summary["parameters"] == 2 * 256 + 256 + 514


def test_blas_is_held_to_the_threads_asked_for_while_the_trial_runs(monkeypatch):
    seen = []
    real = experiment.run

    def run(*args, **kwargs):
        seen.append({pool["num_threads"] for pool in threadpoolctl.threadpool_info()
                     if pool["user_api"] == "blas"})  # fmt: skip
        return real(*args, **kwargs)

    monkeypatch.setattr(worker.experiment, "run", run)
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        worker.run_trial(_trial(), blas_threads=1)
        worker.run_trial(_trial())  # None: BLAS as it is
    assert seen == [{1}, {2}]


def test_a_trial_s_scratch_folder_is_not_fsynced(monkeypatch):
    # The driver writes the durable copy of the files a worker sends back.
    calls = []
    monkeypatch.setattr(atomic.os, "fsync", calls.append)
    outcome = worker.run_trial(_trial())
    assert outcome.error is None and "model.safetensors" in outcome.files
    assert calls == []


def test_a_failure_is_recorded_as_the_outcome_s_error():
    outcome = worker.run_trial(_trial(dataset_options={"n_samples": 2}))
    assert outcome.error == "ValueError: Cannot split 1 sample(s) into two non-empty parts"
    assert json.loads(outcome.files[worker.TRIAL])["error"] == outcome.error
    assert "results.json" not in outcome.files


def test_a_trial_loads_no_plotting_library():
    # Every worker process would pay matplotlib's import for plots a trial never draws.
    script = (
        "import sys\n"
        "from mlplab.experiment import Settings\n"
        "from mlplab.sweep import worker\n"
        "from mlplab.sweep.trials import make_trials\n"
        "(trial,) = make_trials(Settings(dataset='moons', epochs=1, seed=1), [{}], seeds=1)\n"
        "assert worker.run_trial(trial).error is None\n"
        "print('matplotlib' in sys.modules)\n"
    )
    printed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
    assert printed.split() == ["False"]
