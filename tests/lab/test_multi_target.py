"""Tests of the lab experiment mlplab.lab.multi_target, run in its quick form."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import multi_target


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lab.run(multi_target.EXPERIMENT, quick=True, out=tmp_path_factory.mktemp("multi"))


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]


def test_on_related_targets_the_joint_model_is_at_least_as_good(result):
    every = find_claim(result, "related-targets set, the joint model's test RMSE on every target")
    assert every.held and every.values["max_rmse_ratio"] <= multi_target.RELATED_FACTOR
    mean = find_claim(result, "at least as good on average")
    assert mean.held and mean.values["mean_rmse_ratio"] <= 1.0
    ratios = result.numbers["related_rmse_ratio"]
    assert list(ratios) == ["y1", "y2", "y3", "y4"]
    joint, separate = result.numbers["related_joint_rmse"], result.numbers["related_separate_rmse"]
    for name, ratio in ratios.items():
        assert ratio == pytest.approx(joint[name] / separate[name])
        # No model beats the noise it was generated with (std 0.3), and both learn something.
        assert multi_target.RELATED["noise"] * 0.9 < joint[name]
        assert joint[name] < result.numbers["related_mean_predictor_rmse"][name]


def test_on_linnerud_the_joint_model_is_within_the_stated_factor(result):
    claim = find_claim(result, "On linnerud")
    assert claim.held and claim.values["max_rmse_ratio"] <= multi_target.LINNERUD_FACTOR
    joint = result.numbers["linnerud_joint_rmse"]
    assert list(joint) == ["Weight", "Waist", "Pulse"]
    assert result.numbers["linnerud_repeats"] == 5
    # In the targets' units: pounds for Weight, inches for Waist, beats per minute for Pulse.
    assert 5 < joint["Weight"] < 60 and 0.5 < joint["Waist"] < 10 and 2 < joint["Pulse"] < 30


def test_a_shared_hidden_layer_needs_fewer_parameters(result):
    claim = find_claim(result, "fewer parameters")
    assert claim.held
    # 3-8-3: 4·8 + 9·3 = 59, against three 3-8-1: 3·(4·8 + 9) = 123; 10-16-4 against four 10-16-1.
    assert claim.values == {"linnerud_joint": 59, "linnerud_separate": 123,
                            "related_joint": 244, "related_separate": 772}  # fmt: skip


def test_one_joint_model_trains_faster(result):
    claim = find_claim(result, "less time")
    assert claim.held and 0 < claim.values["time_ratio"] <= 1.0


def test_figures_are_pngs_and_the_reports_embed_them(result):
    assert_figures_and_reports(result, ["test-error-per-target", "parameters-and-time"])


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(multi_target.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
