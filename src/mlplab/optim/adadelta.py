"""Adadelta: steps whose size is the ratio of running RMS of past steps and of gradients."""

from mlplab.optim import functional as F
from mlplab.optim.optimizer import Optimizer, _check_nonnegative, count_steps


class Adadelta(Optimizer):
    """Adadelta, PyTorch's ``torch.optim.Adadelta``: see :func:`functional.adadelta`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters, or parameter groups with their own settings.
    lr : float or Tensor
        γ, a factor on the step (1.0: Zeiler's method, which needs no learning rate).
    rho : float
        ρ in [0, 1], the decay rate of both running averages.
    eps : float
        ε inside both square roots.
    weight_decay : float
        L2 penalty λ: λθ is added to the gradient.
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    state_names = ("step", "square_avg", "acc_delta")

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        rho = group["rho"]
        _check_nonnegative("rho", rho, "rho value")
        if rho > 1:
            raise ValueError(f"Invalid rho value: {rho} (use a number in [0, 1], e.g. 0.9)")
        _check_nonnegative("eps", group["eps"], "epsilon value")
        _check_nonnegative("weight_decay", group["weight_decay"], "weight_decay value")

    def _update(self, group, params, states):
        """One Adadelta step for ``params``; the running averages live in ``states``."""
        count_steps(params, states, ("square_avg", "acc_delta"))
        F.adadelta(
            [p._data for p in params],
            [p._grad for p in params],
            [state["square_avg"] for state in states],
            [state["acc_delta"] for state in states],
            lr=group["lr"],
            rho=group["rho"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
