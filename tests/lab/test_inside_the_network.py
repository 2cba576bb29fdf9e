"""Tests of the lab experiment mlplab.lab.inside_the_network, run in its quick form."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.data.errors import DatasetNotFoundError
from mlplab.lab import inside_the_network

pytestmark = pytest.mark.debian_data("dataset-fashion-mnist")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One quick run, shared by the tests of this file."""
    out = tmp_path_factory.mktemp("inside-the-network")
    return lab.run(inside_the_network.EXPERIMENT, quick=True, out=out)


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]
    assert result.answer


def test_update_ratios_are_within_an_order_of_magnitude_of_1e_3(result):
    claim = find_claim(result, "update-to-weight ratio")
    medians = result.numbers["update_ratio_median"]
    assert list(claim.values.values()) == medians and len(medians) == 3
    assert all(1e-4 <= value <= 1e-2 for value in medians)
    first = find_claim(result, "Adam's first step")
    assert first.held and first.values["largest_relative_error"] <= 0.01
    assert result.numbers["update_ratio_first_step"] == pytest.approx(
        result.numbers["adam_first_step_ratio_predicted"], rel=0.01
    )


def test_the_gradient_reaches_the_first_layer(result):
    claim = find_claim(result, "the gradient does not vanish")
    assert claim.held
    assert 0.1 <= claim.values["lowest_first_over_last"] <= claim.values["highest_first_over_last"]
    assert claim.values["highest_first_over_last"] <= 10
    assert result.numbers["steps"] == 200  # 10,000 images, batches of 100, 2 epochs


def test_dead_units_are_counted_and_get_no_gradient(result):
    claim = find_claim(result, "A dead ReLU unit gets no gradient")
    assert claim.held
    assert claim.values == {"largest_dead_unit_gradient": 0.0, "live_units_with_gradient": 1.0}
    shares = result.numbers["dead_share"]
    assert len(shares) == len(result.numbers["dead_share_steps"])
    assert all(len(step) == 2 and all(0 <= share < 1 for share in step) for step in shares)
    assert max(max(step) for step in shares) > 0  # some units do die, and the claim is not empty


def test_the_first_layer_becomes_image_like(result):
    claim = find_claim(result, "image structure into the first layer")
    assert claim.held
    assert abs(claim.values["r_init"]) < 0.01 < claim.values["r_trained"]
    assert claim.values["r_trained"] < result.numbers["image_neighbour_correlation"]


def test_figures_and_reports(result):
    assert_figures_and_reports(
        result, ["first-layer-weights", "histograms", "gradient-flow", "update-ratio", "dead-units"]
    )


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(inside_the_network.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers


def test_a_missing_data_set_says_to_install_debians_package(monkeypatch, tmp_path):
    def missing(*args, **kwargs):
        raise DatasetNotFoundError("Fashion-MNIST: files not found and download=False.")

    monkeypatch.setattr(inside_the_network, "load_dataset", missing)
    with pytest.raises(DatasetNotFoundError, match="apt-get install dataset-fashion-mnist"):
        lab.run(inside_the_network.EXPERIMENT, quick=True, out=tmp_path)
