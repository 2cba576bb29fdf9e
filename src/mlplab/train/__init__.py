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
    ClassificationMetrics,
    RegressionMetrics,
    accuracy,
    confusion_matrix,
    format_confusion_matrix,
    mean_absolute_error,
    mean_squared_error,
    predicted_classes,
    r2_score,
)
from mlplab.train.tasks import TASKS, Classification, Regression, Task, get_task

__all__ = [
    "TASKS",
    "Checkpoint",
    "CheckpointError",
    "Classification",
    "ClassificationMetrics",
    "EarlyStopping",
    "History",
    "HistoryLogger",
    "NonFiniteLossError",
    "ProgressBar",
    "Regression",
    "RegressionMetrics",
    "Run",
    "Task",
    "accuracy",
    "confusion_matrix",
    "evaluate",
    "fit",
    "format_confusion_matrix",
    "get_task",
    "load_checkpoint",
    "mean_absolute_error",
    "mean_squared_error",
    "predict",
    "predicted_classes",
    "r2_score",
    "read_history",
    "save_checkpoint",
    "write_history",
]
