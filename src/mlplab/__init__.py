"""mlplab: classic neural networks from first principles on NumPy."""

from mlplab import data, experiment, nn, optim, train
from mlplab.autograd import (
    detect_anomaly,
    enable_grad,
    grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from mlplab.creation import arange, eye, full, ones, ones_like, zeros, zeros_like
from mlplab.functional import cat, concatenate, maximum, minimum, stack, where
from mlplab.gradcheck import GradcheckError, gradcheck
from mlplab.io import ModelFileError, load, save
from mlplab.random import Generator, default_generator, manual_seed, rand, randint, randn, randperm
from mlplab.tensor import Tensor, as_tensor, from_numpy, tensor

__version__ = "0.1.0"

__all__ = [
    "Generator",
    "GradcheckError",
    "ModelFileError",
    "Tensor",
    "__version__",
    "arange",
    "as_tensor",
    "cat",
    "concatenate",
    "data",
    "default_generator",
    "detect_anomaly",
    "enable_grad",
    "experiment",
    "eye",
    "from_numpy",
    "full",
    "grad",
    "gradcheck",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "maximum",
    "minimum",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "optim",
    "rand",
    "randint",
    "randn",
    "randperm",
    "save",
    "set_detect_anomaly",
    "set_grad_enabled",
    "stack",
    "tensor",
    "train",
    "where",
    "zeros",
    "zeros_like",
]
