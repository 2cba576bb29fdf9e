"""``run(settings) -> Result``: build a whole training run from its settings, train, test, report.

Data, model, loss, optimizer and schedule are built from the library's registries; the training
loop is :func:`mlplab.train.fit`. With ``out`` the run also keeps a run folder (config, history,
checkpoints, plots, model, results) that :func:`resume` continues exactly. Every front end -- the
command line, the lab, sweeps, the scikit-learn estimators, the playground -- builds its runs here.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy

import mlplab
from mlplab import nn, optim
from mlplab.data import DataLoader
from mlplab.experiment import folder as run_folder
from mlplab.experiment.data import load_data, target_names
from mlplab.experiment.folder import CHECKPOINT, CONFIG, MODEL, RESULTS, RunFolderError
from mlplab.experiment.settings import NOT_IDENTITY, Settings, SettingsError
from mlplab.optim import lr_scheduler
from mlplab.random import Generator
from mlplab.train import (
    Checkpoint,
    EarlyStopping,
    HistoryLogger,
    ProgressBar,
    confusion_matrix,
    evaluate,
    fit,
    predict,
)
from mlplab.train.checkpoint import CheckpointError, load_checkpoint
from mlplab.train.metrics import mean_absolute_error, mean_squared_error, r2_score

TEST_BATCH = 1000  # rows per forward pass when measuring: bounds memory, not the numbers


@dataclass
class Result:
    """What a run produced.

    Attributes
    ----------
    settings : Settings
        The settings the run used, every default filled in.
    history : mlplab.train.History
        One record per epoch and the loss of every step.
    test : dict
        Test-set figures: ``loss`` and ``accuracy``; or, for regression, ``mse``, ``mae`` and
        ``r2`` in the targets' own units (``loss`` is on the standardised targets the network
        learns), and ``per_target`` figures by target name. None for a run on arrays in memory,
        which has no test split.
    model : mlplab.nn.Module
        The trained network (the best epoch's weights when early stopping restored them).
    folder : pathlib.Path or None
        The run folder, when the run kept one.
    data : dict
        What the data were (sizes, class or target names).
    preprocessing : dict
        How inputs and targets were scaled for the network.
    confusion_matrix : list of lists or None
        Test counts of (true class, predicted class), for classification.
    learned_parameters : dict or None
        For a one-layer network on a data set with known parameters: the learned ones, in the
        data's units, beside ``data["true_parameters"]``.
    restored_epoch : int or None
        With early stopping, the epoch whose weights the model holds (the best one), which the
        test figures are of.
    """

    settings: Settings
    history: object
    test: dict
    model: object
    folder: Path | None
    data: dict
    preprocessing: dict
    confusion_matrix: list | None = None
    learned_parameters: dict | None = None
    restored_epoch: int | None = None

    @property
    def stop_reason(self):
        """Why training ended before its epochs: ``"early-stopping"``, ``"interrupted"`` or None."""
        return self.history.stop_reason

    @property
    def epochs(self):
        """The epochs trained."""
        return len(self.history.records)

    def to_dict(self):
        """The results as JSON-ready data (what ``results.json`` holds)."""
        document = {
            "test": self.test,
            "epochs": self.epochs,
            "steps": len(self.history.step_losses),
            "stop_reason": self.stop_reason,
        }
        if self.confusion_matrix is not None:
            document["confusion_matrix"] = self.confusion_matrix
        if self.learned_parameters is not None:
            document["learned_parameters"] = self.learned_parameters
        if self.restored_epoch is not None:
            document["restored_epoch"] = self.restored_epoch
        return document


@dataclass
class _Parts:
    """Everything a run is made of, built from its settings before any file is written."""

    settings: Settings
    data: object
    sizes: list
    model: object
    loss_fn: object
    optimizer: object
    scheduler: object
    interval: str
    train_loader: DataLoader
    val_loader: DataLoader | None
    generator: Generator


def run(settings, out=None, callbacks=(), progress=True, plots=True):
    """Train and test the run ``settings`` describe; returns its :class:`Result`.

    Parameters
    ----------
    settings : Settings or dict
        What to run (a dict is read by :meth:`Settings.from_dict`).
    out : str or os.PathLike, optional
        A run folder to keep (config, history, checkpoint, plots, model, results). It must not
        hold another run. Without it nothing is written.
    callbacks : sequence
        More training-loop callbacks (see :func:`mlplab.train.fit`), called after early stopping
        and the progress bar and before the history files and the checkpoint.
    progress : bool
        Show a progress bar and one line per epoch.
    plots : bool
        Draw the run folder's plots (a sweep leaves them out: drawing costs more than training
        a small network, and ``mlplab evaluate`` draws the confusion matrix later).

    Raises
    ------
    SettingsError, RunFolderError
        Before any file is written: settings that do not fit the data, a folder holding a run.
    mlplab.train.NonFiniteLossError
        When training diverges (the last good checkpoint stays).
    """
    settings = as_settings(settings).resolved()
    if out is None:
        return train_parts(build_parts(settings), None, callbacks, progress, checkpoint=None)
    folder = Path(out)
    run_folder.check_new_folder(folder, settings.identity())  # refuse before loading data
    parts = build_parts(settings)
    run_folder.create_folder(folder)
    with run_folder.locked(folder):
        # Checked again under the lock: another run may have taken the folder meanwhile.
        run_folder.check_new_folder(folder, settings.identity())
        run_folder.write_json(folder / CONFIG, run_document(parts))
        return train_parts(parts, folder, callbacks, progress, checkpoint=None, plots=plots)


def resume(out, callbacks=(), progress=True, **changes):
    """Continue the run in folder ``out`` from its last checkpoint; returns its :class:`Result`.

    ``changes`` may set what does not define the run -- ``epochs`` (to train longer),
    ``data_dir``, ``download``; a different value of any other setting is refused. A run stopped
    before its first checkpoint starts over. The result is the same, bit for bit, as if the run
    had never stopped. A run that is already complete (all its epochs, or stopped early) is
    refused: there is nothing to resume.
    """
    folder = Path(out)
    with run_folder.locked(folder):
        return _resume_locked(folder, callbacks, progress, changes)


def _resume_locked(folder, callbacks, progress, changes):
    """:func:`resume`, with the run folder's lock held."""
    document = run_folder.read_run_config(folder)
    saved = Settings.from_dict(document["settings"])
    requested = saved.replace(**changes) if changes else saved
    for key in changes:
        if key not in NOT_IDENTITY and getattr(requested, key) != getattr(saved, key):
            raise SettingsError(
                key,
                f"{getattr(requested, key)!r} differs from the run's {getattr(saved, key)!r}: a "
                f"resumed run keeps its settings (only {', '.join(NOT_IDENTITY)} may change)",
            )
    state = None
    if (folder / CHECKPOINT).exists():
        try:
            state = load_checkpoint(folder / CHECKPOINT)
        except CheckpointError as error:
            raise RunFolderError(f"cannot resume {folder}: {error}") from None
        # A run that trained to the end but could not write its files (a full disk) is
        # resumed to write them; one with its results has nothing left to do.
        if (folder / RESULTS).exists():
            _refuse_complete(folder, state, requested.epochs)
    parts = build_parts(requested, preprocessing=document["preprocessing"])
    if requested.epochs != saved.epochs:
        # Written once the checkpoint has been taken in, so a refused one changes nothing.
        callbacks = [_ConfigWriter(folder / CONFIG, run_document(parts)), *callbacks]
    try:
        return train_parts(parts, folder, callbacks, progress, state)
    except CheckpointError as error:  # a checkpoint of another network or optimizer setup
        raise RunFolderError(f"cannot resume {folder}: {error}") from None


