"""``run(base_settings, grid=..., seeds=..., backend=...) -> SweepResult``: a whole sweep.

Everything is checked before anything is written or trained: the axes, every trial's settings
(and layers against the data set), the backend and its options. Then the sweep folder is
prepared, the trials already complete there are skipped, the others run on the backend, and
each one's run folder is written by this process as it finishes. The summary and plots come
last.
"""

import os
import tempfile

import mlplab
from mlplab.experiment.folder import locked
from mlplab.experiment.runner import as_settings
from mlplab.sweep.folder import SweepFolder
from mlplab.sweep.grid import Range, SweepError, check_axes, expand, sample
from mlplab.sweep.local import LocalBackend
from mlplab.sweep.progress import SweepProgress
from mlplab.sweep.ray import RayBackend
from mlplab.sweep.result import SweepResult, load_plotting
from mlplab.sweep.trials import make_trials
from mlplab.train.metrics import is_lower_better

BACKENDS = {"local": LocalBackend, "ray": RayBackend}
"""Where trials run: worker processes on this machine, or Ray tasks (a local Ray or a cluster)."""


def run(base_settings, grid=None, seeds=1, *, samples=None, backend="local", workers=None,
        address=None, out=None, progress=True):  # fmt: skip
    """Train every trial of a sweep and summarise them; returns a :class:`SweepResult`.

    Parameters
    ----------
    base_settings : Settings or dict
        What every trial shares; its ``seed`` is the sweep's seed, from which each trial's seed
        is derived (with its configuration and repetition).
    grid : dict, optional
        Axis -> list of values (or, with ``samples``, a range ``"LOW..HIGH"`` / Range). An axis is
        any Settings field or ``hidden`` / ``depth`` (see :mod:`mlplab.sweep.grid`). None: the
        base settings alone.
    seeds : int
        Trials per configuration, each with its own seed.
    samples : int, optional
        Random search: this many configurations drawn from the axes instead of the full grid.
    backend : {"local", "ray"}
        Worker processes on this machine, or Ray tasks.
    workers : int, optional
        Worker processes (local; default one per core) or CPUs of the local Ray instance.
    address : str, optional
        ``HOST:PORT`` of a Ray cluster to join (ray backend).
    out : str or os.PathLike, optional
        The sweep folder: one run folder per trial under ``trials/``, the summary and plots. An
        interrupted sweep run again with the same folder skips its complete trials. Without
        it the trials go to a temporary folder, removed at the end.
    progress : bool
        Show a progress bar of the trials.

    Raises
    ------
    SweepError, SettingsError, RunFolderError
        Before anything is written or trained.
    KeyboardInterrupt
        On Ctrl-C, once the running trials have stopped; the complete ones stay.
    """
    base = as_settings(base_settings)
    if base.data_dir is not None:  # trials run in other working folders (Ray's workers)
        base = base.replace(data_dir=os.path.abspath(base.data_dir))
    axes = check_axes(grid or {})
    configurations = sample(axes, samples, base.seed) if samples is not None else expand(axes)
    trials = make_trials(base, configurations, seeds)
    if backend not in BACKENDS:
        raise SweepError("backend", f"unknown backend {backend!r}; choose one of "
                         f"{', '.join(BACKENDS)}")  # fmt: skip
    BACKENDS[backend].check(workers, address)
    definition = _definition(base, axes, seeds, samples, trials)
    if out is not None:
        return _sweep(
            SweepFolder(out), definition, trials, axes, backend, workers, address, progress
        )
    with tempfile.TemporaryDirectory(prefix="mlplab-sweep-") as scratch:
        result = _sweep(SweepFolder(scratch), definition, trials, axes, backend, workers, address,
                        progress, keep=False)  # fmt: skip
    return result


def _sweep(folder, definition, trials, axes, backend, workers, address, progress, keep=True):
    """Run the trials not yet complete in ``folder`` and summarise all of them."""
    # The backend first: a cluster that cannot be joined is refused before anything is written.
    with BACKENDS[backend](workers, address) as pool:
        folder.create()
        with locked(folder.path):
            folder.prepare(definition)
            _run_trials(pool, folder, trials, axes, progress, summarise=keep)
            result = SweepResult.read(trials, axes, folder, keep_folders=keep)
            if keep:
                result.save(folder.path)
    return result


def _run_trials(pool, folder, trials, axes, progress, summarise):
    """Run on ``pool`` the trials not yet complete in ``folder``, writing each as it ends.

    With ``summarise``, the plotting library is loaded as soon as a slot has no trial left to
    take: a core is idle from then on, and the summary that follows needs it.
    """
    todo = [trial for trial in trials if not folder.is_complete(trial)]
    metric = trials[0].settings.task_object.metric_names[0]
    bar = SweepProgress(len(trials), len(trials) - len(todo), pool.slots, metric,
                        is_lower_better(metric), enabled=progress)  # fmt: skip
    try:
        for outcome in pool.map(todo):
            if outcome.interrupted:  # Ctrl-C reached the trial: it is not complete
                raise KeyboardInterrupt
            folder.write(outcome)
            row = SweepResult.read([_named(trials, outcome.name)], axes, folder).trials[0]
            test = {key[5:]: value for key, value in row.items() if key.startswith("test_")}
            bar.finished(test, failed=row["status"] == "failed")
            if summarise and bar.running < pool.slots:
                load_plotting()
    finally:
        bar.close()


def _named(trials, name):
    """The trial called ``name``."""
    return next(trial for trial in trials if trial.name == name)


def _definition(base, axes, seeds, samples, trials):
    """What ``sweep.json`` records: the shared settings, axes, seeds and every trial's name."""
    return {
        "mlplab_version": mlplab.__version__,
        "settings": base.to_dict(),
        "axes": {name: str(v) if isinstance(v, Range) else v for name, v in axes.items()},
        "seeds": seeds,
        "samples": samples,
        "trials": [trial.name for trial in trials],
    }
