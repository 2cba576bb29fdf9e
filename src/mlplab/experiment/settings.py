"""Settings: every option of a training run in one dataclass, validated completely when built.

Settings come from keyword arguments, a dict, a TOML file or the command line alike, and a bad
value is refused at construction -- before any data is loaded or any file is written -- with a
message naming the setting and what to do. The choices (data sets, activations, losses,
optimizers, schedules, tasks) are read from the library's registries, never listed here.
"""

import dataclasses
import math
import sys
from dataclasses import dataclass, field

from mlplab import nn, optim
from mlplab.data import available_datasets, dataset_options, dataset_task
from mlplab.nn.activations import HIDDEN_ACTIVATIONS
from mlplab.nn.initializers import init_usages
from mlplab.optim import lr_scheduler
from mlplab.train.tasks import TASKS, get_task
from mlplab.utils.errors import SettingError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib


class SettingsError(SettingError):
    """A run's setting that cannot be used: ``setting`` names it, ``detail`` says what to do."""


def _about(help, kind, *, metavar=None, choices=None, offered=None, minimum=None, below=None,
           noun="value"):  # fmt: skip
    """A setting's field metadata: what a front end needs to offer it, and how it is checked.

    ``kind`` is int, float, str, bool, ``"sizes"`` (layer widths), ``"names"`` (one name or one
    per hidden layer) or dict; ``choices`` a function giving the registry's names, ``offered``
    the names a front end lists where some choices serve from Python only (default: all of
    them), ``noun`` what one of them is called in messages ("unknown data set 'x'").
    """
    return {
        "help": help,
        "kind": kind,
        "metavar": metavar,
        "choices": choices,
        "offered": offered or choices,
        "minimum": minimum,
        "below": below,
        "noun": noun,
    }


def _optimizer_names():
    return tuple(optim.OPTIMIZERS)


def _loss_names():
    return tuple(nn.LOSSES)


ARRAYS = "arrays"
"""The ``dataset`` of a run on arrays handed over in memory (see :mod:`mlplab.experiment.arrays`,
which the scikit-learn estimators use); such settings name their ``task``."""


def _dataset_names():
    return (*available_datasets(), ARRAYS)


def _task_names():
    return tuple(TASKS)


def _activation_names():
    return HIDDEN_ACTIVATIONS


