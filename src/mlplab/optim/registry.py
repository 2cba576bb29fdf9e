"""The optimizer registry: every optimizer a training run can name, and the check of its settings.

Adding an optimizer means writing its class (in its own module) and adding one line to
:data:`OPTIMIZERS`. A run's settings are the same for every optimizer -- a learning rate, one
generic ``momentum``, ``nesterov`` and ``weight_decay`` -- and :func:`check_optimizer_settings` is
the one place that says which of them suit which optimizer.
"""

import math
import numbers
from dataclasses import dataclass

from mlplab.optim.adadelta import Adadelta
from mlplab.optim.adagrad import Adagrad
from mlplab.optim.adam import Adam, AdamW
from mlplab.optim.adamax import Adamax
from mlplab.optim.nadam import NAdam
from mlplab.optim.radam import RAdam
from mlplab.optim.rmsprop import RMSprop
from mlplab.optim.sgd import SGD
from mlplab.utils.errors import SettingError

# Adam's and AdamW's beta2 when a run sets beta1 through its momentum (their class default).
_BETA2 = 0.999


@dataclass(frozen=True)
class OptimizerEntry:
    """A registered optimizer: its class, a run's learning rate, what momentum sets, a summary.

    Attributes
    ----------
    cls : type
        The :class:`~mlplab.optim.Optimizer` subclass.
    default_lr : float
        The learning rate a training run uses when none is given (not the class's default).
    momentum : "momentum" | "beta1" | None
        What a run's single ``momentum`` setting sets: the class's ``momentum=`` argument,
        ``betas[0]`` (beta2 staying 0.999), or nothing (the optimizer has no momentum).
    description : str
        One line for listings.
    """

    cls: type
    default_lr: float
    momentum: str | None
    description: str


OPTIMIZERS = {
    "sgd": OptimizerEntry(SGD, 0.1, "momentum", "stochastic gradient descent, (Nesterov) momentum"),
    "adagrad": OptimizerEntry(Adagrad, 0.01, None, "steps shrinking with past squared gradients"),
    "rmsprop": OptimizerEntry(RMSprop, 1e-3, "momentum", "steps divided by the gradients' RMS"),
    "adam": OptimizerEntry(Adam, 1e-3, "beta1", "bias-corrected moment estimates, L2 decay"),
    "adamw": OptimizerEntry(AdamW, 1e-3, "beta1", "Adam with decoupled weight decay"),
    "nadam": OptimizerEntry(NAdam, 2e-3, "beta1", "Adam with Nesterov momentum"),
    "radam": OptimizerEntry(RAdam, 1e-3, "beta1", "Adam with its early variance rectified"),
    "adamax": OptimizerEntry(Adamax, 2e-3, "beta1", "Adam with an infinity-norm denominator"),
    "adadelta": OptimizerEntry(Adadelta, 1.0, None, "RMS of past steps over RMS of gradients"),
}
"""Optimizer entries by the name training runs and the command line accept.

L-BFGS (:class:`~mlplab.optim.LBFGS`) is not among them: its ``step(closure)`` re-evaluates the
loss and gradient many times per step (a line search, up to ``max_eval`` evaluations), on the
same data, which the training loop's one forward, one backward and one ``step()`` per batch
cannot give it; it is for full-batch problems, written as a closure (see its docstring)."""


def _is_finite_number(value):
    """Whether ``value`` is a real, finite number (not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def check_optimizer_settings(name, *, lr=None, momentum=None, nesterov=False, weight_decay=0.0):
    """Raise SettingError, a ValueError naming the bad setting and the fix, unless all fit ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`OPTIMIZERS`.
    lr : float, optional
        Learning rate, finite and above 0 (None: the entry's ``default_lr``).
    momentum : float, optional
        In [0, 1); only for optimizers whose entry names what it sets (None: the class default).
    nesterov : bool
        SGD's Nesterov momentum; needs a momentum above 0.
    weight_decay : float
        Finite and at least 0.
    """
    entry = OPTIMIZERS.get(name)
    if entry is None:
        raise SettingError(
            "optimizer", f"unknown value {name!r}; choose one of {', '.join(OPTIMIZERS)}"
        )
    if lr is not None and not (_is_finite_number(lr) and lr > 0):
        problem = (
            "a learning rate of 0 never changes the weights"
            if lr == 0
            else f"{lr!r} is not a finite number above 0"
        )
        raise SettingError("lr", f"{problem}; use e.g. {entry.default_lr} ({name}'s default)")
    if momentum is not None:
        if entry.momentum is None:
            raise SettingError("momentum", f"does not apply to {name}: leave it out")
        if not (_is_finite_number(momentum) and 0 <= momentum < 1):
            raise SettingError("momentum", f"{momentum!r} is not in [0, 1); use e.g. 0.9")
    if not (_is_finite_number(weight_decay) and weight_decay >= 0):
        raise SettingError(
            "weight_decay", f"{weight_decay!r} is not a finite number >= 0; use e.g. 1e-4, or 0"
        )
    if nesterov and not issubclass(entry.cls, SGD):
        raise SettingError(
            "nesterov",
            f"SGD's Nesterov momentum does not apply to {name}: leave it out, or use sgd with "
            "momentum 0.9 and nesterov",
        )
    if nesterov and not momentum:
        raise SettingError("nesterov", "needs a momentum above 0, e.g. momentum 0.9")


def build_optimizer(name, parameters, *, lr=None, momentum=None, nesterov=False, weight_decay=0.0):
    """The optimizer ``name`` over ``parameters``, with a training run's settings.

    Parameters
    ----------
    name : str
        A key of :data:`OPTIMIZERS`.
    parameters : iterable of Tensor or of dict
        The parameters, or parameter groups, to optimize.
    lr : float, optional
        Learning rate (default: the entry's ``default_lr``).
    momentum : float, optional
        Sets what the entry's ``momentum`` names: SGD's and RMSprop's momentum, Adam's and
        AdamW's beta1 (default: the optimizer's own, 0 or 0.9).
    nesterov : bool
        Nesterov momentum (SGD with a momentum above 0 only).
    weight_decay : float
        Weight decay for every optimizer, AdamW included (whose class default is 1e-2).

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        From :func:`check_optimizer_settings`, before anything is built.
    """
    check_optimizer_settings(
        name, lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay
    )
    entry = OPTIMIZERS[name]
    settings = {"lr": entry.default_lr if lr is None else lr, "weight_decay": weight_decay}
    if momentum is not None:
        if entry.momentum == "beta1":
            settings["betas"] = (momentum, _BETA2)
        else:
            settings["momentum"] = momentum
    if nesterov:
        settings["nesterov"] = True
    return entry.cls(parameters, **settings)
