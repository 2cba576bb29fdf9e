"""Adam and AdamW: steps scaled by bias-corrected running moments of the gradient."""

from mlplab.backend import xp
from mlplab.optim import functional as F
from mlplab.optim.optimizer import Optimizer, _check_nonnegative, count_steps


def check_betas(betas):
    """Raise ValueError unless ``betas`` is two numbers in [0, 1), naming the bad one."""
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas} (expected two numbers, e.g. (0.9, 0.999))")
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def check_adam_group(group):
    """Raise ValueError naming the first invalid setting the Adam family shares: eps, betas,
    weight_decay."""
    _check_nonnegative("eps", group["eps"], "epsilon value")
    check_betas(group["betas"])
    _check_nonnegative("weight_decay", group["weight_decay"], "weight_decay value")


class Adam(Optimizer):
    """Adam, PyTorch's ``torch.optim.Adam``: see :func:`functional.adam`.

    Weight decay here is the L2 kind, added to the gradient before the moments; :class:`AdamW`
    decays the weights directly instead.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters, or parameter groups with their own settings.
    lr : float
        Learning rate γ.
    betas : tuple of two floats
        β₁ and β₂, the decay rates of the first and second moment estimates, in [0, 1).
    eps : float
        ε added to the denominator for numerical stability.
    weight_decay : float
        λ: L2 penalty (Adam) or decoupled decay rate (AdamW).
    amsgrad : bool
        Divide by the maximum of all past second moments (AMSGrad).
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    state_names = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    decoupled_weight_decay = False

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        amsgrad=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        check_adam_group(group)

    def _update(self, group, params, states):
        """One Adam step for ``params``; step counts and moments live in ``states``."""
        count_steps(params, states, ("exp_avg", "exp_avg_sq"))
        if group["amsgrad"]:  # a group may switch it on later (a loaded state dict)
            for p, state in zip(params, states, strict=True):
                if "max_exp_avg_sq" not in state:
                    state["max_exp_avg_sq"] = xp.zeros_like(p._data)
        beta1, beta2 = group["betas"]
        F.adam(
            [p._data for p in params],
            [p._grad for p in params],
            [state["exp_avg"] for state in states],
            [state["exp_avg_sq"] for state in states],
            [state.get("max_exp_avg_sq") for state in states],
            [state["step"] for state in states],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=group["amsgrad"],
            maximize=group["maximize"],
            decoupled_weight_decay=self.decoupled_weight_decay,
        )


class AdamW(Adam):
    """AdamW, PyTorch's ``torch.optim.AdamW``: Adam with decoupled weight decay.

    The weights shrink by the factor 1 - γλ before the Adam step instead of λθ being added to the
    gradient, so the decay is not rescaled by the adaptive denominator. Parameters as
    :class:`Adam`, with ``weight_decay`` defaulting to 1e-2.
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
