"""Settings of ``mlplab train``: every option with its default and help, presets, TOML files.

A run's settings come from four layers, each overriding the one before: the defaults below (a
small network on the bundled ``digits`` set, so that ``mlplab train`` alone works offline), a
preset (``--preset course``), a TOML file (``--config run.toml``, keys as the long options with
``_`` or ``-``), and the options given on the command line.
"""

import argparse
import math
import sys
from dataclasses import dataclass

from mlplab.nn import activations as nn_activations

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib


class UsageError(Exception):
    """Bad input to a command: reported as one line with exit code 2, and nothing is written."""


@dataclass(frozen=True)
class Option:
    """One setting of ``mlplab train``: its key, type, default, help and allowed values."""

    key: str
    kind: type
    default: object
    help: str
    choices: tuple = ()
    metavar: str | None = None
    minimum: float | None = None
    below: float | None = None

    @property
    def flag(self):
        """The command-line spelling, e.g. ``--weight-decay``."""
        return "--" + self.key.replace("_", "-")


# Hidden-layer nonlinearities of mlplab.nn, spelled with dashes like every other value here.
ACTIVATIONS = tuple(
    name.replace("_", "-") for name in nn_activations.ACTIVATIONS if "softmax" not in name
)
LOSSES = ("cross-entropy", "mse", "l1", "huber")
OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam", "adamw")
TASKS = ("classification", "regression")

OPTIONS = (
    Option(
        "dataset",
        str,
        "digits",
        "data set to train on; see 'mlplab info --datasets'",
        metavar="NAME",
    ),
    Option(
        "data_dir",
        str,
        None,
        "folder searched first for data set files (MNIST family)",
        metavar="DIR",
    ),
    Option("download", bool, True, "download missing data set files (--no-download: never)"),
    Option(
        "task",
        str,
        None,
        "classification or regression (default: the data set's own task)",
        choices=TASKS,
    ),
    Option(
        "layers",
        str,
        None,
        "layer sizes from inputs to outputs, e.g. 784-256-512-10 "
        "(default: inputs-256-classes for classification, inputs-targets for regression)",
        metavar="SIZES",
    ),
    Option("activation", str, "relu", "activation between layers", choices=ACTIVATIONS),
    Option(
        "dropout",
        float,
        0.0,
        "dropout probability after each hidden layer",
        minimum=0.0,
        below=1.0,
        metavar="P",
    ),
    Option(
        "loss",
        str,
        None,
        "loss function (default: cross-entropy for classification, mse for regression)",
        choices=LOSSES,
    ),
    Option(
        "optimizer",
        str,
        None,
        "optimizer (default: adam for classification, plain gradient descent (sgd) for regression)",
        choices=OPTIMIZERS,
    ),
    Option(
        "lr",
        float,
        None,
        "learning rate (default: 0.1 for sgd, 0.01 for adagrad, 0.001 for the others)",
        minimum=0.0,
        metavar="RATE",
    ),
    Option(
        "momentum",
        float,
        None,
        "momentum: SGD's and RMSprop's momentum, Adam's and AdamW's "
        "beta1 (default: the optimizer's own, 0 or 0.9)",
        minimum=0.0,
        below=1.0,
        metavar="M",
    ),
    Option("nesterov", bool, False, "Nesterov momentum (SGD with --momentum > 0 only)"),
    Option(
        "weight_decay",
        float,
        0.0,
        "weight decay: L2 added to the gradient (decoupled for adamw)",
        minimum=0.0,
        metavar="W",
    ),
    Option(
        "schedule",
        str,
        "constant",
        "learning-rate schedule, e.g. step:10:0.5, cosine:30, "
        "warmup:5+cosine:30, exp:0.95, onecycle:0.01, plateau:5",
        metavar="SPEC",
    ),
    Option(
        "epochs", int, 30, "number of epochs (a resumed run may raise it)", minimum=1, metavar="N"
    ),
    Option("batch_size", int, 32, "samples per mini-batch", minimum=1, metavar="N"),
    Option(
        "val_split",
        float,
        0.1,
        "share of the training set held out for validation every epoch (0: none)",
        minimum=0.0,
        below=1.0,
        metavar="FRACTION",
    ),
    Option(
        "patience",
        int,
        0,
        "stop after this many epochs without improvement of --monitor "
        "and keep the best epoch's weights (0: never stop early)",
        minimum=0,
        metavar="N",
    ),
    Option(
        "monitor",
        str,
        "val_loss",
        "metric watched by early stopping: val_loss, val_accuracy, val_r2, train_loss, ...",
        metavar="METRIC",
    ),
    Option(
        "seed",
        int,
        0,
        "seed of every random choice (data split, initial weights, shuffling, dropout)",
        minimum=0,
        metavar="N",
    ),
    Option(
        "out",
        str,
        None,
        "run directory for config, history, plots, checkpoint and model "
        "(default: runs/DATASET-DATE-TIME)",
        metavar="DIR",
    ),
    Option(
        "preset",
        str,
        None,
        "start from named settings: course = 784-256-512-10 ReLU MLP on "
        "mnist, cross-entropy, Adam lr 1e-3, batch 100, 30 epochs",
        choices=("course",),
    ),
    Option("quiet", bool, False, "print only the final results (no progress bar, no epoch lines)"),
)
BY_KEY = {option.key: option for option in OPTIONS}