class _ConfigWriter:
    """A callback writing a run's config when training begins (after a checkpoint is loaded)."""

    def __init__(self, path, document):
        self.path = path
        self.document = document

    def on_train_begin(self, run):
        """Write the config."""
        run_folder.write_json(self.path, self.document)


def _refuse_complete(folder, state, epochs):
    """RunFolderError when the checkpointed run has nothing left to do."""
    done, reason = state["epoch"], state["history"]["stop_reason"]
    if reason == "early-stopping":
        raise RunFolderError(
            f"{folder} is already complete: early stopping ended it after epoch {done}; "
            "nothing to resume"
        )
    if done >= epochs and not state["batch"]:
        raise RunFolderError(
            f"{folder} is already complete: it trained all {done} epochs; to train longer, "
            f"resume with more epochs (e.g. --epochs {done + 10})"
        )


def as_settings(settings):
    """``settings`` as a Settings object (from a dict if need be)."""
    if isinstance(settings, Settings):
        return settings
    if isinstance(settings, dict):
        return Settings.from_dict(settings)
    raise TypeError(f"run() takes Settings or a dict of settings, not {type(settings).__name__}")


def build_parts(settings, preprocessing=None, load=load_data):
    """Data, network, loss, optimizer, schedule and loaders of a run, all from registries.

    The one place a run is built: :func:`run`, :func:`resume`, :func:`lr_find` and
    :func:`mlplab.experiment.arrays.run_arrays` use it. ``load(settings, generator,
    preprocessing)`` gives the :class:`PreparedData` (default: the data set the settings name).

    The run's generator draws, in this order, the validation split, the initial weights, then
    (while training) the shuffles and dropout masks: the same seed gives the same run.
    """
    generator = Generator(settings.seed)
    data = load(settings, generator, preprocessing)
    sizes = _layer_sizes(settings, data)
    model = nn.MLP(
        sizes,
        activation=settings.activation,
        dropout=settings.dropout,
        generator=generator,
        init=settings.init,
    )
    loss_fn = nn.get_loss(settings.loss)
    optimizer = optim.build_optimizer(
        settings.optimizer,
        model.parameters(),
        lr=settings.lr,
        momentum=settings.momentum,
        nesterov=settings.nesterov,
        weight_decay=settings.weight_decay,
    )
    train_loader = DataLoader(
        data.x_train, data.y_train, settings.batch_size, shuffle=True, generator=generator
    )
    spec = lr_scheduler.parse_spec(settings.schedule)
    # A metric-driven schedule watches the validation loss, or the training loss without one.
    monitor = (
        ("val_loss" if data.x_val is not None else "train_loss") if spec.metric_driven else None
    )
    scheduler = spec.build(
        optimizer, epochs=settings.epochs, steps_per_epoch=len(train_loader), monitor=monitor
    )
    val_loader = None
    if data.x_val is not None:
        val_loader = DataLoader(data.x_val, data.y_val, max(settings.batch_size, TEST_BATCH))
    return _Parts(
        settings, data, sizes, model, loss_fn, optimizer, scheduler, spec.interval, train_loader,
        val_loader, generator,
    )  # fmt: skip


