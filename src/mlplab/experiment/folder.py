"""The run folder: the files a run writes, and the checks that keep one run per folder.

A run folder holds ``config.json`` (settings, data description, preprocessing),
``checkpoint.safetensors``, ``history.csv``/``history.jsonl``, plots, ``model.safetensors`` and
``results.json``. Everything needed to treat new inputs exactly as the training inputs were treated
is in ``config.json``, and a copy of it is saved inside the model file.
"""

import datetime
import json
from pathlib import Path

from mlplab.utils import atomic_write_bytes

CONFIG = "config.json"
CHECKPOINT = "checkpoint.safetensors"
MODEL = "model.safetensors"
RESULTS = "results.json"


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
    if not isinstance(document, dict) or not isinstance(document.get("settings"), dict):
        raise RunFolderError(f"{path} is not an mlplab run config")
    return document


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
        saved = read_run_config(folder)["settings"]
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
