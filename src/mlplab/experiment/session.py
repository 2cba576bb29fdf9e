"""Session: a training run taken one step at a time, with what a live view of it needs.

``run()`` trains a whole run in one call; a session is the same run (built by the same
:func:`~mlplab.experiment.runner.build_parts` from the same :class:`Settings`) that a caller steps
through -- the playground's play, pause and single-step buttons. Between steps it measures what a
learner watches: the decision boundary (or regression curve) over a grid of inputs, every hidden
neuron's response, the train and test figures, each layer's gradient norm and its dead units. A
finished or stopped session can be saved as a normal run folder.

The data must be a low-dimensional generated set (one whose loader takes ``features``), so that
its raw points can be drawn; the test split is the data set's own, and ``val_split`` must be 0.
"""

import math
import time
from pathlib import Path

import numpy

import mlplab
from mlplab import nn
from mlplab.autograd import no_grad
from mlplab.data import available_datasets, dataset_options, load_dataset
from mlplab.data.features import map_features
from mlplab.experiment import folder as run_folder
from mlplab.experiment.data import scale_inputs
from mlplab.experiment.folder import CONFIG
from mlplab.experiment.runner import (
    as_settings,
    build_parts,
    measure_test,
    run_document,
    write_results,
)
from mlplab.experiment.settings import SettingsError
from mlplab.tensor import from_numpy
from mlplab.train.callbacks import write_history
from mlplab.train.loop import History, NonFiniteLossError
from mlplab.train.metrics import confusion_matrix

GRID = 100  # the boundary image is GRID x GRID (a curve: GRID * GRID points along x1)
NEURON_GRID = 24  # each neuron's map is NEURON_GRID x NEURON_GRID
PADDING = 0.1  # the drawn area reaches this share of the data's range beyond its points


def _quiet():
    """NumPy's floating-point warnings silenced.

    Overflow on the way to an infinite loss is reported once, in words (divergence_message),
    and the figures of a diverged network are simply not finite: the warnings would add nothing.
    """
    return numpy.errstate(over="ignore", invalid="ignore", divide="ignore")