def _layer_sizes(settings, data):
    """The network's widths: ``layers`` checked against the data, or the task's default network."""
    features, outputs = data.description["num_features"], data.description["num_outputs"]
    if settings.layers is None:
        return [features, *data.task.default_hidden, outputs]
    if settings.layers[0] != features or settings.layers[-1] != outputs:
        shape = "x".join(map(str, data.description["feature_shape"]))
        what = "classes" if data.task.targets == "classes" else "targets"
        raise SettingsError(
            "layers",
            f"{'-'.join(map(str, settings.layers))} does not fit {settings.dataset}: its inputs "
            f"have {features} values ({shape}) and it has {outputs} {what}, so use "
            f"{features}-...-{outputs}",
        )
    return list(settings.layers)


def run_document(parts):
    """What ``config.json`` (and the saved model's metadata) records about the run."""
    return {
        "mlplab_version": mlplab.__version__,
        "settings": parts.settings.to_dict(),
        "layers": parts.sizes,
        "data": parts.data.description,
        "preprocessing": parts.data.preprocessing,
    }


def _callbacks(parts, stopper, folder, extra, progress):
    """Early stopping (if asked), progress, the caller's, history files and checkpoint (last)."""
    callbacks = [] if stopper is None else [stopper]
    if progress:
        callbacks.append(ProgressBar())
    callbacks += list(extra)
    if folder is not None:
        callbacks += [HistoryLogger(folder), Checkpoint(folder / CHECKPOINT)]
    return callbacks


def train_parts(parts, folder, callbacks, progress, checkpoint, plots=True):
    """Train the built run, then test it and (with a folder) write its files."""
    settings = parts.settings
    stopper = None
    if settings.patience:
        stopper = EarlyStopping(settings.monitor, settings.patience, restore_best_weights=True)
    # Overflow on the way to a NaN loss is reported once, by the loop, with what to change.
    with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
        history = fit(
            parts.model,
            parts.loss_fn,
            parts.optimizer,
            parts.train_loader,
            parts.val_loader,
            epochs=parts.settings.epochs,
            scheduler=parts.scheduler,
            scheduler_interval=parts.interval,
            task=parts.data.task,
            callbacks=_callbacks(parts, stopper, folder, callbacks, progress),
            generators={"run": parts.generator, "default": mlplab.random.default_generator},
            resume_from=checkpoint,
        )
    result = measure_test(parts, history, folder)
    if stopper is not None and stopper.best_weights is not None:
        result.restored_epoch = stopper.best_epoch
    if folder is not None and history.stop_reason != "interrupted":
        write_results(result, parts, folder, plots)
    return result


