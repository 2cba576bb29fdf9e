"""The cyclical learning-rate policies: OneCycleLR, CyclicLR and CosineAnnealingWarmRestarts.

Each sets the rate outright from its closed form (``chainable = False``), as PyTorch's do: a cycle
is defined by absolute rates (a base and a maximum), not by factors of the current rate. Stepped
once per batch (OneCycleLR, CyclicLR) or per epoch (warm restarts).
"""

import math

from mlplab.optim.scheduler import (
    LRScheduler,
    _check_cycles_momentum,
    _check_int,
    _check_optimizer,
    _per_group,
    _set_momenta,
)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: up from ``max_lr/div_factor`` to ``max_lr``, then down to a minimum.

    Stepped once per batch for ``total_steps`` (or ``epochs · steps_per_epoch``) steps. The rate
    rises over the first ``pct_start`` of the steps and falls to ``max_lr/(div_factor ·
    final_div_factor)`` over the rest (``three_phase``: falls back to the start first, then to the
    minimum), along a cosine or a line; the momentum (or Adam's β₁) moves the opposite way
    between ``max_momentum`` and ``base_momentum`` when ``cycle_momentum``.
    """

    chainable = False

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
            _check_cycles_momentum(optimizer)
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
            _set_momenta(self.optimizer, self.use_beta1, self.momentum_at(self.last_epoch))


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith, 2017): back and forth between ``base_lr`` and ``max_lr``.

    A cycle rises over ``step_size_up`` steps and falls over ``step_size_down`` (default: the
    same); its height is scaled per cycle (``"triangular"``: 1, ``"triangular2"``: halved each
    cycle) or per step (``"exp_range"``: ``gamma**step``), or by ``scale_fn``. Stepped once per
    batch. With ``cycle_momentum``, the momentum (or Adam's β₁) moves the opposite way between
    ``max_momentum`` and ``base_momentum``. Settings and rates as PyTorch's ``CyclicLR``; a
    ``scale_fn`` is code, not state, as LambdaLR's functions are.
    """

    _not_state = ("optimizer", "scale_fn")
    chainable = False

    def __init__(
        self,
        optimizer,
        base_lr,
        max_lr,
        step_size_up=2000,
        step_size_down=None,
        mode="triangular",
        gamma=1.0,
        scale_fn=None,
        scale_mode="cycle",
        cycle_momentum=True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch=-1,
    ):
        _check_optimizer(optimizer)
        _check_int("step_size_up", step_size_up, 1)
        if step_size_down is not None:
            _check_int("step_size_down", step_size_down, 1)
        if scale_fn is None and mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(
                f"mode {mode!r} is invalid and scale_fn is None: use 'triangular', "
                "'triangular2' or 'exp_range', or pass a scale_fn"
            )
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be callable (cycle or step -> scale), got {scale_fn!r}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode must be 'cycle' or 'iterations', got {scale_mode!r}")
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs, strict=True):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        down = step_size_up if step_size_down is None else step_size_down
        self.total_size = float(step_size_up + down)
        self.step_ratio = step_size_up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self.scale_fn = scale_fn
        # The built-in modes fix what their scale counts, as in PyTorch.
        self.scale_mode = scale_mode if scale_fn is not None else _MODE_SCALES[mode]
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            _check_cycles_momentum(optimizer)
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                _set_momenta(optimizer, self.use_beta1, self.max_momentums)
        super().__init__(optimizer, last_epoch)
        # PyTorch's first step uses the groups' initial_lr; later ones the cycle's base_lr.
        self.base_lrs = base_lrs

    def _scale(self, epoch, cycle):
        """The height factor of the cycle at ``epoch``."""
        x = cycle if self.scale_mode == "cycle" else epoch
        if self.scale_fn is not None:
            return self.scale_fn(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def _position(self, epoch):
        """(fraction of the way up, height factor) at ``epoch``."""
        cycle = math.floor(1 + epoch / self.total_size)
        x = 1.0 + epoch / self.total_size - cycle
        up = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        return up, self._scale(epoch, cycle)

    def lr_at(self, epoch):
        """``base_lr + (max_lr - base_lr)·position·scale`` per group."""
        up, scale = self._position(epoch)
        return [
            base + (top - base) * up * scale
            for base, top in zip(self.base_lrs, self.max_lrs, strict=True)
        ]

    def momentum_at(self, epoch):
        """``max_momentum - (max_momentum - base_momentum)·position·scale`` per group."""
        up, scale = self._position(epoch)
        return [
            top - (top - base) * up * scale
            for base, top in zip(self.base_momentums, self.max_momentums, strict=True)
        ]

    def step(self):
        """Advance one step and set the groups' learning rates (and momenta, when cycled)."""
        super().step()
        if self.cycle_momentum:
            _set_momenta(self.optimizer, self.use_beta1, self.momentum_at(self.last_epoch))


_MODE_SCALES = {"triangular": "cycle", "triangular2": "cycle", "exp_range": "iterations"}


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from the base rate to ``eta_min``, restarting (SGDR, Loshchilov & Hutter).

    The first cycle lasts ``T_0`` epochs, each next one ``T_mult`` times longer; within a cycle of
    ``T_i`` epochs, ``T_cur`` epochs in, ``lr = η_min + (base - η_min)(1 + cos(π T_cur/T_i))/2``.
    """

    chainable = False

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        _check_int("T_0", T_0, 1)
        _check_int("T_mult", T_mult, 1)
        if isinstance(eta_min, bool) or not isinstance(eta_min, int | float):
            raise ValueError(f"Expected a number eta_min, but got {eta_min!r}")
        self.T_0 = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def cycle_at(self, epoch):
        """(T_cur, T_i): the epochs into the cycle that ``epoch`` falls in, and its length."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        t_cur, t_i = epoch, self.T_0
        while t_cur >= t_i:  # whole cycles, counted exactly (a logarithm would round)
            t_cur, t_i = t_cur - t_i, t_i * self.T_mult
        return t_cur, t_i

    def lr_at(self, epoch):
        """``eta_min + (base_lr - eta_min)·(1 + cos(π·T_cur/T_i))/2`` per group.

        ``epoch`` may be fractional (e.g. ``epoch + batch / batches``), for a rate moved within
        each epoch.
        """
        t_cur, t_i = self.cycle_at(epoch)
        cosine = 1 + math.cos(math.pi * t_cur / t_i)
        return [self.eta_min + (base_lr - self.eta_min) * cosine / 2 for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advance one epoch; or, as PyTorch allows here, go to ``epoch``, fractional or not.

        PyTorch's documentation steps it per batch with ``scheduler.step(epoch + i / iters)``.
        """
        if epoch is None:
            super().step()
            return
        if isinstance(epoch, bool) or not isinstance(epoch, int | float) or not epoch >= 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch!r}")
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.lr_at(epoch))