PRESETS = {
    "course": {
        "dataset": "mnist",
        "layers": "784-256-512-10",
        "activation": "relu",
        "loss": "cross-entropy",
        "optimizer": "adam",
        "lr": 1e-3,
        "batch_size": 100,
        "epochs": 30,
    },
}

# Settings that may differ between a run and its resumption: where things go and how they print,
# plus the length of the run.
NOT_IDENTITY = ("out", "quiet", "data_dir", "download", "epochs", "preset")


def add_arguments(parser):
    """Add every option of :data:`OPTIONS` to ``parser`` (values absent unless given)."""
    for option in OPTIONS:
        if option.kind is bool:
            parser.add_argument(
                option.flag,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=f"{option.help} (default: {'on' if option.default else 'off'})",
            )
            continue
        default = "" if option.default is None else f" (default: {option.default})"
        choices = f" {{{', '.join(option.choices)}}}" if option.choices else ""
        parser.add_argument(
            option.flag,
            type=_parser_type(option),
            default=argparse.SUPPRESS,
            metavar=option.metavar or option.key.upper(),
            help=f"{option.help}{choices}{default}",
        )


def _parser_type(option):
    """A converter for argparse: the option's type, with its message on failure."""

    def convert(text):
        try:
            return option.kind(text)
        except ValueError:
            kind = "an integer" if option.kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None

    convert.__name__ = option.kind.__name__
    return convert


def read_toml(path):
    """The settings in a TOML file, keys normalised to ``snake_case``; UsageError if unusable."""
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise UsageError(f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"config file {path} is not valid TOML: {error}") from None
    settings = {}
    for key, value in document.items():
        name = key.replace("-", "_")
        if name not in BY_KEY:
            raise UsageError(
                f"config file {path}: unknown setting {key!r}; known: {', '.join(BY_KEY)}"
            )
        settings[name] = value
    return settings


def resolve(given, toml=None):
    """Combine defaults, preset, TOML settings and command-line options, then check them.

    Parameters
    ----------
    given : dict
        Options given on the command line (key -> value).
    toml : dict, optional
        Settings from a TOML file.

    Returns
    -------
    dict
        Every option's final value.
    """
    toml = toml or {}
    preset = given.get("preset", toml.get("preset"))
    settings = {option.key: option.default for option in OPTIONS}
    if preset is not None:
        check_value("preset", preset)
        settings.update(PRESETS[preset])
    settings.update(toml)
    settings.update(given)
    for key, value in settings.items():
        check_value(key, value)
        if BY_KEY[key].kind is float and value is not None:
            settings[key] = float(value)
    return settings


def check_value(key, value):
    """Raise UsageError unless ``value`` suits option ``key`` (type, choices, range)."""
    option = BY_KEY[key]
    if value is None:
        if option.default is not None:
            raise UsageError(f"{option.flag} needs a value")
        return
    kinds = (int, float) if option.kind is float else (option.kind,)
    if isinstance(value, bool) != (option.kind is bool) or not isinstance(value, kinds):
        raise UsageError(f"{option.flag} expects {option.kind.__name__}, got {value!r}")
    if option.choices and value not in option.choices:
        raise UsageError(
            f"{option.flag}: unknown value {value!r}; choose one of {', '.join(option.choices)}"
        )
    if option.kind in (int, float) and not math.isfinite(value):
        raise UsageError(f"{option.flag}: {value!r} is not a finite number")
    if option.minimum is not None and value < option.minimum:
        raise UsageError(f"{option.flag}: {value!r} is below the minimum {option.minimum}")
    if option.below is not None and value >= option.below:
        raise UsageError(f"{option.flag}: {value!r} must be below {option.below}")
    if key == "lr" and value == 0:
        raise UsageError("--lr: a learning rate of 0 never changes the weights; use e.g. 1e-3")


TASK_DEFAULTS = {
    "classification": {"loss": "cross-entropy", "optimizer": "adam"},
    "regression": {"loss": "mse", "optimizer": "sgd"},
}
LEARNING_RATES = {"sgd": 0.1, "adagrad": 0.01, "rmsprop": 1e-3, "adam": 1e-3, "adamw": 1e-3}


def complete(settings, task):
    """``settings`` with the defaults that depend on the task filled in (task, loss, optimizer,
    learning rate), so that a run's config records what it actually used."""
    settings = dict(settings, task=task)
    for key, value in TASK_DEFAULTS[task].items():
        if settings[key] is None:
            settings[key] = value
    if settings["lr"] is None:
        settings["lr"] = LEARNING_RATES[settings["optimizer"]]
    return settings


def identity(settings):
    """The settings that define a run (what a resumed run must share with the original)."""
    return {key: value for key, value in settings.items() if key not in NOT_IDENTITY}
