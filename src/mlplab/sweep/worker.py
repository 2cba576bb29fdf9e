"""Running one trial where a backend puts it, and sending its run folder back as bytes.

A worker runs the trial with :func:`mlplab.experiment.run` into a scratch folder of its own and
returns every file of that run folder as bytes; the driver writes them into the sweep's folder.
So workers need no shared disk (Ray), and the numbers are those of a plain ``run()`` with the
trial's settings, whichever backend ran it.
"""

import contextlib
import dataclasses
import json
import tempfile
import time
from pathlib import Path

import threadpoolctl

from mlplab import experiment
from mlplab.experiment.folder import LOCK
from mlplab.utils import without_fsync

TRIAL = "trial.json"
"""The file of a trial folder that says what the trial was (configuration, seed, parameters,
training time) and, for a failed one, its error."""


@dataclasses.dataclass
class TrialOutcome:
    """What a worker sends back: the trial's name, its files (name -> bytes) and its error."""

    name: str
    files: dict
    error: str | None = None
    interrupted: bool = False


def run_trial(trial, blas_threads=None):
    """Run ``trial`` (a :class:`~mlplab.sweep.trials.Trial`); returns its TrialOutcome.

    Parameters
    ----------
    trial : Trial
    blas_threads : int, optional
        Hold BLAS to this many threads while the trial runs (workers sharing a machine use 1,
        so that they do not oversubscribe its cores). None leaves BLAS as it is.

    Any exception of the run is caught and recorded as the outcome's error: one failing trial
    does not stop the sweep.
    """
    started = time.perf_counter()
    summary = {"configuration": trial.configuration, "run": trial.run, "seed": trial.settings.seed}
    # The scratch folder is read back and deleted; the driver writes the durable copy.
    with (
        tempfile.TemporaryDirectory(prefix="mlplab-trial-") as scratch,
        _blas(blas_threads),
        without_fsync(),
    ):
        folder = Path(scratch) / trial.name
        error, interrupted = None, False
        try:
            result = experiment.run(trial.settings, out=folder, progress=False, plots=False)
        except Exception as failure:  # recorded in the trial's folder; the sweep goes on
            error = f"{type(failure).__name__}: {failure}"
        else:
            interrupted = result.stop_reason == "interrupted"
            summary["parameters"] = result.model.parameter_count().total
            summary["train_seconds"] = sum(r["seconds"] for r in result.history.records)
        summary["seconds"] = round(time.perf_counter() - started, 3)
        summary["error"] = error
        files = _read_files(folder)
    files[TRIAL] = (json.dumps(summary, indent=2) + "\n").encode()
    return TrialOutcome(trial.name, files, error, interrupted)


def _blas(threads):
    """A context holding BLAS to ``threads`` threads (none: unchanged)."""
    if threads is None:
        return contextlib.nullcontext()
    return threadpoolctl.threadpool_limits(limits=threads, user_api="blas")


def _read_files(folder):
    """Every file of a run folder (but its lock) as name -> bytes; empty if there is none."""
    if not folder.is_dir():
        return {}
    return {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != LOCK
    }


def failed_outcome(trial, error):
    """The outcome of a trial whose worker failed before it could say anything itself."""
    summary = {"configuration": trial.configuration, "run": trial.run, "seed": trial.settings.seed,
               "error": error}  # fmt: skip
    files = {TRIAL: (json.dumps(summary, indent=2) + "\n").encode()}
    return TrialOutcome(trial.name, files, error)
