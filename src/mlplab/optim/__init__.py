"""Optimizers (SGD, Adagrad, RMSprop, Adam, AdamW) and learning-rate schedules."""

from mlplab.optim import functional, lr_scheduler
from mlplab.optim.adagrad import Adagrad
from mlplab.optim.adam import Adam, AdamW
from mlplab.optim.optimizer import Optimizer
from mlplab.optim.rmsprop import RMSprop
from mlplab.optim.sgd import SGD

__all__ = [
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "functional",
    "lr_scheduler",
]
