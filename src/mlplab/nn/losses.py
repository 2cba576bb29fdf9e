"""Loss functions as modules, a multi-task combination of losses, and an L2 penalty.

Each loss module holds its settings and calls the function of the same name in
:mod:`mlplab.functional`; values and gradients follow PyTorch. Any tensor expression is a loss
too: autograd differentiates it. :data:`LOSSES` names the losses a training run can choose.
"""

from dataclasses import dataclass

from mlplab import functional as F
from mlplab.backend import xp
from mlplab.nn.module import Module
from mlplab.tensor import Tensor


class _Loss(Module):
    """A loss with a ``reduction``: "mean" (default), "sum" or "none"."""

    def __init__(self, reduction="mean"):
        super().__init__()
        F.check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error (input - target)^2, optionally weighted per element or per output.

    ``weight`` (an mlplab extension of the module; ``F.mse_loss`` has it in PyTorch too) broadcasts
    to the input's shape, e.g. shape (D,) for D outputs; "mean" then divides by the weights' sum.
    """

    def __init__(self, reduction="mean", weight=None):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        """The loss of ``input`` against ``target`` (same shape)."""
        return F.mse_loss(input, target, reduction=self.reduction, weight=self.weight)


class L1Loss(_Loss):
    """Mean absolute error |input - target|; ``weight`` as in :class:`MSELoss`."""

    def __init__(self, reduction="mean", weight=None):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        """The loss of ``input`` against ``target`` (same shape)."""
        return F.l1_loss(input, target, reduction=self.reduction, weight=self.weight)


class HuberLoss(_Loss):
    """Squared error below ``delta``, linear above: robust to outliers; ``weight`` as MSELoss."""

    def __init__(self, reduction="mean", delta=1.0, weight=None):
        super().__init__(reduction)
        if delta <= 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta!r}")
        self.delta = delta
        self.weight = weight

    def forward(self, input, target):
        """The loss of ``input`` against ``target`` (same shape)."""
        return F.huber_loss(
            input, target, reduction=self.reduction, delta=self.delta, weight=self.weight
        )

    def extra_repr(self):
        return f"reduction={self.reduction!r}, delta={self.delta}"


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy from logits, against class indices or class probabilities.

    Parameters
    ----------
    weight : array_like, shape (C,), optional
        Weight of each class (e.g. inverse class frequencies for unbalanced data).
    ignore_index : int
        Index targets equal to it are left out (of the sum and of the mean's denominator).
    reduction : "mean" | "sum" | "none"
    label_smoothing : float in [0, 1]
        Train against (1 - s) target + s / C instead of the hard target.
    """

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing!r}")
        self.weight = weight
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        """The loss of logits ``input`` (N, C) against ``target`` (N,) ints or (N, C) floats."""
        return F.cross_entropy(
            input,
            target,
            self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class SquaredErrorLoss(_Loss):
    """Squared error of the softmax probabilities against one-hot classes, summed over the
    classes (the Brier score): classification trained by squared error, as TensorFlow
    Playground trains it.

    Beside cross-entropy it shows why classification pairs softmax with cross-entropy: where a
    prediction is confidently wrong, this loss's gradient vanishes (the lab's ``softmax``).
    """

    def forward(self, input, target):
        """The loss of logits ``input`` (N, C) against class indices ``target`` (N,)."""
        classes = input.shape[-1]
        labels = xp.asarray(target._data if isinstance(target, Tensor) else target)
        if labels.dtype.kind not in "iu" or labels.shape != input.shape[:-1]:
            raise ValueError(
                f"SquaredErrorLoss needs integer class indices of shape {input.shape[:-1]}, got "
                f"{labels.dtype} of shape {labels.shape}"
            )
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(f"SquaredErrorLoss: class indices must lie in [0, {classes})")
        one_hot = Tensor(xp.eye(classes, dtype=input.dtype)[labels])
        errors = F.mse_loss(F.softmax(input, axis=-1), one_hot, reduction="none").sum(axis=-1)
        if self.reduction == "none":
            return errors
        return errors.sum() if self.reduction == "sum" else errors.mean()


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (e.g. a LogSoftmax output) at class indices."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = ignore_index

    def forward(self, input, target):
        """The loss of log-probabilities ``input`` (N, C) against indices ``target`` (N,)."""
        return F.nll_loss(
            input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction
        )


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities in [0, 1] (e.g. a Sigmoid output)."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        """The loss of probabilities ``input`` against ``target`` (same shape)."""
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and binary cross-entropy in one stable step, from logits.

    ``pos_weight`` (one per class, broadcast along the last axis) weights the positive term:
    pos_weight = negatives / positives balances an unbalanced label.
    """

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight = weight
        self.pos_weight = pos_weight

    def forward(self, input, target):
        """The loss of logits ``input`` against ``target`` (same shape)."""
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class MultiTaskLoss(Module):
    """Several tasks' losses combined into one weighted total, each part reported.

    Parameters
    ----------
    tasks : dict
        name -> (loss, weight), or name -> loss (weight 1). A loss is any callable
        ``loss(output, target) -> scalar Tensor``.

    Calling it with ``outputs`` and ``targets`` (dicts keyed by task name) returns
    sum_k weight_k * loss_k; afterwards :attr:`parts` maps each name to its unweighted value.
    """

    def __init__(self, tasks):
        super().__init__()
        if not isinstance(tasks, dict) or not tasks:
            raise ValueError("MultiTaskLoss needs a non-empty dict: name -> (loss, weight)")
        self.tasks = {}
        for name, task in tasks.items():
            loss, weight = task if isinstance(task, tuple) else (task, 1.0)
            if not callable(loss):
                raise TypeError(f"MultiTaskLoss: the loss of task {name!r} is not callable")
            self.tasks[name] = (loss, weight)
        self.parts = {}

    def forward(self, outputs, targets):
        """The weighted total of every task's loss (a scalar Tensor)."""
        for name in self.tasks:
            if name not in outputs or name not in targets:
                raise KeyError(
                    f"MultiTaskLoss: task {name!r} needs an entry in both outputs and targets"
                )
        total = None
        parts = {}
        for name, (loss, weight) in self.tasks.items():
            value = loss(outputs[name], targets[name])
            parts[name] = value.item()
            total = value * weight if total is None else total + value * weight
        self.parts = parts
        return total


def l2_penalty(parameters, strength=1.0):
    """strength * sum of ||p||^2 over ``parameters``: add it to a loss to prefer small weights.

    Its gradient is 2 * strength * p, so with plain SGD adding this penalty equals
    ``weight_decay = 2 * strength``. With an adaptive optimizer (Adam) a penalty in the loss, like
    Adam's own ``weight_decay``, is rescaled by the per-parameter step sizes; AdamW's decoupled
    decay is not, and is usually what one wants there. Pass only weights (not biases) to follow
    common practice.

    Parameters
    ----------
    parameters : iterable of Tensor
    strength : float
        lambda >= 0.

    Returns
    -------
    Tensor: a scalar.
    """
    if strength < 0:
        raise ValueError(f"l2_penalty: strength must be non-negative, got {strength!r}")
    total = None
    for parameter in parameters:
        square = (parameter * parameter).sum()
        total = square if total is None else total + square
    if total is None:
        raise ValueError("l2_penalty: got no parameters")
    return total * strength


@dataclass(frozen=True)
class LossEntry:
    """A registered loss: its class, what it compares the outputs with, and a description.

    Attributes
    ----------
    cls : type
        The loss module class.
    targets : "classes" | "values"
        What the outputs are compared with: class labels or real values (so a task can tell
        which losses suit it).
    description : str
        One line for listings.
    """

    cls: type
    targets: str
    description: str


LOSSES = {
    "cross-entropy": LossEntry(CrossEntropyLoss, "classes", "softmax cross-entropy of logits"),
    "squared-error": LossEntry(
        SquaredErrorLoss, "classes", "squared error of softmax probabilities against one-hot"
    ),
    "mse": LossEntry(MSELoss, "values", "mean squared error"),
    "l1": LossEntry(L1Loss, "values", "mean absolute error"),
    "huber": LossEntry(HuberLoss, "values", "squared error below delta, linear above"),
}
"""Loss entries by the name training runs and the command line accept."""


def get_loss(name, **options):
    """A new loss module for ``name`` (a key of :data:`LOSSES`), built with ``options``."""
    if name not in LOSSES:
        raise ValueError(f"Unknown loss {name!r}; use one of {', '.join(LOSSES)}")
    return LOSSES[name].cls(**options)
