"""Tests of the lab experiment width-depth: its quick form holds its claims, draws, reproduces."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import width_depth


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lab.run(width_depth.EXPERIMENT, quick=True, out=tmp_path_factory.mktemp("width-depth"))


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]
    assert result.answer and len(result.claims) == 7


def test_small_networks_cannot_fit_spirals_and_a_big_one_does(result):
    (linear,) = find_claim(result, "linear classifier (no hidden layer) cannot fit").values.values()
    (small,) = find_claim(result, "(2-2-2) cannot fit spirals").values.values()
    (best,) = find_claim(result, "wide or deep enough network fits spirals").values.values()
    assert linear <= 0.85 and small <= 0.85 and best >= 0.95


def test_test_accuracy_rises_with_capacity_on_spirals(result):
    values = find_claim(result, "Test accuracy on spirals rises with capacity").values
    assert values["gain"] >= 0.2 and values["best"] - values["linear"] == pytest.approx(
        values["gain"]
    )
    assert values["linear"] < 0.7  # the linear classifier is near chance on spirals


def test_depth_beats_width_at_about_the_same_cost(result):
    values = find_claim(result, "deeper 2-8-8-8-2 fits spirals better").values
    assert values["deep"] < values["wide"]
    assert abs(values["deep_parameters"] - values["wide_parameters"]) <= 20


def test_the_loss_spreads_more_over_seeds_for_small_networks(result):
    values = find_claim(result, "varies more from seed to seed for the smallest").values
    assert values["std_smallest"] > values["std_largest"]
    (linear,) = find_claim(result, "loss is convex").values.values()
    assert 0 <= linear <= 0.001


def test_the_numbers_cover_every_size_and_data_set(result):
    sizes = result.numbers["sizes"]
    assert sizes[0] == "2-2" and "2-40-2" in sizes and "2-8-8-8-2" in sizes
    assert result.numbers["parameters"][:2] == [6, 12]  # 2*2+2 and 2*2+2 + 2*2+2
    for dataset in ("spirals", "circles", "xor"):
        assert len(result.numbers[f"{dataset}_train_accuracy"]) == len(sizes)
        assert all(len(losses) == 3 for losses in result.numbers[f"{dataset}_final_loss"])
    assert len(result.tables[0].rows) == 3 * len(sizes)


def test_figures_and_self_contained_reports(result):
    assert_figures_and_reports(result, ["boundaries", "capacity"])


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(width_depth.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
