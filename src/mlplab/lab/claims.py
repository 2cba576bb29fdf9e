"""Claims: a sentence of a course, the numbers measured for it, the bound it must meet, held or not.

An experiment states each claim it tests with :meth:`mlplab.lab.Lab.claim` (or one of the
comparisons below, which write the bound out for the reader). A claim that fails is reported as
failed, never hidden: the report and :attr:`LabResult.held` say so.
"""

import math
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Claim:
    """One claim and its evidence.

    Attributes
    ----------
    statement : str
        The claim, as a sentence ("sigmoid's derivative is at most 0.25").
    values : dict
        The measured value(s) it rests on, by name (plain numbers or short lists).
    threshold : str
        What the values must satisfy, in words or symbols ("≤ 0.25", "within 1% of the truth").
    held : bool
        Whether the measured values met the threshold.
    """

    statement: str
    values: dict = field(default_factory=dict)
    threshold: str = ""
    held: bool = False

    def to_dict(self):
        """The claim as plain data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """The claim :meth:`to_dict` wrote."""
        return cls(data["statement"], dict(data["values"]), data["threshold"], bool(data["held"]))


def at_most(statement, name, value, bound):
    """The claim that measured ``value`` (called ``name``) is at most ``bound``."""
    value = float(value)
    return Claim(statement, {name: value}, f"{name} ≤ {bound:g}", bool(value <= bound))


def at_least(statement, name, value, bound):
    """The claim that measured ``value`` (called ``name``) is at least ``bound``."""
    value = float(value)
    return Claim(statement, {name: value}, f"{name} ≥ {bound:g}", bool(value >= bound))


def close_to(statement, name, value, target, rel=None, abs=None):
    """The claim that ``value`` is within ``rel`` (relative) or ``abs`` (absolute) of ``target``."""
    if (rel is None) == (abs is None):
        raise ValueError("close_to needs exactly one of rel= or abs=")
    value, target = float(value), float(target)
    tolerance = abs if abs is not None else rel * math.fabs(target)
    within = f"{abs:g}" if abs is not None else f"{rel * 100:g}%"
    held = math.isfinite(value) and math.fabs(value - target) <= tolerance
    return Claim(statement, {name: value}, f"{name} within {within} of {target:g}", bool(held))
