"""RAdam: Adam whose adaptive step is switched in gradually, while its variance is estimable."""

from mlplab.optim import functional as F
from mlplab.optim.adam import check_adam_group
from mlplab.optim.optimizer import Optimizer, count_steps


class RAdam(Optimizer):
    """RAdam, PyTorch's ``torch.optim.RAdam``: see :func:`functional.radam`.

    For the first steps (while ρ_t ≤ 5, five steps with β₂ = 0.999) it takes plain momentum
    steps; then Adam's steps scaled by the rectification r_t, which rises towards 1.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters, or parameter groups with their own settings.
    lr : float or Tensor
        Learning rate γ.
    betas : tuple of two floats
        β₁ and β₂, the decay rates of the moment estimates, in [0, 1).
    eps : float
        ε added to the denominator for numerical stability.
    weight_decay : float
        λ: L2 penalty, or decoupled decay rate with ``decoupled_weight_decay``.
    decoupled_weight_decay : bool
        Decay the weights directly, as AdamW does.
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    state_names = ("step", "exp_avg", "exp_avg_sq")

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        check_adam_group(group)

    def _update(self, group, params, states):
        """One RAdam step for ``params``; step counts and moments live in ``states``."""
        count_steps(params, states, ("exp_avg", "exp_avg_sq"))
        beta1, beta2 = group["betas"]
        F.radam(
            [p._data for p in params],
            [p._grad for p in params],
            [state["exp_avg"] for state in states],
            [state["exp_avg_sq"] for state in states],
            [state["step"] for state in states],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
        )