def measure_test(parts, history, folder):
    """Measure the trained model on the test set, in the task's own terms."""
    data, model = parts.data, parts.model
    if data.x_test is None:  # arrays handed over in memory: the caller keeps its own test data
        return Result(parts.settings, history, None, model, folder, data.description,
                      data.preprocessing)  # fmt: skip
    loader = DataLoader(data.x_test, data.y_test, TEST_BATCH)
    test = evaluate(model, parts.loss_fn, loader, task=data.task)
    outputs = predict(model, data.x_test)
    matrix = None
    if data.task.targets == "classes":
        matrix = confusion_matrix(
            data.y_test, data.task.decode(outputs), data.description["num_outputs"]
        ).tolist()
    else:
        truth = data.task.decode(data.y_test)
        names = target_names(data.description)
        test["per_target"] = per_target_figures(data.task.decode(outputs), truth, names)
    return Result(
        settings=parts.settings,
        history=history,
        test=test,
        model=model,
        folder=folder,
        data=data.description,
        preprocessing=data.preprocessing,
        confusion_matrix=matrix,
        learned_parameters=learned_linear_parameters(model, data),
    )


def per_target_figures(outputs, truth, names):
    """MSE, MAE and R² of each target (columns of ``outputs`` and ``truth``), in its own units."""
    return {
        name: {
            "mse": mean_squared_error(outputs[:, i], truth[:, i]),
            "mae": mean_absolute_error(outputs[:, i], truth[:, i]),
            "r2": r2_score(outputs[:, i], truth[:, i]),
        }
        for i, name in enumerate(names)
    }


def learned_linear_parameters(model, data):
    """For a one-layer network on a set with known parameters: the learned ones, in data units.

    Undoes the standardisation: with x' = (x - mx)/sx and y = my + sy·y', the layer
    y' = W x' + b is y = (sy·W/sx) x + my + sy·(b - W·mx/sx).
    """
    true = data.description.get("true_parameters")
    weights = [p.numpy().astype(numpy.float64) for p in model.parameters()]
    rule_x, rule_y = data.preprocessing["inputs"], data.preprocessing["targets"]
    if not true or len(weights) != 2 or weights[0].shape[0] != 1 or rule_y is None:
        return None
    (w,), (b,) = weights[0], weights[1]
    mx, sx = numpy.asarray(rule_x["mean"]), numpy.asarray(rule_x["std"])
    my, sy = rule_y["mean"][0], rule_y["std"][0]
    learned = numpy.append(sy * w / sx, my + sy * (b - (w * mx / sx).sum()))
    return {name: float(value) for name, value in zip(true, learned, strict=True)}


def write_results(result, parts, folder, draw=True):
    """Save the model, ``results.json`` and the plots of a finished run."""
    mlplab.save(parts.model, folder / MODEL, metadata=run_folder.read_run_config(folder))
    if not draw:
        run_folder.write_json(folder / RESULTS, result.to_dict())
        return
    from mlplab.train import plots  # matplotlib loads only for a run that draws (not a sweep's)

    records, data, name = result.history.records, parts.data, result.settings.dataset
    if data.task.targets == "classes":
        plots.plot_curves(records, "loss", folder / "loss.png", title=name)
        plots.plot_curves(records, "accuracy", folder / "accuracy.png", title=name)
        plots.plot_confusion_matrix(
            numpy.asarray(result.confusion_matrix),
            folder / "confusion_matrix.png",
            result.data["class_names"],
            f"{name} test set",
            normalize="both",
        )
    else:
        curves = {"loss": "loss (on standardised targets)", "mse": "MSE (in the targets' units)",
                  "r2": "R²"}  # fmt: skip
        for metric, label in curves.items():
            plots.plot_curves(records, metric, folder / f"{metric}.png", label, title=name)
        plots.plot_predictions(
            data.task.decode(data.y_test),
            data.task.decode(predict(parts.model, data.x_test)),
            folder / "predictions.png",
            target_names(result.data),
            title=f"{name} test set",
        )
    run_folder.write_json(folder / RESULTS, result.to_dict())
