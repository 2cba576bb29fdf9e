"""The overfitting lab experiment, in its quick form: claims, figures, reports, seeding."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

import mlplab.lab
from mlplab.experiment import load_data
from mlplab.lab import Lab, overfitting


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One quick run, shared by the tests of this file."""
    out = tmp_path_factory.mktemp("overfitting")
    return mlplab.lab.run(overfitting.EXPERIMENT, quick=True, out=out)


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]
    assert result.answer


def test_the_wide_network_memorises_and_the_gap_grows(result):
    fits = find_claim(result, "fits its 90 training images")
    assert fits.held and fits.values["lowest_train_accuracy"] >= 0.99
    grows = find_claim(result, "the train/test gap grows over the epochs")
    values = grows.values
    assert grows.held
    assert 0 <= values["gap_first_epoch"] < values["gap_half_way"] < values["gap_last_epoch"]
    curve = result.numbers["gap_curve_none"]
    assert curve[-1] == pytest.approx(values["gap_last_epoch"])


@pytest.mark.parametrize("words", ["L2 in the loss", "AdamW's decoupled", "Dropout (p = 0.5)"])
def test_each_regulariser_closes_part_of_the_gap(result, words):
    closes = find_claim(result, words)
    values = closes.values
    assert closes.held
    assert 0 < values["mean_gap"] < values["unregularised_mean_gap"]
    assert values["std_gap"] >= 0 and values["unregularised_std_gap"] >= 0
    assert len(result.numbers["gap: none"]) == 3  # three seeds in the quick form


def test_the_quick_form_covers_the_full_forms_course(tmp_path):
    """Fewer epochs at a higher rate, the same lr·t: as far for Adam's steps and AdamW's decay."""
    quick, full = (overfitting._course(Lab(overfitting.EXPERIMENT, form, 0, tmp_path))
                   for form in (True, False))  # fmt: skip
    assert quick[1] > full[1] == overfitting.LR and quick[2] < full[2]
    assert quick[1] * quick[2] == pytest.approx(full[1] * full[2])


@pytest.mark.parametrize("seed", [5, 9])
def test_every_regulariser_closes_the_gap_where_200_epochs_at_lr_1e_3_did_not(seed, tmp_path):
    """At lab seeds 5 and 9, 200 epochs at lr 1e-3 left AdamW's gap at or above the unregularised
    one; the quick form's course closes it there too."""
    lab = Lab(overfitting.EXPERIMENT, True, seed, tmp_path)
    seeds, lr, epochs, points = overfitting._course(lab)
    data = load_data(overfitting._settings(lab, seed, epochs), lab.generator("data"))
    runs = overfitting._train_regularizers(lab, data, seeds, lr, epochs, points)
    overfitting._check_regularizers(lab, overfitting._summary(runs))
    closes = [claim for claim in lab.claims if "closes part of the gap" in claim.statement]
    assert len(closes) == 3 and all(claim.held for claim in closes), [
        (claim.statement, claim.values) for claim in closes
    ]


def test_decay_keeps_the_weights_small(result):
    small = find_claim(result, "keep the weights small")
    values = small.values
    assert small.held
    assert max(values["weight_norm_l2"], values["weight_norm_decay"]) < values["weight_norm_none"]


def test_l2_is_weight_decay_for_sgd_and_adam_with_the_factor_two(result):
    gradient = find_claim(result, "The gradient of λ‖w‖² is 2λw")
    assert gradient.held and gradient.values["max_abs_error"] <= 1e-12
    sgd = find_claim(result, "SGD with weight_decay 2λ follow the same trajectory")
    assert sgd.held and sgd.values["largest_difference"] <= 1e-12
    adam = find_claim(result, "Adam's weight_decay is L2 too")
    assert adam.held and adam.values["largest_difference"] <= 1e-12
    half = find_claim(result, "The factor 2 matters")
    assert half.held and 0.45 <= half.values["half_decay_share"] <= 0.55
    steps = result.numbers["trajectory_difference: SGD: λ‖w‖² in the loss vs weight_decay 2λ"]
    assert len(steps) == overfitting.STEPS + 1 and max(steps) <= 1e-12


def test_adam_with_l2_is_not_adamw(result):
    apart = find_claim(result, "are different optimizers")
    assert apart.held and apart.values["relative_distance"] >= overfitting.APART
    steps = result.numbers["trajectory_difference: Adam, weight_decay 2λ vs AdamW, weight_decay 2λ"]
    assert max(steps) > 1e6 * overfitting.EQUAL


def test_the_best_decay_moves_with_the_rate_for_adamw_only(result):
    adam = find_claim(result, "Adam + L2 descends one fixed objective")
    assert adam.held and 0 <= adam.values["shift_in_decades"] < overfitting.SHIFT
    adamw = find_claim(result, "AdamW's decay is no term of the loss")
    assert adamw.held and adamw.values["shift_in_decades"] >= overfitting.SHIFT
    for name, claim in (("adam", adam), ("adamw", adamw)):
        losses = result.numbers[f"grid_test_loss_{name}"]
        decays = result.setup["grid_decays"][name]
        assert len(losses) == len(overfitting.GRID_LRS)
        assert all(len(row) == len(decays) and min(row) > 0 for row in losses)
        best = claim.values["best_decay_per_lr"]
        assert all(min(decays) <= value <= max(decays) for value in best)
    # Adam + L2's best λ stays put inside the grid, not pinned to its edge at both rates
    decays = result.setup["grid_decays"]["adam"]
    assert all(min(decays) < value < max(decays) for value in adam.values["best_decay_per_lr"])
    # ... trained longer (near its objective's minimum) than AdamW's fixed budget
    epochs = result.setup["grid_epochs"]
    assert epochs == overfitting.GRID_EPOCHS and epochs["adam"] > epochs["adamw"]


def test_dropout_keeps_the_expectation_and_is_the_identity_in_eval(result):
    mean = find_claim(result, "Inverted dropout keeps the expectation")
    assert mean.held and mean.values["largest_abs_z"] < 4.5
    share = find_claim(result, "drops a share p = 0.5")
    assert share.held and abs(share.values["zero_share"] - 0.5) < 0.01
    assert share.values["scale_error"] <= 1e-12
    identity = find_claim(result, "In eval mode dropout is the identity")
    assert identity.held and identity.values["largest_difference"] == 0.0


def test_figures_and_reports(result):
    assert_figures_and_reports(
        result, ["gap", "regularizers", "weights", "trajectories", "decay-grid", "dropout"]
    )


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = mlplab.lab.run(overfitting.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
