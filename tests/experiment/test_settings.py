"""Tests of mlplab.experiment.settings: building, round trips, and every refusal at construction."""

import dataclasses
import math
import textwrap

import pytest

from mlplab import nn, optim
from mlplab.data import available_datasets
from mlplab.experiment import PRESETS, Settings, SettingsError
from mlplab.optim.schedule_spec import SCHEDULES
from mlplab.train import TASKS

NON_DEFAULT = {
    "dataset": "moons",
    "dataset_options": {"n_samples": 300, "noise": 0.2},
    "data_dir": "somewhere",
    "download": False,
    "layers": [2, 16, 8, 2],
    "activation": ["tanh", "leaky_relu"],
    "dropout": 0.25,
    "init": "normal:0.1",
    "loss": "cross-entropy",
    "optimizer": "sgd",
    "lr": 0.05,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 1e-4,
    "schedule": "warmup:2+cosine:8",
    "epochs": 10,
    "batch_size": 16,
    "val_split": 0.2,
    "patience": 3,
    "monitor": "val_accuracy",
    "seed": 7,
}


def test_defaults_are_the_small_offline_digits_run():
    settings = Settings().resolved()
    assert (settings.dataset, settings.task, settings.loss) == ("digits", "classification",
                                                                "cross-entropy")  # fmt: skip
    assert (settings.optimizer, settings.lr, settings.epochs) == ("adam", 1e-3, 30)


def test_task_defaults_follow_the_data_set_and_the_optimizer():
    linear = Settings(dataset="linear").resolved()
    assert (linear.task, linear.loss, linear.optimizer, linear.lr) == ("regression", "mse",
                                                                       "sgd", 0.1)  # fmt: skip
    assert Settings(optimizer="adagrad").resolved().lr == optim.OPTIMIZERS["adagrad"].default_lr
    resolved = Settings().resolved()
    assert resolved.resolved() == resolved


def test_dict_round_trip_keeps_every_field():
    settings = Settings(**NON_DEFAULT)
    assert {field.name for field in dataclasses.fields(Settings)} == set(NON_DEFAULT) | {"task"}
    assert Settings.from_dict(settings.to_dict()) == settings
    assert Settings.from_dict(settings.resolved().to_dict()) == settings.resolved()


