"""Tests of mlplab.sweep.presets: the structure study, full and quick."""

import pytest

from mlplab.experiment import Settings
from mlplab.sweep import SWEEP_PRESETS, get_study
from mlplab.sweep.grid import SweepError, check_axes, expand
from mlplab.sweep.trials import make_trials


def test_the_structure_study_varies_width_depth_dropout_and_the_rate_of_the_course_network():
    full = get_study("structure")
    settings = Settings.from_dict(full.settings)
    assert (settings.dataset, settings.layers, settings.optimizer) == ("mnist", [784, 256, 512, 10],
                                                                       "adam")  # fmt: skip
    assert set(full.grid) == {"hidden", "depth", "dropout", "lr"}
    assert len(expand(check_axes(full.grid))) * full.seeds == 243


def test_the_quick_study_builds_its_trials_on_the_bundled_digits():
    quick = get_study("structure", quick=True)
    trials = make_trials(Settings.from_dict(quick.settings), expand(quick.grid), quick.seeds)
    assert len(trials) == 48
    assert {tuple(t.settings.layers) for t in trials} >= {(64, 16, 10), (64, 256, 256, 10)}


def test_an_unknown_preset_names_the_known_ones():
    with pytest.raises(SweepError, match="unknown sweep preset 'shape'; choose one of structure"):
        get_study("shape")
    assert list(SWEEP_PRESETS) == ["structure"]
