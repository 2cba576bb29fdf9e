"""Schedule specs: the short strings that name a learning-rate schedule on the command line.

A spec is one or more parts joined by ``+``, run one after another (a :class:`SequentialLR`);
each part is a schedule name and ``:``-separated values, e.g. ``"step:10:0.5"`` or
``"warmup:5+cosine:30"``. :data:`SCHEDULES` is the whole grammar: one :class:`ScheduleKind` per
name, with its values, their ranges and the scheduler it builds. :func:`parse_spec` checks a spec
without an optimizer; the :class:`ScheduleSpec` it returns builds the scheduler, and checks it
against the length and base rate of a run before any training.
"""

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy

from mlplab.optim.lr_scheduler import (
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LinearLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    _check_optimizer,
)
from mlplab.optim.sgd import SGD
from mlplab.tensor import Tensor


@dataclass(frozen=True)
class Bounds:
    """An interval of allowed values; each end is included unless marked open."""

    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value):
        """Whether ``value`` lies in the interval."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self):
        """The interval as messages write it: ``> 0``, ``>= 1``, ``in [0, 1]``, ``in (0, 1)``."""
        if self.high == math.inf:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


_POSITIVE = Bounds(0, low_open=True)
_NON_NEGATIVE = Bounds(0)
_AT_LEAST_ONE = Bounds(1)
_UNIT = Bounds(0, 1)
_UNIT_WITHOUT_ZERO = Bounds(0, 1, low_open=True)
_OPEN_UNIT = Bounds(0, 1, low_open=True, high_open=True)


@dataclass(frozen=True)
class Field:
    """One value of a spec part: its label, type, allowed range and default.

    Attributes
    ----------
    label : str
        Its name in usages and error messages, e.g. ``"GAMMA"``.
    kind : type
        ``int`` or ``float``.
    bounds : Bounds
        The values allowed; every value must also be finite.
    default : int or float or None
        The value when the field is left out; None lets the builder decide (or marks a field that
        cannot be left out).
    many : bool
        A comma-separated list of values, e.g. milestones ``10,20``.
    """

    label: str
    kind: type
    bounds: Bounds
    default: object = None
    many: bool = False

    def parse(self, text):
        """The value ``text`` stands for; ValueError saying what is wrong, naming the field."""
        if not self.many:
            return self._parse_one(text, text)
        return [self._parse_one(item, text) for item in text.split(",")]

    def _parse_one(self, item, text):
        """One value of the field, ``item``, from the field's whole ``text``."""
        try:
            value = self.kind(item)
        except ValueError:
            if self.kind is int:
                what = "integers" if self.many else "an integer"
            else:
                what = "numbers" if self.many else "a number"
            raise ValueError(f"{self.label} must be {what}, got {text!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"{self.label} must be finite, got {item}")
        if value not in self.bounds:
            raise ValueError(f"{self.label} must be {self.bounds}, got {item}")
        return value


class BuildContext(NamedTuple):
    """What a schedule's builder may need besides its values."""

    epochs: int | None
    """The epochs left to this part of the spec (None when the run's length is not given)."""
    steps_per_epoch: int | None
    """Batches per epoch, for schedules stepped per batch."""
    monitor: str | None
    """The epoch-record entry a metric-driven schedule watches (None: the scheduler's default)."""


@dataclass(frozen=True)
class ScheduleKind:
    """One schedule name of the spec grammar: its values, how it is stepped, what it builds.

    Attributes
    ----------
    usage : str
        The part's syntax, brackets marking what may be left out, e.g. ``"step:STEP_SIZE[:GAMMA]"``.
    description : str
        One line saying what the schedule does.
    fields : tuple of Field
        The values after the name, in order.
    counts : tuple of int
        How many values may be given.
    build : callable
        ``build(optimizer, values, context)`` -> the scheduler, where ``values`` maps each field's
        label to its value and ``context`` is a :class:`BuildContext`.
    length : str or None
        The label of the field that gives the part's length in epochs, which a part followed by
        ``+`` needs; None when it runs on without end.
    combinable : bool
        Whether it may be joined with other parts by ``+``.
    interval : {"epoch", "step"}
        Whether it is stepped once per epoch or once per batch.
    metric_driven : bool
        Whether its ``step`` takes a measured metric (the scheduler's ``monitor`` names it).
    """

    usage: str
    description: str
    fields: tuple
    counts: tuple
    build: Callable
    length: str | None = None
    combinable: bool = True
    interval: str = "epoch"
    metric_driven: bool = False

    def __post_init__(self):
        if self.combinable and (self.interval != "epoch" or self.metric_driven):
            # Parts joined by '+' run inside a SequentialLR, stepped per epoch without a metric.
            raise ValueError(
                f"Schedule {self.usage!r} is stepped per batch or by a metric, which a "
                "SequentialLR (what '+' builds) cannot do, so it cannot be combined by '+': set "
                "combinable=False"
            )


def _constant(optimizer, values, context):
    """ConstantLR; without values, the fixed base rate."""
    return ConstantLR(optimizer, values["FACTOR"], values["EPOCHS"] or 0)


def _cosine(optimizer, values, context):
    """CosineAnnealingLR over T_MAX epochs, by default over the epochs that remain."""
    t_max = values["T_MAX"] if values["T_MAX"] is not None else context.epochs
    if t_max is None:
        raise ValueError("T_MAX is needed when the number of epochs is not given")
    return CosineAnnealingLR(optimizer, t_max, values["ETA_MIN"])


def _warmup(optimizer, values, context):
    """LinearLR up to the base rate; by default rate·(e+1)/(EPOCHS+1)."""
    epochs, start = values["EPOCHS"], values["START_FACTOR"]
    return LinearLR(optimizer, 1.0 / (epochs + 1) if start is None else start, 1.0, epochs)


def _onecycle(optimizer, values, context):
    """OneCycleLR over epochs·steps_per_epoch steps, or one step per epoch."""
    if context.epochs is None:
        raise ValueError("the number of epochs is needed")
    max_lr, pct_start = values["MAX_LR"], values["PCT_START"]
    if context.steps_per_epoch is None:
        return OneCycleLR(optimizer, max_lr, total_steps=context.epochs, pct_start=pct_start)
    return OneCycleLR(
        optimizer,
        max_lr,
        epochs=context.epochs,
        steps_per_epoch=context.steps_per_epoch,
        pct_start=pct_start,
    )


def _poly(optimizer, values, context):
    """PolynomialLR down to 0 over EPOCHS epochs, by default over the epochs that remain."""
    epochs = values["EPOCHS"] if values["EPOCHS"] is not None else context.epochs
    if epochs is None:
        raise ValueError("EPOCHS is needed when the number of epochs is not given")
    return PolynomialLR(optimizer, epochs, values["POWER"])


def _cyclic(optimizer, values, context):
    """CyclicLR between the run's rate and MAX_LR, the momentum left as the run set it."""
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    return CyclicLR(
        optimizer, base_lrs, values["MAX_LR"], values["STEP_SIZE_UP"], cycle_momentum=False
    )


def _plateau(optimizer, values, context):
    """ReduceLROnPlateau watching ``context.monitor`` (by default the validation loss)."""
    watch = {} if context.monitor is None else {"monitor": context.monitor}
    patience, factor = values["PATIENCE"], values["FACTOR"]
    return ReduceLROnPlateau(optimizer, patience=patience, factor=factor, **watch)


SCHEDULES = {
    "constant": ScheduleKind(
        "constant[:FACTOR:EPOCHS]",
        "the fixed rate; or rate·FACTOR for EPOCHS epochs, then the rate (ConstantLR)",
        (Field("FACTOR", float, _UNIT, 1.0), Field("EPOCHS", int, _AT_LEAST_ONE)),
        (0, 2),
        _constant,
        length="EPOCHS",
    ),
    "step": ScheduleKind(
        "step:STEP_SIZE[:GAMMA]",
        "×GAMMA (default 0.1) every STEP_SIZE epochs (StepLR)",
        (Field("STEP_SIZE", int, _AT_LEAST_ONE), Field("GAMMA", float, _POSITIVE, 0.1)),
        (1, 2),
        lambda optimizer, v, context: StepLR(optimizer, v["STEP_SIZE"], v["GAMMA"]),
    ),
    "multistep": ScheduleKind(
        "multistep:M1,M2,...[:GAMMA]",
        "×GAMMA (default 0.1) at each listed epoch (MultiStepLR)",
        (Field("milestones", int, _NON_NEGATIVE, many=True), Field("GAMMA", float, _POSITIVE, 0.1)),
        (1, 2),
        lambda optimizer, v, context: MultiStepLR(optimizer, v["milestones"], v["GAMMA"]),
    ),
    "exp": ScheduleKind(
        "exp:GAMMA",
        "×GAMMA every epoch (ExponentialLR)",
        (Field("GAMMA", float, _POSITIVE),),
        (1,),
        lambda optimizer, v, context: ExponentialLR(optimizer, v["GAMMA"]),
    ),
    "cosine": ScheduleKind(
        "cosine[:T_MAX[:ETA_MIN]]",
        "cosine down to ETA_MIN (0) over T_MAX epochs, by default those left (CosineAnnealingLR)",
        (Field("T_MAX", int, _AT_LEAST_ONE), Field("ETA_MIN", float, _NON_NEGATIVE, 0.0)),
        (0, 1, 2),
        _cosine,
        length="T_MAX",
    ),
    "linear": ScheduleKind(
        "linear:START_FACTOR:END_FACTOR:EPOCHS",
        "rate·factor, the factor going from START_FACTOR to END_FACTOR over EPOCHS (LinearLR)",
        (
            Field("START_FACTOR", float, _UNIT_WITHOUT_ZERO),
            Field("END_FACTOR", float, _UNIT),
            Field("EPOCHS", int, _AT_LEAST_ONE),
        ),
        (3,),
        lambda optimizer, v, context: LinearLR(
            optimizer, v["START_FACTOR"], v["END_FACTOR"], v["EPOCHS"]
        ),
        length="EPOCHS",
    ),
    "warmup": ScheduleKind(
        "warmup:EPOCHS[:START_FACTOR]",
        "linear warm-up to the rate over EPOCHS, from START_FACTOR (1/(EPOCHS+1)) (LinearLR)",
        (Field("EPOCHS", int, _AT_LEAST_ONE), Field("START_FACTOR", float, _UNIT_WITHOUT_ZERO)),
        (1, 2),
        _warmup,
        length="EPOCHS",
    ),
    "poly": ScheduleKind(
        "poly[:EPOCHS[:POWER]]",
        "rate·(1 - e/EPOCHS)^POWER (POWER 1: linear) down to 0 at EPOCHS, by default the epochs "
        "left (PolynomialLR)",
        (Field("EPOCHS", int, _AT_LEAST_ONE), Field("POWER", float, _POSITIVE, 1.0)),
        (0, 1, 2),
        _poly,
        length="EPOCHS",
    ),
    "restarts": ScheduleKind(
        "restarts:T_0[:T_MULT[:ETA_MIN]]",
        "cosine to ETA_MIN (0) over T_0 epochs, restarting, each cycle T_MULT (1) times longer "
        "(CosineAnnealingWarmRestarts)",
        (
            Field("T_0", int, _AT_LEAST_ONE),
            Field("T_MULT", int, _AT_LEAST_ONE, 1),
            Field("ETA_MIN", float, _NON_NEGATIVE, 0.0),
        ),
        (1, 2, 3),
        lambda optimizer, v, context: CosineAnnealingWarmRestarts(
            optimizer, v["T_0"], v["T_MULT"], v["ETA_MIN"]
        ),
    ),
    "cyclic": ScheduleKind(
        "cyclic:MAX_LR:STEP_SIZE_UP",
        "triangular cycles between the rate and MAX_LR, up over STEP_SIZE_UP batches and down "
        "again (CyclicLR, momentum not cycled)",
        (Field("MAX_LR", float, _POSITIVE), Field("STEP_SIZE_UP", int, _AT_LEAST_ONE)),
        (2,),
        _cyclic,
        combinable=False,
        interval="step",
    ),
    "onecycle": ScheduleKind(
        "onecycle:MAX_LR[:PCT_START]",
        "1cycle up to MAX_LR and down, rising over PCT_START (0.3) of the steps (OneCycleLR)",
        (Field("MAX_LR", float, _POSITIVE), Field("PCT_START", float, _UNIT, 0.3)),
        (1, 2),
        _onecycle,
        combinable=False,
        interval="step",
    ),
    "plateau": ScheduleKind(
        "plateau[:PATIENCE[:FACTOR]]",
        "×FACTOR (0.1) after PATIENCE (10) epochs without improvement (ReduceLROnPlateau)",
        (Field("PATIENCE", int, _NON_NEGATIVE, 10), Field("FACTOR", float, _OPEN_UNIT, 0.1)),
        (0, 1, 2),
        _plateau,
        combinable=False,
        metric_driven=True,
    ),
}
"""Every schedule a spec can name, by name."""


def _error(spec, part, usage, problem):
    """A ValueError naming the spec, the part, what is wrong and the part's expected syntax."""
    return ValueError(f"Invalid schedule {spec!r}: {problem} in {part!r}; expected {usage}")


@dataclass(frozen=True)
class SchedulePart:
    """One ``+``-separated part of a parsed spec: its text, its kind and its values by label."""

    text: str
    kind: ScheduleKind
    values: dict

    def error(self, spec, problem):
        """A ValueError about this part of ``spec``, in the style of every spec error."""
        return _error(spec, self.text, self.kind.usage, problem)


@dataclass(frozen=True)
class ScheduleSpec:
    """A parsed and checked schedule spec (see :func:`parse_spec`): builds and checks its schedule.

    Attributes
    ----------
    text : str
        The spec as given.
    parts : tuple of SchedulePart
        Its ``+``-separated parts, in order.
    """

    text: str
    parts: tuple

    @property
    def interval(self):
        """``"step"`` when the scheduler is stepped once per batch, else ``"epoch"``."""
        # Only a part on its own can be per step (ScheduleKind refuses combinable ones).
        return self.parts[0].kind.interval

    @property
    def metric_driven(self):
        """Whether the scheduler's ``step`` takes a measured metric (it has a ``monitor``)."""
        return self.parts[0].kind.metric_driven

    def build(self, optimizer, epochs=None, steps_per_epoch=None, monitor=None):
        """The scheduler of this spec, setting the learning rates of ``optimizer``.

        Parameters
        ----------
        optimizer : Optimizer
            The optimizer whose learning rates it sets; its current rates are the base rates.
        epochs : int, optional
            The length of the run; needed by ``onecycle`` and by ``cosine`` without T_MAX.
        steps_per_epoch : int, optional
            Batches per epoch, for ``onecycle`` stepped per batch (per epoch without it).
        monitor : str, optional
            For a metric-driven schedule only: the epoch-record entry it watches, e.g.
            ``"train_loss"`` (default: the scheduler's, ``"val_loss"``).

        Returns
        -------
        LRScheduler
            The scheduler, already at epoch 0. When building fails, the optimizer's parameter
            groups are left as they were.
        """
        _check_optimizer(optimizer)
        if monitor is not None and not self.metric_driven:
            raise ValueError(
                f"Invalid schedule {self.text!r}: only a metric-driven schedule (plateau) watches "
                f"a monitor, got monitor={monitor!r}; leave monitor out"
            )
        saved_groups = [dict(group) for group in optimizer.param_groups]
        try:
            return self._build(optimizer, epochs, steps_per_epoch, monitor)
        except (TypeError, ValueError):
            # A bad later part must not leave the rates set by the parts built before it.
            for group, saved in zip(optimizer.param_groups, saved_groups, strict=True):
                group.clear()
                group.update(saved)
            raise

    def _build(self, optimizer, epochs, steps_per_epoch, monitor):
        """The scheduler of every part: one, or a SequentialLR over several."""
        schedulers, milestones, start = [], [], 0
        for i, part in enumerate(self.parts):
            context = BuildContext(
                None if epochs is None else epochs - start, steps_per_epoch, monitor
            )
            try:
                schedulers.append(part.kind.build(optimizer, part.values, context))
            except (TypeError, ValueError) as error:
                raise part.error(self.text, str(error)) from error
            if i < len(self.parts) - 1:
                start += part.values[part.kind.length]  # parse_spec saw that it has one
                milestones.append(start)
        if len(schedulers) == 1:
            return schedulers[0]
        return SequentialLR(optimizer, schedulers, milestones)

    def check(self, lr, epochs):
        """Raise ValueError unless the schedule can run ``epochs`` epochs from base rate ``lr``.

        The scheduler is built on a throw-away optimizer, so every error :meth:`build` would
        raise for this run's length comes out here. For a schedule stepped per epoch, the rates of
        epochs 0 to ``epochs - 1`` are then computed in closed form (``lr_at``) and must be finite
        and >= 0; per-step and metric-driven schedules are bounded by their values alone.

        Parameters
        ----------
        lr : float
            The base learning rate of the run.
        epochs : int or None
            The number of epochs of the run; None when it is not known, which the schedules that
            need it (``onecycle``, ``cosine`` without T_MAX) refuse.
        """
        if epochs is not None and (
            isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0
        ):
            raise ValueError(
                f"Invalid schedule {self.text!r}: the number of epochs must be an integer >= 0, "
                f"got {epochs!r}"
            )
        optimizer = SGD([Tensor(numpy.zeros(1), requires_grad=True)], lr=lr)
        scheduler = self.build(optimizer, epochs=epochs)
        if epochs is None or self.interval != "epoch" or self.metric_driven:
            return
        for epoch in range(epochs):
            try:
                rates = scheduler.lr_at(epoch)
            except OverflowError:  # Python's float power raises instead of returning inf
                rates = [math.inf]
            bad = [rate for rate in rates if not (math.isfinite(rate) and rate >= 0)]
            if bad:
                raise ValueError(
                    f"Invalid schedule {self.text!r}: from base rate {lr!r} it would set the "
                    f"learning rate to {bad[0]!r} in epoch {epoch + 1} of {epochs}; choose "
                    "values that keep it finite and >= 0"
                )


def parse_spec(spec):
    """Parse and check a schedule spec, without an optimizer; see :data:`SCHEDULES` for the names.

    Grammar: one or more parts joined by ``+``, run one after another; every part but the last
    needs a length in epochs. Each part is a name and ``:``-separated values, each a field of the
    name's :class:`ScheduleKind` (brackets in its usage: may be left out). Names and values are
    checked here: counts, types, finiteness and ranges (e.g. GAMMA > 0, PCT_START in [0, 1]).
    What depends on the run (its length, its base rate) is checked by :meth:`ScheduleSpec.check`.

    Examples: ``"step:10:0.5"``, ``"multistep:10,20:0.1"``, ``"exp:0.95"``, ``"cosine:30"``,
    ``"warmup:5+cosine:30"`` (5 epochs of warm-up, then 30 of cosine), ``"onecycle:0.1"``,
    ``"plateau:5"``. Names are case-insensitive and spaces around ``+`` are ignored.

    Parameters
    ----------
    spec : str
        The schedule spec.

    Returns
    -------
    ScheduleSpec

    Raises
    ------
    ValueError
        Naming the spec, the part, what is wrong and the part's expected syntax, e.g.
        ``Invalid schedule 'exp:-1': GAMMA must be > 0, got -1 in 'exp:-1'; expected exp:GAMMA``.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(
            f"Invalid schedule {spec!r}: expected a spec such as 'constant', 'step:10:0.5' or "
            "'warmup:5+cosine:30'"
        )
    texts = [text.strip().lower() for text in spec.split("+")]
    for text in texts:
        name = text.split(":")[0]
        if name not in SCHEDULES:
            raise ValueError(
                f"Invalid schedule {spec!r}: unknown schedule {name!r}; expected one of "
                f"{', '.join(SCHEDULES)} (parts joined by '+', e.g. 'warmup:5+cosine:30')"
            )
        if not SCHEDULES[name].combinable and len(texts) > 1:
            raise _error(
                spec,
                text,
                SCHEDULES[name].usage,
                f"{name!r} cannot be combined with other schedules by '+'",
            )
    parts = tuple(_parse_part(spec, text) for text in texts)
    for part in parts[:-1]:
        length = part.kind.length
        if length is None or part.values[length] is None:
            hint = "" if length is None else f" (give its {length})"
            raise part.error(
                spec,
                f"a part followed by '+' needs a length in epochs{hint}; only the last part may "
                "run on without one",
            )
    return ScheduleSpec(spec, parts)


def _parse_part(spec, text):
    """The :class:`SchedulePart` of ``text``, one part of ``spec`` whose name is known."""
    name, *texts = text.split(":")
    kind = SCHEDULES[name]
    if len(texts) not in kind.counts:
        first, last = kind.counts[0], kind.counts[-1]
        if len(kind.counts) == 1:
            allowed = f"{first}"
        elif list(kind.counts) == list(range(first, last + 1)):
            allowed = f"{first} to {last}"
        else:
            allowed = " or ".join(str(count) for count in kind.counts)
        raise _error(spec, text, kind.usage, f"{allowed} values after {name!r}, got {len(texts)}")
    values = {field.label: field.default for field in kind.fields}
    for field, field_text in zip(kind.fields, texts, strict=False):
        try:
            values[field.label] = field.parse(field_text)
        except ValueError as error:
            raise _error(spec, text, kind.usage, str(error)) from None
    return SchedulePart(text, kind, values)


def from_string(spec, optimizer, epochs=None, steps_per_epoch=None):
    """Build a learning-rate schedule from a short spec: ``parse_spec(spec).build(...)``.

    Parameters
    ----------
    spec : str
        The schedule spec, e.g. ``"warmup:5+cosine:30"`` (grammar: :func:`parse_spec`).
    optimizer : Optimizer
        The optimizer whose learning rates it sets; its current rates are the base rates.
    epochs : int, optional
        The length of the run; needed by ``onecycle`` and by ``cosine`` without T_MAX.
    steps_per_epoch : int, optional
        Batches per epoch, for ``onecycle`` stepped per batch.

    Returns
    -------
    LRScheduler
        The scheduler, already at epoch 0.
    """
    return parse_spec(spec).build(optimizer, epochs=epochs, steps_per_epoch=steps_per_epoch)
