"""``lr_find(settings) -> LRFindResult``: the learning-rate range test of a run (Smith, 2017).

The run's data, network, loss and optimizer are built from its settings exactly as :func:`run`
builds them. Then, one batch at a time, the learning rate rises exponentially from ``start_lr`` to
``end_lr`` while the training loss of every batch is recorded: the loss hardly moves while the
rate is too small, falls once it is large enough, and shoots up once it is too large. The test
stops there, and suggests a rate from the smoothed curve. Nothing is written; the network it
trained is thrown away.
"""

import itertools
import math
import numbers
from dataclasses import dataclass

import numpy
from tqdm.auto import tqdm

from mlplab.experiment.runner import as_settings, build_parts
from mlplab.experiment.settings import Settings
from mlplab.utils.errors import SettingError

SUGGESTION_FACTOR = 10  # the suggestion is the rate at the smoothed loss's minimum, divided by this


@dataclass
class LRFindResult:
    """What a learning-rate range test measured.

    Attributes
    ----------
    lrs : ndarray, shape (S,)
        The learning rate of each step, rising exponentially.
    losses : ndarray, shape (S,)
        The training loss of each step's batch, measured before that step's update (so with the
        weights the rates before it made).
    smoothed : ndarray, shape (S,)
        ``losses`` smoothed by a bias-corrected exponential moving average.
    suggested_lr : float
        A rate to train with: one tenth of the rate at the smoothed loss's minimum.
    settings : Settings
        The run's settings, every default filled in (its ``lr`` and ``schedule`` were not used).
    stop_reason : {"diverged", "non-finite", None}
        Why the test ended before its last step: the smoothed loss passed ``diverge_factor``
        times its minimum, or a loss was NaN or Inf (that step is not recorded); None when it
        took every step.
    """

    lrs: numpy.ndarray
    losses: numpy.ndarray
    smoothed: numpy.ndarray
    suggested_lr: float
    settings: Settings
    stop_reason: str | None

    @property
    def min_lr(self):
        """The rate at which the smoothed loss was lowest."""
        return float(self.lrs[numpy.argmin(self.smoothed)])

    def plot(self, ax):
        """Draw the loss against the rate (log scale) on matplotlib Axes ``ax``, the suggested
        rate marked."""
        ax.plot(self.lrs, self.losses, color="tab:blue", alpha=0.3, label="loss of each batch")
        ax.plot(self.lrs, self.smoothed, color="tab:blue", label="smoothed loss")
        ax.axvline(self.min_lr, color="grey", linestyle=":", label=f"minimum at {self.min_lr:.3g}")
        ax.axvline(
            self.suggested_lr, color="tab:red", linestyle="--",
            label=f"suggested rate {self.suggested_lr:.3g} (minimum / {SUGGESTION_FACTOR})",
        )  # fmt: skip
        ax.set_xscale("log")
        # The smoothed curve and the first losses set the scale: the raw losses of a diverging
        # tail would flatten everything below them.
        top = max(self.losses[: max(1, len(self.losses) // 10)].max(), self.smoothed.max())
        bottom = min(self.losses.min(), self.smoothed.min())
        ax.set_ylim(bottom - 0.05 * (top - bottom), top + 0.05 * (top - bottom))
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel(f"training loss ({self.settings.loss})")
        ax.set_title(
            f"Learning-rate range test: {self.settings.optimizer} on {self.settings.dataset}"
        )
        ax.legend()


def lr_find(
    settings, start_lr=1e-7, end_lr=10, steps=None, smoothing=0.98, diverge_factor=4,
    progress=False,
):  # fmt: skip
    """Run the learning-rate range test of the run ``settings`` describe.

    The suggestion is one tenth of the rate at which the smoothed loss was lowest, not the rate
    of its steepest descent: the moving average lags the loss by about ``1 / (1 - smoothing)``
    steps, which in a short test pushes the steepest descent right up to the edge of stability
    (on digits, SGD trained at it stays at chance). The minimum lies near that edge too, and a
    tenth of it still learns fast while keeping clear of it.

    Parameters
    ----------
    settings : Settings or dict
        The run: data set, network, loss, optimizer and its settings, batch size, seed. Its
        ``lr``, ``schedule``, ``epochs`` and early stopping are not used; the test trains on
        the training part of the data (without the validation split), as the run would.
    start_lr, end_lr : float
        The first and the last rate of the test, finite, above 0, ``start_lr < end_lr``.
    steps : int, optional
        How many batches the rate takes to rise from ``start_lr`` to ``end_lr`` (at least 2;
        past one pass over the training data, the data are shuffled and passed over again).
        Default: one pass.
    smoothing : float
        The weight of the past in the exponential moving average of the loss, in [0, 1).
    diverge_factor : float
        Stop once the smoothed loss exceeds this many times its minimum (above 1).
    progress : bool
        Show a progress bar.

    Returns
    -------
    LRFindResult

    Raises
    ------
    SettingError
        A ValueError naming the bad argument, before any data are loaded; SettingsError from
        the settings.
    """
    _check_arguments(start_lr, end_lr, steps, smoothing, diverge_factor)
    settings = as_settings(settings).resolved()
    parts = build_parts(settings)
    if steps is None:
        steps = len(parts.train_loader)
        if steps < 2:
            raise SettingError(
                "steps", f"one pass over the training data is {steps} batch: give steps, e.g. 100"
            )
    lrs = start_lr * (end_lr / start_lr) ** (numpy.arange(steps) / (steps - 1))
    batches = itertools.islice(_endless(parts.train_loader), steps)
    bar = tqdm(total=steps, desc="lr-find", unit="batch", leave=False, disable=not progress or None)
    # Overflow on the way to a diverging loss is what the test looks for, not an error.
    with bar, numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
        losses, smoothed, stop_reason = _sweep(parts, lrs, batches, smoothing, diverge_factor, bar)
    return LRFindResult(
        lrs[: len(losses)], numpy.asarray(losses), numpy.asarray(smoothed),
        _suggest(lrs[: len(losses)], numpy.asarray(smoothed)), settings, stop_reason,
    )  # fmt: skip


def _sweep(parts, lrs, batches, smoothing, diverge_factor, bar):
    """Train one step per rate of ``lrs``; returns the losses, their smoothed values and why the
    sweep stopped (None when it took every step)."""
    model, loss_fn, optimizer = parts.model, parts.loss_fn, parts.optimizer
    model.train()
    losses, smoothed, average = [], [], 0.0
    for step, (lr, (inputs, targets)) in enumerate(zip(lrs, batches, strict=False)):
        for group in optimizer.param_groups:
            group["lr"] = float(lr)
        loss = loss_fn(model(inputs), targets)
        value = loss.item()
        if not math.isfinite(value):
            return losses, smoothed, "non-finite"
        average = smoothing * average + (1 - smoothing) * value
        losses.append(value)
        smoothed.append(average / (1 - smoothing ** (step + 1)))  # corrects the start at 0
        if smoothed[-1] > diverge_factor * min(smoothed):
            return losses, smoothed, "diverged"
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        bar.update()
    return losses, smoothed, None


def _endless(loader):
    """The batches of ``loader``, pass after pass (each pass shuffled anew)."""
    while True:
        yield from loader


def _suggest(lrs, smoothed):
    """One tenth of the rate at the smoothed loss's minimum."""
    return float(lrs[numpy.argmin(smoothed)]) / SUGGESTION_FACTOR


def _check_arguments(start_lr, end_lr, steps, smoothing, diverge_factor):
    """Raise SettingError naming the first argument of :func:`lr_find` that cannot be used."""
    for name, value in (("start_lr", start_lr), ("end_lr", end_lr)):
        if not (_is_real(value) and math.isfinite(value) and value > 0):
            raise SettingError(name, f"{value!r} is not a finite number above 0")
    if not start_lr < end_lr:
        raise SettingError(
            "end_lr", f"{end_lr!r} is not above the start rate {start_lr!r}: the rate rises"
        )
    if steps is not None and (
        isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 2
    ):
        raise SettingError("steps", f"{steps!r} is not a whole number of at least 2")
    if not (_is_real(smoothing) and 0 <= smoothing < 1):
        raise SettingError("smoothing", f"{smoothing!r} is not in [0, 1)")
    if not (_is_real(diverge_factor) and math.isfinite(diverge_factor) and diverge_factor > 1):
        raise SettingError("diverge_factor", f"{diverge_factor!r} is not a finite number above 1")


def _is_real(value):
    """Whether ``value`` is a real number (not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
