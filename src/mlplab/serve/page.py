"""The page's settings: the flat, URL-ready form the playground keeps, read into ``Settings``.

The page holds one value per control (``hidden=8-8``, ``features=x1,x2,x1*x2``,
``regularization=l2``), as strings or JSON values; :func:`to_settings` turns them into the
run's :class:`mlplab.experiment.Settings`, which checks them against the registries. What the
page may offer (data sets, activations, initializations, losses, optimizers, features) is read
from the library by :func:`options`; nothing is listed here but the page's own spelling of a few
settings.
"""

import math
import re
from pathlib import Path

from mlplab import nn, optim
from mlplab.data import available_datasets, dataset_options, dataset_task, load_dataset
from mlplab.data.features import FEATURES
from mlplab.experiment import Settings, SettingsError
from mlplab.nn.activations import HIDDEN_ACTIVATIONS
from mlplab.nn.initializers import INITIALIZERS
from mlplab.optim.schedule_spec import SCHEDULES

# The options of the generated sets that the page offers, by kind (the rest keep their defaults).
DATA_OPTIONS = {"n_samples": int, "noise": float, "test_fraction": float, "num_classes": int}
# Settings the page spells differently: its field -> the setting it sets.
PAGE_FIELDS = {"hidden": "layers", "reg_rate": "weight_decay"}
# The two kinds of weight penalty, which differ for adaptive optimizers (Adam against AdamW).
REGULARIZATION = {
    "none": "no weight penalty",
    "l2": "L2 in the loss, rate·‖w‖²/2 (added to the gradient before the optimizer's scaling)",
    "decoupled": "decoupled weight decay, applied after the optimizer's scaling (AdamW)",
}
DEFAULTS = {
    "dataset": "spirals",
    "n_samples": 500,
    "noise": 0.05,
    "test_fraction": 0.5,
    "num_classes": 2,
    "features": "",
    "hidden": "8-8",
    "activation": "tanh",
    "dropout": 0.0,
    "init": "default",
    "loss": "",
    "optimizer": "adam",
    "lr": 0.03,
    "momentum": "",
    "nesterov": False,
    "schedule": "constant",
    "batch_size": 10,
    "regularization": "none",
    "reg_rate": 0.0,
    "epochs": 1000,
    "seed": 0,
    "upload": "",
}
"""The page's first settings: spirals, a 2-8-8-2 tanh network, Adam at 0.03, batch 10."""


class PageError(ValueError):
    """A page setting that cannot be used: ``field`` names the page's control, ``detail`` why."""

    def __init__(self, field, detail):
        self.field = field
        self.detail = detail
        super().__init__(f"{field}: {detail}")


def playground_datasets():
    """The registered data sets the page can draw: those that take ``features`` -- the generated
    ones, and the ones read from the user's file (which take a ``path``)."""
    return [name for name in available_datasets() if "features" in dataset_options(name)]


def takes_file(name):
    """Whether data set ``name`` is read from the user's file (an upload, on the page)."""
    return "path" in dataset_options(name)


def upload_path(uploads, upload):
    """The server's file of the page's upload id ``upload``; PageError if there is none.

    Only ids the server made (hex digits) are taken, so a page cannot name other files.
    """
    if not upload:
        raise PageError("upload", "this data set is your own CSV file: upload one first")
    if uploads is None or not re.fullmatch(r"[0-9a-f]{16,64}", upload):
        raise PageError("upload", f"{upload!r} is not an upload of this server: upload the file")
    path = Path(uploads) / f"{upload}.csv"
    if not path.is_file():
        raise PageError("upload", "that upload is no longer on this server: upload the file again")
    return path


