"""Learning-rate schedules, PyTorch's ``torch.optim.lr_scheduler``: each a closed-form ``lr_at``.

Every schedule is a pure function of the epoch, ``lr_at(epoch)``, applied by a thin scheduler
object in PyTorch's chainable form (see :mod:`mlplab.optim.scheduler`): ``step()`` moves each
group's rate as ``lr_at`` moves, so several schedulers on one optimizer compose -- the rate is the
base rate times the product of their factors -- and :class:`ChainedScheduler` steps several as
one. The rates are those of PyTorch for the same settings, alone and stacked. Resuming is
restoring ``last_epoch`` (and the optimizer's rates). :class:`ReduceLROnPlateau` reacts to a
measured metric (its ``monitor``), so its state is its counters. The cyclical policies
(OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts) live in :mod:`mlplab.optim.cyclic_lr`; the
short specs of the command line, e.g. ``"warmup:5+cosine:30"``, in
:mod:`mlplab.optim.schedule_spec` (:func:`parse_spec`, :func:`from_string`); all are re-exported
here.
"""

import bisect
import itertools
import math

from mlplab.optim.cyclic_lr import CosineAnnealingWarmRestarts, CyclicLR, OneCycleLR
from mlplab.optim.scheduler import (
    LRScheduler,
    _check_int,
    _check_optimizer,
    _lr_value,
    _per_group,
    _write_lr,
)

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "from_string",
    "parse_spec",
]


class ConstantLR(LRScheduler):
    """The base rate times ``factor`` for the first ``total_iters`` epochs, then the base rate.

    ``lr_at(e) = base_lr · (factor if e < total_iters else 1)``. With ``factor=1`` the rate is
    simply fixed.
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise ValueError(
                f"Constant multiplicative factor expected to be between 0 and 1, got {factor}"
            )
        _check_int("total_iters", total_iters, 0)
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · (factor + (epoch >= total_iters)·(1 - factor))`` per group."""
        scale = self.factor + (epoch >= self.total_iters) * (1 - self.factor)
        return [base_lr * scale for base_lr in self.base_lrs]


