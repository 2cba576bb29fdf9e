"""The experiment layer: ``Settings`` -> ``run()`` -> ``Result``, the one way every front end builds
a training run (the command line, the lab, sweeps, the scikit-learn estimators, the playground)."""

from mlplab.experiment.data import PreparedData, load_data, scale_inputs
from mlplab.experiment.folder import CHECKPOINT, CONFIG, MODEL, RESULTS, RunFolderError
from mlplab.experiment.lr_find import LRFindResult, lr_find
from mlplab.experiment.runner import Result, resume, run
from mlplab.experiment.settings import PRESETS, Settings, SettingsError

__all__ = [
    "CHECKPOINT",
    "CONFIG",
    "MODEL",
    "PRESETS",
    "RESULTS",
    "LRFindResult",
    "PreparedData",
    "Result",
    "RunFolderError",
    "Settings",
    "SettingsError",
    "load_data",
    "lr_find",
    "resume",
    "run",
    "scale_inputs",
]