def options():
    """What the page offers, read from the library's registries, as JSON-ready data."""
    datasets = {}
    for name in playground_datasets():
        # A user's file has 1 or 2 inputs, known once it is uploaded; the page starts with 2.
        dimensions = 2 if takes_file(name) else load_dataset(name, n_samples=20).num_features
        datasets[name] = {
            "description": available_datasets()[name],
            "task": dataset_task(name),
            "dimensions": dimensions,
            "options": [key for key in DATA_OPTIONS if key in dataset_options(name)],
            "upload": takes_file(name),
        }
    task_of_loss = {"classes": "classification", "values": "regression"}
    return {
        "datasets": datasets,
        "features": {name: needs for name, (needs, _) in FEATURES.items()},
        "activations": list(HIDDEN_ACTIVATIONS),
        "initializers": {
            name: {
                # What the page offers: the name, or with its value's default (normal:0.01).
                "spec": name if entry.value is None else f"{name}:{entry.default:g}",
                "description": entry.description,
            }
            for name, entry in INITIALIZERS.items()
        },
        "losses": {name: task_of_loss[entry.targets] for name, entry in nn.LOSSES.items()},
        "optimizers": {
            name: {
                "default_lr": entry.default_lr,
                "momentum": entry.momentum,
                "description": entry.description,
            }
            for name, entry in optim.OPTIMIZERS.items()
        },
        "schedules": {
            name: {"usage": kind.usage, "description": kind.description}
            for name, kind in SCHEDULES.items()
        },
        "regularization": REGULARIZATION,
        "defaults": DEFAULTS,
    }


def to_settings(page, uploads=None):
    """The run's Settings for the page's values ``page`` (missing ones take :data:`DEFAULTS`).

    ``uploads`` is the server's folder of uploaded CSV files, which ``upload`` ids name.

    Raises
    ------
    PageError
        Naming the page's field at fault and what to do, before anything is built.
    """
    if not isinstance(page, dict):
        raise PageError("settings", f"expected an object of settings, got {page!r}")
    unknown = sorted(set(page) - set(DEFAULTS))
    if unknown:
        raise PageError(unknown[0], f"unknown setting; known: {', '.join(DEFAULTS)}")
    values = {**DEFAULTS, **page}
    name = _text(values, "dataset")
    if name not in playground_datasets():
        raise PageError(
            "dataset",
            f"unknown data set {name!r}; choose one of {', '.join(playground_datasets())}",
        )
    data_options = {
        key: _number(values, key, kind)
        for key, kind in DATA_OPTIONS.items()
        if key in dataset_options(name)
    }
    if takes_file(name):
        data_options["path"] = str(upload_path(uploads, _text(values, "upload")))
    features = _names(values, "features")
    if features:
        data_options["features"] = features
    dataset = _load(name, data_options)
    # Without a choice, the data set's own features (its coordinates), written down for the record.
    data_options["features"] = list(dataset.meta["features"])
    hidden = _hidden(values)
    fields = {
        "dataset": name,
        "dataset_options": data_options,
        "layers": [dataset.num_features, *hidden, dataset.num_targets],
        "activation": _activation(values),
        "dropout": _number(values, "dropout", float),
        "init": _text(values, "init") or "default",
        "loss": _text(values, "loss") or None,
        "optimizer": _text(values, "optimizer"),
        "lr": _number(values, "lr", float),
        "momentum": None
        if values["momentum"] in ("", None)
        else _number(values, "momentum", float),
        "nesterov": _flag(values, "nesterov"),
        "schedule": _text(values, "schedule") or "constant",
        "batch_size": _number(values, "batch_size", int),
        "weight_decay": _weight_decay(values),
        "epochs": _number(values, "epochs", int),
        "seed": _number(values, "seed", int),
        "val_split": 0.0,
    }
    try:
        return Settings(**fields).resolved()
    except SettingsError as error:
        raise PageError(page_field(error.setting), error.detail) from None


def page_field(setting):
    """The page's control for a setting of ``Settings`` (``layers`` -> ``hidden``)."""
    fields = {setting: field for field, setting in PAGE_FIELDS.items()}
    if setting == "dataset_options":
        return "dataset"
    return fields.get(setting, setting or "settings")


