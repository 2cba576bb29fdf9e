"""Named sweeps: ``structure`` is the classic study of width, depth, dropout and learning rate.

A preset is the settings the trials share, the grid and the number of seeds, in a full form
and a reduced ``quick`` one. Options given with the preset override its settings, axes and
seeds. Adding a preset means one entry in :data:`SWEEP_PRESETS`.
"""

import dataclasses

from mlplab.sweep.grid import SweepError


@dataclasses.dataclass(frozen=True)
class Study:
    """The settings shared by the trials (as ``Settings.from_dict`` reads them), grid and seeds."""

    settings: dict
    grid: dict
    seeds: int


@dataclasses.dataclass(frozen=True)
class SweepPreset:
    """A named sweep: what it asks, its full study and its quick one."""

    description: str
    full: Study
    quick: Study


SWEEP_PRESETS = {
    "structure": SweepPreset(
        "how width, depth, dropout and the learning rate change the reference MNIST network "
        "(784-...-10 ReLU MLP, Adam, batch 100); --quick: the same axes, smaller, on the "
        "bundled 8x8 digits, in about a minute",
        full=Study(
            {"preset": "course", "epochs": 10},
            {"hidden": [64, 256, 1024], "depth": [1, 2, 3], "dropout": [0.0, 0.2, 0.5],
             "lr": [1e-4, 1e-3, 1e-2]},
            seeds=3,
        ),
        quick=Study(
            {"dataset": "digits", "optimizer": "adam", "batch_size": 32, "epochs": 10},
            {"hidden": [16, 64, 256], "depth": [1, 2], "dropout": [0.0, 0.25],
             "lr": [1e-3, 1e-2]},
            seeds=2,
        ),
    ),
}  # fmt: skip
"""Sweep presets by name (``mlplab sweep --preset NAME [--quick]``)."""


def get_study(name, quick=False):
    """The study of preset ``name`` (its quick form with ``quick``); SweepError if unknown."""
    if name not in SWEEP_PRESETS:
        raise SweepError("preset", f"unknown sweep preset {name!r}; choose one of "
                         f"{', '.join(SWEEP_PRESETS)}")  # fmt: skip
    preset = SWEEP_PRESETS[name]
    return preset.quick if quick else preset.full