@dataclass(frozen=True)
class Settings:
    """Every option of one training run. Unset (None) options take defaults that depend on the
    task or the optimizer; :meth:`resolved` fills them in.

    Examples
    --------
    >>> Settings(dataset="digits", layers=[64, 128, 10], optimizer="sgd", lr=0.1, epochs=5)
    >>> Settings.from_dict({"preset": "course", "epochs": 2})
    >>> Settings.from_toml("run.toml")
    """

    dataset: str = field(
        default="digits",
        metadata=_about(
            "data set to train on; see 'mlplab info --datasets'",
            str,
            metavar="NAME",
            choices=_dataset_names,
            offered=available_datasets,  # "arrays" is for arrays handed over from Python
            noun="data set",
        ),
    )
    dataset_options: dict = field(
        default_factory=dict,
        metadata=_about("options of the data set, e.g. {n_samples = 500, noise = 0.1}", dict),
    )
    data_dir: str | None = field(
        default=None,
        metadata=_about(
            "folder searched first for data set files (MNIST family)", str, metavar="DIR"
        ),
    )
    download: bool = field(
        default=True,
        metadata=_about("download missing data set files (--no-download: never)", bool),
    )
    task: str | None = field(
        default=None,
        metadata=_about(
            "the data set's task, if you want it checked (default: the data set's own)",
            str,
            choices=_task_names,
        ),
    )
    layers: list | None = field(
        default=None,
        metadata=_about(
            "layer sizes from inputs to outputs, e.g. 784-256-512-10 "
            "(default: inputs-256-classes for classification, inputs-targets for regression)",
            "sizes",
            metavar="SIZES",
        ),
    )
    activation: str | list = field(
        default="relu",
        metadata=_about(
            "activation between layers, or one per hidden layer (relu,tanh)",
            "names",
            choices=_activation_names,
        ),
    )
    dropout: float = field(
        default=0.0,
        metadata=_about(
            "dropout probability after each hidden layer",
            float,
            metavar="P",
            minimum=0.0,
            below=1.0,
        ),
    )
    init: str = field(
        default="default",
        metadata=_about(
            f"how the Linear layers' first weights are drawn: {init_usages()}; 'default' is "
            "PyTorch's",
            str,
            metavar="SCHEME",
        ),
    )
    loss: str | None = field(
        default=None,
        metadata=_about(
            "loss function (default: cross-entropy for classification, mse for regression)",
            str,
            choices=_loss_names,
        ),
    )
    optimizer: str | None = field(
        default=None,
        metadata=_about(
            "optimizer (default: adam for classification, plain gradient descent (sgd) for "
            "regression)",
            str,
            choices=_optimizer_names,
        ),
    )
    lr: float | None = field(
        default=None,
        metadata=_about(
            "learning rate (default: the optimizer's, e.g. 0.1 for sgd, 0.001 for adam)",
            float,
            metavar="RATE",
            minimum=0.0,
        ),
    )
    momentum: float | None = field(
        default=None,
        metadata=_about(
            "momentum: SGD's and RMSprop's momentum, Adam's and AdamW's beta1 "
            "(default: the optimizer's own, 0 or 0.9)",
            float,
            metavar="M",
            minimum=0.0,
            below=1.0,
        ),
    )
    nesterov: bool = field(
        default=False, metadata=_about("Nesterov momentum (SGD with momentum > 0 only)", bool)
    )
    weight_decay: float = field(
        default=0.0,
        metadata=_about(
            "weight decay: L2 added to the gradient (decoupled for adamw)",
            float,
            metavar="W",
            minimum=0.0,
        ),
    )
    schedule: str = field(
        default="constant",
        metadata=_about(
            "learning-rate schedule, e.g. step:10:0.5, cosine:30, warmup:5+cosine:30, exp:0.95, "
            "onecycle:0.01, plateau:5",
            str,
            metavar="SPEC",
        ),
    )
    epochs: int = field(
        default=30,
        metadata=_about(
            "number of epochs (a resumed run may raise it)", int, metavar="N", minimum=1
        ),
    )
    batch_size: int = field(
        default=32, metadata=_about("samples per mini-batch", int, metavar="N", minimum=1)
    )
    val_split: float = field(
        default=0.1,
        metadata=_about(
            "share of the training set held out for validation every epoch (0: none)",
            float,
            metavar="FRACTION",
            minimum=0.0,
            below=1.0,
        ),
    )
    patience: int = field(
        default=0,
        metadata=_about(
            "stop after this many epochs without improvement of the monitored metric and keep the "
            "best epoch's weights (0: never stop early)",
            int,
            metavar="N",
            minimum=0,
        ),
    )
    monitor: str = field(
        default="val_loss",
        metadata=_about(
            "metric watched by early stopping: val_loss, val_accuracy, val_r2, train_loss, ...",
            str,
            metavar="METRIC",
        ),
    )
    seed: int = field(
        default=0,
        metadata=_about(
            "seed of every random choice of the run (validation split, initial weights, shuffling, "
            "dropout); the test split never changes",
            int,
            metavar="N",
            minimum=0,
        ),
    )

    def __post_init__(self):
        for spec in dataclasses.fields(self):
            object.__setattr__(self, spec.name, _checked(spec, getattr(self, spec.name)))
        _check_together(self)

    # ------------------------------------------------------------------ building and reading
    @classmethod
    def from_dict(cls, values):
        """Settings from a dict of setting names (``-`` or ``_``) to values.

        A ``"preset"`` key starts from :data:`PRESETS`; the other keys override it.
        """
        if not isinstance(values, dict):
            raise SettingsError(None, f"settings must be a dict of names to values, got {values!r}")
        values = {str(key).replace("-", "_"): value for key, value in values.items()}
        preset = values.pop("preset", None)
        known = {spec.name for spec in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise SettingsError(
                unknown[0], f"unknown setting; known: {', '.join(sorted(known))}, preset"
            )
        return cls(**{**preset_values(preset), **values})

    @classmethod
    def from_toml(cls, path):
        """Settings from a TOML file of ``name = value`` lines (names as the long options)."""
        values = read_toml(path)
        try:
            return cls.from_dict(values)
        except SettingsError as error:
            raise SettingsError(error.setting, f"{error.detail} (in config file {path})") from None

    def to_dict(self):
        """The settings as plain JSON-ready data; ``Settings.from_dict`` turns it back."""
        return {spec.name: _copy(getattr(self, spec.name)) for spec in dataclasses.fields(self)}

    def replace(self, **changes):
        """A copy with some settings changed, validated again."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ derived values
    @property
    def task_object(self):
        """The run's task (unfitted): the data set's own unless ``task`` names it."""
        return get_task(self.task or dataset_task(self.dataset))

    def resolved(self):
        """These settings with every default that depends on others filled in.

        ``task``, ``loss``, ``optimizer`` and ``lr`` get the values the run really uses, so that
        a run's saved settings say exactly what it did.
        """
        task = self.task_object
        optimizer = self.optimizer or task.default_optimizer
        return self.replace(
            task=task.name,
            loss=self.loss or task.default_loss,
            optimizer=optimizer,
            lr=self.lr if self.lr is not None else optim.OPTIMIZERS[optimizer].default_lr,
        )

    def identity(self):
        """The settings that define a run: what a resumed run must share with the original."""
        return {key: value for key, value in self.to_dict().items() if key not in NOT_IDENTITY}


# Settings that may differ between a run and its resumption: where data come from, and the
# length of the run.
NOT_IDENTITY = ("data_dir", "download", "epochs")

PRESETS = {
    "course": {
        "dataset": "mnist",
        "layers": [784, 256, 512, 10],
        "activation": "relu",
        "loss": "cross-entropy",
        "optimizer": "adam",
        "lr": 1e-3,
        "batch_size": 100,
        "epochs": 30,
    },
}
"""Named starting points: ``course`` is the reference network (784-256-512-10 ReLU MLP on MNIST,
cross-entropy, Adam lr 1e-3, batch 100, 30 epochs)."""


def read_toml(path):
    """The ``name = value`` pairs of a TOML file as a dict; SettingsError if it is unreadable."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise SettingsError(None, f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(None, f"config file {path} is not valid TOML: {error}") from None


def preset_values(name):
    """The settings of preset ``name`` (an empty dict for None); SettingsError if unknown."""
    if name is None:
        return {}
    if name not in PRESETS:
        raise SettingsError(
            "preset", f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}"
        )
    return dict(PRESETS[name])


