"""The training loop: epochs of mini-batches, validation every epoch, callbacks around it.

One step is forward, loss, zero_grad, backward, optimizer step -- nothing more. What happens
around the steps (early stopping, checkpoints, progress, logs) lives in small callback objects
(:mod:`mlplab.train.callbacks`) that the loop calls at fixed points; the state they and the loop
share is a :class:`Run`, which is also exactly what a checkpoint stores.
"""

import contextlib
import math
import signal
import threading
import time
from dataclasses import dataclass, field

import numpy

import mlplab.random
from mlplab.autograd import no_grad
from mlplab.backend import to_numpy, xp
from mlplab.tensor import as_tensor
from mlplab.train.checkpoint import CheckpointError, load_checkpoint
from mlplab.train.tasks import Task, get_task
from mlplab.utils.messages import listed, short_repr, shorten


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or Inf; the message names the epoch and step and what to change."""


@dataclass
class History:
    """What a run produced: one record (dict of metrics) per epoch and the loss of every step."""

    records: list = field(default_factory=list)
    step_losses: list = field(default_factory=list)
    stop_reason: str | None = None

    def metric(self, name):
        """The values of metric ``name`` (e.g. ``"val_accuracy"``), one per epoch."""
        return [record[name] for record in self.records if name in record]

    @property
    def last(self):
        """The last epoch's record (an empty dict before the first epoch ends)."""
        return self.records[-1] if self.records else {}

    def state_dict(self):
        """The history as checkpoint data (step losses as one float64 array)."""
        return {
            "records": [dict(record) for record in self.records],
            "step_losses": numpy.asarray(self.step_losses, dtype=numpy.float64),
            "stop_reason": self.stop_reason,
        }

    def load_state_dict(self, state):
        """Continue from a history returned by :meth:`state_dict`."""
        self.records = [dict(record) for record in state["records"]]
        self.step_losses = [float(value) for value in to_numpy(state["step_losses"])]
        self.stop_reason = state["stop_reason"]


