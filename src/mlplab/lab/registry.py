"""The lab's registry: every experiment by name, each with the question it answers.

Adding an experiment means writing its module in this package (one function over the public API,
and an :class:`Experiment` naming it) and adding one line to :data:`EXPERIMENTS`.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Experiment:
    """A registered experiment.

    Attributes
    ----------
    name : str
        Its name on the command line, e.g. ``"linear-regression"``.
    question : str
        The one question it answers.
    run : callable
        ``run(lab)``: measures, draws and states claims through the :class:`mlplab.lab.Lab` it
        is given; reads ``lab.quick`` and draws every random number from ``lab.generator()``.
    """

    name: str
    question: str
    run: Callable


def _registry(*experiments):
    """The experiments by name (a name given twice is an error)."""
    table = {}
    for experiment in experiments:
        if experiment.name in table:
            raise ValueError(f"two lab experiments are called {experiment.name!r}")
        table[experiment.name] = experiment
    return table


# Each experiment's module imports Experiment from here, so they are imported once it exists.
from mlplab.lab import (  # noqa: E402
    activations,
    custom_losses,
    fine_tuning,
    inside_the_network,
    interview_questions,
    learning_rate,
    linear_collapse,
    linear_regression,
    momentum,
    multi_target,
    overfitting,
    softmax,
    vanishing_gradients,
    width_depth,
)

EXPERIMENTS = _registry(
    linear_regression.EXPERIMENT,
    multi_target.EXPERIMENT,
    activations.EXPERIMENT,
    vanishing_gradients.EXPERIMENT,
    linear_collapse.EXPERIMENT,
    width_depth.EXPERIMENT,
    softmax.EXPERIMENT,
    custom_losses.EXPERIMENT,
    learning_rate.EXPERIMENT,
    momentum.EXPERIMENT,
    overfitting.EXPERIMENT,
    fine_tuning.EXPERIMENT,
    inside_the_network.EXPERIMENT,
    interview_questions.EXPERIMENT,
)
"""The lab's experiments by name, in the order of the course."""
