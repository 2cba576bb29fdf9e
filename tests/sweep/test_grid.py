"""Tests of mlplab.sweep.grid: axes from the command line and TOML, full grids, random samples."""

import math
import textwrap

import pytest

from mlplab.sweep.grid import (
    Range,
    SweepError,
    axis_names,
    check_axes,
    expand,
    parse_axis,
    read_grid_toml,
    sample,
)


def test_axes_are_the_settings_but_the_seed_and_the_layer_conveniences():
    names = axis_names()
    for name in (
        "lr",
        "dropout",
        "layers",
        "activation",
        "optimizer",
        "schedule",
        "hidden",
        "depth",
    ):
        assert name in names
    assert "seed" not in names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hidden=[64,256,1024]", ("hidden", [64, 256, 1024])),
        ("lr=[1e-3, 1e-2]", ("lr", [0.001, 0.01])),
        ("dropout=[0,0.25]", ("dropout", [0.0, 0.25])),
        ("activation=[relu,tanh]", ("activation", ["relu", "tanh"])),
        ("layers=[64-32-10,64-10]", ("layers", ["64-32-10", "64-10"])),
        ("nesterov=[true,false]", ("nesterov", [True, False])),
        ("batch-size=16", ("batch_size", [16])),
        ("schedule=[constant,step:2:0.5]", ("schedule", ["constant", "step:2:0.5"])),
    ],
)
def test_command_line_axes_take_the_kind_of_their_setting(text, expected):
    assert parse_axis(text) == expected


def test_ranges_are_log_uniform_for_rates_and_integer_for_integer_settings():
    assert parse_axis("lr=1e-4..1e-1") == ("lr", Range(1e-4, 0.1, integer=False, log=True))
    assert parse_axis("dropout=0..0.5") == ("dropout", Range(0.0, 0.5, integer=False, log=False))
    assert parse_axis("hidden=16..256") == ("hidden", Range(16, 256, integer=True, log=False))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("hiden=[1,2]", "unknown axis 'hiden'"),
        ("seed=[1,2]", "seed cannot be an axis"),
        ("lr", "is not an axis"),
        ("hidden=[a,b]", "hidden: expected an integer, got 'a'"),
        ("lr=[1e-3,1e-2", "a list of values is written"),
        ("lr=1..0.1", "LOW < HIGH"),
        ("lr=0..1", "LOW > 0"),
        ("activation=a..b", "needs a numeric setting"),
    ],
)
def test_bad_axes_are_refused_with_what_is_wrong(text, problem):
    with pytest.raises(SweepError, match="grid") as caught:
        parse_axis(text)
    assert problem in str(caught.value)


def test_an_int_for_a_float_setting_is_the_same_value_as_the_float():
    assert check_axes({"dropout": [0, 0.5], "hidden": [16]}) == {
        "dropout": [0.0, 0.5],
        "hidden": [16],
    }
    assert isinstance(check_axes({"dropout": [0]})["dropout"][0], float)


def test_layers_and_hidden_together_are_refused():
    with pytest.raises(SweepError, match="layers, or hidden and depth, not both"):
        check_axes({"layers": ["64-10"], "hidden": [16]})


def test_the_full_grid_has_every_combination_the_first_axis_slowest():
    grid = expand({"hidden": [16, 64], "lr": [0.1, 0.01, 0.001]})
    assert len(grid) == 6
    assert grid[0] == {"hidden": 16, "lr": 0.1}
    assert grid[1] == {"hidden": 16, "lr": 0.01}
    assert grid[-1] == {"hidden": 64, "lr": 0.001}
    assert expand({}) == [{}]


def test_a_range_needs_random_search():
    with pytest.raises(SweepError, match="add --samples N"):
        expand(check_axes({"lr": "1e-4..1e-1"}))


def test_random_samples_stay_in_their_ranges_and_repeat_with_the_seed():
    axes = check_axes({"lr": "1e-4..1e-1", "hidden": "8..64", "activation": ["relu", "tanh"]})
    drawn = sample(axes, 200, seed=3)
    assert drawn == sample(axes, 200, seed=3)
    assert drawn != sample(axes, 200, seed=4)
    rates = [c["lr"] for c in drawn]
    assert all(1e-4 <= r <= 0.1 for r in rates)
    # Log-uniform: about a third of the draws in each decade (uniform would put 90% in the last).
    last_decade = sum(r >= 0.01 for r in rates) / len(rates)
    assert 0.2 < last_decade < 0.5
    assert all(isinstance(c["hidden"], int) and 8 <= c["hidden"] <= 64 for c in drawn)
    assert {c["activation"] for c in drawn} == {"relu", "tanh"}
    assert all(math.isclose(r, float(f"{r:.4g}")) for r in rates)  # rounded for tables, names


def test_samples_must_be_a_positive_count():
    with pytest.raises(SweepError, match="samples"):
        sample({"lr": [0.1]}, 0, seed=0)


def test_a_toml_grid_file_holds_lists_and_ranges(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(
        textwrap.dedent("""
        hidden = [64, 256]
        activation = ["relu", "tanh"]
        lr = "1e-4..1e-2"
    """)
    )
    axes = read_grid_toml(path)
    assert axes == {
        "hidden": [64, 256],
        "activation": ["relu", "tanh"],
        "lr": Range(1e-4, 1e-2, integer=False, log=True),
    }
    path.write_text("hidden = [64]\nwidth = [3]\n")
    with pytest.raises(SweepError, match=r"unknown axis 'width'.*\(in grid file .*grid.toml\)"):
        read_grid_toml(path)
