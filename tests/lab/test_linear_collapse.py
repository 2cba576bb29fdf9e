"""The linear-collapse lab experiment, in its quick form: claims, figures, reports, seeding."""

import pytest
from lab_checks import assert_figures_and_reports

import mlplab.lab
from mlplab.lab import linear_collapse


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One quick run, shared by the tests of this file."""
    out = tmp_path_factory.mktemp("linear-collapse")
    return mlplab.lab.run(linear_collapse.EXPERIMENT, quick=True, out=out)


def claim(result, text):
    """The one claim whose statement contains ``text``."""
    found = [claim for claim in result.claims if text in claim.statement]
    assert len(found) == 1, f"{len(found)} claims contain {text!r}"
    return found[0]


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]
    assert result.answer


@pytest.mark.parametrize("name", linear_collapse.DATASETS)
def test_deep_linear_and_slope_one_networks_are_one_matrix(result, name):
    deep = claim(result, f"On {name}, the trained deep linear network")
    assert deep.held and deep.values[f"{name}_deep_linear_max_abs_difference"] <= 1e-10
    leaky = claim(result, f"On {name}, leaky ReLU of slope 1 is the identity")
    assert leaky.held and leaky.values[f"{name}_leaky_slope_1_max_abs_difference"] <= 1e-10
    tanh = claim(result, f"On {name}, a real nonlinearity does not collapse")
    assert tanh.held and tanh.values[f"{name}_tanh_max_abs_difference"] >= 0.1
    weight = result.numbers[f"{name}_deep_linear_collapsed_weight"]
    assert len(weight) == 2 and len(weight[0]) == 2  # (outputs, inputs): one 2x2 matrix


@pytest.mark.parametrize("name", linear_collapse.DATASETS)
def test_linear_models_stay_linear_while_one_hidden_layer_solves_it(result, name):
    accuracy = result.numbers[f"{name}_test_accuracy"]
    linear = accuracy[linear_collapse.LOGISTIC]
    for label in (linear_collapse.DEEP_LINEAR, linear_collapse.LEAKY):
        same = claim(result, f"On {name}, the {label} stays at a linear model's accuracy")
        assert same.held and abs(accuracy[label] - linear) <= 0.05
        assert accuracy[label] < 0.8
    assert claim(result, f"On {name}, no linear model separates the classes").held
    assert claim(result, f"On {name}, trained to the end of the same cosine schedule").held
    solved = claim(result, f"On {name}, one hidden layer with a nonlinearity")
    assert solved.held and solved.values[f"{name}_tanh_accuracy"] >= 0.95


def test_figure_and_reports(result):
    assert_figures_and_reports(result, ["decision-boundaries"])


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = mlplab.lab.run(linear_collapse.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
