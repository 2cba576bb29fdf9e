"""Optimizers (SGD, Adagrad, RMSprop, Adam, AdamW), their registry and learning-rate schedules."""

from mlplab.optim import functional, lr_scheduler
from mlplab.optim.adagrad import Adagrad
from mlplab.optim.adam import Adam, AdamW
from mlplab.optim.optimizer import Optimizer
from mlplab.optim.registry import (
    OPTIMIZERS,
    OptimizerEntry,
    build_optimizer,
    check_optimizer_settings,
)
from mlplab.optim.rmsprop import RMSprop
from mlplab.optim.sgd import SGD

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "OptimizerEntry",
    "RMSprop",
    "build_optimizer",
    "check_optimizer_settings",
    "functional",
    "lr_scheduler",
]