class StepLR(LRScheduler):
    """The base rate times ``gamma`` once every ``step_size`` epochs: ``base·γ^⌊e/step_size⌋``."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check_int("step_size", step_size, 1)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · gamma ** (epoch // step_size)`` per group."""
        return [base_lr * self.gamma ** (epoch // self.step_size) for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """The base rate times ``gamma`` at each milestone epoch: ``base·γ^(milestones ≤ e)``.

    A milestone listed twice counts twice, as in PyTorch.
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = sorted(milestones)
        for milestone in milestones:
            _check_int("milestone", milestone, 0)
        self.milestones = milestones
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · gamma ** (number of milestones <= epoch)`` per group."""
        passed = bisect.bisect_right(self.milestones, epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """The base rate times ``gamma`` every epoch: ``base·γ^e``."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · gamma ** epoch`` per group."""
        return [base_lr * self.gamma**epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from the base rate down to ``eta_min`` over ``T_max`` epochs.

    ``lr_at(e) = η_min + (base - η_min)(1 + cos(πe/T_max))/2``; past ``T_max`` the cosine goes on
    (back up over the next ``T_max`` epochs), as PyTorch's does. Chained, it scales the distance
    of the current rate above ``eta_min``, as PyTorch's does.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _check_int("T_max", T_max, 1)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``eta_min + (base_lr - eta_min)·(1 + cos(π·epoch/T_max))/2`` per group."""
        cosine = 1 + math.cos(math.pi * epoch / self.T_max)
        return [self.eta_min + (base_lr - self.eta_min) * cosine / 2 for base_lr in self.base_lrs]

    def floors(self):
        """``eta_min`` for every group: a chained step scales the distance above it."""
        return [self.eta_min] * len(self.base_lrs)


class LinearLR(LRScheduler):
    """The base rate times a factor going linearly from ``start_factor`` to ``end_factor``.

    ``lr_at(e) = base·(start + (end - start)·min(e, total_iters)/total_iters)``: a warm-up when
    ``start_factor`` is small.
    """

    def __init__(
        self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1
    ):
        if not 0 < start_factor <= 1:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or equal "
                f"to 1, got {start_factor}"
            )
        if not 0 <= end_factor <= 1:
            raise ValueError(
                f"Ending multiplicative factor expected to be between 0 and 1, got {end_factor}"
            )
        _check_int("total_iters", total_iters, 1)
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · (start + (end - start)·min(total_iters, epoch)/total_iters)`` per group."""
        progress = min(self.total_iters, epoch) / self.total_iters
        scale = self.start_factor + (self.end_factor - self.start_factor) * progress
        return [base_lr * scale for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """The base rate decaying polynomially to 0 over ``total_iters`` epochs, then 0.

    ``lr_at(e) = base·(1 - min(e, total_iters)/total_iters)^power``.
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        _check_int("total_iters", total_iters, 1)
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · (1 - min(total_iters, epoch)/total_iters) ** power`` per group."""
        scale = (1.0 - min(self.total_iters, epoch) / self.total_iters) ** self.power
        return [base_lr * scale for base_lr in self.base_lrs]


def _lambdas(optimizer, lr_lambda):
    """``lr_lambda`` as one callable per parameter group, checked."""
    _check_optimizer(optimizer)
    count = len(optimizer.param_groups)
    lambdas = list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * count
    if len(lambdas) != count:
        raise ValueError(f"Expected {count} lr_lambdas, but got {len(lambdas)}")
    for fn in lambdas:
        if not callable(fn):
            raise TypeError(f"lr_lambda must be callable (epoch -> factor), got {fn!r}")
    return lambdas


class LambdaLR(LRScheduler):
    """The base rate times ``lr_lambda(epoch)`` (one function, or one per group).

    It sets the rate outright (``chainable = False``), as PyTorch's does. The functions are code,
    not state: the state dict holds only the epoch, so a resumed run must build the scheduler
    with the same functions.
    """

    _not_state = ("optimizer", "lr_lambdas")
    chainable = False

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · lr_lambda(epoch)`` per group."""
        return [base * fn(epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(LRScheduler):
    """The current rate times ``lr_lambda(epoch)`` at every epoch after the first.

    ``lr_at(e) = base·λ(1)·λ(2)···λ(e)``; each step multiplies by the one new factor (so ``λ`` is
    called once per epoch, as in PyTorch). The functions are code, not state, as in LambdaLR.
    """

    _not_state = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · lr_lambda(1) ··· lr_lambda(epoch)`` per group."""
        lrs = list(self.base_lrs)
        for e in range(1, epoch + 1):
            lrs = self.advance(lrs, e)
        return lrs

    def advance(self, lrs, epoch):
        """``lrs`` times each group's ``lr_lambda(epoch)``; unchanged at epoch 0."""
        if epoch == 0:
            return list(lrs)
        return [lr * fn(epoch) for lr, fn in zip(lrs, self.lr_lambdas, strict=True)]


def _check_schedulers(owner, schedulers, optimizer, plateau_hint=""):
    """ValueError unless ``schedulers`` is a non-empty list of epoch schedulers (no
    ReduceLROnPlateau, whose step needs a metric) all on ``optimizer``; ``owner`` names the
    combining scheduler in the messages, ``plateau_hint`` ends the ReduceLROnPlateau one."""
    if not schedulers:
        raise ValueError(f"{owner} expects at least one scheduler, but got none")
    for i, scheduler in enumerate(schedulers):
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{owner} does not support ReduceLROnPlateau (index {i}): it needs a metric at "
                f"each step{plateau_hint}"
            )
        if not isinstance(scheduler, LRScheduler) or scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but the "
                f"scheduler at index {i} does not"
            )


class SequentialLR(LRScheduler):
    """Several schedules one after another, switching at the ``milestones`` epochs.

    Schedule ``i`` runs from milestone ``i-1`` (epoch 0 for the first) and sees its own epochs
    counted from there: ``lr_at(e) = schedulers[i].lr_at(e - milestones[i-1])``. Each part starts
    from the base rates, as in PyTorch.
    """

    _not_state = ("optimizer", "_schedulers")

    def __init__(self, optimizer, schedulers, milestones):
        _check_optimizer(optimizer)
        schedulers = list(schedulers)
        milestones = list(milestones)
        _check_schedulers("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR expects one milestone fewer than schedulers, but got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
        if any(b <= a for a, b in itertools.pairwise(milestones)):
            raise ValueError(f"SequentialLR milestones must increase, got {milestones}")
        self._schedulers = schedulers
        self._milestones = milestones
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()  # the parts, built before, each applied their epoch 0: the first starts again

    def _active(self, epoch):
        """The scheduler in charge at ``epoch`` and the epoch it started at."""
        index = bisect.bisect_right(self._milestones, epoch)
        return self._schedulers[index], (self._milestones[index - 1] if index else 0)

    def lr_at(self, epoch):
        """The active schedule's rates at its own epoch ``epoch - start``."""
        scheduler, start = self._active(epoch)
        return scheduler.lr_at(epoch - start)

    def advance(self, lrs, epoch):
        """The active schedule's move to its own epoch; at its first, from the base rates."""
        scheduler, start = self._active(epoch)
        return scheduler.advance(list(self.base_lrs) if epoch == start else lrs, epoch - start)

    def step(self):
        """Advance one epoch, in the schedule in charge of it (from the base rates at its first)."""
        self.last_epoch += 1
        scheduler, start = self._active(self.last_epoch)
        if self.last_epoch == start:
            self._set_lrs(self.base_lrs)
        scheduler.last_epoch = self.last_epoch - start - 1
        scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """Its own epoch plus every wrapped scheduler's state dict."""
        state = super().state_dict()
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Restore its epoch and every wrapped scheduler's state."""
        _load_nested(self, state_dict)


class ChainedScheduler(LRScheduler):
    """Several schedulers stepped as one: each ``step()`` steps every one of them, in order.

    They compose as any schedulers on one optimizer do (the rate is the base rate times the
    product of their factors); this only saves calling each. ReduceLROnPlateau is refused (its
    step needs a metric): step it beside the ChainedScheduler instead.

    Parameters
    ----------
    schedulers : sequence of LRScheduler
        Built on the same optimizer, each already at its epoch 0.
    optimizer : Optimizer, optional
        Their optimizer (default: the first scheduler's).
    """

    _not_state = ("optimizer", "_schedulers")

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("ChainedScheduler expects at least one scheduler, but got none")
        optimizer = schedulers[0].optimizer if optimizer is None else optimizer
        _check_optimizer(optimizer)
        _check_schedulers(
            "ChainedScheduler", schedulers, optimizer,
            "; call its step(metric) beside the ChainedScheduler's",
        )  # fmt: skip
        self._schedulers = schedulers
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = [_lr_value(group["lr"]) for group in optimizer.param_groups]

    def advance(self, lrs, epoch):
        """Every scheduler's move to ``epoch``, one after another."""
        for scheduler in self._schedulers:
            lrs = scheduler.advance(lrs, epoch)
        return lrs

    def lr_at(self, epoch):
        """The rates at ``epoch``: every move from the base rates, replayed."""
        lrs = list(self.base_lrs)
        for e in range(epoch + 1):
            lrs = self.advance(lrs, e)
        return lrs

    def step(self):
        """Step every scheduler, in order."""
        self.last_epoch += 1
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [_lr_value(group["lr"]) for group in self.optimizer.param_groups]

    def state_dict(self):
        """Its own epoch plus every chained scheduler's state dict."""
        state = super().state_dict()
        state["_schedulers"] = [scheduler.state_dict() for scheduler in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        """Restore its epoch and every chained scheduler's state."""
        _load_nested(self, state_dict)


def _load_nested(owner, state_dict):
    """Restore a SequentialLR's or ChainedScheduler's wrapped schedulers, then its own state."""
    state = dict(state_dict)
    nested = state.pop("_schedulers", None)
    if not isinstance(nested, list) or len(nested) != len(owner._schedulers):
        raise ValueError(
            f"This is not a state dict of a {type(owner).__name__} over "
            f"{len(owner._schedulers)} schedulers: '_schedulers' must list one state dict per "
            "scheduler"
        )
    for scheduler, scheduler_state in zip(owner._schedulers, nested, strict=True):
        scheduler.load_state_dict(scheduler_state)
    LRScheduler.load_state_dict(owner, state)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rates by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    It multiplies the current rates, so it composes with schedules stepped beside it (a StepLR
    goes on from the reduced rate).

    Call ``step(metric)`` once per epoch with, e.g., the validation loss (``mode="min"``) or
    accuracy (``mode="max"``). A value counts as better when it beats the best so far by
    ``threshold`` (relative or absolute); after a reduction, ``cooldown`` epochs pass before
    counting again; no rate goes below ``min_lr``, and changes smaller than ``eps`` are skipped.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose rates it reduces.
    mode : {"min", "max"}
        Whether a lower or a higher metric is better.
    factor : float
        The rates are multiplied by it on a reduction; < 1.
    patience : int
        Epochs without improvement that are tolerated before a reduction.
    threshold : float
        The margin by which a value must beat the best so far to count as better.
    threshold_mode : {"rel", "abs"}
        Whether ``threshold`` is relative to the best or absolute.
    cooldown : int
        Epochs after a reduction during which bad epochs are not counted.
    min_lr : float or list of float
        The lowest rate, for every group or one per group.
    eps : float
        Reductions that change a rate by less than this are skipped.
    monitor : str
        An mlplab extension, for training loops: the key of the epoch record (e.g.
        ``"val_loss"``, ``"train_loss"``, ``"val_accuracy"``) whose value :func:`mlplab.train.fit`
        passes to ``step``. Calling ``step(metric)`` yourself works as in PyTorch, whatever it is.
    """

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0,
        eps=1e-8,
        *,
        monitor="val_loss",
    ):
        _check_optimizer(optimizer)
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(
                f"monitor must name an entry of the epoch records, such as 'val_loss' or "
                f"'train_loss', got {monitor!r}"
            )
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown: use 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown: use 'rel' or 'abs'")
        _check_int("patience", patience, 0)
        _check_int("cooldown", cooldown, 0)
        self.optimizer = optimizer
        self.monitor = monitor
        self.factor = factor
        self.min_lrs = _per_group("min_lr", optimizer, min_lr)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [_lr_value(group["lr"]) for group in optimizer.param_groups]

    def _is_better(self, value):
        """Whether ``value`` beats the best so far by the threshold."""
        if self.threshold_mode == "rel":
            if self.mode == "min":
                return value < self.best * (1.0 - self.threshold)
            return value > self.best * (self.threshold + 1.0)
        if self.mode == "min":
            return value < self.best - self.threshold
        return value > self.best + self.threshold

    def step(self, metrics):
        """Record this epoch's metric and reduce the rates if it has stopped improving."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [_lr_value(group["lr"]) for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        """Multiply every group's rate by ``factor``, not below its ``min_lr``."""
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(_lr_value(group["lr"]))
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                _write_lr(group, new_lr)


# The spec grammar builds the classes above, so it is imported after them; re-exported so that
# ``lr_scheduler.from_string`` (the command line's way in) keeps working.
from mlplab.optim.schedule_spec import from_string as from_string  # noqa: E402
from mlplab.optim.schedule_spec import parse_spec as parse_spec  # noqa: E402
