"""SGD: stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""

from mlplab.optim import functional as F
from mlplab.optim.optimizer import Optimizer, _check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's ``torch.optim.SGD``: see :func:`functional.sgd`.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters, or parameter groups with their own settings.
    lr : float
        Learning rate γ.
    momentum : float
        Momentum factor μ (0 turns momentum off).
    dampening : float
        Dampening τ of the momentum: the new gradient enters the buffer scaled by 1 - τ.
    weight_decay : float
        L2 penalty λ: λθ is added to the gradient.
    nesterov : bool
        Nesterov momentum (needs μ > 0 and τ = 0).
    maximize : bool
        Maximize the objective instead of minimizing it.
    """

    state_names = ("momentum_buffer",)

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        _check_nonnegative("momentum", group["momentum"], "momentum value")
        _check_nonnegative("weight_decay", group["weight_decay"], "weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, group, params, states):
        """One SGD step for ``params``; their momentum buffers live in ``states``."""
        buffers = [state.get("momentum_buffer") for state in states]
        F.sgd(
            [p._data for p in params],
            [p._grad for p in params],
            buffers,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
        )
        if group["momentum"] != 0:
            for state, buffer in zip(states, buffers, strict=True):
                state["momentum_buffer"] = buffer
