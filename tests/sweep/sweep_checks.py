"""Checks the sweep tests share: a trial's numbers from its folder and from a sequential run."""

import json

from mlplab.experiment import run
from mlplab.train.callbacks import read_history


def folder_numbers(folder):
    """The test figures and per-epoch training losses a trial folder records."""
    results = json.loads((folder / "results.json").read_text())
    return results["test"], [record["train_loss"] for record in read_history(folder)]


def sequential_numbers(trial):
    """The same figures from a plain ``run()`` of the trial's settings in this process."""
    result = run(trial.settings, progress=False)
    return result.test, [record["train_loss"] for record in result.history.records]


def assert_same_as_sequential(result, trials):
    """Every trial of a finished sweep has exactly the numbers of a sequential run."""
    rows = {row["trial"]: row for row in result.trials}
    for trial in trials:
        folder = result.folder / "trials" / trial.name
        assert rows[trial.name]["status"] == "done"
        assert folder_numbers(folder) == sequential_numbers(trial), trial.name