def test_toml_round_trip_with_lists_tables_and_dashes(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(
        textwrap.dedent("""
        dataset = "moons"
        layers = [2, 16, 8, 2]
        activation = ["tanh", "leaky-relu"]
        batch-size = 16
        nesterov = true
        optimizer = "sgd"
        momentum = 0.9
        epochs = 10
        [dataset_options]
        n_samples = 300
        noise = 0.2
    """)
    )
    settings = Settings.from_toml(path)
    assert settings.layers == [2, 16, 8, 2] and settings.activation == ["tanh", "leaky_relu"]
    assert settings.dataset_options == {"n_samples": 300, "noise": 0.2}
    assert settings.batch_size == 16 and settings.nesterov is True


def test_layers_as_a_string_and_one_activation_spelt_with_dashes():
    settings = Settings(layers="64-32-10", activation="leaky-relu")
    assert settings.layers == [64, 32, 10] and settings.activation == "leaky_relu"
    assert Settings(activation="relu,tanh", layers="64-8-8-10").activation == ["relu", "tanh"]


def test_presets_start_a_run_and_options_override_them():
    settings = Settings.from_dict({"preset": "course", "epochs": 2})
    assert settings.layers == PRESETS["course"]["layers"] and settings.epochs == 2
    with pytest.raises(SettingsError, match="unknown preset 'fast'"):
        Settings.from_dict({"preset": "fast"})


def test_replace_validates_again():
    with pytest.raises(SettingsError, match="epochs"):
        Settings().replace(epochs=0)


@pytest.mark.parametrize(
    ("changes", "setting", "message"),
    [
        ({"dataset": "nope"}, "dataset", "unknown data set 'nope'"),
        ({"dataset_options": {"colour": 1}}, "dataset_options", "has no option colour"),
        ({"dataset_options": [1]}, "dataset_options", "expects a table"),
        ({"task": "regression"}, "task", "is a classification data set"),
        ({"task": "clustering"}, "task", "unknown value 'clustering'"),
        ({"layers": "64-ten-10"}, "layers", "Invalid layer sizes"),
        ({"layers": [64]}, "layers", "need an input and an output width"),
        ({"activation": "swish"}, "activation", "unknown value 'swish'"),
        ({"activation": "softmax"}, "activation", "unknown value 'softmax'"),
        ({"activation": ["relu", "tanh"]}, "activation", "2 activations for 1 hidden layer"),
        ({"activation": 3}, "activation", "expects a name or a list of names"),
        ({"dropout": 1.0}, "dropout", "must be below 1.0"),
        ({"dropout": -0.1}, "dropout", "below the minimum"),
        ({"dropout": math.nan}, "dropout", "not a finite number"),
        ({"loss": "mse"}, "loss", "does not suit classification"),
        ({"loss": "hinge"}, "loss", "unknown value 'hinge'"),
        ({"dataset": "linear", "loss": "cross-entropy"}, "loss", "does not suit regression"),
        ({"optimizer": "adamx"}, "optimizer", "unknown value 'adamx'"),
        ({"lr": 0}, "lr", "a learning rate of 0 never changes the weights"),
        ({"lr": -1}, "lr", "below the minimum"),
        ({"lr": math.inf}, "lr", "not a finite number"),
        ({"lr": "fast"}, "lr", "expects float"),
        ({"lr": True}, "lr", "expects float"),
        ({"momentum": 1.0}, "momentum", "must be below 1.0"),
        ({"optimizer": "adagrad", "momentum": 0.9}, "momentum", "does not apply to adagrad"),
        ({"nesterov": True}, "nesterov", "does not apply to adam"),
        ({"optimizer": "sgd", "nesterov": True}, "nesterov", "needs a momentum above 0"),
        ({"weight_decay": -1e-3}, "weight_decay", "below the minimum"),
        ({"schedule": "bogus:1"}, "schedule", "unknown schedule 'bogus'"),
        ({"schedule": "exp:-1"}, "schedule", "GAMMA must be > 0"),
        ({"schedule": "step:1:-1"}, "schedule", "GAMMA must be > 0"),
        ({"schedule": "onecycle:-1"}, "schedule", "MAX_LR must be > 0"),
        ({"schedule": "cosine:30:nan"}, "schedule", "must be finite"),
        ({"schedule": "exp:10", "epochs": 400}, "schedule", "would set the learning rate"),
        ({"epochs": 0}, "epochs", "below the minimum 1"),
        ({"epochs": 2.5}, "epochs", "expects int"),
        ({"batch_size": 0}, "batch_size", "below the minimum 1"),
        ({"val_split": 1.0}, "val_split", "must be below 1.0"),
        ({"patience": -1}, "patience", "below the minimum 0"),
        ({"patience": 3, "val_split": 0.0}, "patience", "needs a validation split"),
        ({"monitor": "val_r2"}, "monitor", "not a metric of a classification run"),
        ({"monitor": "loss"}, "monitor", "not a metric"),
        ({"seed": -1}, "seed", "below the minimum 0"),
        ({"download": "yes"}, "download", "expects bool"),
        ({"epochs": None}, "epochs", "needs a value"),
    ],
)
def test_every_bad_value_is_refused_at_construction_naming_the_setting(changes, setting, message):
    with pytest.raises(SettingsError, match=message) as caught:
        Settings(**changes)
    assert caught.value.setting == setting
    assert str(caught.value).startswith(f"{setting}: ")


def test_unknown_keys_in_a_dict_are_named_with_the_known_ones():
    with pytest.raises(SettingsError, match="unknown setting") as caught:
        Settings.from_dict({"learning_rate": 0.1})
    assert caught.value.setting == "learning_rate" and "lr" in caught.value.detail


@pytest.mark.parametrize(
    ("content", "message"),
    [("epochs = 'many'", "expects int"), ("this is not toml", "not valid TOML")],
)
def test_bad_toml_names_the_file(tmp_path, content, message):
    path = tmp_path / "run.toml"
    path.write_text(content)
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_toml(path)
    assert "run.toml" in str(caught.value)
    with pytest.raises(SettingsError, match="cannot read config file"):
        Settings.from_toml(tmp_path / "missing.toml")


def test_monitor_of_a_regression_run_may_be_its_own_metrics():
    assert Settings(dataset="linear", monitor="val_r2", patience=2).monitor == "val_r2"
    assert Settings(monitor="train_loss", patience=2, val_split=0.0).patience == 2


def test_plateau_schedules_work_with_and_without_validation():
    assert Settings(schedule="plateau:2", val_split=0.0).schedule == "plateau:2"


@pytest.mark.parametrize("name", list(available_datasets()))
def test_every_data_set_gives_settings(name):
    assert Settings(dataset=name).resolved().task in TASKS


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_every_optimizer_gives_settings(name):
    assert Settings(optimizer=name).resolved().lr == optim.OPTIMIZERS[name].default_lr


@pytest.mark.parametrize("name", list(nn.LOSSES))
def test_every_loss_suits_the_tasks_its_entry_says(name):
    dataset = "digits" if nn.LOSSES[name].targets == "classes" else "linear"
    assert Settings(dataset=dataset, loss=name).loss == name


SCHEDULE_EXAMPLES = {
    "step": "step:5",
    "multistep": "multistep:3,6",
    "exp": "exp:0.9",
    "linear": "linear:0.5:1:3",
    "warmup": "warmup:2",
    "onecycle": "onecycle:0.01",
    "restarts": "restarts:3",
    "cyclic": "cyclic:0.01:20",
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_every_schedule_by_name(name):
    usage = SCHEDULES[name].usage
    spec = SCHEDULE_EXAMPLES.get(name, name)
    assert spec.split(":")[0] in usage
    assert Settings(schedule=spec, epochs=10).schedule == spec
