"""What the commands build from a run's settings: data, model, loss, optimizer, schedule, folder.

A run folder holds ``config.json`` (settings, data description, preprocessing),
``checkpoint.safetensors``, ``history.csv``/``history.jsonl``, plots, ``model.safetensors`` and
``results.json``. Everything ``evaluate`` and ``predict`` need to treat new inputs exactly as the
training inputs were treated is in ``config.json``.
"""

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

import numpy

import mlplab
from mlplab import nn
from mlplab.cli.config import UsageError, identity
from mlplab.data import available_datasets, load_dataset, train_val_split
from mlplab.io import read_info
from mlplab.optim import SGD, Adagrad, Adam, AdamW, RMSprop, lr_scheduler
from mlplab.utils import atomic_write_bytes

CONFIG = "config.json"
CHECKPOINT = "checkpoint.safetensors"
MODEL = "model.safetensors"
RESULTS = "results.json"
LOSSES = {
    "cross-entropy": nn.CrossEntropyLoss,
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "huber": nn.HuberLoss,
}
CLASSIFICATION_LOSSES = ("cross-entropy",)
HIDDEN_WIDTH = 256  # the default network's hidden layer: ample for digits, fast everywhere


@dataclass
class PreparedData:
    """A data set made ready for a network: float32 (N, features) inputs, scaled; targets."""

    x_train: numpy.ndarray
    y_train: numpy.ndarray
    x_val: numpy.ndarray | None
    y_val: numpy.ndarray | None
    x_test: numpy.ndarray
    y_test: numpy.ndarray
    description: dict
    preprocessing: dict


def load_data(settings, generator, preprocessing=None):
    """Load, split and scale the data set ``settings`` name; UsageError if impossible.

    ``generator`` draws generated sets and the splits, so the same seed gives the same data.
    ``preprocessing`` (a saved run's) is applied instead of one fitted to the training part.
    """
    name = settings["dataset"]
    if name not in available_datasets():
        raise UsageError(
            f"--dataset: unknown data set {name!r}; choose one of {', '.join(available_datasets())}"
        )
    try:
        dataset = load_dataset(
            name, data_dir=settings["data_dir"], download=settings["download"], generator=generator
        )
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot load data set {name!r}: {error}") from None
    task = settings["task"] or dataset.task
    if task != dataset.task:
        raise UsageError(
            f"--task {task}: data set {name!r} is a {dataset.task} data set; choose a "
            f"{task} one (e.g. {'linear' if task == 'regression' else 'digits'})"
        )
    x_train, y_train = dataset.x_train, dataset.y_train
    x_val = y_val = None
    if settings["val_split"] > 0:
        x_train, y_train, x_val, y_val = train_val_split(
            x_train, y_train, settings["val_split"], generator
        )
    preprocessing = preprocessing or _fit_preprocessing(dataset, x_train, y_train)
    description = {
        "dataset": name,
        "task": task,
        "num_features": dataset.num_features,
        "feature_shape": list(dataset.feature_shape),
        "image_shape": _image_shape(dataset),
        "num_outputs": dataset.num_targets,
        "class_names": list(dataset.class_names) if dataset.class_names else None,
        "target_names": list(dataset.target_names) if dataset.target_names else None,
        "true_parameters": dataset.meta.get("true_parameters"),
        "samples": {
            "train": len(x_train),
            "val": 0 if x_val is None else len(x_val),
            "test": len(dataset.x_test),
        },
    }

    def inputs(x):
        return None if x is None else prepare_inputs(x, preprocessing)

    def targets(y):
        return None if y is None else prepare_targets(y, preprocessing)

    return PreparedData(
        inputs(x_train),
        targets(y_train),
        inputs(x_val),
        targets(y_val),
        inputs(dataset.x_test),
        targets(dataset.y_test),
        description,
        preprocessing,
    )


def _image_shape(dataset):
    """(height, width) of a set of pictures (``digits`` stores its 8x8 images flat), else None."""
    if len(dataset.feature_shape) == 2:
        return list(dataset.feature_shape)
    shape = dataset.meta.get("image_shape")
    return list(shape) if shape else None


