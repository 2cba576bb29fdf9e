"""Training: the loop, its callbacks, metrics, checkpoints and plots."""

from mlplab.train.callbacks import (
    Checkpoint,
    EarlyStopping,
    HistoryLogger,
    ProgressBar,
    read_history,
    write_history,
)
from mlplab.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from mlplab.train.loop import History, NonFiniteLossError, Run, evaluate, fit, predict
from mlplab.train.metrics import (
    RunningMetrics,
    accuracy,
    confusion_matrix,
    format_confusion_matrix,
    mean_squared_error,
    predicted_classes,
    r2_score,
)

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "EarlyStopping",
    "History",
    "HistoryLogger",
    "NonFiniteLossError",
    "ProgressBar",
    "Run",
    "RunningMetrics",
    "accuracy",
    "confusion_matrix",
    "evaluate",
    "fit",
    "format_confusion_matrix",
    "load_checkpoint",
    "mean_squared_error",
    "predict",
    "predicted_classes",
    "r2_score",
    "read_history",
    "save_checkpoint",
    "write_history",
]