class Session:
    """One training run stepped by its caller; see the module docstring.

    Parameters
    ----------
    settings : Settings or dict
        The run; ``dataset`` must take ``features`` (a generated set of 1 or 2 coordinates) and
        ``val_split`` must be 0. ``epochs`` is where the session stops by itself.

    Raises
    ------
    SettingsError
        Before anything is built, naming the setting at fault.
    """

    def __init__(self, settings):
        settings = as_settings(settings).resolved()
        _check_session_settings(settings)
        self.settings = settings
        self.parts = build_parts(settings)
        self.history = History()
        self.step_count = 0
        self.epoch = 0
        self.batch = 0
        self.error = None
        self._batches = iter(self.parts.train_loader)
        self._batches_per_epoch = len(self.parts.train_loader)
        self._epoch_started = time.perf_counter()
        self._view = _View(settings, self.parts.data.preprocessing)

    # ------------------------------------------------------------------ training
    @property
    def finished(self):
        """Whether the session has trained all its epochs (or diverged)."""
        return self.error is not None or self.epoch >= self.settings.epochs

    @property
    def model(self):
        """The network being trained."""
        return self.parts.model

    @property
    def task(self):
        """The run's (fitted) task."""
        return self.parts.data.task

    def step(self, count=1):
        """Take up to ``count`` optimizer steps (fewer once the epochs are done); returns how many.

        Raises
        ------
        NonFiniteLossError
            When a loss is NaN or Inf: the message says at which step and what to change; the
            update is not applied and the session takes no further steps.
        """
        return self._steps(count, math.inf)

    def train_for(self, seconds, max_steps=1_000_000):
        """Take steps for about ``seconds`` of wall-clock time; returns how many were taken.

        Raises NonFiniteLossError as :meth:`step` does.
        """
        return self._steps(max_steps, time.perf_counter() + seconds)

    def _steps(self, count, deadline):
        """Up to ``count`` steps, until ``deadline`` (a perf_counter time) or the end."""
        if self.error is not None:
            raise NonFiniteLossError(self.error)
        taken = 0
        with _quiet():
            while taken < count and not self.finished and time.perf_counter() < deadline:
                self._one_step()
                taken += 1
        return taken

    def _one_step(self):
        """Forward, loss, zero_grad, backward, step on the next batch; the last ends the epoch."""
        parts = self.parts
        inputs, targets = next(self._batches)
        parts.model.train()
        loss = parts.loss_fn(parts.model(inputs), targets)
        value = loss.item()
        if not math.isfinite(value):
            self.error = divergence_message(self.settings, value, self.step_count + 1, self.epoch)
            raise NonFiniteLossError(self.error)
        parts.optimizer.zero_grad()
        loss.backward()
        parts.optimizer.step()
        if parts.interval == "step" and parts.scheduler is not None:
            parts.scheduler.step()
        self.step_count += 1
        self.batch += 1
        self.history.step_losses.append(value)
        if self.batch == self._batches_per_epoch:
            self._end_epoch()

    def _end_epoch(self):
        """Record the finished epoch, step an epoch schedule, start the next epoch's shuffle.

        The record's train figures are of the whole training set with the epoch's final weights
        (``fit`` averages over the epoch's batches instead).
        """
        data = self.parts.data
        record = {"epoch": self.epoch + 1, "step": self.step_count, "lr": self.learning_rate}
        figures = self._measure(data.x_train, data.y_train)
        record.update({f"train_{name}": value for name, value in figures.items()})
        record["seconds"] = round(time.perf_counter() - self._epoch_started, 3)
        scheduler = self.parts.scheduler
        if self.parts.interval == "epoch" and scheduler is not None:
            monitor = getattr(scheduler, "monitor", None)
            if monitor is None:
                scheduler.step()
            else:
                scheduler.step(record[monitor])
        self.history.records.append(record)
        self.epoch += 1
        self.batch = 0
        self._epoch_started = time.perf_counter()
        if not self.finished:
            self._batches = iter(self.parts.train_loader)

    @property
    def learning_rate(self):
        """The learning rate of the next step."""
        return float(self.parts.optimizer.param_groups[0]["lr"])

    # ------------------------------------------------------------------ measuring
    def figures(self):
        """Loss and the task's metrics on the whole training and test sets, in eval mode.

        Returns
        -------
        dict
            ``{"train": {"loss": ..., "accuracy": ...}, "test": {...}}`` (regression: ``mse``,
            ``mae``, ``r2`` in the targets' units).
        """
        data = self.parts.data
        return {
            "train": self._measure(data.x_train, data.y_train),
            "test": self._measure(data.x_test, data.y_test),
        }

    def _measure(self, x, y):
        """The loss and metrics of the model on all of ``x``, ``y`` at once."""
        totals = self.task.metrics()
        outputs, targets = self._forward(x), from_numpy(y)
        with no_grad(), _quiet():
            loss = self.parts.loss_fn(outputs, targets).item()
        totals.update(loss, outputs.data, targets.data)
        return {name: _plain(value) for name, value in totals.compute().items()}

    def _forward(self, x):
        """The model's outputs for ``x`` (an array), in eval mode, recording nothing."""
        model = self.parts.model
        model.eval()
        with no_grad(), _quiet():
            return model(from_numpy(x))

    def confusion_matrix(self):
        """Test counts of (true class, predicted class), as lists; None for regression."""
        if self.task.targets != "classes":
            return None
        data = self.parts.data
        predicted = self.task.decode(self._forward(data.x_test).numpy())
        return confusion_matrix(data.y_test, predicted, self.settings.layers[-1]).tolist()

    def boundary(self):
        """The model over the drawn area.

        Returns
        -------
        dict
            Classification: ``classes`` uint8 (GRID, GRID), the predicted class, and
            ``confidence`` float32 (GRID, GRID), its probability; row 0 is the top (largest x2).
            Regression on 2-D inputs: ``values`` float32 (GRID, GRID) in the target's units;
            on 1-D inputs: ``values`` float32 (GRID * GRID,) along x1.
        """
        outputs = numpy.asarray(self._forward(self._view.grid).numpy())
        shape = self._view.shape
        if self.task.targets == "classes":
            # Classes by rows (C, N): reductions along the long axis are several times faster
            # than along a short one, and this runs once per frame drawn.
            scores = numpy.ascontiguousarray(outputs.T)
            best = scores.max(axis=0)
            confidence = 1.0 / numpy.exp(scores - best).sum(axis=0)  # the top class's softmax
            return {
                "classes": scores.argmax(axis=0).astype(numpy.uint8).reshape(shape),
                "confidence": confidence.astype(numpy.float32).reshape(shape),
            }
        values = self.task.decode(outputs)[:, 0]
        return {"values": values.astype(numpy.float32).reshape(shape)}

    def hidden_outputs(self, x):
        """Each hidden layer's outputs (after its activation) for inputs ``x``, as arrays."""
        model = self.parts.model
        model.eval()
        outputs, current, pending = [], from_numpy(x), False
        with no_grad(), _quiet():
            for module in model:
                if isinstance(module, nn.Linear) and pending:
                    outputs.append(current.numpy())
                if not isinstance(module, nn.Dropout):
                    current = module(current)
                pending = pending or isinstance(module, nn.Linear)
        return outputs

    def neuron_maps(self):
        """Every hidden neuron's output over a coarse grid of the drawn area.

        Returns
        -------
        list of ndarray
            One float32 array per hidden layer, (units, NEURON_GRID, NEURON_GRID) for 2-D
            inputs or (units, NEURON_GRID * NEURON_GRID) along x1 for 1-D ones.
        """
        shape = self._view.neuron_shape
        return [
            layer.T.astype(numpy.float32).reshape(-1, *shape)
            for layer in self.hidden_outputs(self._view.neuron_grid)
        ]

    def gradient_norms(self):
        """The L2 norm of each Linear layer's weight and bias gradients of the last step."""
        norms = []
        for layer in (m for m in self.parts.model if isinstance(m, nn.Linear)):
            squares = [
                float((numpy.asarray(p.grad, dtype=numpy.float64) ** 2).sum())
                for p in layer.parameters()
                if p.grad is not None
            ]
            norms.append(math.sqrt(sum(squares)) if squares else 0.0)
        return norms

    def dead_units(self):
        """Per hidden layer, how many units give the same output for every training input.

        A ReLU unit that never fires, or a saturated sigmoid or tanh unit, no longer passes any
        gradient back: it has stopped learning.
        """
        counts = []
        for layer in self.hidden_outputs(self.parts.data.x_train):
            spread = layer.max(axis=0) - layer.min(axis=0)
            counts.append(int((spread <= 1e-6).sum()))
        return counts

    def points(self):
        """The raw points to draw: ``train`` and ``test``, each ``x`` (N, d) and ``y`` (N,)."""
        return self._view.points

    @property
    def extent(self):
        """The drawn area: ``[x1_min, x1_max, x2_min, x2_max]`` (1-D: x1's range, then y's)."""
        return self._view.extent

    # ------------------------------------------------------------------ keeping
    def run_document(self):
        """What a run folder's ``config.json`` records about this session."""
        return run_document(self.parts)

    def save_model(self, path):
        """Save the network as an mlplab model file (with the run's config as its metadata)."""
        mlplab.save(self.parts.model, path, metadata=self.run_document())

    def save(self, out):
        """Save the session as a normal run folder: config, history, model, results, plots.

        The history holds the finished epochs; the model and the test figures are those of now.
        Raises RunFolderError if ``out`` holds a run.
        """
        folder = Path(out)
        run_folder.check_new_folder(folder, self.settings.identity())
        run_folder.create_folder(folder)
        with run_folder.locked(folder):
            run_folder.check_new_folder(folder, self.settings.identity())
            run_folder.write_json(folder / CONFIG, self.run_document())
            write_history(self.history.records, folder)
            write_results(measure_test(self.parts, self.history, folder), self.parts, folder)
        return folder


