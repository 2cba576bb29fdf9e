"""Tests of mlplab.lab.registry: the part-1 experiments are registered under the issue's names."""

from pathlib import Path

from mlplab import lab

PART_1 = ("linear-regression", "multi-target", "activations", "vanishing-gradients",
          "linear-collapse", "width-depth", "softmax")  # fmt: skip


def test_the_seven_experiments_of_part_1_are_registered_in_course_order():
    assert tuple(lab.EXPERIMENTS)[: len(PART_1)] == PART_1
    for name, experiment in lab.EXPERIMENTS.items():
        assert experiment.name == name and experiment.question.endswith("?")


def test_every_experiment_has_its_own_test_file():
    here = Path(__file__).parent
    for experiment in lab.EXPERIMENTS.values():
        module = experiment.run.__module__.rsplit(".", 1)[-1]
        assert (here / f"test_{module}.py").is_file(), module
