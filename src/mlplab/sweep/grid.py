"""A sweep's search space: axes (settings and their values), expanded as a full grid or sampled.

An axis is any field of :class:`mlplab.experiment.Settings` (``lr``, ``dropout``, ``layers``,
``activation``, ``optimizer``, ``schedule``, ...) -- its kind is read from the field's metadata --
or one of two conveniences that build ``layers``: ``hidden`` (the width of every hidden layer)
and ``depth`` (the number of hidden layers). An axis holds a list of values, or, for random
search, a range ``LOW..HIGH`` of numbers: a rate's range (a setting whose metavar is ``RATE``,
e.g. ``lr``) is sampled log-uniformly, other ranges uniformly (integers for integer settings).
"""

import dataclasses
import itertools
import math

from mlplab.experiment import Settings
from mlplab.experiment.settings import read_toml
from mlplab.random import Generator
from mlplab.utils import SettingError

# The conveniences that build ``layers`` = [inputs, hidden x depth, outputs], with their least
# values: ``hidden`` is the width of every hidden layer, ``depth`` the number of hidden layers.
LAYER_AXES = {"hidden": 1, "depth": 0}
# Axes that are not settings of a trial: a trial's seed comes from the sweep (see trials.py).
NOT_AXES = ("seed",)
# Sampled floats are rounded to this many significant digits: readable tables and folder names.
SIGNIFICANT_DIGITS = 4


class SweepError(SettingError):
    """A sweep that cannot run as asked: ``setting`` names the part at fault (e.g. ``grid``)."""


@dataclasses.dataclass(frozen=True)
class Range:
    """Numbers from ``low`` to ``high`` for random search; ``log``: sampled log-uniformly."""

    low: float
    high: float
    integer: bool = False
    log: bool = False

    def sample(self, generator):
        """One value drawn from the range with ``generator``."""
        if self.integer:
            return int(generator.integers(int(self.low), int(self.high) + 1))
        low, high = (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)
        value = float(generator.uniform(1, low, high, dtype="float64")[0])
        return _rounded(math.exp(value) if self.log else value)

    def __str__(self):
        return f"{self.low:g}..{self.high:g}"


def _rounded(value):
    """``value`` to :data:`SIGNIFICANT_DIGITS` significant digits."""
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def _fields():
    """The fields of Settings by name."""
    return {spec.name: spec for spec in dataclasses.fields(Settings)}


def axis_names():
    """Every name an axis may have: the settings (but the seed) and the layer conveniences."""
    return [name for name in _fields() if name not in NOT_AXES] + list(LAYER_AXES)


def axis_kind(name):
    """The kind of values axis ``name`` holds (int, float, str, bool, "sizes", "names", dict)."""
    if name in LAYER_AXES:
        return int
    return _fields()[name].metadata["kind"]


def axis_minimum(name):
    """The least value axis ``name`` may take (None: no bound), from Settings' metadata."""
    if name in LAYER_AXES:
        return LAYER_AXES[name]
    return _fields()[name].metadata["minimum"]


def is_rate(name):
    """Whether axis ``name`` is a rate (metavar ``RATE`` in Settings): sampled log-uniformly."""
    return name in _fields() and _fields()[name].metadata["metavar"] == "RATE"


def check_axis_name(name):
    """SweepError naming the known axes unless ``name`` is one."""
    if name in NOT_AXES:
        raise SweepError(
            "grid", f"{name} cannot be an axis: each trial's seed comes from the sweep's --seed "
            "and --seeds (the number of seeds per configuration)"
        )  # fmt: skip
    if name not in axis_names():
        raise SweepError(
            "grid", f"unknown axis {name!r}; an axis is a setting ({', '.join(axis_names())})"
        )


# ----------------------------------------------------------------------------- parsing
def parse_axis(text):
    """One axis from the command line: ``NAME=[V1,V2,...]``, ``NAME=V`` or ``NAME=LOW..HIGH``.

    Returns
    -------
    (str, list or Range)
    """
    name, equals, values = text.partition("=")
    name = name.strip().replace("-", "_")
    if not equals or not name or not values.strip():
        raise SweepError(
            "grid", f"{text!r} is not an axis: write NAME=[V1,V2,...] (e.g. lr=[1e-3,1e-2]) or "
            "NAME=LOW..HIGH for random search"
        )  # fmt: skip
    check_axis_name(name)
    values = values.strip()
    if ".." in values and not values.startswith("["):
        return name, _range(name, *values.split("..", 1))
    if values.startswith("[") != values.endswith("]"):
        raise SweepError("grid", f"{text!r}: a list of values is written [V1,V2,...]")
    items = values.strip("[]").split(",") if values.startswith("[") else [values]
    return name, [_typed_text(name, item.strip()) for item in items]


