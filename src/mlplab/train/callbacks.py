"""Callbacks of the training loop: early stopping, checkpoints, progress bar, history files.

Each is a small object with some of the hooks :func:`mlplab.train.fit` calls --
``on_train_begin(run)``, ``on_epoch_begin(run)``, ``on_batch_end(run, loss)``,
``on_epoch_end(run, record)``, ``on_interrupt(run)``, ``on_train_end(run)`` -- and, when it keeps
state a resumed run needs, ``state_dict()`` / ``load_state_dict()``.
"""

import csv
import io
import json
import math
import sys
from pathlib import Path

from tqdm.auto import tqdm

from mlplab.backend import to_numpy
from mlplab.tensor import Tensor
from mlplab.train.checkpoint import save_checkpoint
from mlplab.utils import atomic_write_bytes

_MAXIMISED = ("accuracy", "r2")


def _copy_weights(state):
    """A detached copy of a model's ``state_dict`` (its arrays change in place while training)."""
    return {
        name: to_numpy(value._data if isinstance(value, Tensor) else value).copy()
        for name, value in state.items()
    }


class EarlyStopping:
    """Stop when a metric has not improved for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        A key of the epoch records, e.g. ``"val_loss"``, ``"val_accuracy"``, ``"train_loss"``.
    patience : int
        Epochs without improvement before stopping.
    min_delta : float
        The least change that counts as an improvement.
    mode : {"auto", "min", "max"}
        Whether smaller or larger is better; ``"auto"`` maximises accuracy and R², minimises the
        rest.
    restore_best_weights : bool
        At the end of training, put back the weights of the best epoch.
    """

    def __init__(
        self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto", restore_best_weights=False
    ):
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"Invalid patience: {patience!r}; use a positive integer")
        if not min_delta >= 0:
            raise ValueError(f"Invalid min_delta: {min_delta!r}; use a non-negative number")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"Invalid mode {mode!r}: use 'auto', 'min' or 'max'")
        if mode == "auto":
            mode = "max" if monitor.endswith(_MAXIMISED) else "min"
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.mode = mode
        self.restore_best_weights = restore_best_weights
        self.best = None
        self.best_epoch = None
        self.wait = 0
        self.best_weights = None

    def _improved(self, value):
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, run, record):
        """Update the best value and the count of epochs without improvement."""
        if self.monitor not in record:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r}, which the epoch records lack; "
                f"choose one of {', '.join(key for key in record if key != 'epoch')}"
            )
        value = float(record[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, record["epoch"], 0
            if self.restore_best_weights:
                self.best_weights = _copy_weights(run.model.state_dict())
            return
        self.wait += 1
        if self.wait >= self.patience:
            run.stop("early-stopping")

    def on_train_end(self, run):
        """Restore the best epoch's weights, if asked to."""
        if self.restore_best_weights and self.best_weights is not None:
            run.model.load_state_dict(self.best_weights)

    def state_dict(self):
        """The counters and best weights, for checkpoints."""
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "best_weights": self.best_weights,
        }

    def load_state_dict(self, state):
        """Continue from :meth:`state_dict` output."""
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.wait = state["wait"]
        self.best_weights = state["best_weights"]


class Checkpoint:
    """Save the whole run to ``path`` after every epoch and when Ctrl-C stops it.

    The file (see :mod:`mlplab.train.checkpoint`) is replaced atomically, and never by one holding
    NaN or Inf, so it always holds the last good state. Place this callback last: it saves what
    the callbacks before it recorded for the epoch.
    """

    def __init__(self, path):
        self.path = Path(path)

    def on_train_begin(self, run):
        """Create the checkpoint's folder if needed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, run, record):
        """Save the run as it stands at the end of the epoch."""
        save_checkpoint(self.path, run.state_dict())

    def on_interrupt(self, run):
        """Save the run in the middle of its epoch, between two steps."""
        save_checkpoint(self.path, run.state_dict())


def _format_metrics(record, prefix):
    """``loss 0.1234  accuracy 0.9612`` for the record's keys starting with ``prefix``."""
    parts = []
    for key, value in record.items():
        if key.startswith(prefix):
            parts.append(f"{key[len(prefix) :]} {value:.4f}")
    return "  ".join(parts)


class ProgressBar:
    """A progress bar per epoch with live loss, accuracy and ETA, and a summary line per epoch.

    Parameters
    ----------
    file : file object
        Where the summary lines go (default standard output); the bar goes to standard error.
    refresh_every : int
        Steps between updates of the live figures (the bar itself moves every step).
    """

    def __init__(self, file=None, refresh_every=10):
        self.file = file
        self.refresh_every = refresh_every
        self.bar = None

    def on_epoch_begin(self, run):
        """Open the bar of the new epoch."""
        self._open(run, initial=0)

    def on_train_begin(self, run):
        """Open a bar when a resumed run starts in the middle of an epoch."""
        if run.batch:
            self._open(run, initial=run.batch)

    def _open(self, run, initial):
        self.close()
        self.bar = tqdm(
            total=run.batches_per_epoch,
            initial=initial,
            desc=f"epoch {run.epoch + 1}/{run.epochs}",
            leave=False,
            unit="batch",
            dynamic_ncols=True,
            file=sys.stderr,
            disable=None,  # no bar when standard error is not a terminal (logs, CI)
        )

    def on_batch_end(self, run, loss):
        """Advance the bar; refresh the running loss and accuracy now and then."""
        if self.bar is None:
            return
        self.bar.update(1)
        if run.batch % self.refresh_every == 0:
            figures = run.metrics.compute()
            self.bar.set_postfix(
                {name: f"{value:.4f}" for name, value in figures.items()}, refresh=False
            )

    def on_epoch_end(self, run, record):
        """Close the bar and print the epoch's summary line."""
        self.close()
        line = f"epoch {record['epoch']}/{run.epochs}  train {_format_metrics(record, 'train_')}"
        if any(key.startswith("val_") for key in record):
            line += f"  | val {_format_metrics(record, 'val_')}"
        line += f"  | lr {record['lr']:.3g}  {record['seconds']:.1f}s"
        print(line, file=self.file or sys.stdout, flush=True)

    def close(self):
        """Close the open bar, if any."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_interrupt(self, run):
        """Close the bar so the interruption message prints cleanly."""
        self.close()

    def on_train_end(self, run):
        """Close the bar, if still open."""
        self.close()


class HistoryLogger:
    """Write the epoch records as ``history.csv`` and ``history.jsonl`` after every epoch.

    Both files are rewritten whole and atomically from the run's history, so after a resumed run
    they hold exactly the epochs of the run, never duplicates.
    """

    def __init__(self, folder):
        self.folder = Path(folder)

    def on_train_begin(self, run):
        """Create the folder if needed."""
        self.folder.mkdir(parents=True, exist_ok=True)

    def on_epoch_end(self, run, record):
        """Rewrite both files with every epoch so far."""
        write_history(run.history.records, self.folder)


def write_history(records, folder):
    """Write ``records`` (list of dicts) to ``folder``/history.csv and history.jsonl atomically."""
    folder = Path(folder)
    columns = list(dict.fromkeys(key for record in records for key in record))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    atomic_write_bytes(folder / "history.csv", text.getvalue().encode())
    lines = "".join(json.dumps(_json_ready(record)) + "\n" for record in records)
    atomic_write_bytes(folder / "history.jsonl", lines.encode())


def _json_ready(record):
    """A record with non-finite floats as strings (JSON has no NaN)."""
    return {
        key: (str(value) if isinstance(value, float) and not math.isfinite(value) else value)
        for key, value in record.items()
    }


def read_history(folder):
    """The epoch records stored in ``folder``/history.jsonl (a list of dicts)."""
    path = Path(folder) / "history.jsonl"
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
