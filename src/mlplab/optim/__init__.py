"""Optimizers (SGD, Adagrad, RMSprop, Adam, AdamW, NAdam, RAdam, Adamax, Adadelta, LBFGS), their
registry and learning-rate schedules."""

from mlplab.optim import functional, lr_scheduler
from mlplab.optim.adadelta import Adadelta
from mlplab.optim.adagrad import Adagrad
from mlplab.optim.adam import Adam, AdamW
from mlplab.optim.adamax import Adamax
from mlplab.optim.lbfgs import LBFGS
from mlplab.optim.nadam import NAdam
from mlplab.optim.optimizer import Optimizer
from mlplab.optim.radam import RAdam
from mlplab.optim.registry import (
    OPTIMIZERS,
    OptimizerEntry,
    build_optimizer,
    check_optimizer_settings,
)
from mlplab.optim.rmsprop import RMSprop
from mlplab.optim.sgd import SGD

__all__ = [
    "LBFGS",
    "OPTIMIZERS",
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "OptimizerEntry",
    "RAdam",
    "RMSprop",
    "build_optimizer",
    "check_optimizer_settings",
    "functional",
    "lr_scheduler",
]
