"""Checks the command-line tests share."""

from mlplab.cli import main


def assert_refused(argv, capsys):
    """``argv`` exits with 2 and prints exactly one line on standard error; returns that line."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]
