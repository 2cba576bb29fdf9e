"""Learning-rate schedules: each a closed-form ``lr_at(epoch)``, applied by a thin scheduler object.

A scheduler keeps one number, ``last_epoch``; :meth:`LRScheduler.step` advances it and writes
``lr_at(last_epoch)`` into every parameter group's ``"lr"``. The rates are those of
``torch.optim.lr_scheduler`` for the same settings (PyTorch computes most of them recursively from
the previous rate; the closed forms here are the same numbers, without the accumulated rounding),
and resuming is just restoring ``last_epoch``. :class:`ReduceLROnPlateau` is the exception: it
reacts to a measured metric (its ``monitor``), so its state is its counters. The short specs of
the command line, e.g. ``"warmup:5+cosine:30"``, are :mod:`mlplab.optim.schedule_spec`
(:func:`parse_spec`, :func:`from_string`, re-exported here).
"""

import bisect
import copy
import itertools
import math
import numbers

from mlplab.optim.optimizer import Optimizer


def _check_optimizer(optimizer):
    """Raise TypeError unless ``optimizer`` is an mlplab Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{type(optimizer).__name__} is not an Optimizer: pass the optimizer whose learning "
            "rates the schedule sets"
        )


def _check_int(name, value, minimum):
    """Raise ValueError unless ``value`` is an int >= ``minimum``."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"Expected an integer {name} >= {minimum}, but got {value!r}")


def _per_group(name, optimizer, value):
    """``value`` repeated for every parameter group, or checked to have one entry per group."""
    count = len(optimizer.param_groups)
    if isinstance(value, list | tuple):
        if len(value) != count:
            raise ValueError(
                f"Expected {count} values for {name} (one per group), got {len(value)}"
            )
        return list(value)
    return [value] * count


class LRScheduler:
    """Base class: ``step()`` sets every group's lr to ``lr_at(last_epoch)``.

    Creating a scheduler records each group's current lr as ``"initial_lr"`` (the base rate the
    schedule scales) and applies the rate of epoch 0.

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose ``param_groups[i]["lr"]`` the schedule sets.
    last_epoch : int
        The epoch last applied; -1 (default) starts a new schedule.
    """

    #: Attributes that are not part of the state dict.
    _not_state = ("optimizer",)

    #: The epoch-record entry (e.g. ``"val_loss"``) whose value a training loop passes to
    #: ``step(metric)``; None for schedules that ``step()`` without a metric.
    monitor = None

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"param_groups[{i}] has no 'initial_lr', needed to resume a schedule at "
                        f"last_epoch={last_epoch}: load the optimizer's state dict first, or "
                        "start with last_epoch=-1"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, epoch):
        """The learning rate of every parameter group at ``epoch``, a list of floats."""
        raise NotImplementedError(f"{type(self).__name__} does not implement lr_at")

    def step(self):
        """Advance one epoch and set the groups' learning rates to the schedule's values."""
        self.last_epoch += 1
        self._set_lrs(self.lr_at(self.last_epoch))

    def _set_lrs(self, lrs):
        """Write ``lrs`` into the parameter groups and remember them."""
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self):
        """The learning rates last set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self):
        """The scheduler's state (its epoch and settings), without the optimizer: a dict."""
        return {
            key: copy.deepcopy(value)
            for key, value in vars(self).items()
            if key not in self._not_state
        }

    def load_state_dict(self, state_dict):
        """Restore a state made by :meth:`state_dict` of the same kind of scheduler.

        The learning rates it had last set are written back into the optimizer's groups, so the
        order in which optimizer and scheduler are restored does not matter.
        """
        expected = set(LRScheduler.state_dict(self))
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = set(state_dict) if isinstance(state_dict, dict) else set()
            raise ValueError(
                f"This is not a state dict of {type(self).__name__}: missing "
                f"{sorted(expected - got)}, unexpected {sorted(got - expected)}"
            )
        self.__dict__.update(copy.deepcopy(state_dict))
        self._set_lrs(self._last_lr)


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
    (back up over the next ``T_max`` epochs), as PyTorch's does.
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


