"""A finished run loaded back: its model, and the config saying how its inputs were prepared.

``mlplab evaluate``, ``mlplab predict`` and ``mlplab info`` -- and anyone in Python -- use
:class:`SavedRun` to treat new inputs exactly as training treated them: the same input scaling,
the same task (and so the same target units and metrics).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy

import mlplab
from mlplab import nn
from mlplab.data import DataLoader
from mlplab.experiment.data import load_data, scale_inputs, target_names
from mlplab.experiment.folder import (
    CONFIG,
    MODEL,
    RESULTS,
    RunFolderError,
    check_run_config,
    read_run_config,
)
from mlplab.experiment.runner import TEST_BATCH, per_target_figures
from mlplab.experiment.settings import Settings, SettingsError
from mlplab.io import read_info
from mlplab.train import confusion_matrix, evaluate, predict
from mlplab.train.tasks import get_task


class InputError(ValueError):
    """Inputs that do not look like the training inputs (shape, type or range): says which."""


@dataclass
class SavedRun:
    """A trained model and its run config (from its folder, or the copy inside the model file).

    Attributes
    ----------
    folder : pathlib.Path
        The run folder (the model file's folder for a lone model file).
    model_path : pathlib.Path
    model : mlplab.nn.Module
    config : dict or None
        The run config (settings, data description, preprocessing); None for a model saved
        outside ``mlplab train`` / :func:`mlplab.experiment.run`.
    """

    folder: Path
    model_path: Path
    model: object
    config: dict | None

    @classmethod
    def open(cls, path):
        """The run in folder ``path``, or of the model file ``path``; RunFolderError if absent."""
        path = Path(path)
        folder, model_path = (path, path / MODEL) if path.is_dir() else (path.parent, path)
        if not model_path.is_file():
            raise RunFolderError(f"{model_path} does not exist; pass a run folder or its {MODEL}")
        try:
            model = mlplab.load(model_path)
        except (OSError, ValueError, RuntimeError) as error:
            raise RunFolderError(f"cannot load model {model_path}: {error}") from None
        return cls(folder, model_path, model, _run_config(folder, model_path))

    def _needs_config(self):
        """The run config; RunFolderError saying why it is needed when there is none."""
        if self.config is None:
            raise RunFolderError(
                f"{self.model_path} was not saved by a training run and has no {CONFIG} beside "
                "it: its data and scaling are unknown"
            )
        return self.config

    @property
    def description(self):
        """What the training data were (features, outputs, class or target names, ...)."""
        return self._needs_config()["data"]

    @property
    def task(self):
        """The run's fitted task: a regression task maps outputs back to the targets' units."""
        config = self._needs_config()
        return get_task(config["data"]["task"], config["preprocessing"]["targets"])

    @property
    def results(self):
        """The run's ``results.json`` (test figures, epochs), or None if it has none."""
        path = self.folder / RESULTS
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise RunFolderError(f"cannot read {path}: {error}") from None

    def inputs(self, raw):
        """Raw samples (N, ...) as the network takes them: float32 (N, features), scaled.

        Raises InputError for samples of another size, non-numbers, or values outside the range
        the training inputs had -- such as images already scaled to [0, 1] for a model that
        scales 0-255 pixels itself, which would otherwise be scaled twice.
        """
        raw = self._checked(raw)
        return scale_inputs(raw, self._needs_config()["preprocessing"]["inputs"])

    def _checked(self, raw):
        """``raw`` as an array, checked against the training inputs (InputError if unlike)."""
        raw = numpy.asarray(raw)
        features = self.description["num_features"]
        if raw.dtype.kind not in "biuf" or raw.ndim == 0 or raw[0].size != features:
            raise InputError(
                f"inputs of shape {raw.shape} and type {raw.dtype} do not fit this model: it "
                f"takes samples of {features} numbers"
            )
        rule = self._needs_config()["preprocessing"]["inputs"]
        if rule["kind"] == "scale" and raw.size:
            _check_range(raw, 1.0 / rule["factor"])
        return raw

    def outputs(self, raw):
        """The network's outputs for raw samples: logits (N, C) or standardised values (N, T).

        Samples are scaled and run in batches, so memory holds the raw samples and the outputs,
        not a scaled float copy of every sample.
        """
        raw = self._checked(raw)
        rule = self._needs_config()["preprocessing"]["inputs"]
        parts = [
            predict(self.model, scale_inputs(raw[start : start + TEST_BATCH], rule))
            for start in range(0, len(raw), TEST_BATCH)
        ]
        return numpy.concatenate(parts) if parts else predict(self.model, self.inputs(raw))

    def predict(self, raw):
        """Predictions for raw samples: classes (N,), or values in the targets' units (N, T)."""
        return self.task.decode(self.outputs(raw))

    def predict_proba(self, raw):
        """Class probabilities (N, C) for raw samples (classification runs only)."""
        if self.task.targets != "classes":
            raise InputError("class probabilities exist for classification runs only")
        # In place, in float64: one (N, C) array however many samples. Shifting by the row's
        # largest logit keeps exp finite for any logits.
        probabilities = self.outputs(raw).astype(numpy.float64)
        probabilities -= probabilities.max(axis=1, keepdims=True)
        numpy.exp(probabilities, out=probabilities)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return probabilities

    def evaluate(self, dataset=None, data_dir=None, download=True):
        """Measure the model on the test part of its data set, or of ``dataset`` (same shape).

        Returns
        -------
        dict
            ``dataset``, ``samples``, ``test`` (loss and the task's metrics, regression ones in
            the targets' units), and ``confusion_matrix`` (classification) or ``per_target``.
        """
        config = self._needs_config()
        settings = Settings.from_dict(config["settings"])
        changes = {"data_dir": data_dir, "download": download}
        if dataset is not None and dataset != settings.dataset:
            changes.update(dataset=dataset, dataset_options={})  # options belong to a data set
        settings = settings.replace(**changes)
        data = load_data(settings, mlplab.Generator(settings.seed), config["preprocessing"])
        for key in ("num_features", "num_outputs", "task"):
            if data.description[key] != config["data"][key]:
                raise SettingsError(
                    "dataset",
                    f"{settings.dataset} does not fit this model: {key} is "
                    f"{data.description[key]}, the model was trained with {config['data'][key]}",
                )
        loader = DataLoader(data.x_test, data.y_test, TEST_BATCH)
        report = {
            "dataset": settings.dataset,
            "samples": len(data.x_test),
            "test": evaluate(self.model, nn.get_loss(settings.loss), loader, task=data.task),
        }
        outputs = data.task.decode(predict(self.model, data.x_test))
        truth = data.task.decode(data.y_test) if data.task.targets == "values" else data.y_test
        if data.task.targets == "classes":
            report["confusion_matrix"] = confusion_matrix(
                truth, outputs, config["data"]["num_outputs"]
            )
        else:
            report["per_target"] = per_target_figures(outputs, truth, target_names(config["data"]))
        return report


def _check_range(raw, full_scale):
    """InputError unless the values lie in [0, full_scale], as the training inputs did."""
    low, high = float(raw.min()), float(raw.max())
    if low < 0 or high > full_scale * (1 + 1e-6):
        raise InputError(
            f"input values run from {low:g} to {high:g}, outside 0-{full_scale:g}, the range of "
            "this model's training inputs: pass raw values as the training data had them"
        )
    if raw.dtype.kind == "f" and 0 < high <= 1 < full_scale:
        raise InputError(
            f"input values run from {low:g} to {high:g}: they look scaled to [0, 1] already, but "
            f"this model takes raw values 0-{full_scale:g} and scales them itself; pass the raw "
            f"values (multiply by {full_scale:g})"
        )


def _run_config(folder, model_path):
    """The run config of a model: its folder's ``config.json``, else the copy saved inside it."""
    if (Path(folder) / CONFIG).exists():
        return read_run_config(folder)
    try:
        document = read_info(model_path)["metadata"]
    except (OSError, ValueError) as error:
        raise RunFolderError(f"cannot load model {model_path}: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("settings"), dict):
        return None
    check_run_config(document, model_path)
    return document
