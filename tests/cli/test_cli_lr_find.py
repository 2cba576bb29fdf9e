"""End-to-end tests of ``mlplab lr-find`` through :func:`mlplab.cli.main`."""

import re
import textwrap

import pytest
from cli_checks import assert_refused

from mlplab.cli import main
from mlplab.experiment import Settings, lr_find

QUICK = ["--dataset", "digits", "--layers", "64-32-10", "--optimizer", "sgd", "--steps", "40"]


def _suggested(printed):
    """The suggested rate in the command's output."""
    return float(re.search(r"^Suggested learning rate: (\S+)", printed, re.MULTILINE).group(1))


def test_prints_the_curve_and_the_library_s_suggestion_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["lr-find", *QUICK, "--quiet"]) == 0
    printed = capsys.readouterr().out
    found = lr_find(Settings(dataset="digits", layers=[64, 32, 10], optimizer="sgd"), steps=40)
    assert _suggested(printed) == pytest.approx(found.suggested_lr, rel=1e-2)  # printed to 3 digits
    assert "Range test of sgd on digits (batch 32)" in printed
    assert printed.count("<- lowest") == 1
    table = [
        line for line in printed.splitlines() if re.match(r"^\s+[0-9.e+-]+\s+[0-9.e+-]+\s", line)
    ]
    assert 10 <= len(table) <= 11  # ten rows spread over the steps, and the lowest one
    assert list(tmp_path.iterdir()) == []


def test_png_draws_the_curve(tmp_path, capsys):
    png = tmp_path / "lr.png"
    assert main(["lr-find", *QUICK, "--quiet", "--png", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Curve drawn in {png}" in capsys.readouterr().out


def test_toml_sets_the_run_and_the_command_line_overrides_it(tmp_path, capsys):
    toml = tmp_path / "run.toml"
    toml.write_text(
        textwrap.dedent("""
        dataset = "digits"
        layers = "64-32-10"
        optimizer = "adam"
        batch-size = 64
        epochs = 3
        out = "runs/digits"
    """)
    )
    argv = ["lr-find", "--config", str(toml), "--steps", "30", "--quiet"]
    assert main([*argv, "--optimizer", "sgd"]) == 0
    printed = capsys.readouterr().out
    assert "of sgd on digits (batch 64)" in printed  # the TOML's batch, the command's optimizer
    found = lr_find(Settings(dataset="digits", layers=[64, 32, 10], batch_size=64), steps=30)
    assert main(argv) == 0
    assert _suggested(capsys.readouterr().out) == pytest.approx(found.suggested_lr, rel=1e-2)


def test_the_range_of_rates_comes_from_the_options(capsys):
    assert main(["lr-find", *QUICK, "--quiet", "--start-lr", "1e-4", "--end-lr", "1"]) == 0
    assert "from lr 0.0001 to 1;" in capsys.readouterr().out


def test_help_lists_the_options_of_train_and_its_own(capsys):
    assert main(["lr-find", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in ("--start-lr", "--end-lr", "--steps", "--png", "--config", "--optimizer",
                 "--layers", "--batch-size", "--quiet"):  # fmt: skip
        assert flag in text, flag
    assert "exit codes" in text
    assert main(["--help"]) == 0
    assert "lr-find" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start-lr", "-1"], "--start-lr: -1.0 is not a finite number above 0"),
        (["--start-lr", "0"], "--start-lr:"),
        (["--end-lr", "inf"], "--end-lr: inf is not a finite number"),
        (["--start-lr", "1", "--end-lr", "0.1"], "--end-lr: 0.1 is not above the start rate 1.0"),
        (["--start-lr", "abc"], "invalid float value: 'abc'"),
        (["--steps", "1"], "--steps: 1 is not a whole number of at least 2"),
        (["--steps", "many"], "--steps: invalid int value"),
        (["--dataset", "linear", "--batch-size", "1000"], "--steps: one pass over the training"),
        (["--optimizer", "adamx"], "unknown value 'adamx'"),
        (["--layers", "784-10"], "does not fit digits"),
        (["--lr", "-1"], "below the minimum"),
        (["--out", "run"], "--out: lr-find keeps no run folder"),
        (["--png", "nowhere/lr.png"], "--png: folder nowhere does not exist"),
        (["--png", "."], "--png: . is a folder"),
        (["--config", "missing.toml"], "cannot read config file"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path, monkeypatch, capsys, argv, message
):
    monkeypatch.chdir(tmp_path)
    line = assert_refused(["lr-find", *argv, "--quiet"], capsys)
    assert line.startswith("mlplab lr-find: error: ") and message in line
    assert list(tmp_path.iterdir()) == []


def test_a_bad_toml_value_names_the_file(tmp_path, capsys):
    (tmp_path / "run.toml").write_text('optimizer = "adamx"')
    line = assert_refused(["lr-find", "--config", str(tmp_path / "run.toml")], capsys)
    assert "--optimizer" in line and "run.toml" in line