def _typed_text(name, text):
    """A value written on the command line, as the axis's kind (the settings check it further)."""
    kind = axis_kind(name)
    try:
        if kind is bool:
            return {"true": True, "false": False}[text.lower()]
        if kind in (int, float):
            return kind(text)
    except (KeyError, ValueError):
        what = {bool: "true or false", int: "an integer", float: "a number"}[kind]
        raise SweepError("grid", f"{name}: expected {what}, got {text!r}") from None
    return text


def _range(name, low, high):
    """A Range for axis ``name`` from its two ends (text or numbers)."""
    kind = axis_kind(name)
    if kind not in (int, float):
        raise SweepError("grid", f"{name}: a range LOW..HIGH needs a numeric setting")
    try:
        low, high = kind(low), kind(high)
    except (TypeError, ValueError):
        raise SweepError(
            "grid", f"{name}: range ends must be numbers, got {low!r}..{high!r}"
        ) from None
    if not low < high:
        raise SweepError("grid", f"{name}: a range needs LOW < HIGH, got {low}..{high}")
    log = is_rate(name)
    if log and low <= 0:
        raise SweepError(
            "grid", f"{name}: a rate is sampled log-uniformly: its range needs LOW > 0"
        )
    return Range(low, high, integer=kind is int, log=log)


def check_axes(axes):
    """Axes (name -> list of values or Range) checked and in canonical form, as a new dict."""
    if not isinstance(axes, dict):
        raise SweepError("grid", f"a grid is a dict of axis names to lists of values, got {axes!r}")
    checked = {}
    for name, values in axes.items():
        name = str(name).replace("-", "_")
        check_axis_name(name)
        if isinstance(values, str) and ".." in values:
            values = _range(name, *values.split("..", 1))
        if isinstance(values, Range):
            checked[name] = values
            continue
        values = list(values) if isinstance(values, list | tuple) else [values]
        if not values:
            raise SweepError("grid", f"{name}: an axis needs at least one value")
        checked[name] = [_canonical(name, value) for value in values]
    if "layers" in checked and set(LAYER_AXES) & set(checked):
        raise SweepError(
            "grid", "give layers, or hidden and depth, not both: hidden and depth build layers"
        )
    return checked


def _canonical(name, value):
    """An int given for a float setting as a float: ``dropout=0`` and ``dropout=0.0`` are one
    configuration, with one folder name and one seed."""
    if axis_kind(name) is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def read_grid_toml(path):
    """The axes of a TOML grid file: ``NAME = [V1, V2]`` or ``NAME = "LOW..HIGH"`` lines."""
    try:
        return check_axes(read_toml(path))
    except SweepError as error:
        raise SweepError(error.setting, f"{error.detail} (in grid file {path})") from None
    except SettingError as error:
        raise SweepError("grid_file", error.detail) from None


# ----------------------------------------------------------------------------- expanding
def expand(axes):
    """Every combination of the axes' values (the first axis varies slowest), as dicts."""
    ranges = [name for name, values in axes.items() if isinstance(values, Range)]
    if ranges:
        raise SweepError(
            "grid", f"{', '.join(ranges)}: a range LOW..HIGH is for random search: add --samples N"
        )
    names = list(axes)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values())]


def sample(axes, samples, seed):
    """``samples`` configurations drawn at random: a value from each list, a number from each
    range. The same axes and seed give the same configurations (mlplab's Generator draws them).
    """
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise SweepError("samples", f"needs a positive number of configurations, got {samples!r}")
    generator = Generator(seed)
    configurations = []
    for _ in range(samples):
        configuration = {}
        for name, values in axes.items():
            if isinstance(values, Range):
                configuration[name] = values.sample(generator)
            else:
                configuration[name] = values[int(generator.integers(0, len(values)))]
        configurations.append(configuration)
    return configurations
