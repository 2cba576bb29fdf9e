"""A run's data: the data set loaded by name, split for validation, scaled for the network.

What is done to the inputs (and, through the task, to the targets) is fitted on the training part
only and recorded as plain data (``preprocessing``), so that evaluating or predicting later treats
new inputs exactly as the training inputs were treated.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy

from mlplab.data import load_dataset, standardization, train_val_split
from mlplab.experiment.settings import ARRAYS, SettingsError
from mlplab.train.tasks import Task, get_task


@dataclass
class PreparedData:
    """A data set made ready for a network: float32 (N, features) inputs, scaled; targets.

    ``task`` is the fitted task (a regression task knows how its targets were standardised);
    ``description`` says what the data are (sizes, names), ``preprocessing`` how inputs and
    targets were scaled, both as JSON-ready data.
    """

    x_train: numpy.ndarray
    y_train: numpy.ndarray
    x_val: numpy.ndarray | None
    y_val: numpy.ndarray | None
    x_test: numpy.ndarray
    y_test: numpy.ndarray
    task: Task
    description: dict
    preprocessing: dict


def load_data(settings, generator, preprocessing=None):
    """Load the data set ``settings`` name, hold out validation rows, and scale everything.

    Parameters
    ----------
    settings : Settings
    generator : mlplab.Generator
        Draws the validation split (the test split is the data set's own, fixed).
    preprocessing : dict, optional
        A saved run's scaling, applied instead of one fitted to the training part.

    Returns
    -------
    PreparedData
    """
    name = settings.dataset
    if name == ARRAYS:
        raise SettingsError(
            "dataset", f"{ARRAYS!r} means arrays handed over in memory: train on them with "
            "mlplab.experiment.arrays.run_arrays(settings, x, y), or name a data set to load"
        )  # fmt: skip
    if settings.data_dir is not None and not Path(settings.data_dir).is_dir():
        raise SettingsError(
            "data_dir", f"folder {settings.data_dir} does not exist; give the folder holding the "
            "data set's files, or leave it out"
        )  # fmt: skip
    try:
        dataset = load_dataset(
            name, data_dir=settings.data_dir, download=settings.download, **settings.dataset_options
        )
    except (OSError, ValueError) as error:
        raise SettingsError("dataset", f"cannot load data set {name!r}: {error}") from None
    x_train, y_train = dataset.x_train, dataset.y_train
    x_val = y_val = None
    if settings.val_split > 0:
        x_train, y_train, x_val, y_val = train_val_split(
            x_train, y_train, settings.val_split, generator
        )
    if preprocessing is None:
        task = get_task(dataset.task).fitted(y_train)
        preprocessing = {"inputs": fit_input_scaling(dataset, x_train), "targets": task.scaling}
    else:
        task = get_task(dataset.task, preprocessing["targets"])

    def inputs(x):
        return None if x is None else scale_inputs(x, preprocessing["inputs"])

    def targets(y):
        return None if y is None else task.encode(y)

    return PreparedData(
        inputs(x_train),
        targets(y_train),
        inputs(x_val),
        targets(y_val),
        inputs(dataset.x_test),
        targets(dataset.y_test),
        task,
        _describe(dataset, len(x_train), 0 if x_val is None else len(x_val)),
        preprocessing,
    )


def _describe(dataset, train, val):
    """What a model of this data set needs to know about it, as JSON-ready data."""
    return {
        "dataset": dataset.name,
        "task": dataset.task,
        "num_features": dataset.num_features,
        "feature_shape": list(dataset.feature_shape),
        "image_shape": _image_shape(dataset),
        "num_outputs": dataset.num_targets,
        "class_names": list(dataset.class_names) if dataset.class_names else None,
        "target_names": list(dataset.target_names) if dataset.target_names else None,
        "true_parameters": dataset.meta.get("true_parameters"),
        "samples": {"train": train, "val": val, "test": len(dataset.x_test)},
    }


def target_names(description):
    """The names of a regression data set's targets (``y1``, ``y2``, ... when it has none)."""
    return description["target_names"] or [f"y{i + 1}" for i in range(description["num_outputs"])]


def _image_shape(dataset):
    """(height, width) of a set of pictures (``digits`` stores its 8x8 images flat), else None."""
    if len(dataset.feature_shape) == 2:
        return list(dataset.feature_shape)
    shape = dataset.meta.get("image_shape")
    return list(shape) if shape else None


def fit_input_scaling(dataset, x_train):
    """How inputs are scaled, from the training part only, as JSON-ready data.

    Pixel data are divided by their full-scale value (255 for 8-bit images, 16 for ``digits``),
    as the classic MNIST recipes do; other features are standardised.
    """
    maximum = 255.0 if x_train.dtype == numpy.uint8 else dataset.meta.get("max_value")
    if maximum:
        return {"kind": "scale", "factor": 1.0 / float(maximum)}
    mean, std = standardization(x_train.reshape(len(x_train), -1))
    return {"kind": "standardize", "mean": mean.tolist(), "std": std.tolist()}


SCALING_ROWS = 4096  # rows scaled at a time: the float64 work stays in cache, not a copy of x


def scale_inputs(x, rule):
    """Raw inputs (N, ...) as the network's float32 (N, features), scaled by ``rule``.

    The arithmetic is float64, block by block of rows, written into the float32 result.
    """
    x = numpy.asarray(x)
    flat = x.reshape(len(x), -1)
    scaled = numpy.empty(flat.shape, dtype=numpy.float32)
    if rule["kind"] != "scale":
        mean, std = numpy.asarray(rule["mean"]), numpy.asarray(rule["std"])
    for start in range(0, len(flat), SCALING_ROWS):
        block = flat[start : start + SCALING_ROWS].astype(numpy.float64)
        if rule["kind"] == "scale":
            block *= rule["factor"]
        else:
            block -= mean
            block /= std
        scaled[start : start + SCALING_ROWS] = block
    return scaled
