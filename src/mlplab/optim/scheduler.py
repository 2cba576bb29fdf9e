"""LRScheduler, the base of every learning-rate schedule: a pure function of the step, chained.

Each schedule is a closed-form ``lr_at(epoch)``: the rate of every parameter group at an epoch,
from the base rates. Its ``step()`` applies the schedule's *change* from one epoch to the next to
the rate the group has now -- PyTorch's chainable form -- rather than writing ``lr_at`` over it:

    lr ← lr · lr_at(e) / lr_at(e - 1)

so that two schedules on one optimizer compose. Each multiplies by its own factor, and the rate
is the base rate times the product of the factors, whatever the order they are stepped in; a
ReduceLROnPlateau cut beside a StepLR stays cut. (Cosine annealing towards ``eta_min > 0`` scales
the distance above ``eta_min`` instead: see :func:`_chain`.) Alone, a schedule's rates are its
``lr_at`` values, up to a rounding of ~1e-16 per step. The schedules PyTorch does not chain
(``chainable = False``: LambdaLR and the cyclical policies OneCycleLR, CyclicLR and
CosineAnnealingWarmRestarts) set their rate outright, as PyTorch's do: a change made before them
in the same epoch is overwritten, one made after them applies. :meth:`LRScheduler.advance` is the
step as a pure function of the rates and the epoch, which ChainedScheduler replays.
"""

import copy
import numbers

from mlplab.optim.optimizer import Optimizer, _lr_value
from mlplab.tensor import Tensor


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


def _chain(lr, before, after, floor):
    """The rate ``lr`` moved as a schedule moves from ``before`` to ``after`` (PyTorch's form).

    The distance above ``floor`` (0, or cosine annealing's ``eta_min``) is scaled by the
    schedule's ratio; from the floor itself no ratio exists, and the rate moves by the
    schedule's difference instead (PyTorch's cosine restarting from its minimum). An unchanged
    schedule leaves ``lr`` exactly as it is.
    """
    if after == before:
        return lr
    if before == floor:
        return lr + (after - before)
    return floor + (lr - floor) * ((after - floor) / (before - floor))


def _write_lr(group, lr):
    """Set ``group["lr"]``; a tensor lr is overwritten in place, as PyTorch's ``fill_``."""
    current = group["lr"]
    if isinstance(current, Tensor):
        current._data[...] = lr
    else:
        group["lr"] = lr


def _set_momenta(optimizer, use_beta1, momenta):
    """Write one momentum per group: Adam's β₁ with ``use_beta1``, else ``momentum``."""
    for group, momentum in zip(optimizer.param_groups, momenta, strict=True):
        if use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum


def _check_cycles_momentum(optimizer):
    """Raise ValueError unless ``optimizer`` has a momentum or a β₁ to cycle."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled "
            "(pass cycle_momentum=False)"
        )


class LRScheduler:
    """Base class: ``step()`` moves every group's lr as ``lr_at`` moves from the last epoch.

    Creating a scheduler records each group's current lr as ``"initial_lr"`` (the base rate the
    schedule scales) and applies the change of epoch 0 (e.g. LinearLR's start factor).

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer whose ``param_groups[i]["lr"]`` the schedule sets.
    last_epoch : int
        The epoch last applied; -1 (default) starts a new schedule. A resumed schedule goes on
        from the groups' current rates (restored by the optimizer's ``load_state_dict``).
    """

    #: Attributes that are not part of the state dict.
    _not_state = ("optimizer",)

    #: The epoch-record entry (e.g. ``"val_loss"``) whose value a training loop passes to
    #: ``step(metric)``; None for schedules that ``step()`` without a metric.
    monitor = None

    #: Whether ``step()`` applies the schedule's change to the current rate (and so composes
    #: with other schedules), or sets ``lr_at(epoch)`` outright.
    chainable = True

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", _lr_value(group["lr"]))
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

    def floors(self):
        """Per group, the rate a chained change scales the distance above (0 but for cosine)."""
        return [0.0] * len(self.base_lrs)

    def advance(self, lrs, epoch):
        """The rates at ``epoch`` from the rates ``lrs`` the groups had at ``epoch - 1``.

        A pure function: the chainable schedules move each rate as ``lr_at`` moves (from the
        base rates at epoch 0), the others return ``lr_at(epoch)``.
        """
        if not self.chainable:
            return self.lr_at(epoch)
        before = self.base_lrs if epoch == 0 else self.lr_at(epoch - 1)
        after = self.lr_at(epoch)
        return [
            _chain(lr, b, a, floor)
            for lr, b, a, floor in zip(lrs, before, after, self.floors(), strict=True)
        ]

    def step(self):
        """Advance one epoch, moving the groups' learning rates by the schedule's change."""
        self.last_epoch += 1
        current = [_lr_value(group["lr"]) for group in self.optimizer.param_groups]
        self._set_lrs(self.advance(current, self.last_epoch))

    def _set_lrs(self, lrs):
        """Write ``lrs`` into the parameter groups and remember them."""
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            _write_lr(group, lr)
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
        order in which optimizer and scheduler are restored does not matter (with several
        schedulers on one optimizer, restore them in the order they step).
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
