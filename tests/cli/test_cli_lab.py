"""Tests of ``mlplab lab``: list, run (one or all), report; exit codes say whether claims held."""

import pytest

from mlplab import lab
from mlplab.cli import main
from mlplab.lab import Experiment


def _holds(session):
    session.at_least("one is at least one", "one", 1.0, 1.0)
    session.answer("Yes.")


def _fails(session):
    session.at_most("two is at most one", "two", 2.0, 1.0)
    session.answer("No.")


@pytest.fixture
def registry(monkeypatch):
    """The lab's registry holding two toy experiments (the real ones are tested on their own)."""
    toys = {
        "holds": Experiment("holds", "Does it hold?", _holds),
        "fails": Experiment("fails", "Does it fail?", _fails),
    }
    monkeypatch.setattr(lab, "EXPERIMENTS", toys)  # what the command lists
    monkeypatch.setattr(lab.session, "EXPERIMENTS", toys)  # what run and run_all look up


def test_list_names_each_experiment_and_its_question(registry, capsys):
    assert main(["lab", "list"]) == 0
    out = capsys.readouterr().out
    assert "holds  Does it hold?" in out and "fails  Does it fail?" in out


def test_run_writes_the_report_and_the_exit_code_says_whether_claims_held(
    registry, tmp_path, capsys
):
    assert main(["lab", "run", "holds", "--quick", "--out", str(tmp_path)]) == 0
    assert "holds: 1/1 claims held" in capsys.readouterr().out
    assert (tmp_path / "holds" / "report.html").is_file()
    assert main(["lab", "run", "all", "--quick", "--out", str(tmp_path / "all")]) == 1
    out = capsys.readouterr().out
    assert "fails: 0/1 claims held" in out and "FAILED: two is at most one" in out
    assert main(["lab", "report", str(tmp_path / "all")]) == 1
    assert "holds: 1/1 claims held" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lab", "run", "nope"], "Unknown lab experiment 'nope'"),
        (["lab", "run", "holds", "--seed", "-1"], "--seed"),
        (["lab", "report", "."], "holds no lab results"),
        (["lab"], "required"),
    ],
)
def test_bad_input_is_one_line_exit_2(registry, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert message in line
    assert list(tmp_path.iterdir()) == []
