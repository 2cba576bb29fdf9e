"""Tests of mlplab.sweep.trials: settings per trial, layers from hidden and depth, derived seeds."""

import pytest

from mlplab.experiment import Settings
from mlplab.sweep.grid import SweepError, expand
from mlplab.sweep.trials import make_trials, trial_name, trial_seed

BASE = Settings(dataset="digits", epochs=1, seed=7)


def test_each_configuration_runs_once_per_seed_with_its_own_settings():
    trials = make_trials(BASE, expand({"lr": [0.01, 0.1], "dropout": [0, 0.5]}), seeds=3)
    assert len(trials) == 12
    first = trials[0]
    assert first.configuration == {"lr": 0.01, "dropout": 0}
    assert (first.settings.lr, first.settings.dropout, first.settings.epochs) == (0.01, 0.0, 1)
    assert [t.run for t in trials[:3]] == [0, 1, 2]
    assert len({t.name for t in trials}) == 12
    assert first.name == "lr=0.01,dropout=0,run=0"


def test_seeds_come_from_the_sweep_seed_the_configuration_and_the_repetition():
    trials = make_trials(BASE, expand({"lr": [0.01, 0.1]}), seeds=2)
    seeds = [t.settings.seed for t in trials]
    assert len(set(seeds)) == 4
    assert seeds[0] == trial_seed(7, {"lr": 0.01}, 0)
    # Neither the order of the configurations nor their company changes a trial's seed.
    alone = make_trials(BASE, [{"lr": 0.1}], seeds=2)
    assert [t.settings.seed for t in alone] == seeds[2:]
    assert trial_seed(8, {"lr": 0.01}, 0) != seeds[0]


def test_hidden_and_depth_build_the_layers_between_the_data_s_inputs_and_outputs():
    trials = make_trials(BASE, expand({"hidden": [32], "depth": [0, 1, 3]}), seeds=1)
    assert [t.settings.layers for t in trials] == [[64, 10], [64, 32, 10], [64, 32, 32, 32, 10]]
    # Alone, each keeps the other from the base network (the task's default: one layer of 256).
    (wide,) = make_trials(BASE, [{"hidden": 8}], seeds=1)
    assert wide.settings.layers == [64, 8, 10]
    (deep,) = make_trials(BASE.replace(layers=[64, 20, 20, 10]), [{"depth": 1}], seeds=1)
    assert deep.settings.layers == [64, 20, 10]


@pytest.mark.parametrize(
    ("grid", "problem"),
    [
        ({"lr": [0.1, -1.0]}, "trial lr=-1.0,run=0: lr: -1.0 is below the minimum"),
        ({"layers": ["64-10", "63-10"]}, "63-10 does not fit digits: it has 64 input values"),
        ({"hidden": [0]}, "hidden must be an integer >= 1"),
        ({"optimizer": ["adam", "sgd"], "nesterov": [True]}, "trial optimizer=adam,nesterov=True"),
        ({"dataset_options": [{"n_samples": 0}], "dataset": ["moons"]}, "cannot load data set"),
    ],
)
def test_a_bad_trial_is_refused_before_any_runs(grid, problem):
    with pytest.raises(SweepError) as caught:
        make_trials(BASE, expand(grid), seeds=1)
    assert problem in str(caught.value)


def test_seeds_must_be_a_positive_count():
    with pytest.raises(SweepError, match="seeds"):
        make_trials(BASE, [{}], seeds=0)


def test_repeated_configurations_run_once_and_names_are_file_safe():
    trials = make_trials(BASE, [{"lr": 0.1}, {"lr": 0.1}], seeds=1)
    assert len(trials) == 1
    assert trial_name({"activation": ["relu", "tanh"], "schedule": "step:2:0.5"}, 1) == (
        "activation=relu-tanh,schedule=step-2-0.5,run=1"
    )
    long = trial_name({f"axis{i}": "x" * 20 for i in range(8)}, 0)
    assert long.startswith("configuration-") and long.endswith(",run=0")
