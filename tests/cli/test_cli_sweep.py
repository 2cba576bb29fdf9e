"""End-to-end tests of ``mlplab sweep`` through :func:`mlplab.cli.main`."""

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from cli_checks import assert_refused

from mlplab import sweep
from mlplab.cli import main

# The generated moons: no download, no scikit-learn, trials of a fraction of a second.
QUICK = ["--dataset", "moons", "--epochs", "2", "--batch-size", "32", "--workers", "1", "--quiet"]


def test_a_grid_sweep_prints_its_table_and_keeps_the_numbers_of_the_python_call(tmp_path, capsys):
    out = tmp_path / "sweeps" / "moons"
    argv = ["sweep", *QUICK, "--grid", "hidden=[8,16,32]", "--grid", "lr=[0.01,0.1]"]
    assert main([*argv, "--seeds", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Sweep: 6 configurations, 12 trials (12 done)")
    assert "| hidden | lr | test accuracy | test loss | time (s) | parameters | seeds |" in printed
    assert "## What each setting did" in printed
    assert f"Sweep saved in {out}" in printed
    for name in ("summary.md", "summary.csv", "trials.csv", "metric_by_axis.png", "sweep.json"):
        assert (out / name).is_file(), name
    assert len(list((out / "trials").iterdir())) == 12
    table = list(csv.DictReader((out / "summary.csv").open()))
    python = sweep.run(
        {"dataset": "moons", "epochs": 2, "batch_size": 32},
        {"hidden": [8, 16, 32], "lr": [0.01, 0.1]},
        seeds=2,
        workers=1,
        progress=False,
    )
    assert [row["accuracy_mean"] for row in table] == [
        f"{row['accuracy_mean']:.4g}" for row in python.configurations
    ]


def test_a_grid_file_and_random_search(tmp_path, capsys):
    grid = tmp_path / "grid.toml"
    grid.write_text(
        textwrap.dedent("""
        lr = "1e-3..1e-1"
        hidden = [8, 16]
    """)
    )
    out = tmp_path / "random"
    argv = ["sweep", *QUICK, "--grid-file", str(grid), "--samples", "3", "--out", str(out)]
    assert main(argv) == 0
    assert "# Sweep: 3 configurations, 3 trials (3 done)" in capsys.readouterr().out
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert all(1e-3 <= float(row["lr"]) <= 0.1 and row["hidden"] in ("8", "16") for row in rows)


def test_the_structure_preset_says_what_each_setting_did(tmp_path, capsys):
    out = tmp_path / "structure"
    argv = ["sweep", "--preset", "structure", "--quick", "--epochs", "1", "--seeds", "1",
            "--grid", "lr=[0.01]", "--workers", "1", "--quiet", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "# Sweep: 12 configurations, 12 trials (12 done)" in printed  # 3 x 2 x 2 x 1
    for axis in ("hidden", "depth", "dropout"):
        assert f"\n- {axis}: test accuracy " in printed
    definition = (out / "sweep.json").read_text()
    assert '"dataset": "digits"' in definition and '"epochs": 1' in definition


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--grid", "hiden=[1,2]"], "--grid: unknown axis 'hiden'"),
        (["--grid", "lr=1e-4..1e-1"], "--grid: lr: a range LOW..HIGH is for random search"),
        (["--grid", "lr=[0.1,-1]"], "--grid: trial lr=-1.0,run=0: lr: -1.0 is below the minimum"),
        (["--grid", "layers=[2-8-3]"], "2-8-3 does not fit moons: it has 2 input values and 2"),
        (["--quick"], "--quick: the reduced form of a sweep preset; add --preset structure"),
        (
            ["--preset", "structur"],
            "--preset: unknown preset 'structur'; choose one of course, structure",
        ),
        (["--seeds", "0"], "--seeds: needs a positive number of seeds"),
        (["--address", "127.0.0.1:6379"], "--address: joins a Ray cluster"),
        (["--backend", "spark"], "argument --backend: invalid choice: 'spark'"),
        (["--grid-file", "missing.toml"], "cannot read config file missing.toml"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path, monkeypatch, capsys, argv, message
):
    monkeypatch.chdir(tmp_path)
    line = assert_refused(["sweep", *QUICK, *argv], capsys)
    assert line.startswith("mlplab sweep: error: ") and message in line, line
    assert list(tmp_path.iterdir()) == []


def test_the_ray_backend_without_ray_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "ray", None)
    line = assert_refused(["sweep", *QUICK, "--backend", "ray"], capsys)
    assert line == (
        'mlplab sweep: error: --backend: the ray backend needs Ray: pip install "mlplab[ray]"'
    )
    assert list(tmp_path.iterdir()) == []


def test_help_lists_the_sweep_options_and_the_training_options(capsys):
    assert main(["sweep", "--help"]) == 0
    text = capsys.readouterr().out
    flags = "--grid --grid-file --seeds --samples --workers --backend --address --quick --preset"
    flags = [*flags.split(), "--out", "--lr", "--dropout", "--layers"]
    for flag in flags:
        assert flag in text, flag
    assert "structure" in text and "exit codes" in text
    assert main(["--help"]) == 0
    assert "sweep" in capsys.readouterr().out


def test_ctrl_c_stops_the_sweep_and_the_same_command_finishes_it(tmp_path, capsys):
    out = tmp_path / "interrupted"
    argv = ["sweep", "--dataset", "moons", "--epochs", "15", "--grid", "hidden=[16,32,48,64]",
            "--seeds", "2", "--quiet", "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "mlplab", *argv, "--workers", "2"],
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's job: Ctrl-C reaches all
    )
    deadline = time.monotonic() + 120
    while not list(out.glob("trials/*/results.json")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 130, errors
    assert f"interrupted; the complete trials stay in {out}: run the same command" in errors
    complete = len(list(out.glob("trials/*/results.json")))
    assert 1 <= complete < 8
    assert main([*argv, "--workers", "1"]) == 0
    assert "8 trials (8 done)" in capsys.readouterr().out


def test_the_ray_backend_starts_a_local_ray_and_stops_it_again(tmp_path, capsys):
    out = tmp_path / "ray"
    argv = ["sweep", *QUICK[:-3], "--grid", "hidden=[8,16]", "--backend", "ray", "--workers", "2",
            "--quiet", "--out", str(out)]  # fmt: skip
    assert main(argv) == 0
    assert "2 trials (2 done)" in capsys.readouterr().out
    assert not sys.modules["ray"].is_initialized()
