"""Adamax: Adam with the second moment replaced by a decaying maximum of gradient magnitudes."""

from mlplab.optim import functional as F
from mlplab.optim.adam import check_adam_group
from mlplab.optim.optimizer import Optimizer, count_steps


class Adamax(Optimizer):
    """Adamax, PyTorch's ``torch.optim.Adamax``: see :func:`functional.adamax`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters, or parameter groups with their own settings.
    lr : float or Tensor
        Learning rate γ.
    betas : tuple of two floats
        β₁ (the first moment's decay) and β₂ (the infinity norm's), in [0, 1).
    eps : float
        ε added to |g|, which keeps the denominator above 0.
    weight_decay : float
        L2 penalty λ: λθ is added to the gradient.
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    state_names = ("step", "exp_avg", "exp_inf")

    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False
    ):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        check_adam_group(group)

    def _update(self, group, params, states):
        """One Adamax step for ``params``; step counts, moments and norms live in ``states``."""
        count_steps(params, states, ("exp_avg", "exp_inf"))
        beta1, beta2 = group["betas"]
        F.adamax(
            [p._data for p in params],
            [p._grad for p in params],
            [state["exp_avg"] for state in states],
            [state["exp_inf"] for state in states],
            [state["step"] for state in states],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
        )
