"""NAdam: Adam whose momentum looks one step ahead (Nesterov), with a decaying momentum schedule."""

from mlplab.optim import functional as F
from mlplab.optim.adam import check_adam_group
from mlplab.optim.optimizer import Optimizer, _check_nonnegative, count_steps


class NAdam(Optimizer):
    """NAdam, PyTorch's ``torch.optim.NAdam``: see :func:`functional.nadam`.

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
    momentum_decay : float
        ψ: how fast the momentum μ_t = β₁(1 - ½·0.96^(tψ)) approaches β₁.
    decoupled_weight_decay : bool
        Decay the weights directly, as AdamW does (NAdamW).
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    state_names = ("step", "mu_product", "exp_avg", "exp_avg_sq")
    scalar_state_names = ("step", "mu_product")

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        check_adam_group(group)
        _check_nonnegative("momentum_decay", group["momentum_decay"], "momentum_decay value")

    def _update(self, group, params, states):
        """One NAdam step for ``params``; steps, μ products and moments live in ``states``."""
        count_steps(params, states, ("exp_avg", "exp_avg_sq"))
        for state in states:
            state.setdefault("mu_product", 1.0)  # the product of the μ_t so far: none yet
        beta1, beta2 = group["betas"]
        mu_products = [state["mu_product"] for state in states]
        F.nadam(
            [p._data for p in params],
            [p._grad for p in params],
            [state["exp_avg"] for state in states],
            [state["exp_avg_sq"] for state in states],
            mu_products,
            [state["step"] for state in states],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum_decay=group["momentum_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
        )
        for state, product in zip(states, mu_products, strict=True):
            state["mu_product"] = product
