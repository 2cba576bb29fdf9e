"""Tests of mlplab.serve.page: the page's flat settings read into Settings, and back."""

import pytest

from mlplab import nn, optim
from mlplab.data import available_datasets, dataset_options
from mlplab.serve.page import DEFAULTS, PageError, from_settings, options, to_settings


def test_the_defaults_are_spirals_and_a_small_tanh_network():
    settings = to_settings({})
    assert settings.dataset == "spirals" and settings.layers == [2, 8, 8, 2]
    assert settings.activation == "tanh" and settings.optimizer == "adam" and settings.lr == 0.03
    assert settings.val_split == 0 and settings.dataset_options["features"] == ["x1", "x2"]


def test_values_from_a_url_are_text_and_are_read_by_kind():
    settings = to_settings(
        {"dataset": "blobs", "num_classes": "4", "n_samples": "300", "noise": "0.2",
         "features": "x1,x2,x1*x2", "hidden": "6-5", "activation": "relu,tanh", "lr": "0.1",
         "optimizer": "sgd", "momentum": "0.9", "nesterov": "1", "batch_size": "20",
         "schedule": "step:10:0.5", "seed": "3"}
    )  # fmt: skip
    assert settings.layers == [3, 6, 5, 4] and settings.activation == ["relu", "tanh"]
    assert settings.dataset_options == {
        "n_samples": 300, "noise": 0.2, "test_fraction": 0.5, "num_classes": 4,
        "features": ["x1", "x2", "x1*x2"],
    }  # fmt: skip
    assert settings.nesterov is True and settings.momentum == 0.9 and settings.seed == 3


def test_a_regression_set_gets_one_output_and_its_own_features():
    settings = to_settings({"dataset": "sine", "hidden": ""})
    assert settings.layers == [1, 1] and settings.task == "regression" and settings.loss == "mse"
    assert settings.dataset_options["features"] == ["x1"]
    assert "num_classes" not in settings.dataset_options


def test_the_two_weight_penalties_map_to_coupled_and_decoupled_decay():
    assert to_settings({"regularization": "l2", "reg_rate": 0.01}).weight_decay == 0.01
    decoupled = to_settings({"optimizer": "adamw", "regularization": "decoupled", "reg_rate": 0.1})
    assert decoupled.weight_decay == 0.1 and decoupled.optimizer == "adamw"
    assert to_settings({"reg_rate": 0.5}).weight_decay == 0  # "none" ignores the rate
    with pytest.raises(PageError, match="AdamW's weight decay is decoupled"):
        to_settings({"optimizer": "adamw", "regularization": "l2", "reg_rate": 0.1})


@pytest.mark.parametrize(
    ("page", "field"),
    [
        ({"hidden": "8-0"}, "hidden"),
        ({"epochs": "2.5"}, "epochs"),
        ({"nesterov": "maybe"}, "nesterov"),
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"num_classes": 1}, "num_classes"),
        ({"dropout": 1.0}, "dropout"),
        ({"loss": "huber"}, "loss"),
        ({"dataset": "linear"}, "dataset"),
        ({"zoom": 2}, "zoom"),
        ({"activation": ""}, "activation"),
        ({"lr": "nan"}, "lr"),
    ],
)
def test_bad_values_name_the_control_at_fault(page, field):
    with pytest.raises(PageError) as caught:
        to_settings(page)
    assert caught.value.field == field and caught.value.detail


def test_from_settings_inverts_to_settings():
    page = {
        **DEFAULTS, "dataset": "moons", "hidden": "3-4", "activation": "relu,elu",
        "optimizer": "adamw", "regularization": "decoupled", "reg_rate": 0.05, "noise": 0.2,
    }  # fmt: skip
    settings = to_settings(page)
    assert to_settings(from_settings(settings)) == settings


def test_the_options_come_from_the_registries():
    offered = options()
    generated = [name for name in available_datasets() if "features" in dataset_options(name)]
    assert list(offered["datasets"]) == generated
    assert set(offered["losses"]) == set(nn.LOSSES)
    assert list(offered["optimizers"]) == list(optim.OPTIMIZERS)
    assert offered["features"]["x1*x2"] == 2 and offered["features"]["sin(x1)"] == 1
