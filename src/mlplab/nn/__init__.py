"""Neural-network building blocks: modules, layers, activations, losses, initialisation."""

from mlplab.nn import init, utils
from mlplab.nn.activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
    get_activation,
)
from mlplab.nn.layers import Dropout, Flatten, Identity, Linear, Sequential
from mlplab.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    MultiTaskLoss,
    NLLLoss,
    l2_penalty,
)
from mlplab.nn.mlp import MLP, parse_sizes
from mlplab.nn.module import LAYERS, Module, Parameter, ParameterCount

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "GELU",
    "LAYERS",
    "MLP",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "MultiTaskLoss",
    "NLLLoss",
    "Parameter",
    "ParameterCount",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "get_activation",
    "init",
    "l2_penalty",
    "parse_sizes",
    "utils",
]
