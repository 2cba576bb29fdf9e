"""Sweeps: many trials that differ in a few settings, over several seeds, run in parallel on this
machine (worker processes) or on a Ray cluster, summarised as tables and plots.

>>> from mlplab import sweep
>>> result = sweep.run({"dataset": "digits", "epochs": 5},
...                    grid={"hidden": [16, 64, 256], "lr": [1e-3, 1e-2]}, seeds=3, out="sweeps/d")
>>> result.best, result.configurations, result.edge_warnings()
"""

from mlplab.sweep.grid import (
    Range,
    SweepError,
    axis_names,
    expand,
    parse_axis,
    read_grid_toml,
    sample,
)
from mlplab.sweep.presets import SWEEP_PRESETS, get_study
from mlplab.sweep.result import SweepResult
from mlplab.sweep.runner import BACKENDS, run
from mlplab.sweep.trials import Trial, make_trials, trial_seed

__all__ = [
    "BACKENDS",
    "SWEEP_PRESETS",
    "Range",
    "SweepError",
    "SweepResult",
    "Trial",
    "axis_names",
    "expand",
    "get_study",
    "make_trials",
    "parse_axis",
    "read_grid_toml",
    "run",
    "sample",
    "trial_seed",
]