def _copy(value):
    """A value of the settings as fresh plain data (lists and dicts copied)."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


# ---------------------------------------------------------------------- one setting at a time
def _checked(spec, value):
    """``value`` of the setting ``spec`` checked and in canonical form; SettingsError if unfit."""
    meta = spec.metadata
    kind = meta["kind"]
    if value is None:
        if spec.default is not None and spec.default is not dataclasses.MISSING:
            raise SettingsError(spec.name, "needs a value")
        if kind is dict:
            return {}
        return None
    if kind == "sizes":
        return _sizes(spec.name, value)
    if kind == "names":
        return _names(spec.name, value, meta["choices"]())
    if kind is dict:
        if not isinstance(value, dict):
            raise SettingsError(spec.name, f"expects a table of options, got {value!r}")
        return dict(value)
    value = _typed(spec.name, kind, value)
    if meta["choices"] is not None and value not in meta["choices"]():
        raise SettingsError(
            spec.name,
            f"unknown {meta['noun']} {value!r}; choose one of {', '.join(meta['choices']())}",
        )
    if kind in (int, float):
        _in_range(spec.name, value, meta["minimum"], meta["below"])
    return value


def _typed(name, kind, value):
    """``value`` as ``kind`` (an int is a fine float; a bool is never a number)."""
    kinds = (int, float) if kind is float else (kind,)
    if isinstance(value, bool) != (kind is bool) or not isinstance(value, kinds):
        raise SettingsError(name, f"expects {kind.__name__}, got {value!r}")
    return float(value) if kind is float else value


def _in_range(name, value, minimum, below):
    """Refuse non-finite numbers and numbers outside [minimum, below)."""
    if not math.isfinite(value):
        raise SettingsError(name, f"{value!r} is not a finite number")
    if minimum is not None and value < minimum:
        raise SettingsError(name, f"{value!r} is below the minimum {minimum}")
    if below is not None and value >= below:
        raise SettingsError(name, f"{value!r} must be below {below}")


def _sizes(name, value):
    """Layer widths from ``"784-256-10"`` or a list of ints, as a list."""
    try:
        return nn.parse_sizes(value)
    except ValueError as error:
        raise SettingsError(name, str(error)) from None


def _names(name, value, choices):
    """One activation name, or a list with one per hidden layer ("relu,tanh" on a command line).

    Names are the registry's keys; ``-`` is read as ``_`` (``leaky-relu``).
    """
    if isinstance(value, str) and "," in value:
        value = [part.strip() for part in value.split(",")]
    many = isinstance(value, list | tuple)
    names = list(value) if many else [value]
    if not names or not all(isinstance(item, str) for item in names):
        raise SettingsError(name, f"expects a name or a list of names, got {value!r}")
    canonical = [item.replace("-", "_") for item in names]
    for item, given in zip(canonical, names, strict=True):
        if item not in choices:
            raise SettingsError(
                name, f"unknown value {given!r}; choose one of {', '.join(choices)}"
            )
    return canonical if many else canonical[0]


# ---------------------------------------------------------------------- settings together
def _check_together(settings):
    """The checks that involve several settings, in the order a reader would make them."""
    _check_dataset(settings)
    task = settings.task_object
    _check_loss(settings, task)
    _check_network(settings, task)
    _check_optimizer(settings, task)
    _check_schedule(settings, task)
    _check_monitor(settings, task)


def _check_dataset(settings):
    """The data set's options exist, and ``task`` (if given) is the data set's own."""
    if settings.dataset == ARRAYS:
        _check_arrays(settings)
        return
    accepted = dataset_options(settings.dataset)
    unknown = sorted(set(settings.dataset_options) - set(accepted))
    if unknown:
        raise SettingsError(
            "dataset_options",
            f"data set {settings.dataset!r} has no option {', '.join(unknown)}; "
            f"it accepts: {', '.join(accepted) or 'none'}",
        )
    own = dataset_task(settings.dataset)
    if settings.task is not None and settings.task != own:
        example = next(name for name in available_datasets() if dataset_task(name) == settings.task)
        raise SettingsError(
            "task",
            f"{settings.task}: data set {settings.dataset!r} is a {own} data set; choose a "
            f"{settings.task} one (e.g. {example})",
        )


def _check_arrays(settings):
    """Arrays handed over in memory come with their task, and without data set options."""
    if settings.task is None:
        raise SettingsError(
            "task", f"data set {ARRAYS!r} (arrays in memory) needs its task: {' or '.join(TASKS)}"
        )
    if settings.dataset_options:
        raise SettingsError("dataset_options", f"data set {ARRAYS!r} takes no options")


def _check_loss(settings, task):
    """The loss compares outputs with the kind of target the task has."""
    if settings.loss is None:
        return
    if nn.LOSSES[settings.loss].targets != task.targets:
        fitting = [name for name, entry in nn.LOSSES.items() if entry.targets == task.targets]
        raise SettingsError(
            "loss", f"{settings.loss} does not suit {task.name}; use {' or '.join(fitting)}"
        )


def _check_network(settings, task):
    """The initialization scheme exists, and per-layer activations come one per hidden layer."""
    try:
        nn.parse_init(settings.init)
    except ValueError as error:
        raise SettingsError("init", str(error)) from None
    if not isinstance(settings.activation, list):
        return
    hidden = len(settings.layers) - 2 if settings.layers else len(task.default_hidden)
    if len(settings.activation) != hidden:
        raise SettingsError(
            "activation",
            f"{len(settings.activation)} activations for {hidden} hidden layer(s): give one "
            "name, or one per hidden layer",
        )


def _check_optimizer(settings, task):
    """The optimizer takes the momentum, Nesterov and decay asked of it (the registry checks)."""
    name = settings.optimizer or task.default_optimizer
    try:
        optim.check_optimizer_settings(
            name,
            lr=settings.lr,
            momentum=settings.momentum,
            nesterov=settings.nesterov,
            weight_decay=settings.weight_decay,
        )
    except SettingError as error:
        raise SettingsError(error.setting, error.detail) from None


def _check_schedule(settings, task):
    """The schedule parses, and its rates stay finite and non-negative over the run."""
    name = settings.optimizer or task.default_optimizer
    lr = settings.lr if settings.lr is not None else optim.OPTIMIZERS[name].default_lr
    try:
        lr_scheduler.parse_spec(settings.schedule).check(lr, settings.epochs)
    except ValueError as error:
        raise SettingsError("schedule", str(error)) from None


def _check_monitor(settings, task):
    """Early stopping watches a metric the run records: train_ or val_ and loss or a metric."""
    prefix, _, metric = settings.monitor.partition("_")
    metrics = ("loss", *task.metric_names)
    if prefix not in ("train", "val") or metric not in metrics:
        choices = [f"{split}_{name}" for split in ("val", "train") for name in metrics]
        raise SettingsError(
            "monitor",
            f"{settings.monitor!r} is not a metric of a {task.name} run; "
            f"choose one of {', '.join(choices)}",
        )
    if settings.patience and prefix == "val" and settings.val_split == 0:
        raise SettingsError(
            "patience",
            f"early stopping on {settings.monitor} needs a validation split: set val_split "
            "(e.g. 0.1), or monitor train_loss",
        )