class LambdaLR(LRScheduler):
    """The base rate times ``lr_lambda(epoch)`` (one function, or one per group).

    The functions are code, not state: the state dict holds only the epoch, so a resumed run
    must build the scheduler with the same functions.
    """

    _not_state = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        count = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * count
        if len(lambdas) != count:
            raise ValueError(f"Expected {count} lr_lambdas, but got {len(lambdas)}")
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be callable (epoch -> factor), got {fn!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch):
        """``base_lr · lr_lambda(epoch)`` per group."""
        return [base * fn(epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class OneCycleLR(LRScheduler):
    """The 1cycle policy: up from ``max_lr/div_factor`` to ``max_lr``, then down to a minimum.

    Stepped once per batch for ``total_steps`` (or ``epochs · steps_per_epoch``) steps. The rate
    rises over the first ``pct_start`` of the steps and falls to ``max_lr/(div_factor ·
    final_div_factor)`` over the rest (``three_phase``: falls back to the start first, then to the
    minimum), along a cosine or a line; the momentum (or Adam's β₁) moves the opposite way
    between ``max_momentum`` and ``base_momentum`` when ``cycle_momentum``.
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
        _check_optimizer(optimizer)
        if total_steps is not None:
            _check_int("total_steps", total_steps, 1)
        elif epochs is not None and steps_per_epoch is not None:
            _check_int("epochs", epochs, 1)
            _check_int("steps_per_epoch", steps_per_epoch, 1)
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if not 0 <= pct_start <= 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        self.phases = self._phases(float(pct_start), total_steps, three_phase)
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    "optimizer must support momentum or beta1 with `cycle_momentum` option "
                    "enabled (pass cycle_momentum=False)"
                )
            self.use_beta1 = "betas" in optimizer.defaults
            tops = _per_group("max_momentum", optimizer, max_momentum)
            bottoms = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, top, bottom in zip(optimizer.param_groups, tops, bottoms, strict=True):
                    group["max_momentum"] = top
                    group["base_momentum"] = bottom
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _phases(pct_start, total_steps, three_phase):
        """(last step, start key, end key, start momentum key, end momentum key) per phase."""
        rise_end = pct_start * total_steps - 1
        if three_phase:
            return [
                (rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (2 * pct_start * total_steps - 2, "max_lr", "initial_lr", "base_momentum",
                 "max_momentum"),
                (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]  # fmt: skip
        return [
            (rise_end, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
            (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
        ]

    def _anneal(self, start, end, pct):
        """From ``start`` (pct 0) to ``end`` (pct 1) along a half cosine or a line."""
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _at(self, step, group, which):
        """The lr (``which`` 0) or momentum (``which`` 1) of ``group`` at ``step``."""
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        start_step = 0.0
        for i, (end_step, *keys) in enumerate(self.phases):
            if step <= end_step or i == len(self.phases) - 1:
                pct = (step - start_step) / (end_step - start_step)
                return self._anneal(group[keys[2 * which]], group[keys[2 * which + 1]], pct)
            start_step = end_step
        raise AssertionError("unreachable: the last phase always matches")

    def lr_at(self, epoch):
        """The learning rate of every group at step ``epoch`` (group-wise initial/max/min)."""
        return [self._at(epoch, group, 0) for group in self.optimizer.param_groups]

    def momentum_at(self, epoch):
        """The momentum (or β₁) of every group at step ``epoch``."""
        return [self._at(epoch, group, 1) for group in self.optimizer.param_groups]

    def step(self):
        """Advance one step and set the groups' learning rates (and momenta, when cycled)."""
        super().step()
        if self.cycle_momentum:
            momenta = self.momentum_at(self.last_epoch)
            for group, momentum in zip(self.optimizer.param_groups, momenta, strict=True):
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum


class SequentialLR(LRScheduler):
    """Several schedules one after another, switching at the ``milestones`` epochs.

    Schedule ``i`` runs from milestone ``i-1`` (epoch 0 for the first) and sees its own epochs
    counted from there: ``lr_at(e) = schedulers[i].lr_at(e - milestones[i-1])``.
    """

    _not_state = ("optimizer", "_schedulers")

    def __init__(self, optimizer, schedulers, milestones):
        _check_optimizer(optimizer)
        schedulers = list(schedulers)
        milestones = list(milestones)
        if not schedulers:
            raise ValueError("SequentialLR expects at least one scheduler, but got none")
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"SequentialLR does not support ReduceLROnPlateau (index {i}): it needs a "
                    "metric at each step"
                )
            if not isinstance(scheduler, LRScheduler) or scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"SequentialLR expects all schedulers to belong to the same optimizer, but "
                    f"the scheduler at index {i} does not"
                )
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
        self.step()

    def _active(self, epoch):
        """The scheduler in charge at ``epoch`` and the epoch it started at."""
        index = bisect.bisect_right(self._milestones, epoch)
        return self._schedulers[index], (self._milestones[index - 1] if index else 0)

    def lr_at(self, epoch):
        """The active schedule's rates at its own epoch ``epoch - start``."""
        scheduler, start = self._active(epoch)
        return scheduler.lr_at(epoch - start)

    def step(self):
        """Advance one epoch, in the schedule in charge of it."""
        self.last_epoch += 1
        scheduler, start = self._active(self.last_epoch)
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
        state = dict(state_dict)
        nested = state.pop("_schedulers", None)
        if not isinstance(nested, list) or len(nested) != len(self._schedulers):
            raise ValueError(
                f"This is not a state dict of a SequentialLR over {len(self._schedulers)} "
                "schedulers: '_schedulers' must list one state dict per scheduler"
            )
        for scheduler, scheduler_state in zip(self._schedulers, nested, strict=True):
            scheduler.load_state_dict(scheduler_state)
        super().load_state_dict(state)


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rates by ``factor`` when a metric has stopped improving for ``patience`` epochs.

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
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

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
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        """Multiply every group's rate by ``factor``, not below its ``min_lr``."""
        for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr


# The spec grammar builds the classes above, so it is imported after them; re-exported so that
# ``lr_scheduler.from_string`` (the command line's way in) keeps working.
from mlplab.optim.schedule_spec import from_string as from_string  # noqa: E402
from mlplab.optim.schedule_spec import parse_spec as parse_spec  # noqa: E402
