"""Tests of the lab experiment mlplab.lab.softmax, run in its quick form."""

import math

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import softmax


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lab.run(softmax.EXPERIMENT, quick=True, out=tmp_path_factory.mktemp("softmax"))


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]


def test_the_course_example_is_reproduced_to_three_decimals(result):
    claim = find_claim(result, "softmax([1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0])")
    assert claim.held
    assert claim.values["softmax"] == pytest.approx(softmax.EXPECTED, abs=1e-3)
    assert sum(claim.values["softmax"]) == pytest.approx(1.0, abs=1e-5)


def test_temperature_sharpens_towards_one_hot_and_flattens_towards_uniform(result):
    cold = find_claim(result, "as T → 0")
    assert cold.held and cold.values["largest_probability"] >= 0.999
    hot = find_claim(result, "as T → ∞")
    assert hot.held and hot.values["entropy"] == pytest.approx(math.log(7), rel=1e-3)
    assert find_claim(result, "never decreases as the temperature grows").held
    entropies = result.numbers["entropies"]
    assert entropies[0] < 1e-6 and entropies == sorted(entropies)


def test_stable_functions_stay_finite_where_the_naive_softmax_overflows(result):
    stable = find_claim(result, "give finite values and gradients at logits of ±1000")
    assert stable.held
    assert stable.values == {"softmax_finite": True, "log_softmax_finite": True,
                             "cross_entropy_finite": True, "error_raised": "none"}  # fmt: skip
    naive = find_claim(result, "naive exp / sum softmax overflows")
    assert naive.held and "overflow" in naive.values["naive_error"]
    assert naive.values["nans_when_ignored"] > 0


def test_cross_entropy_pushes_a_confidently_wrong_output_far_harder_than_squared_error(result):
    assert result.numbers["confident_p_true"] == pytest.approx(1e-4, rel=1e-9)
    ce = find_claim(result, "cross-entropy's gradient on the true logit is p_true - 1")
    assert ce.held and ce.values["ce_gradient"] == pytest.approx(-0.9999, abs=1e-9)
    ratio = find_claim(result, "squared error's gradient on the true logit vanishes")
    assert ratio.held and ratio.values["ratio"] >= 100
    assert abs(ratio.values["se_gradient"]) < 1e-3


def test_the_loss_at_chance_is_ln_k(result):
    uniform = find_claim(result, "at uniform logits (chance) cross-entropy is ln K")
    assert uniform.held and max(uniform.values.values()) <= 1e-12
    for name, classes in (("digits", 10), ("spirals", 3)):
        claim = find_claim(result, f"untrained network's loss on {name}")
        assert claim.held
        assert claim.values["initial_loss"] == pytest.approx(math.log(classes), rel=0.05)


def test_cross_entropy_trains_the_same_network_faster_than_squared_error(result):
    claim = find_claim(result, "in fewer epochs with cross-entropy than with squared error")
    assert claim.held
    assert claim.values["ce_mean_epochs"] < claim.values["se_mean_epochs"]
    epochs = result.setup["epochs"]
    assert all(1 <= n <= epochs for n in result.numbers["ce_epochs_to_target"])


def test_figures_and_self_contained_reports_are_written(result):
    assert_figures_and_reports(result, ["temperature", "gradient-on-true-logit", "training"])


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(softmax.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
