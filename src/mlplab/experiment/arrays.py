"""Runs on arrays handed over in memory: what the scikit-learn estimators train on.

Such settings name the data set ``"arrays"`` (:data:`~mlplab.experiment.settings.ARRAYS`) and
their task. The arrays are split for validation and scaled exactly as a named data set's training
part is, and the run is built by the same :func:`~mlplab.experiment.runner.build_parts`; it has no
test split, since the caller keeps its own test data.
"""

import dataclasses
from functools import partial

import numpy

from mlplab.data import Dataset, train_val_split
from mlplab.experiment.data import PreparedData, fit_input_scaling, scale_inputs
from mlplab.experiment.runner import as_settings, build_parts, train_parts
from mlplab.experiment.settings import ARRAYS, SettingsError
from mlplab.train.tasks import get_task


def load_arrays(x, y, settings, generator, preprocessing=None, *, class_names=None):
    """Arrays ``x`` (N, features) and ``y`` as a run's :class:`PreparedData`.

    Parameters
    ----------
    x : array_like, shape (N, features)
        Raw inputs, numbers of any dtype (scaled as a data set's are: 8-bit values by 1/255,
        others standardised with the training part's statistics).
    y : array_like
        Class indices (N,) in ``range(len(class_names))``, or regression targets (N,) or (N, T).
    settings : Settings
        With ``dataset="arrays"``; ``val_split`` rows are held out for validation.
    generator : mlplab.Generator
        Draws the validation split.
    preprocessing : dict, optional
        A previous run's scaling, applied instead of one fitted here (for continued training).
    class_names : sequence of str, optional
        Name of each class (classification; default: ``"0"`` to the largest label).
    """
    x, y = numpy.asarray(x), numpy.asarray(y)
    task = get_task(settings.task)
    if task.targets == "classes" and class_names is None:
        class_names = [str(label) for label in range(int(y.max()) + 1)]
    dataset = Dataset(
        ARRAYS, x, y, None, None, task.name,
        None if class_names is None else len(class_names), tuple(x.shape[1:]),
        None if class_names is None else tuple(class_names),
    )  # fmt: skip
    x_train, y_train, x_val, y_val = x, y, None, None
    if settings.val_split > 0:
        x_train, y_train, x_val, y_val = train_val_split(x, y, settings.val_split, generator)
    if preprocessing is None:
        task = task.fitted(y_train)
        preprocessing = {"inputs": fit_input_scaling(dataset, x_train), "targets": task.scaling}
    else:
        task = get_task(task.name, preprocessing["targets"])
    description = {
        "dataset": ARRAYS,
        "task": task.name,
        "num_features": dataset.num_features,
        "feature_shape": list(dataset.feature_shape),
        "image_shape": None,
        "num_outputs": dataset.num_targets,
        "class_names": None if class_names is None else list(class_names),
        "target_names": None,
        "true_parameters": None,
        "samples": {"train": len(x_train), "val": 0 if x_val is None else len(x_val), "test": 0},
    }
    return PreparedData(
        scale_inputs(x_train, preprocessing["inputs"]),
        task.encode(y_train),
        None if x_val is None else scale_inputs(x_val, preprocessing["inputs"]),
        None if y_val is None else task.encode(y_val),
        None,
        None,
        task,
        description,
        preprocessing,
    )


def run_arrays(
    settings,
    x,
    y,
    *,
    class_names=None,
    loss_fn=None,
    preprocessing=None,
    resume_from=None,
    callbacks=(),
    progress=False,
):
    """Train the run ``settings`` describe on arrays ``x`` and ``y``; returns its ``Result``.

    Parameters
    ----------
    settings : Settings or dict
        With ``dataset="arrays"`` and ``task``; every other setting as for
        :func:`mlplab.experiment.run`.
    x, y, class_names
        The data, as for :func:`load_arrays`.
    loss_fn : callable, optional
        ``loss_fn(outputs, targets) -> scalar Tensor`` used instead of ``settings.loss`` (e.g. a
        weighted ``nn.CrossEntropyLoss`` or any tensor expression).
    preprocessing : dict, optional
        The scaling of a previous run on the same kind of data (``Result.preprocessing``).
    resume_from : dict, optional
        The state of a previous run (``mlplab.train.Run.state_dict()``) to continue exactly:
        ``settings.epochs`` then counts its epochs too.
    callbacks, progress
        As for :func:`mlplab.experiment.run`.

    Returns
    -------
    Result
        With ``test`` None: the run has no test split.
    """
    settings = as_settings(settings).resolved()
    if settings.dataset != ARRAYS:
        raise SettingsError(
            "dataset", f"run_arrays trains on arrays: use dataset={ARRAYS!r}, not "
            f"{settings.dataset!r} (or mlplab.experiment.run for a named data set)"
        )  # fmt: skip
    _check_arrays(x, y)
    load = partial(load_arrays, x, y, class_names=class_names)
    parts = build_parts(settings, preprocessing, load=load)
    if loss_fn is not None:
        parts = dataclasses.replace(parts, loss_fn=loss_fn)
    return train_parts(parts, None, callbacks, progress, resume_from)


def _check_arrays(x, y):
    """ValueError unless ``x`` is (N, features) numbers and ``y`` has N rows."""
    x, y = numpy.asarray(x), numpy.asarray(y)
    if x.ndim != 2 or x.dtype.kind not in "biuf":
        raise ValueError(
            f"x must be numbers of shape (samples, features), got {x.dtype} of shape {x.shape}"
        )
    if len(y) != len(x):
        raise ValueError(f"x and y differ in length: {len(x)} samples but {len(y)} targets")
