"""Tests of the lab experiment learning-rate: its quick form holds its claims, draws, reproduces."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import learning_rate


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One quick run, shared by the tests of this file."""
    out = tmp_path_factory.mktemp("learning-rate")
    return lab.run(learning_rate.EXPERIMENT, quick=True, out=out)


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]
    assert result.answer and len(result.claims) == 11


def test_too_small_hardly_moves_and_too_large_diverges(result):
    slow = find_claim(result, "Too small a rate learns slowly")
    assert slow.held and slow.values["progress_ratio_small_to_best"] <= 0.5
    fast = find_claim(result, "Too large a rate diverges")
    assert fast.held and fast.values["highest_epoch_loss"] > fast.values["loss_before_training"]
    rates, stable = result.numbers["sweep_rates"], result.numbers["sweep_stable"]
    assert rates[0] == pytest.approx(1e-3) and rates[-1] == pytest.approx(4.096)
    assert stable[0] and not stable[-1]


def test_the_best_rate_is_within_a_factor_2_of_the_largest_stable_rate(result):
    claim = find_claim(result, "close to the edge of stability (Bengio, 2012)")
    assert claim.held
    assert 1 <= claim.values["factor_between_best_and_largest_stable_rate"] <= 2
    edge, best = result.numbers["largest_stable_rate"], result.numbers["best_rate"]
    assert best <= edge
    grid = zip(result.numbers["sweep_rates"], result.numbers["sweep_stable"], strict=True)
    last_stable = max(rate for rate, stable in grid if stable)
    trials = result.numbers["bisection_trials"]
    assert len(trials) == 3  # quick: three halvings of the bracket [last stable, 2 x that]
    assert all(last_stable < rate < 2 * last_stable for rate, _ in trials)
    assert edge == max([last_stable] + [rate for rate, stable in trials if stable])


def _stable_grid(result, name):
    """The rates of the sweep that stayed stable, each with the run's number ``name``."""
    numbers = result.numbers
    grid = zip(numbers["sweep_rates"], numbers["sweep_stable"], numbers[name], strict=True)
    return {rate: value for rate, stable, value in grid if stable}


def test_the_best_rate_has_the_lowest_last_epoch_loss(result):
    candidates = result.numbers["best_rate_candidates_last_epoch_loss"]
    best = result.numbers["best_rate"]
    assert min(candidates, key=candidates.get) == f"{best:.4g}"
    grid = _stable_grid(result, "sweep_last_epoch_loss")
    assert candidates[f"{best:.4g}"] <= min(grid.values())
    table = result.tables[0].rows
    assert [row["last-epoch training loss"] for row in table] == (
        result.numbers["sweep_last_epoch_loss"]
    )


def test_the_noisy_final_iterate_does_not_choose_the_best_rate(tmp_path):
    # At seed 8 the training-set loss after the last step, a batch of 3 examples, is lowest at
    # a stable rate more than a factor 2 below the edge; the last epoch's loss is not fooled.
    result = lab.run(learning_rate.EXPERIMENT, quick=True, out=tmp_path, seed=8)
    edge = result.numbers["largest_stable_rate"]
    finals = _stable_grid(result, "sweep_final_loss")
    assert edge / min(finals, key=finals.get) > 2
    claim = find_claim(result, "close to the edge of stability (Bengio, 2012)")
    assert claim.held and 1 <= claim.values["factor_between_best_and_largest_stable_rate"] <= 2
    assert result.held, [claim.statement for claim in result.failed]


def test_the_schedule_refines_a_stable_rate_and_warm_up_rescues_a_larger_one(result):
    same = find_claim(result, "the shape of the decay is a refinement")
    decaying = {k: v for k, v in same.values.items() if k != "test_accuracy_constant"}
    assert set(decaying) == {
        "test_accuracy_step", "test_accuracy_cosine", "test_accuracy_warm-up + cosine"
    }  # fmt: skip
    assert same.held and max(decaying.values()) - min(decaying.values()) <= 0.03
    warm = find_claim(result, "Warm-up lets a rate train that diverges without it")
    assert warm.held and warm.values["test_accuracy_warmup_cosine"] >= 0.9
    assert warm.values["highest_epoch_loss_constant"] > warm.values["loss_before_training"]
    alone = find_claim(result, "Warm-up is what does it")
    assert alone.held
    assert alone.values["final_loss_warmup_cosine"] < alone.values["final_loss_cosine"]
    bases = result.numbers["schedule_base_rates"]
    assert bases["beyond"] == pytest.approx(1.25 * result.numbers["largest_stable_rate"])
    assert len(result.numbers["schedule_test_accuracy"]) == 8  # 4 schedules at 2 base rates


def test_adam_moves_where_sgd_does_not_and_tuned_optimizers_end_close(result):
    adam = find_claim(result, "Adam scales each parameter's step")
    assert adam.held and adam.values["progress_ratio_adam_to_sgd"] >= 5
    tuned = find_claim(result, "Tuned, no optimizer is far ahead")
    assert tuned.held and min(tuned.values.values()) >= 0.9
    # Each tuned multiple is the one with the best validation accuracy: the test set chose none.
    validation = result.numbers["optimizer_validation_accuracy"]
    for name, factor in result.numbers["tuned_multiple"].items():
        best = max(validation[f"{name} ×{f:g}"] for f in (1, 3, 10))
        assert validation[f"{name} ×{factor:g}"] == best
    assert set(result.numbers["tuned_multiple"]) == {"sgd", "adagrad", "rmsprop", "adam"}


def test_the_range_test_suggests_a_rate_that_trains(result):
    trains = find_claim(result, "The range test's suggestion trains well")
    assert trains.held
    assert trains.values["final_loss_suggested"] < trains.values["final_loss_100x_smaller"]
    safe = find_claim(result, "The suggestion is safe")
    assert safe.held and safe.values["suggested_lr"] <= result.numbers["largest_stable_rate"]
    edge = find_claim(result, "The range test sees the edge of stability")
    assert edge.held
    minimum = result.numbers["range_test_minimum_lr"]
    assert result.numbers["suggested_lr"] == pytest.approx(minimum / 10)
    assert len(result.numbers["range_test_lrs"]) == len(result.numbers["range_test_loss"]) <= 100


def test_figures_and_self_contained_reports(result):
    assert_figures_and_reports(result, ["fixed-rates", "schedules", "optimizers", "range-test"])
    assert len(result.tables) == 3


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(learning_rate.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
