"""RMSprop: gradients divided by a running root-mean-square of their recent magnitudes."""

from mlplab.backend import xp
from mlplab.optim import functional as F
from mlplab.optim.optimizer import Optimizer, _check_nonnegative


class RMSprop(Optimizer):
    """RMSprop, PyTorch's ``torch.optim.RMSprop``: see :func:`functional.rmsprop`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters, or parameter groups with their own settings.
    lr : float
        Learning rate γ.
    alpha : float
        Smoothing constant α of the running average of squared gradients.
    eps : float
        ε added to the denominator for numerical stability.
    weight_decay : float
        L2 penalty λ: λθ is added to the gradient.
    momentum : float
        Momentum factor μ (0 turns momentum off).
    centered : bool
        Normalise by an estimate of the gradient's variance instead of its second moment.
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    state_names = ("step", "square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        _check_nonnegative("eps", group["eps"], "epsilon value")
        _check_nonnegative("momentum", group["momentum"], "momentum value")
        _check_nonnegative("weight_decay", group["weight_decay"], "weight_decay value")
        _check_nonnegative("alpha", group["alpha"], "alpha value")

    def _update(self, group, params, states):
        """One RMSprop step for ``params``; their running averages live in ``states``."""
        for p, state in zip(params, states, strict=True):
            if not state:
                state["step"] = 0
                state["square_avg"] = xp.zeros_like(p._data)
            # Groups may switch momentum or centering on later (a scheduler, a loaded state dict).
            if group["momentum"] > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = xp.zeros_like(p._data)
            if group["centered"] and "grad_avg" not in state:
                state["grad_avg"] = xp.zeros_like(p._data)
            state["step"] += 1
        F.rmsprop(
            [p._data for p in params],
            [p._grad for p in params],
            [state["square_avg"] for state in states],
            [state.get("grad_avg") for state in states],
            [state.get("momentum_buffer") for state in states],
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            centered=group["centered"],
            maximize=group["maximize"],
        )