@dataclass
class Run:
    """The state of one training run: what callbacks see, and what a checkpoint saves.

    ``epoch`` counts finished epochs (it is also the index of the epoch in progress), ``step``
    the optimizer steps taken, ``batch`` the batches done in the epoch in progress.
    ``generators`` names every random generator the run draws from (shuffling, dropout); their
    states at the start of the epoch in progress let a run stopped mid-epoch resume exactly.
    """

    model: object
    loss_fn: object
    optimizer: object
    scheduler: object
    task: Task
    epochs: int
    generators: dict
    callbacks: list
    history: History = field(default_factory=History)
    epoch: int = 0
    step: int = 0
    batch: int = 0
    epoch_start_states: dict | None = None
    metrics: object = None
    interrupt_requested: bool = False
    epoch_seconds: float = 0.0
    batches_per_epoch: int | None = None

    def __post_init__(self):
        self.metrics = self.task.metrics()

    @property
    def stop_reason(self):
        """Why training ends before ``epochs``: ``"early-stopping"``, ``"interrupted"`` or None."""
        return self.history.stop_reason

    def stop(self, reason):
        """Ask the loop to end once the epoch in progress is over (callbacks call this)."""
        self.history.stop_reason = reason

    def state_dict(self):
        """Everything needed to continue this run exactly: the contents of a checkpoint."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "batch": self.batch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "generators": {name: gen.get_state() for name, gen in self.generators.items()},
            "epoch_start_states": self.epoch_start_states,
            "metrics": self.metrics.state_dict(),
            "history": self.history.state_dict(),
            "callbacks": {
                _state_key(callback): callback.state_dict()
                for callback in self.callbacks
                if hasattr(callback, "state_dict")
            },
        }

    def load_state_dict(self, state):
        """Continue from :meth:`state_dict` output (a loaded checkpoint).

        Raises
        ------
        CheckpointError
            If the checkpoint was written for another setup -- other parameters, another
            optimizer or schedule, other generators -- listing what differs (nothing is changed
            then), or if a part of it cannot be restored.
        """
        problems = _setup_mismatches(self, state)
        if not problems:
            try:
                # The optimizer checks its whole state (groups, settings, shapes) before it
                # changes anything; the model's names and shapes were checked above.
                self.optimizer.load_state_dict(state["optimizer"])
            except (KeyError, TypeError, ValueError, IndexError) as error:
                problems = [f"optimizer: {error}"]
        if problems:
            raise CheckpointError(
                "The checkpoint was written for another setup than this run's; resume with the "
                "model, optimizer, schedule and generators that wrote it:" + listed(problems)
            )
        try:
            self.model.load_state_dict(state["model"])
            if self.scheduler is not None:
                self.scheduler.load_state_dict(state["scheduler"])
            for name, generator in self.generators.items():
                generator.set_state(state["generators"][name])
            self.epoch, self.step, self.batch = state["epoch"], state["step"], state["batch"]
            self.epoch_start_states = state["epoch_start_states"]
            self.metrics.load_state_dict(state["metrics"])
            self.history.load_state_dict(state["history"])
            for callback in self.callbacks:
                key = _state_key(callback)
                if hasattr(callback, "load_state_dict") and key in state["callbacks"]:
                    callback.load_state_dict(state["callbacks"][key])
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as error:
            detail = f"no entry {error}" if isinstance(error, KeyError) else error
            raise CheckpointError(
                f"The checkpoint cannot be restored ({shorten(detail)})"
            ) from None
        if self.history.stop_reason == "interrupted":
            self.history.stop_reason = None  # resuming is what the interruption awaited


def _setup_mismatches(run, state):
    """What in the checkpoint ``state`` does not fit the setup of ``run``, as short lines."""
    own = run.state_dict()
    if not isinstance(state, dict) or set(state) != set(own):
        entries = sorted(map(str, state)) if isinstance(state, dict) else type(state).__name__
        return [f"the run state holds {short_repr(entries)}, not {sorted(own)}"]
    problems = [
        f"{key} is {short_repr(state[key])}, not a count"
        for key in ("epoch", "step", "batch")
        if isinstance(state[key], bool) or not isinstance(state[key], int) or state[key] < 0
    ]
    generators = state["generators"]
    if not isinstance(generators, dict) or set(generators) != set(run.generators):
        names = sorted(map(str, generators)) if isinstance(generators, dict) else generators
        problems.append(
            f"generators: the checkpoint holds {short_repr(names)}, this run draws from "
            f"{sorted(run.generators)}"
        )
    saved, current = state["scheduler"], own["scheduler"]
    if saved is None and current is not None:
        problems.append(
            f"scheduler: the checkpoint has none, this run has a {type(run.scheduler).__name__}"
        )
    elif saved is not None and current is None:
        problems.append("scheduler: the checkpoint has a learning-rate schedule, this run has none")
    elif current is not None and (not isinstance(saved, dict) or set(saved) != set(current)):
        keys = set(map(str, saved)) if isinstance(saved, dict) else set()
        problems.append(
            f"scheduler: the checkpoint's is another kind than this run's "
            f"{type(run.scheduler).__name__} (only it has {sorted(keys - set(current))}, "
            f"it lacks {sorted(set(current) - keys)})"
        )
    saved = state["model"]
    shapes = {name: tuple(p.shape) for name, p in run.model.named_parameters()}
    if not isinstance(saved, dict):
        problems.append(f"model: {short_repr(saved)} is not a dict of parameters")
        saved = {}
    problems += [f"model: {name!r} is missing" for name in shapes if name not in saved]
    problems += [f"model: unexpected {short_repr(name)}" for name in saved if name not in shapes]
    problems += [
        f"model: {name!r} has shape {getattr(saved[name], 'shape', None)} in the checkpoint, "
        f"{shape} in this run"
        for name, shape in shapes.items()
        if name in saved and getattr(saved[name], "shape", None) != shape
    ]
    return problems


def _state_key(callback):
    """The name a callback's state is stored under in a checkpoint."""
    return getattr(callback, "state_key", type(callback).__name__)


def _notify(run, event, *args):
    """Call ``event`` on every callback that defines it, in order."""
    for callback in run.callbacks:
        method = getattr(callback, event, None)
        if method is not None:
            method(run, *args)


