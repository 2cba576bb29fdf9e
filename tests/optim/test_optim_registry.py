"""The optimizer registry: every entry built by name with a run's settings where documented, each
refused combination with its message, and equality with constructing the class directly."""

import dataclasses
import json

import numpy as np
import pytest

import mlplab
from mlplab import optim
from mlplab.cli import main
from mlplab.optim import OPTIMIZERS, build_optimizer, check_optimizer_settings
from mlplab.utils import SettingError


def _parameters():
    return [mlplab.tensor(np.ones((2, 3)), requires_grad=True), mlplab.tensor(np.zeros(3))]


def _settings(optimizer):
    """The settings of the optimizer's only group, without its parameters."""
    (group,) = optimizer.param_groups
    return {key: value for key, value in group.items() if key != "params"}


def test_registry_names_its_optimizers_and_run_defaults():
    entries = {name: (e.cls, e.default_lr, e.momentum) for name, e in OPTIMIZERS.items()}
    assert entries == {
        "sgd": (optim.SGD, 0.1, "momentum"),
        "adagrad": (optim.Adagrad, 0.01, None),
        "rmsprop": (optim.RMSprop, 1e-3, "momentum"),
        "adam": (optim.Adam, 1e-3, "beta1"),
        "adamw": (optim.AdamW, 1e-3, "beta1"),
        "nadam": (optim.NAdam, 2e-3, "beta1"),
        "radam": (optim.RAdam, 1e-3, "beta1"),
        "adamax": (optim.Adamax, 2e-3, "beta1"),
        "adadelta": (optim.Adadelta, 1.0, None),
    }
    # L-BFGS steps with a closure, which the training loop does not give: not a run's optimizer.
    assert optim.LBFGS not in {entry.cls for entry in OPTIMIZERS.values()}
    for entry in OPTIMIZERS.values():
        assert entry.description and "\n" not in entry.description
    with pytest.raises(dataclasses.FrozenInstanceError):
        OPTIMIZERS["sgd"].default_lr = 1.0


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_entry_builds_by_name_with_its_default_rate(name):
    optimizer = build_optimizer(name, _parameters())
    assert type(optimizer) is OPTIMIZERS[name].cls
    settings = _settings(optimizer)
    assert settings["lr"] == OPTIMIZERS[name].default_lr
    # A run's weight decay is 0 unless given, AdamW's included (its class default is 1e-2).
    assert settings["weight_decay"] == 0.0


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_entry_takes_a_rate_and_weight_decay(name):
    settings = _settings(build_optimizer(name, _parameters(), lr=0.05, weight_decay=1e-4))
    assert settings["lr"] == 0.05
    assert settings["weight_decay"] == 1e-4


@pytest.mark.parametrize(
    ("name", "key", "default", "given"),
    [
        ("sgd", "momentum", 0, 0.8),
        ("rmsprop", "momentum", 0, 0.8),
        ("adam", "betas", (0.9, 0.999), (0.8, 0.999)),
        ("adamw", "betas", (0.9, 0.999), (0.8, 0.999)),
    ],
)
def test_momentum_lands_where_the_entry_says(name, key, default, given):
    assert _settings(build_optimizer(name, _parameters()))[key] == default
    assert _settings(build_optimizer(name, _parameters(), momentum=0.8))[key] == given


def test_nesterov_sets_sgds_nesterov():
    settings = _settings(build_optimizer("sgd", _parameters(), momentum=0.9, nesterov=True))
    assert settings["nesterov"] is True and settings["momentum"] == 0.9


def _direct(name, parameters, lr, momentum, nesterov, weight_decay):
    """What ``mlplab train`` built before the registry, class by class."""
    if name == "sgd":
        return optim.SGD(
            parameters,
            lr=lr,
            momentum=momentum or 0.0,
            nesterov=nesterov,
            weight_decay=weight_decay,
        )
    if name == "rmsprop":
        return optim.RMSprop(parameters, lr=lr, momentum=momentum or 0.0, weight_decay=weight_decay)
    if name == "adagrad":
        return optim.Adagrad(parameters, lr=lr, weight_decay=weight_decay)
    betas = (0.9 if momentum is None else momentum, 0.999)
    cls = optim.AdamW if name == "adamw" else optim.Adam
    return cls(parameters, lr=lr, betas=betas, weight_decay=weight_decay)


@pytest.mark.parametrize(
    ("name", "momentum", "nesterov"),
    [
        ("sgd", None, False),
        ("sgd", 0.9, False),
        ("sgd", 0.9, True),
        ("rmsprop", None, False),
        ("rmsprop", 0.5, False),
        ("adagrad", None, False),
        ("adam", None, False),
        ("adam", 0.0, False),
        ("adamw", 0.8, False),
    ],
)
def test_build_equals_direct_construction(name, momentum, nesterov):
    ours = build_optimizer(
        name, _parameters(), lr=0.02, momentum=momentum, nesterov=nesterov, weight_decay=1e-3
    )
    theirs = _direct(name, _parameters(), 0.02, momentum, nesterov, 1e-3)
    assert type(ours) is type(theirs)
    assert _settings(ours) == _settings(theirs)
    assert ours.defaults == theirs.defaults