def from_settings(settings):
    """The page's values for ``settings`` (the inverse of :func:`to_settings`)."""
    page = dict(DEFAULTS)
    options = dict(settings.dataset_options)
    page.update({key: value for key, value in options.items() if key in DATA_OPTIONS})
    page["features"] = ",".join(options.get("features", ()))
    page["dataset"] = settings.dataset
    page["hidden"] = "-".join(map(str, settings.layers[1:-1]))
    activation = settings.activation
    page["activation"] = ",".join(activation) if isinstance(activation, list) else activation
    for key in ("dropout", "init", "loss", "optimizer", "lr", "nesterov", "schedule",
                "batch_size", "epochs", "seed"):  # fmt: skip
        page[key] = getattr(settings, key)
    if "path" in options:
        page["upload"] = Path(options["path"]).stem
    page["momentum"] = "" if settings.momentum is None else settings.momentum
    if settings.weight_decay:
        page["regularization"] = "decoupled" if settings.optimizer == "adamw" else "l2"
        page["reg_rate"] = settings.weight_decay
    return page


def _load(name, data_options):
    """The data set as the page describes it; PageError naming the option at fault."""
    try:
        return load_dataset(name, **data_options)
    except ValueError as error:
        text = str(error)
        field = next((key for key in data_options if key.rstrip("s") in text), "dataset")
        raise PageError(field, text) from None


def _text(values, key):
    """A text value."""
    value = values[key]
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PageError(key, f"expected a name, got {value!r}")
    return value.strip()


def _number(values, key, kind):
    """A number from a JSON number or the text of one."""
    value = values[key]
    if isinstance(value, str):
        try:
            value = float(value) if kind is float else int(value)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise PageError(key, f"expected {what}, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PageError(key, f"expected a number, got {value!r}")
    if kind is int and value != int(value):
        raise PageError(key, f"expected a whole number, got {value!r}")
    if not math.isfinite(value):
        raise PageError(key, f"{value!r} is not a finite number")
    return kind(value)


def _flag(values, key):
    """A yes/no value: a JSON bool, or 1/0, true/false, on/off as text."""
    value = values[key]
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "on", "yes"):
        return True
    if text in ("0", "false", "off", "no", ""):
        return False
    raise PageError(key, f"expected true or false, got {value!r}")


def _names(values, key):
    """A list of names from a list or comma-separated text."""
    value = values[key]
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise PageError(key, f"expected a list of names, got {value!r}")
    return value


def _hidden(values):
    """Hidden-layer widths from ``8-8`` text or a list (empty: no hidden layer)."""
    value = values["hidden"]
    if isinstance(value, int | str) and not isinstance(value, bool):
        text = str(value).strip()
        parts = [] if text in ("", "0") else text.replace(",", "-").split("-")
        try:
            value = [int(part) for part in parts]
        except ValueError:
            raise PageError(
                "hidden", f"write the hidden widths joined by '-', e.g. 8-8, not {text!r}"
            ) from None
    if not isinstance(value, list) or not all(
        isinstance(width, int) and not isinstance(width, bool) and width >= 1 for width in value
    ):
        raise PageError("hidden", f"expected positive widths such as 8-8, got {value!r}")
    return value


def _activation(values):
    """One activation name, or one per hidden layer (a list with a single name means all)."""
    names = _names(values, "activation")
    if not names:
        raise PageError("activation", f"choose one of {', '.join(HIDDEN_ACTIVATIONS)}")
    return names[0] if len(names) == 1 else names


def _weight_decay(values):
    """The optimizer's weight decay for the page's kind of penalty and its rate.

    L2 in the loss (rate·‖w‖²/2) adds rate·w to the gradient, which is what SGD, Adagrad, RMSprop
    and Adam do with ``weight_decay``; decoupled decay is AdamW's.
    """
    kind = _text(values, "regularization") or "none"
    if kind not in REGULARIZATION:
        raise PageError("regularization", f"choose one of {', '.join(REGULARIZATION)}")
    rate = _number(values, "reg_rate", float)
    if kind == "none":
        return 0.0
    optimizer = _text(values, "optimizer")
    decoupled = optimizer == "adamw"
    if kind == "decoupled" and not decoupled:
        raise PageError(
            "regularization",
            f"decoupled weight decay is AdamW's; choose the adamw optimizer, or L2 in the loss "
            f"with {optimizer}",
        )
    if kind == "l2" and decoupled:
        raise PageError(
            "regularization",
            "AdamW's weight decay is decoupled, not L2 in the loss; choose adam for L2, or "
            "decoupled weight decay with adamw",
        )
    return rate
