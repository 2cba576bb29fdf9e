"""A sweep's trials: one configuration of the axes with one seed, made into a run's Settings.

Every trial's Settings is built (and so checked) before any trial runs, its data set is loaded
(once per data set) and its layers are checked against it, so a bad grid is one clear error and
not a failure half-way through. A trial's seed is derived from the sweep's seed, the
configuration and the repetition, never from the order trials finish in: any backend gives the
same trial the same numbers.
"""

import dataclasses
import hashlib
import json
import re

from mlplab.data import load_dataset
from mlplab.experiment import Settings
from mlplab.sweep.grid import LAYER_AXES, SweepError
from mlplab.utils import SettingError

# Folder names past this length (file systems allow 255 bytes) use a digest of the configuration.
MAX_NAME = 120


@dataclasses.dataclass(frozen=True)
class Trial:
    """One run of a sweep: ``configuration`` (axis -> value), repetition ``run``, its settings."""

    name: str
    configuration: dict
    run: int
    settings: Settings


def trial_seed(sweep_seed, configuration, run):
    """The seed of repetition ``run`` of ``configuration``: a digest of the three, below 2**31."""
    text = json.dumps([sweep_seed, configuration, run], sort_keys=True, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % 2**31


def trial_name(configuration, run):
    """The trial's folder name, e.g. ``hidden=64,lr=0.001,run=0`` (values made file-safe)."""
    parts = [f"{name}={_file_safe(value)}" for name, value in configuration.items()]
    name = ",".join([*parts, f"run={run}"])
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(json.dumps(configuration, default=str).encode()).hexdigest()
        name = f"configuration-{digest[:16]},run={run}"
    return name


def _file_safe(value):
    """A value as folder-name text: lists joined by ``-``, other characters than ``[\\w.+-]``
    replaced by ``-``."""
    if isinstance(value, list | tuple):
        value = "-".join(_file_safe(item) for item in value)
    return re.sub(r"[^\w.+-]", "-", str(value))


def make_trials(base, configurations, seeds):
    """Every trial of the sweep: each configuration once per seed, all checked before any runs.

    Parameters
    ----------
    base : Settings
        What the trials share; its ``seed`` is the sweep's seed.
    configurations : list of dict
        Axis -> value, as :func:`mlplab.sweep.grid.expand` or ``sample`` give them; repeated
        configurations are run once.
    seeds : int
        Repetitions of each configuration, each with its own derived seed.

    Returns
    -------
    list of Trial

    Raises
    ------
    SweepError
        Naming the first trial whose settings are refused, and why.
    """
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise SweepError(
            "seeds", f"needs a positive number of seeds per configuration, not {seeds!r}"
        )
    unique = list({json.dumps(c, sort_keys=True, default=str): c for c in configurations}.values())
    shapes = {}
    trials = []
    for configuration in unique:
        changes = _settings_changes(base, configuration, shapes)
        for run in range(seeds):
            name = trial_name(configuration, run)
            seed = trial_seed(base.seed, configuration, run)
            try:
                settings = base.replace(**changes, seed=seed)
                _check_data(settings, shapes)
            except SettingError as error:
                raise SweepError(
                    "grid", f"trial {name}: {error.setting or 'settings'}: {error.detail}"
                ) from None
            trials.append(Trial(name, dict(configuration), run, settings))
    names = [trial.name for trial in trials]
    if len(set(names)) != len(names):
        raise SweepError(
            "grid", "two configurations give the same folder name: use distinct values"
        )
    return trials


def _settings_changes(base, configuration, shapes):
    """The settings a configuration changes, with ``hidden`` and ``depth`` made into ``layers``."""
    changes = {name: value for name, value in configuration.items() if name not in LAYER_AXES}
    if not set(LAYER_AXES) & set(configuration):
        return changes
    settings = _replaced(base, changes, configuration)
    features, outputs = _data_shape(settings, shapes)
    hidden_now = (
        settings.layers[1:-1] if settings.layers else list(settings.task_object.default_hidden)
    )
    depth = configuration.get("depth", len(hidden_now))
    if "hidden" in configuration:
        width = configuration["hidden"]
    elif hidden_now or depth == 0:
        width = hidden_now[0] if hidden_now else 1
    else:
        raise SweepError("grid", "depth needs a hidden width: the base network has no hidden layer")
    for axis, value in (("hidden", width), ("depth", depth)):
        least = LAYER_AXES[axis]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise SweepError("grid", f"{axis} must be an integer >= {least}, got {value!r}")
    changes["layers"] = [features, *[width] * depth, outputs]
    return changes


def _replaced(base, changes, configuration):
    """``base`` with ``changes``; SweepError naming the configuration if they are refused."""
    try:
        return base.replace(**changes)
    except SettingError as error:
        raise SweepError(
            "grid", f"{configuration}: {error.setting or 'settings'}: {error.detail}"
        ) from None


def _data_shape(settings, shapes):
    """(input values, outputs) of the settings' data set, loaded once per data set."""
    key = json.dumps(
        [settings.dataset, settings.dataset_options, settings.data_dir, settings.download],
        sort_keys=True,
    )
    if key not in shapes:
        try:
            data = load_dataset(
                settings.dataset,
                data_dir=settings.data_dir,
                download=settings.download,
                **settings.dataset_options,
            )
        except (OSError, ValueError) as error:
            raise SweepError(
                "dataset", f"cannot load data set {settings.dataset!r}: {error}"
            ) from None
        shapes[key] = (data.num_features, data.num_targets)
    return shapes[key]


def _check_data(settings, shapes):
    """Load the data set (once) and refuse layers that do not fit it: run() would, but only
    once the trial runs."""
    features, outputs = _data_shape(settings, shapes)
    if settings.layers is None:
        return
    if settings.layers[0] != features or settings.layers[-1] != outputs:
        raise SweepError(
            "layers",
            f"{'-'.join(map(str, settings.layers))} does not fit {settings.dataset}: it has "
            f"{features} input values and {outputs} outputs, so use {features}-...-{outputs}",
        )