def test_built_optimizer_steps_like_the_direct_one():
    ours_params, theirs_params = _parameters(), _parameters()
    ours = build_optimizer("adam", ours_params, lr=0.1, momentum=0.5)
    theirs = optim.Adam(theirs_params, lr=0.1, betas=(0.5, 0.999), weight_decay=0.0)
    for params, optimizer in ((ours_params, ours), (theirs_params, theirs)):
        for _ in range(3):
            optimizer.zero_grad()
            (params[0] * params[0]).sum().backward()
            optimizer.step()
    assert ours_params[0]._data.tobytes() == theirs_params[0]._data.tobytes()


@pytest.mark.parametrize(
    ("name", "settings", "message"),
    [
        (
            "adamx",
            {},
            r"optimizer: unknown value 'adamx'; choose one of sgd, adagrad, rmsprop, adam, adamw",
        ),
        ("adagrad", {"momentum": 0.9}, r"^momentum: does not apply to adagrad: leave it out$"),
        ("adagrad", {"momentum": 0.0}, r"momentum: does not apply to adagrad"),
        (
            "adam",
            {"momentum": 0.9, "nesterov": True},
            r"nesterov: SGD's Nesterov momentum does not apply to adam: leave it out, "
            r"or use sgd with momentum 0\.9 and nesterov",
        ),
        (
            "rmsprop",
            {"nesterov": True},
            r"nesterov: SGD.s Nesterov momentum does not apply to rmsprop",
        ),
        ("sgd", {"nesterov": True}, r"nesterov: needs a momentum above 0, e\.g\. momentum 0\.9"),
        ("sgd", {"momentum": 0.0, "nesterov": True}, r"nesterov: needs a momentum above 0"),
        (
            "sgd",
            {"lr": 0},
            r"lr: a learning rate of 0 never changes the weights; use e\.g\. 0\.1",
        ),
        ("adam", {"lr": -1.0}, r"lr: -1\.0 is not a finite number above 0; use e\.g\. 0\.001"),
        ("adam", {"lr": float("inf")}, r"lr: inf is not a finite number above 0"),
        ("adam", {"lr": float("nan")}, r"lr: nan is not a finite number above 0"),
        ("adam", {"lr": True}, r"lr: True is not a finite number above 0"),
        ("sgd", {"momentum": 1.0}, r"momentum: 1\.0 is not in \[0, 1\); use e\.g\. 0\.9"),
        ("adam", {"momentum": -0.1}, r"momentum: -0\.1 is not in \[0, 1\)"),
        ("rmsprop", {"momentum": float("nan")}, r"momentum: nan is not in \[0, 1\)"),
        ("sgd", {"weight_decay": -1e-4}, r"weight_decay: -0\.0001 is not a finite number >= 0"),
        ("adamw", {"weight_decay": float("inf")}, r"weight_decay: inf is not a finite number"),
        ("adamw", {"weight_decay": None}, r"weight_decay: None is not a finite number"),
        ("adadelta", {"momentum": 0.9}, r"^momentum: does not apply to adadelta: leave it out$"),
        ("nadam", {"momentum": 0.9, "nesterov": True}, r"nesterov: .* does not apply to nadam"),
        ("radam", {"momentum": 1.5}, r"momentum: 1\.5 is not in \[0, 1\)"),
        ("adamax", {"weight_decay": -1}, r"weight_decay: -1 is not a finite number >= 0"),
    ],
)
def test_refused_settings_are_named_before_anything_is_built(name, settings, message):
    with pytest.raises(SettingError, match=message) as caught:
        check_optimizer_settings(name, **settings)
    assert message.lstrip("^").startswith(caught.value.setting)
    with pytest.raises(ValueError, match=message):
        build_optimizer(name, iter(()), **settings)  # no parameters: the check comes first


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("sgd", {"lr": 1e-3, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4}),
        ("sgd", {"momentum": 0}),
        ("adagrad", {"lr": 0.5, "weight_decay": 0}),
        ("rmsprop", {"momentum": 0.99}),
        ("adam", {"momentum": 0.0}),
        ("adamw", {"lr": 3, "weight_decay": 0.1}),
        ("nadam", {"momentum": 0.8, "weight_decay": 1e-4}),
        ("adadelta", {"lr": 0.5}),
    ],
)
def test_accepted_settings_pass_the_check(name, settings):
    assert check_optimizer_settings(name, **settings) is None


@pytest.mark.parametrize("name", ["nadam", "radam", "adamax", "adadelta"])
def test_the_command_line_trains_with_every_new_optimizer(name, tmp_path):
    # The command line reads the registry: a new entry is a --optimizer choice, and it learns.
    argv = ["train", "--dataset", "digits", "--epochs", "2", "--optimizer", name, "--quiet"]
    assert main([*argv, "--out", str(tmp_path / name)]) == 0
    results = json.loads((tmp_path / name / "results.json").read_text())
    assert results["test"]["accuracy"] > 0.3  # ten classes: chance is 0.1


def test_the_command_line_refuses_lbfgs_naming_the_choices(capsys):
    assert main(["train", "--dataset", "digits", "--optimizer", "lbfgs"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "unknown value 'lbfgs'" in line and "nadam" in line
