"""The custom-losses lab experiment, in its quick form: claims, figures, reports, seeding."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

import mlplab.lab
from mlplab.lab import custom_losses


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One quick run, shared by the tests of this file."""
    out = tmp_path_factory.mktemp("custom-losses")
    return mlplab.lab.run(custom_losses.EXPERIMENT, quick=True, out=out)


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]
    assert result.answer


def test_weighting_an_output_trades_its_error_against_the_others(result):
    bought = find_claim(result, "Weighting one output in the loss buys it accuracy")
    values = bought.values
    assert bought.held
    assert values["weighted_output_at_weight_10"] < values["weighted_output_at_weight_1"]
    assert values["weighted_output_at_weight_10"] < 0.1  # served by the bottleneck: near the noise
    paid = find_claim(result, "the other outputs pay for it")
    values = paid.values
    assert paid.held
    assert values["other_outputs_at_weight_10"] > values["other_outputs_at_weight_1"]
    errors = result.numbers["weighting_unexplained"]  # (repeats, weights, outputs)
    weights = result.numbers["weighting_weights"]
    assert len(errors[0]) == len(weights) and len(errors[0][0]) == custom_losses.OUTPUTS


def test_each_end_of_the_lambda_sweep_favours_its_own_task(result):
    regression = find_claim(result, "the end that weights the regression most")
    values = regression.values
    assert regression.held
    assert values["regression_at_lowest_lambda"] < values["regression_at_highest_lambda"]
    classification = find_claim(result, "the end that weights the classification most")
    values = classification.values
    assert classification.held
    assert values["classification_at_highest_lambda"] < values["classification_at_lowest_lambda"]
    monotone = find_claim(result, "the trade-off is monotone to within noise")
    assert monotone.held and monotone.values["regression_rank_correlation"] >= 0.9
    assert monotone.values["classification_rank_correlation"] <= -0.9
    lambdas = result.numbers["tasks_lambdas"]
    assert len(result.numbers["regression_unexplained"]) == len(lambdas)
    assert len(result.numbers["classification_error"]) == len(lambdas)


def test_one_joint_loss_beats_training_the_two_networks_apart(result):
    joint = find_claim(result, "One joint loss over two networks")
    values = joint.values
    assert joint.held and values["joint_unexplained"] < values["apart_unexplained"]
    errors = result.numbers["fusion_unexplained"]
    assert errors["trained apart, best linear fusion"] <= errors["trained apart, summed"]


def test_figures_and_reports(result):
    assert_figures_and_reports(
        result, ["error-vs-output-weight", "two-task-trade-off", "joint-vs-apart"]
    )


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = mlplab.lab.run(custom_losses.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