def _fit_preprocessing(dataset, x_train, y_train):
    """How inputs (and regression targets) are scaled, from the training part only.

    Pixel data are divided by their full-scale value (255 for 8-bit images, 16 for ``digits``),
    as the classic MNIST recipes do; other features and regression targets are standardised.
    """
    maximum = 255.0 if x_train.dtype == numpy.uint8 else dataset.meta.get("max_value")
    if maximum:
        inputs = {"kind": "scale", "factor": 1.0 / float(maximum)}
    else:
        flat = x_train.reshape(len(x_train), -1).astype(numpy.float64)
        inputs = {
            "kind": "standardize",
            "mean": flat.mean(axis=0).tolist(),
            "std": numpy.maximum(flat.std(axis=0), 1e-8).tolist(),
        }
    targets = None
    if dataset.task == "regression":
        y = y_train.reshape(len(y_train), -1).astype(numpy.float64)
        targets = {
            "kind": "standardize",
            "mean": y.mean(axis=0).tolist(),
            "std": numpy.maximum(y.std(axis=0), 1e-8).tolist(),
        }
    return {"inputs": inputs, "targets": targets}


def prepare_inputs(x, preprocessing):
    """Raw inputs (N, ...) as the network's float32 (N, features), scaled as in training."""
    x = numpy.asarray(x)
    flat = x.reshape(len(x), -1).astype(numpy.float64)
    rule = preprocessing["inputs"]
    if rule["kind"] == "scale":
        flat = flat * rule["factor"]
    else:
        flat = (flat - numpy.asarray(rule["mean"])) / numpy.asarray(rule["std"])
    return flat.astype(numpy.float32)


def prepare_targets(y, preprocessing):
    """Targets as the network learns them: int64 classes, or standardised float32 (N, T)."""
    rule = preprocessing["targets"]
    if rule is None:
        return numpy.asarray(y).astype(numpy.int64)
    y = numpy.asarray(y, dtype=numpy.float64).reshape(len(y), -1)
    return ((y - numpy.asarray(rule["mean"])) / numpy.asarray(rule["std"])).astype(numpy.float32)


def restore_targets(outputs, preprocessing):
    """Network outputs of a regression run in the data's own units (float64 (N, T))."""
    rule = preprocessing["targets"]
    outputs = numpy.asarray(outputs, dtype=numpy.float64)
    return outputs * numpy.asarray(rule["std"]) + numpy.asarray(rule["mean"])


def layer_sizes(settings, description):
    """The network's widths: ``--layers`` checked against the data, or the default network."""
    features, outputs = description["num_features"], description["num_outputs"]
    if settings["layers"] is None:
        if description["task"] == "classification":
            return [features, HIDDEN_WIDTH, outputs]
        return [features, outputs]
    try:
        sizes = nn.mlp.parse_sizes(settings["layers"])
    except ValueError as error:
        raise UsageError(f"--layers: {error}") from None
    shape = "x".join(map(str, description["feature_shape"]))
    what = "classes" if description["task"] == "classification" else "targets"
    if sizes[0] != features or sizes[-1] != outputs:
        raise UsageError(
            f"--layers {settings['layers']} does not fit {description['dataset']}: its inputs have "
            f"{features} values ({shape}) and it has {outputs} {what}, so use "
            f"{features}-...-{outputs}"
        )
    return sizes


def build_model(sizes, settings, generator):
    """The MLP of the run, initialised from ``generator``."""
    return nn.MLP(
        sizes,
        activation=settings["activation"].replace("-", "_"),
        dropout=settings["dropout"],
        generator=generator,
    )


def build_loss(settings, task):
    """The loss module named by ``--loss`` (default by task), checked against the task."""
    name = settings["loss"]
    if (task == "classification") != (name in CLASSIFICATION_LOSSES):
        fitting = (
            CLASSIFICATION_LOSSES
            if task == "classification"
            else tuple(loss for loss in LOSSES if loss not in CLASSIFICATION_LOSSES)
        )
        raise UsageError(f"--loss {name} does not suit {task}; use {' or '.join(fitting)}")
    return LOSSES[name]()


