"""The vanishing-gradients lab experiment, in its quick form: claims, figures, reports, seeding."""

import pytest
from lab_checks import assert_figures_and_reports

import mlplab.lab
from mlplab.lab import vanishing_gradients


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One quick run, shared by the tests of this file."""
    out = tmp_path_factory.mktemp("vanishing-gradients")
    return mlplab.lab.run(vanishing_gradients.EXPERIMENT, quick=True, out=out)


def claim(result, text):
    """The one claim whose statement contains ``text``."""
    found = [claim for claim in result.claims if text in claim.statement]
    assert len(found) == 1, f"{len(found)} claims contain {text!r}"
    return found[0]


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]
    assert result.answer


def test_sigmoid_layers_pass_down_at_most_a_quarter_of_the_weights_norm(result):
    bound = claim(result, "at most max σ' · ‖W_l‖₂ = 0.25 ‖W_l‖₂")
    assert bound.held
    assert all(0 < value <= 1 for value in bound.values.values())
    ratios = result.numbers["sigmoid_hidden_grad_ratios_init"]
    bounds = result.numbers["sigmoid_bounds_init"]
    assert len(ratios) == len(bounds) == vanishing_gradients.DEPTH - 1
    assert all(r <= b for r, b in zip(ratios, bounds, strict=True))
    shrink = claim(result, "0.25 ‖W_l‖₂ < 1 at every sigmoid layer")
    assert shrink.held and 0 < shrink.values["largest_bound_init"] < 1


def test_sigmoid_gradient_shrinks_layer_by_layer_and_vanishes(result):
    steps = claim(result, "shrinks layer by layer")
    assert steps.held and steps.values["largest_step_ratio_init"] < 1
    vanished = claim(result, f"Through {vanishing_gradients.DEPTH} sigmoid layers")
    assert vanished.held and vanished.values["sigmoid_first_over_last_init"] <= 0.01
    norms = result.numbers["sigmoid_Xavier_init_weight_grad_norms_init"]
    assert norms == sorted(norms)  # smallest at the input side


def test_relu_with_he_init_keeps_the_gradient(result):
    level = claim(result, "With ReLU and He initialisation the gradient does not vanish")
    assert level.held and 0.1 <= level.values["relu_he_first_over_last_init"] <= 10
    training = claim(result, "does not vanish during training")
    assert training.held and training.values["relu_he_lowest_first_over_last"] >= 0.1
    default = claim(result, "The initialisation matters")
    assert default.held and default.values["relu_default_first_over_last_init"] <= 0.1


def test_saturation_and_dead_units_are_measured(result):
    saturated = result.numbers["sigmoid_saturation_init"]
    assert len(saturated) == vanishing_gradients.DEPTH
    assert all(0 <= share <= 1 for share in saturated)
    assert claim(result, "vanishes without saturation").held
    dead = claim(result, "A too-high learning rate kills ReLU units")
    assert dead.held
    assert dead.values["dead_high_lr"] >= 2 * dead.values["dead_good_lr"] > 0


def test_figures_and_reports(result):
    assert_figures_and_reports(
        result,
        ["gradient-norms", "training", "chain-rule-bound", "sigmoid-activations", "dead-relu"],
    )


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = mlplab.lab.run(vanishing_gradients.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