def fit(
    model,
    loss_fn,
    optimizer,
    train_loader,
    val_loader=None,
    *,
    epochs,
    scheduler=None,
    scheduler_interval="epoch",
    task="classification",
    callbacks=(),
    generators=None,
    resume_from=None,
):
    """Train ``model`` for ``epochs`` passes over ``train_loader``; returns the :class:`History`.

    Parameters
    ----------
    model : mlplab.nn.Module
        Maps a batch of inputs (N, ...) to outputs (N, C) (class scores) or (N, T) (targets).
    loss_fn : callable
        ``loss_fn(outputs, targets)`` -> scalar Tensor, e.g. ``nn.CrossEntropyLoss()``.
    optimizer : mlplab.optim.Optimizer
        Updates the model's parameters.
    train_loader, val_loader : iterable of (inputs, targets) Tensor batches
        Training batches (``len()`` gives batches per epoch); validation batches, measured after
        every epoch (optional).
    epochs : int
        Total number of epochs (a resumed run counts the epochs already done).
    scheduler : learning-rate scheduler, optional
        Stepped after every epoch, or after every step with ``scheduler_interval="step"``. One
        with a ``monitor`` (``ReduceLROnPlateau``) is stepped after every epoch with that entry of
        the epoch's record, e.g. ``step(record["val_loss"])``; a ``val_`` monitor needs
        ``val_loader``.
    task : str or mlplab.train.tasks.Task
        ``"classification"`` (reports accuracy) or ``"regression"`` (MSE, MAE, R²), or a task
        object, e.g. a fitted ``Regression`` that reports its metrics in the targets' units.
    callbacks : sequence of objects
        Each may define ``on_train_begin(run)``, ``on_epoch_begin(run)``,
        ``on_batch_end(run, loss)``, ``on_epoch_end(run, record)``, ``on_interrupt(run)``,
        ``on_train_end(run)``, and ``state_dict()``/``load_state_dict()`` for checkpoints.
        They run in the given order, so a checkpoint callback goes last.
    generators : dict of str to mlplab.Generator, optional
        Every generator the run draws from (default: the loader's and the default generator).
        Checkpoints save their states, which makes resuming exact.
    resume_from : str, os.PathLike or dict, optional
        A checkpoint to continue from (see :class:`mlplab.train.callbacks.Checkpoint`), or the
        state :func:`mlplab.train.load_checkpoint` read from one.

    Returns
    -------
    History
        ``records``: per epoch ``epoch``, ``step``, ``lr``, ``train_loss``, ``val_loss``, the
        task's metrics with the same prefixes (``train_accuracy``, ``val_accuracy``, or
        ``train_mse``, ``val_mae``, ``val_r2``, ...), ``seconds``; ``step_losses``: the loss of
        every step; ``stop_reason``.

    Raises
    ------
    NonFiniteLossError
        When a loss is NaN or Inf; the update that would have used it is not applied.
    """
    task = get_task(task)
    _check_fit_arguments(epochs, scheduler_interval, scheduler, val_loader)
    run = Run(
        model,
        loss_fn,
        optimizer,
        scheduler,
        task,
        epochs,
        generators if generators is not None else _default_generators(train_loader),
        list(callbacks),
        batches_per_epoch=len(train_loader) if hasattr(train_loader, "__len__") else None,
    )
    if resume_from is not None:
        state = resume_from if isinstance(resume_from, dict) else load_checkpoint(resume_from)
        run.load_state_dict(state)
    _notify(run, "on_train_begin")
    with _deferred_interrupt(run):
        while run.epoch < epochs and run.stop_reason is None:
            if _train_epoch(run, train_loader, scheduler_interval):
                _end_epoch(run, val_loader, scheduler_interval)
    _notify(run, "on_train_end")
    return run.history


def _check_fit_arguments(epochs, scheduler_interval, scheduler, val_loader):
    """Reject bad settings before any work."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"Invalid number of epochs: {epochs!r}; use a non-negative integer")
    if scheduler_interval not in ("epoch", "step"):
        raise ValueError(f"Invalid scheduler_interval {scheduler_interval!r}: 'epoch' or 'step'")
    monitor = getattr(scheduler, "monitor", None)
    if monitor is not None and scheduler_interval != "epoch":
        raise ValueError(
            f"The scheduler watches {monitor!r}, which is measured once per epoch: use "
            f"scheduler_interval='epoch', not {scheduler_interval!r}"
        )
    if monitor is not None and monitor.startswith("val_") and val_loader is None:
        raise ValueError(
            f"The scheduler watches {monitor!r}, but fit was given no val_loader: pass a "
            'validation loader, or build the scheduler with monitor="train_loss"'
        )


def _default_generators(loader):
    """The default generator, plus the loader's own one when it has another."""
    generators = {"default": mlplab.random.default_generator}
    own = getattr(loader, "generator", None)
    if own is not None and own is not mlplab.random.default_generator:
        generators["loader"] = own
    return generators


@contextlib.contextmanager
def _deferred_interrupt(run):
    """Turn the first Ctrl-C into a request to stop after the current step; a second one aborts.

    Stopping between steps (never inside an optimizer update) is what lets the checkpoint taken
    on the way out be resumed exactly.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def request_stop(signum, frame):
        run.interrupt_requested = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, request_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _epoch_batches(run, loader):
    """An iterator over the epoch's batches, positioned after the ``run.batch`` already done.

    A fresh epoch notes every generator's state before the loader draws its permutation. A run
    resumed mid-epoch rewinds the generators to those states, lets the loader draw the same
    permutation, skips the batches done, then puts the generators where the checkpoint left them.
    """
    if run.batch == 0:
        run.epoch_start_states = {name: g.get_state() for name, g in run.generators.items()}
        return iter(loader)
    current = {name: g.get_state() for name, g in run.generators.items()}
    for name, generator in run.generators.items():
        generator.set_state(run.epoch_start_states[name])
    batches = iter(loader)
    for _ in range(run.batch):
        next(batches)
    for name, generator in run.generators.items():
        generator.set_state(current[name])
    return batches


def _train_epoch(run, loader, scheduler_interval):
    """Train on the epoch's remaining batches; False when Ctrl-C ended the epoch early."""
    started = time.perf_counter()
    if run.batch == 0:
        _notify(run, "on_epoch_begin")
    batches = _epoch_batches(run, loader)
    run.model.train()
    for inputs, targets in batches:
        loss = _train_step(run, inputs, targets)
        if scheduler_interval == "step" and run.scheduler is not None:
            run.scheduler.step()
        _notify(run, "on_batch_end", loss)
        if run.interrupt_requested:
            run.stop("interrupted")
            _notify(run, "on_interrupt")
            return False
    run.epoch_seconds = time.perf_counter() - started
    return True


