"""The ``init`` setting: checked against nn.INITIALIZERS, handed to the network, and absent from
the run folders written before it existed, which still load, refuse a second run and resume."""

import json

import pytest

import mlplab
from mlplab import nn
from mlplab.experiment import (
    CONFIG,
    RunFolderError,
    Settings,
    SettingsError,
    load_data,
    resume,
    run,
)
from mlplab.experiment.folder import SameRunError
from mlplab.experiment.runner import build_parts

QUICK = {"dataset": "moons", "epochs": 1, "batch_size": 32, "dataset_options": {"n_samples": 200}}


def test_init_defaults_to_pytorchs_and_takes_every_registered_scheme():
    assert Settings().init == "default"
    for name in nn.INITIALIZERS:
        assert Settings(init=name).init == name
    assert Settings.from_dict({"init": "normal:0.5"}).init == "normal:0.5"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("glorot", r"init: Unknown initialization scheme 'glorot'; use one of default, xavier-"),
        ("normal:0", r"init: init 'normal:0': STD must be a positive number"),
        ("zeros:2", r"init 'zeros' takes no value"),
        (3, r"init: expects str, got 3"),
        (None, r"init: needs a value"),
    ],
)
def test_a_bad_init_is_refused_naming_the_setting_and_the_schemes(value, message):
    with pytest.raises(SettingsError, match=message) as caught:
        Settings(init=value)
    assert caught.value.setting == "init"


def test_the_run_builds_its_network_with_the_scheme():
    parts = build_parts(Settings(**QUICK, init="zeros").resolved())
    assert parts.model.init == "zeros"
    assert not any(p.numpy().any() for p in parts.model.parameters())


def test_the_default_run_draws_the_weights_it_always_drew():
    """Same generator, same order: the validation split, then each Linear as nn.Linear builds it."""
    settings = Settings(**QUICK, layers=[2, 16, 8, 2], seed=5).resolved()
    generator = mlplab.Generator(settings.seed)
    load_data(settings, generator)
    reference = [nn.Linear(2, 16, generator=generator), nn.Linear(16, 8, generator=generator),
                 nn.Linear(8, 2, generator=generator)]  # fmt: skip
    expected = [p.numpy().tobytes() for layer in reference for p in layer.parameters()]
    model = build_parts(settings).model
    assert [p.numpy().tobytes() for p in model.parameters()] == expected


def _without_init(folder):
    """Rewrite the run folder's config as it was written before ``init`` existed."""
    path = folder / CONFIG
    document = json.loads(path.read_text())
    assert document["settings"].pop("init") == "default"
    path.write_text(json.dumps(document))


def test_an_old_run_folder_without_init_is_the_same_run_and_resumes(tmp_path):
    folder = tmp_path / "old"
    run(Settings(**QUICK), out=folder, progress=False, plots=False)
    _without_init(folder)
    with pytest.raises(SameRunError):
        run(Settings(**QUICK), out=folder, progress=False)
    continued = resume(folder, epochs=2, progress=False)
    assert continued.settings.init == "default" and continued.epochs == 2
    assert json.loads((folder / CONFIG).read_text())["settings"]["init"] == "default"
    fresh = run(Settings(**{**QUICK, "epochs": 2}), progress=False)
    assert continued.test == fresh.test


def test_a_run_with_another_scheme_is_a_different_run(tmp_path):
    folder = tmp_path / "run"
    run(Settings(**QUICK), out=folder, progress=False, plots=False)
    with pytest.raises(RunFolderError, match="init 'default' there vs 'xavier-normal' here"):
        run(Settings(**QUICK, init="xavier-normal"), out=folder, progress=False)
