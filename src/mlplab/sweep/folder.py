"""The sweep folder: ``sweep.json``, one run folder per trial under ``trials/``, the summaries.

Only the driver writes here, holding the folder's lock (as a run holds its run folder's: a
second sweep into the same folder is refused). A finished trial's files are written into a
hidden folder beside its final place, which is then renamed into place: a trial folder is whole
or absent, whatever stopped the sweep (Ctrl-C, ``kill -9``). A trial is complete when its folder
has ``results.json``; complete trials are skipped when the sweep runs again, and any other
folder of a trial (a failed trial's) is replaced when that trial runs again.
"""

import json
import os
import shutil
from pathlib import Path

from mlplab.experiment import RESULTS, RunFolderError
from mlplab.experiment.folder import read_run_config, write_json
from mlplab.sweep.worker import TRIAL
from mlplab.utils import atomic_write_bytes

DEFINITION = "sweep.json"
TRIALS = "trials"
# Settings that say where data come from, not what a trial is: they may change between runs.
WHERE_DATA_ARE = ("data_dir", "download")


class SweepFolder:
    """The folder of one sweep (``out``); created when first written."""

    def __init__(self, out):
        self.path = Path(out)
        self.trials = self.path / TRIALS

    def create(self):
        """Create the folder (and ``trials/``); RunFolderError if that cannot be."""
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"{self.path} is a file, not a folder: choose another --out")
        try:
            self.trials.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise RunFolderError(f"cannot create {self.trials}: {error.strerror}") from None

    def prepare(self, definition):
        """Write the sweep's definition and drop unfinished writes of trials (under the lock)."""
        for leftover in self.trials.glob(".*.partial"):
            shutil.rmtree(leftover)
        write_json(self.path / DEFINITION, definition)

    def trial_folder(self, trial):
        """Where ``trial``'s run folder is."""
        return self.trials / trial.name

    def is_complete(self, trial):
        """Whether ``trial`` finished in an earlier sweep (its folder has results); RunFolderError
        if that folder holds a run of other settings (the sweep's definition changed)."""
        folder = self.trial_folder(trial)
        if not (folder / RESULTS).exists():
            return False
        saved = read_run_config(folder)["settings"]
        wanted = trial.settings.resolved().to_dict()
        differences = [
            key for key in wanted if key not in WHERE_DATA_ARE and saved.get(key) != wanted[key]
        ]
        if differences:
            shown = ", ".join(
                f"{k} {saved.get(k)!r} there vs {wanted[k]!r} here" for k in differences
            )
            raise RunFolderError(
                f"{folder} holds a trial with other settings ({shown}): the sweep in {self.path} "
                "was started with another definition; choose another --out"
            )
        return True

    def write(self, outcome):
        """Put a finished trial's files in place: all of them, or (if stopped) none."""
        partial = self.trials / f".{outcome.name}.partial"
        if partial.exists():
            shutil.rmtree(partial)
        partial.mkdir()
        # results.json last: a folder is complete only with it (see is_complete).
        for name in sorted(outcome.files, key=lambda name: name == RESULTS):
            atomic_write_bytes(partial / name, outcome.files[name])
        final = self.trials / outcome.name
        if final.exists():
            shutil.rmtree(final)  # a failed trial's folder, run again
        os.replace(partial, final)

    def read_summary(self, trial):
        """The ``trial.json`` of a trial's folder (None if it has none)."""
        path = self.trial_folder(trial) / TRIAL
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))