def _train_step(run, inputs, targets):
    """One update: forward, loss, zero_grad, backward, step; returns the loss as a float."""
    outputs = run.model(inputs)
    loss = run.loss_fn(outputs, targets)
    value = loss.item()
    if not math.isfinite(value):
        raise NonFiniteLossError(
            f"The training loss became {value} at epoch {run.epoch + 1}, step {run.step + 1} "
            f"(batch {run.batch + 1} of the epoch); training stopped before that update. "
            "Lower the learning rate, scale or standardise the inputs (and regression targets), "
            "or clip gradients."
        )
    run.optimizer.zero_grad()
    loss.backward()
    run.optimizer.step()
    run.step += 1
    run.batch += 1
    run.metrics.update(value, outputs._data, targets._data)
    run.history.step_losses.append(value)
    return value


def _end_epoch(run, val_loader, scheduler_interval):
    """Validate, record the epoch, step an epoch schedule, and tell the callbacks."""
    record = {"epoch": run.epoch + 1, "step": run.step, "lr": _learning_rate(run.optimizer)}
    record.update({f"train_{name}": value for name, value in run.metrics.compute().items()})
    if val_loader is not None:
        results = evaluate(run.model, run.loss_fn, val_loader, task=run.task)
        if not math.isfinite(results["loss"]):
            raise NonFiniteLossError(
                f"The validation loss became {results['loss']} after epoch {run.epoch + 1} "
                f"(step {run.step}): the weights diverged. Lower the learning rate or scale the "
                "inputs."
            )
        record.update({f"val_{name}": value for name, value in results.items()})
    record["seconds"] = round(run.epoch_seconds, 3)
    if scheduler_interval == "epoch" and run.scheduler is not None:
        _step_epoch_scheduler(run.scheduler, record)
    run.history.records.append(record)
    run.epoch += 1
    run.batch = 0
    run.epoch_start_states = None
    run.metrics.reset()
    _notify(run, "on_epoch_end", record)


def _learning_rate(optimizer):
    """The learning rate of the optimizer's first parameter group."""
    return float(optimizer.param_groups[0]["lr"])


def _step_epoch_scheduler(scheduler, record):
    """Advance a per-epoch schedule; one with a ``monitor`` is given that entry of the record."""
    monitor = getattr(scheduler, "monitor", None)
    if monitor is None:
        scheduler.step()
    elif monitor in record:
        scheduler.step(record[monitor])
    else:
        raise ValueError(
            f"The scheduler watches {monitor!r}, which the epoch records do not hold: they hold "
            f"{', '.join(record)}; build the scheduler with monitor= one of these"
        )


def evaluate(model, loss_fn, loader, task="classification"):
    """The loss and task metrics of ``model`` over every batch of ``loader``, in eval mode.

    Parameters
    ----------
    model, loss_fn
        As for :func:`fit`.
    loader : iterable of (inputs, targets) Tensor batches
    task : str or mlplab.train.tasks.Task
        As for :func:`fit`.

    Returns
    -------
    dict
        ``loss`` and the task's metrics: ``accuracy``, or ``mse``, ``mae`` and ``r2``.
    """
    totals = get_task(task).metrics()
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for inputs, targets in loader:
                outputs = model(inputs)
                totals.update(loss_fn(outputs, targets).item(), outputs._data, targets._data)
    finally:
        model.train(was_training)
    return totals.compute()


def predict(model, inputs, batch_size=1000):
    """The model's outputs for ``inputs``, computed in eval mode in batches.

    Parameters
    ----------
    model : mlplab.nn.Module
    inputs : array or Tensor, shape (N, ...)
    batch_size : int
        Rows per forward pass (bounds memory).

    Returns
    -------
    ndarray, shape (N, C) or (N, T)
    """
    data = as_tensor(inputs)._data
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            parts = [
                model(as_tensor(data[start : start + batch_size]))._data
                for start in range(0, len(data), batch_size)
            ]
    finally:
        model.train(was_training)
    return to_numpy(xp.concatenate(parts)) if parts else numpy.zeros((0,))
