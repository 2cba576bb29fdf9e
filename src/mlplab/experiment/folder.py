"""The run folder: the files a run writes, and the checks that keep one run per folder.

A run folder holds ``config.json`` (settings, data description, preprocessing),
``checkpoint.safetensors``, ``history.csv``/``history.jsonl``, plots, ``model.safetensors`` and
``results.json``. Everything needed to treat new inputs exactly as the training inputs were treated
is in ``config.json``, and a copy of it is saved inside the model file.
"""

import contextlib
import datetime
import json
import math
from pathlib import Path

import filelock

from mlplab.experiment.settings import Settings, SettingsError
from mlplab.train.tasks import TASKS
from mlplab.utils import atomic_write_bytes

CONFIG = "config.json"
CHECKPOINT = "checkpoint.safetensors"
MODEL = "model.safetensors"
RESULTS = "results.json"
LOCK = ".lock"


class RunFolderError(ValueError):
    """A run folder that cannot be used as asked: it holds another run, or is not a run."""


class SameRunError(RunFolderError):
    """A new run asked for a folder that already holds the same run: resume it instead."""


def default_folder(dataset, root="runs"):
    """A new folder under ``root``, named by data set, date and time: ``runs/digits-2026...``."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path(root) / f"{dataset}-{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = Path(root) / f"{dataset}-{stamp}-{suffix}"
    return folder


def read_run_config(folder):
    """The ``config.json`` of a run folder; RunFolderError naming the problem if unusable."""
    path = Path(folder) / CONFIG
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFolderError(f"{folder} is not a run folder: it has no {CONFIG}") from None
    except (OSError, ValueError) as error:
        raise RunFolderError(f"cannot read {path}: {error}") from None
    check_run_config(document, path)
    return document


def check_run_config(document, source):
    """Raise RunFolderError naming what is wrong unless ``document`` is a usable run config.

    A run config may have been edited by hand: every part evaluating or predicting reads is
    checked here once -- the settings, the data description, the input and target scaling.
    """

    def refuse(problem):
        raise RunFolderError(f"{source} is not a usable mlplab run config: {problem}")

    if not isinstance(document, dict):
        refuse("it is not a JSON object")
    for key in ("settings", "data", "preprocessing"):
        if not isinstance(document.get(key), dict):
            refuse(f"it has no {key!r} object")
    try:
        Settings.from_dict(document["settings"])
    except SettingsError as error:
        refuse(f"settings: {error}")
    data = document["data"]
    for key in ("num_features", "num_outputs"):
        if not _is_count(data.get(key)):
            refuse(f"data.{key} must be a positive integer, got {data.get(key)!r}")
    if data.get("task") not in TASKS:
        refuse(f"data.task must be one of {', '.join(TASKS)}, got {data.get('task')!r}")
    for key, length in (
        ("class_names", data["num_outputs"]),
        ("target_names", data["num_outputs"]),
    ):
        names = data.get(key)
        if names is not None and (not isinstance(names, list) or len(names) != length):
            refuse(f"data.{key} must be null or a list of {length} names, got {names!r}")
    if not isinstance(data.get("feature_shape"), list):
        refuse(f"data.feature_shape must be a list, got {data.get('feature_shape')!r}")
    _check_scaling(document["preprocessing"].get("inputs"), data["num_features"], "inputs", refuse)
    targets = document["preprocessing"].get("targets")
    if targets is not None or data["task"] == "regression":
        _check_scaling(targets, data["num_outputs"], "targets", refuse)


def _is_count(value):
    """Whether ``value`` is a positive int (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _check_scaling(rule, width, name, refuse):
    """A scaling rule: ``scale`` by a positive factor, or ``standardize`` with ``width`` values."""
    where = f"preprocessing.{name}"
    if not isinstance(rule, dict) or rule.get("kind") not in ("scale", "standardize"):
        refuse(f"{where} must be a 'scale' or 'standardize' rule, got {rule!r}")
    if rule["kind"] == "scale":
        factor = rule.get("factor")
        if not (_is_finite(factor) and factor > 0):
            refuse(f"{where}.factor must be a positive number, got {factor!r}")
        return
    for key in ("mean", "std"):
        values = rule.get(key)
        if not isinstance(values, list) or len(values) != width or not all(map(_is_finite, values)):
            refuse(f"{where}.{key} must be a list of {width} finite numbers")
    if min(rule["std"]) <= 0:
        refuse(f"{where}.std must be positive")


def _is_finite(value):
    """Whether ``value`` is a finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@contextlib.contextmanager
def locked(folder):
    """Hold the run folder's lock while the ``with`` block runs; RunFolderError if it is held.

    The lock is the operating system's (``flock``) on ``folder/.lock``: it ends with the process
    that holds it, so a run killed with ``kill -9`` leaves no stale lock behind.
    """
    lock = filelock.FileLock(Path(folder) / LOCK, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise RunFolderError(
            f"{folder} is in use by another run (it holds {Path(folder) / LOCK}); wait for that "
            "run to end, or choose another output folder"
        ) from None
    try:
        yield
    finally:
        lock.release()


def holds_run(folder):
    """Whether ``folder`` holds (part of) a run: a config or a checkpoint."""
    folder = Path(folder)
    return (folder / CONFIG).exists() or (folder / CHECKPOINT).exists()


def check_new_folder(folder, identity):
    """Refuse a folder that already holds a run (this one, or a different one).

    ``identity`` is the new run's :meth:`Settings.identity`, compared with the saved one's to say
    which it is.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise RunFolderError(f"{folder} is a file, not a folder: choose another output folder")
    if not holds_run(folder):
        return
    try:
        # Read as Settings, so that a setting added since the run was saved takes its default.
        saved = Settings.from_dict(read_run_config(folder)["settings"]).identity()
        existing = {key: saved.get(key) for key in identity}
    except RunFolderError:
        existing = None
    if existing == identity:
        raise SameRunError(
            f"{folder} already holds this run; resume it, or choose another output folder"
        )
    differences = (
        ", ".join(
            f"{key} {existing.get(key)!r} there vs {value!r} here"
            for key, value in identity.items()
            if existing.get(key) != value
        )
        if existing
        else "unreadable config"
    )
    raise RunFolderError(
        f"{folder} already holds a different run ({differences}); choose another output folder"
    )


def create_folder(folder):
    """Create the run folder; RunFolderError if the file system refuses."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunFolderError(f"cannot create run folder {folder}: {error.strerror}") from None


def write_json(path, document):
    """Write ``document`` as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
