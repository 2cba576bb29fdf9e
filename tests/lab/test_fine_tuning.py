"""Tests of the lab experiment mlplab.lab.fine_tuning, run in its quick form."""

import numpy
import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import fine_tuning
from mlplab.random import Generator


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    """One quick run, shared by the tests of this file."""
    return lab.run(fine_tuning.EXPERIMENT, quick=True, out=tmp_path_factory.mktemp("fine-tuning"))


def test_every_claim_holds(result):
    assert [claim.statement for claim in result.failed] == []
    assert "It depends on what pretraining taught" in result.answer


def test_fine_tuning_beats_scratch_on_shifted_digits_at_the_smallest_k(result):
    claim = find_claim(result, "Where pretraining taught what the new task needs")
    shifted = result.numbers["mean_test_accuracy"]["shifted"]
    assert claim.values == {
        method: shifted[method]["1"] for method in ("frozen", "full", "scratch")
    }
    assert max(claim.values["frozen"], claim.values["full"]) > claim.values["scratch"]
    per_draw = result.numbers["test_accuracy"]["shifted"]["scratch"]["1"]
    assert len(per_draw) == 3 and shifted["scratch"]["1"] == pytest.approx(sum(per_draw) / 3)


def test_the_lead_is_larger_where_pretraining_taught_what_is_needed(result):
    claim = find_claim(result, "Pretraining helps more where the new task shares")
    means = result.numbers["mean_test_accuracy"]
    for condition in fine_tuning.CONDITIONS:
        mean = {method: means[condition][method]["1"] for method in fine_tuning.METHODS}
        lead = max(mean["frozen"], mean["full"]) - mean["scratch"]
        assert claim.values[f"{condition}_margin"] == pytest.approx(lead)
    assert claim.values["shifted_margin"] > claim.values["aligned_margin"]


def test_every_method_learns_and_pretraining_learns_the_old_task(result):
    means = result.numbers["mean_test_accuracy"]
    for condition in fine_tuning.CONDITIONS:
        for method in fine_tuning.METHODS:
            assert list(means[condition][method]) == ["1", "5", "20"]
            assert all(0 <= value <= 1 for value in means[condition][method].values())
            # Above chance (0.2) from 20 examples per class, whatever the method.
            assert means[condition][method]["20"] > 0.3
        assert result.numbers["pretrained_accuracy_digits_0_to_4"][condition] > 0.9


def test_frozen_layers_stay_bit_identical(result):
    claim = find_claim(result, "Frozen layers stay bit-identical")
    assert claim.held
    assert claim.values["frozen_scalars_changed"] == 0
    assert claim.values["frozen_largest_change"] == 0.0
    assert claim.values["full_scalars_changed"] > 0


def test_the_frozen_model_trains_only_its_head(result):
    claim = find_claim(result, "Freezing trains fewer parameters")
    assert claim.held
    # 144-256-128-5 on the shifted digits: the head is 128·5 + 5; the whole network adds
    # 144·256 + 256 and 256·128 + 128. The aligned digits have 64 inputs.
    assert claim.values == {"frozen_trainable": 645, "full_trainable": 70661}
    assert result.numbers["trainable_parameters"] == {
        "aligned": {"frozen": 645, "full": 50181, "scratch": 50181, "pixels": 325},
        "shifted": {"frozen": 645, "full": 70661, "scratch": 70661, "pixels": 725},
    }


def test_shifted_digits_are_the_digits_moved_within_a_larger_frame():
    images = numpy.arange(2 * 8 * 8, dtype=float).reshape(2, 8, 8) + 1
    placed = fine_tuning._placed(images, 3, Generator(0)).reshape(3, 2, 12, 12)
    for copy in range(3):
        for index in range(2):
            frame = placed[copy, index]
            rows, columns = numpy.nonzero(frame)
            top, left = rows.min(), columns.min()
            # The whole digit, unchanged, somewhere in the frame; nothing else.
            assert numpy.array_equal(frame[top : top + 8, left : left + 8], images[index])
            assert numpy.count_nonzero(frame) == 64
    places = {tuple(numpy.argwhere(placed[c, 0])[0]) for c in range(3)}
    assert len(places) > 1  # the copies sit at different places


def test_figures_and_reports(result):
    assert_figures_and_reports(result, ["accuracy-vs-k", "new-digits"])


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(fine_tuning.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
