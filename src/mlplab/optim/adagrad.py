"""Adagrad: per-coordinate learning rates shrinking with the sum of past squared gradients."""

from mlplab.backend import xp
from mlplab.optim import functional as F
from mlplab.optim.optimizer import Optimizer, _check_nonnegative


class Adagrad(Optimizer):
    """Adagrad, PyTorch's ``torch.optim.Adagrad``: see :func:`functional.adagrad`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters, or parameter groups with their own settings.
    lr : float
        Learning rate γ.
    lr_decay : float
        η: the learning rate at step t is γ / (1 + (t - 1)η).
    weight_decay : float
        L2 penalty λ: λθ is added to the gradient.
    initial_accumulator_value : float
        The value the sum of squared gradients starts from.
    eps : float
        ε added to the denominator for numerical stability.
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    state_names = ("step", "sum")

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        _check_nonnegative("lr_decay", group["lr_decay"], "lr_decay value")
        _check_nonnegative("weight_decay", group["weight_decay"], "weight_decay value")
        _check_nonnegative(
            "initial_accumulator_value",
            group["initial_accumulator_value"],
            "initial_accumulator_value value",
        )
        _check_nonnegative("eps", group["eps"], "epsilon value")

    def _update(self, group, params, states):
        """One Adagrad step for ``params``; step counts and sums live in ``states``."""
        for p, state in zip(params, states, strict=True):
            if not state:
                state["step"] = 0
                state["sum"] = xp.full_like(p._data, group["initial_accumulator_value"])
            state["step"] += 1
        F.adagrad(
            [p._data for p in params],
            [p._grad for p in params],
            [state["sum"] for state in states],
            [state["step"] for state in states],
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
        )