def _plain(value):
    """A metric as a JSON-ready float (non-finite values as None)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _check_session_settings(settings):
    """Refuse settings a session cannot show: a data set without raw points, a validation split."""
    known = settings.dataset in available_datasets()
    if not known or "features" not in dataset_options(settings.dataset):
        raise SettingsError(
            "dataset",
            f"{settings.dataset!r} has no low-dimensional points to draw; choose a generated set "
            "that takes features (e.g. spirals, circles, sine)",
        )
    if settings.val_split:
        raise SettingsError(
            "val_split", "a session shows the data set's own test split: set val_split to 0"
        )


def divergence_message(settings, value, step, epoch):
    """Why training stopped at ``step`` with loss ``value``, and what to change, in words."""
    advice = [f"lower the learning rate (now {settings.lr:g}; try {settings.lr / 10:g})"]
    if settings.momentum and settings.momentum >= 0.9:
        advice.append(f"lower the momentum (now {settings.momentum:g})")
    if settings.optimizer == "sgd":
        advice.append("use Adam, whose steps do not grow with the gradient")
    if settings.task == "regression" and settings.loss == "mse":
        advice.append("use the huber loss, which large errors cannot blow up")
    return (
        f"Training diverged: the loss became {value} at step {step} (epoch {epoch + 1}): the "
        "steps grew until the numbers overflowed, and that update was not applied. To fix it, "
        f"{', or '.join(advice)}; then press reset."
    )


class _View:
    """The drawn area of a session's data: raw points, the boundary grid and the neuron grid."""

    def __init__(self, settings, preprocessing):
        options = dict(settings.dataset_options)
        features = options.pop("features", None)
        raw = load_dataset(settings.dataset, **options)  # the coordinates, in the same rows
        if features is None:
            features = raw.meta["features"]
        dims = raw.num_features
        if dims > 2:
            raise SettingsError(
                "dataset", f"{settings.dataset!r} has {dims} input columns; a session draws 1 or 2"
            )
        self.points = {
            split: {"x": x.tolist(), "y": numpy.asarray(y).reshape(-1).tolist()}
            for split, x, y in (
                ("train", raw.x_train, raw.y_train),
                ("test", raw.x_test, raw.y_test),
            )
        }
        low, high = _padded(numpy.concatenate([raw.x_train, raw.x_test]))
        rule = preprocessing["inputs"]

        def network_inputs(coordinates):
            return scale_inputs(map_features(coordinates, features), rule)

        if dims == 1:
            targets = numpy.concatenate([raw.y_train, raw.y_test]).reshape(-1, 1)
            y_low, y_high = _padded(targets)
            self.extent = [float(low[0]), float(high[0]), float(y_low[0]), float(y_high[0])]
            self.shape, self.neuron_shape = (GRID * GRID,), (NEURON_GRID * NEURON_GRID,)
            self.grid = network_inputs(numpy.linspace(low, high, GRID * GRID))
            self.neuron_grid = network_inputs(numpy.linspace(low, high, NEURON_GRID**2))
        else:
            self.extent = [float(low[0]), float(high[0]), float(low[1]), float(high[1])]
            self.shape, self.neuron_shape = (GRID, GRID), (NEURON_GRID, NEURON_GRID)
            self.grid = network_inputs(_grid(low, high, GRID))
            self.neuron_grid = network_inputs(_grid(low, high, NEURON_GRID))


def _padded(values):
    """Per column, the range of ``values`` widened by PADDING on both sides."""
    low, high = values.min(axis=0).astype(numpy.float64), values.max(axis=0).astype(numpy.float64)
    margin = numpy.maximum(high - low, 1e-6) * PADDING
    return low - margin, high + margin


def _grid(low, high, size):
    """``size`` x ``size`` points of the box [low, high], row by row from the top (largest x2)."""
    x1 = numpy.linspace(low[0], high[0], size)
    x2 = numpy.linspace(high[1], low[1], size)
    a, b = numpy.meshgrid(x1, x2)
    return numpy.stack([a.reshape(-1), b.reshape(-1)], axis=1)