def build_optimizer(settings, parameters):
    """The optimizer named by ``--optimizer`` with the run's lr, momentum and weight decay."""
    name, lr, decay = settings["optimizer"], settings["lr"], settings["weight_decay"]
    momentum, nesterov = settings["momentum"], settings["nesterov"]
    if nesterov and name != "sgd":
        raise UsageError(
            f"--nesterov is SGD's Nesterov momentum and does not apply to {name}: leave it out, "
            "or use --optimizer sgd --momentum 0.9 --nesterov"
        )
    if nesterov and not momentum:
        raise UsageError("--nesterov needs a --momentum above 0, e.g. --momentum 0.9")
    if name == "sgd":
        return SGD(
            parameters, lr=lr, momentum=momentum or 0.0, nesterov=nesterov, weight_decay=decay
        )
    if name == "rmsprop":
        return RMSprop(parameters, lr=lr, momentum=momentum or 0.0, weight_decay=decay)
    if name == "adagrad":
        if momentum is not None:
            raise UsageError("--momentum does not apply to adagrad; leave it out")
        return Adagrad(parameters, lr=lr, weight_decay=decay)
    betas = (0.9 if momentum is None else momentum, 0.999)
    if name == "adamw":
        return AdamW(parameters, lr=lr, betas=betas, weight_decay=decay)
    return Adam(parameters, lr=lr, betas=betas, weight_decay=decay)


def build_scheduler(settings, optimizer, steps_per_epoch):
    """The schedule of ``--schedule`` and whether it steps per ``"epoch"`` or per ``"step"``."""
    try:
        scheduler = lr_scheduler.from_string(
            settings["schedule"],
            optimizer,
            epochs=settings["epochs"],
            steps_per_epoch=steps_per_epoch,
        )
    except ValueError as error:
        raise UsageError(f"--schedule: {error}") from None
    interval = "step" if isinstance(scheduler, lr_scheduler.OneCycleLR) else "epoch"
    return scheduler, interval


def default_folder(dataset):
    """A new folder name under ``runs/``: data set, date and time."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path("runs") / f"{dataset}-{stamp}"
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = Path("runs") / f"{dataset}-{stamp}-{suffix}"
    return folder


def read_run_config(folder):
    """The ``config.json`` of a run folder; UsageError naming the problem if unusable."""
    path = Path(folder) / CONFIG
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{folder} is not a run folder: it has no {CONFIG}") from None
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("settings"), dict):
        raise UsageError(f"{path} is not an mlplab run config")
    return document


def check_new_folder(folder, settings):
    """Refuse a folder that already holds a run (the same one, or a different one)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder} is a file, not a folder")
    if not (folder / CONFIG).exists() and not (folder / CHECKPOINT).exists():
        return
    try:
        existing = identity(read_run_config(folder)["settings"])
    except UsageError:
        existing = None
    if existing == identity(settings):
        raise UsageError(
            f"{folder} already holds this run; add --resume to continue it, or choose another --out"
        )
    differences = (
        ", ".join(
            f"{key} {existing.get(key)!r} there vs {value!r} here"
            for key, value in identity(settings).items()
            if existing.get(key) != value
        )
        if existing
        else "unreadable config"
    )
    raise UsageError(
        f"{folder} already holds a different run ({differences}); choose another --out"
    )


def write_json(path, document):
    """Write ``document`` as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))


def model_run_config(folder, model_path):
    """The run config of a model: its folder's ``config.json``, else the copy saved inside it."""
    if (Path(folder) / CONFIG).exists():
        return read_run_config(folder)
    try:
        document = read_info(model_path)["metadata"]
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot load model {model_path}: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("settings"), dict):
        raise UsageError(
            f"{model_path} was not saved by 'mlplab train' and has no {CONFIG} beside it: "
            "its data and scaling are unknown"
        )
    return document


def locate_run(path):
    """The run folder and model file that ``path`` (either of them) names; UsageError if absent."""
    path = Path(path)
    if path.is_dir():
        folder, model = path, path / MODEL
    else:
        folder, model = path.parent, path
    if not model.exists():
        raise UsageError(f"{model} does not exist; pass a run folder or its {MODEL}")
    return folder, model


def load_model(path):
    """``mlplab.load(path)``, with any failure reported as a UsageError naming the file."""
    try:
        return mlplab.load(path)
    except (OSError, ValueError, RuntimeError) as error:
        raise UsageError(f"cannot load model {path}: {error}") from None
