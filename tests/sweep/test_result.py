"""Tests of mlplab.sweep.result and plots: tables over seeds, edge warnings, findings, files."""

import csv
import io

import numpy
import pytest

from mlplab.sweep import plots
from mlplab.sweep.grid import Range
from mlplab.sweep.result import SweepResult

PNG = b"\x89PNG\r\n\x1a\n"


def _accuracy(hidden, dropout, run):
    """A made-up accuracy: wider is better, dropout costs a little, seeds add a little noise."""
    return 0.7 + 0.1 * numpy.log2(hidden / 16) / 4 - 0.05 * dropout + 0.01 * run


def _result(axes=None, metric="accuracy", values=_accuracy):
    """A SweepResult of made-up trials over hidden x dropout, three seeds each."""
    axes = axes or {"hidden": [16, 64, 256], "dropout": [0.0, 0.5]}
    rows, histories = [], {}
    for hidden in axes["hidden"]:
        for dropout in axes["dropout"]:
            for run in range(3):
                name = f"hidden={hidden},dropout={dropout},run={run}"
                score = values(hidden, dropout, run)
                row = {"trial": name, "hidden": hidden, "dropout": dropout, "run": run,
                       "seed": run, "status": "done", f"test_{metric}": score,
                       "test_loss": 1 - score, "epochs": 3, "parameters": hidden * 10,
                       "train_seconds": 1.0 + run, "error": None, "folder": None}  # fmt: skip
                rows.append(row)
                histories[name] = [{"epoch": e, f"val_{metric}": score * e / 3} for e in (1, 2, 3)]
    return SweepResult(axes, metric, rows, histories)


def test_configurations_hold_mean_and_std_over_seeds_best_first():
    result = _result()
    table = result.configurations
    assert len(table) == 6
    best = table[0]
    assert (best["hidden"], best["dropout"], best["seeds"], best["failed"]) == (256, 0.0, 3, 0)
    scores = [_accuracy(256, 0.0, run) for run in range(3)]
    assert best["accuracy_mean"] == pytest.approx(numpy.mean(scores))
    assert best["accuracy_std"] == pytest.approx(numpy.std(scores, ddof=1))
    assert best["train_seconds_mean"] == 2.0 and best["parameters"] == 2560
    assert [row["accuracy_mean"] for row in table] == sorted(
        (row["accuracy_mean"] for row in table), reverse=True
    )
    assert result.best == best


def test_a_failed_seed_is_counted_and_left_out_of_the_means():
    result = _result()
    result.trials[0].update(status="failed", error="NonFiniteLossError: ...")
    del result.trials[0]["test_accuracy"]
    row = next(r for r in result.configurations if (r["hidden"], r["dropout"]) == (16, 0.0))
    assert (row["seeds"], row["failed"]) == (2, 1)
    assert row["accuracy_mean"] == pytest.approx(
        numpy.mean([_accuracy(16, 0.0, r) for r in (1, 2)])
    )
    assert "| 2 (1 failed) |" in result.to_markdown()


def test_lower_is_better_metrics_sort_upwards():
    result = _result(metric="mse", values=lambda h, d, r: 16 / h + d)
    assert result.lower_is_better
    assert (result.best["hidden"], result.best["dropout"]) == (256, 0.0)


def test_the_best_value_at_the_edge_of_a_numeric_axis_is_warned_about():
    result = _result()
    assert result.edge_warnings() == [
        "hidden: the best value 256 is at the upper edge of the grid (16 to 256): extend the "
        "grid above 256"
    ]  # dropout has two values: no warning
    narrow = _result({"hidden": [16, 64, 256], "dropout": [0.0, 0.2, 0.5]},
                     values=lambda h, d, r: -abs(numpy.log2(h / 64)) - d)  # fmt: skip
    assert narrow.edge_warnings() == []  # hidden peaks inside; dropout's best is its minimum, 0
    shifted = _result({"hidden": [16, 64, 256], "dropout": [0.1, 0.2, 0.5]},
                      values=lambda h, d, r: -abs(numpy.log2(h / 64)) - d)  # fmt: skip
    assert shifted.edge_warnings() == [
        "dropout: the best value 0.1 is at the lower edge of the grid (0.1 to 0.5): extend the "
        "grid below 0.1"
    ]


def test_a_sampled_axis_warns_when_its_best_value_is_near_an_end():
    result = _result()
    result.axes["hidden"] = Range(16, 256, integer=True)
    assert result.edge_warnings()[0].startswith("hidden: the best value 256 is at the upper edge")


def test_findings_say_what_each_axis_did():
    lines = _result().findings()
    assert lines[0].startswith(
        "hidden: test accuracy 0.6975 at 16, 0.7475 at 64, 0.7975 at 256, rising all the way"
    )
    assert "best at 256" in lines[0]
    assert "seeds alone move it by about ±0.01" in lines[0]
    assert lines[1].startswith("dropout: test accuracy 0.76 at 0, 0.735 at 0.5; best at 0")


def test_csv_and_markdown_tables():
    result = _result()
    table = list(csv.DictReader(io.StringIO(result.to_csv())))
    assert len(table) == 6 and table[0]["hidden"] == "256" and table[0]["seeds"] == "3"
    trials = list(csv.DictReader(io.StringIO(result.to_csv("trial"))))
    assert len(trials) == 18 and trials[0]["status"] == "done"
    text = result.to_markdown(limit=2)
    assert (
        "| hidden | dropout | test accuracy | test loss | time (s) | parameters | seeds |" in text
    )
    assert "| 256 | 0 | 0.8100 ± 0.0100 | 0.1900 ± 0.0100 | 2.00 ± 1.00 | 2560 | 3 |" in text
    assert "(4 more configurations in summary.md)" in text
    assert "## What each setting did" in text and "## Warnings" in text


def test_the_plots_are_drawn_and_written(tmp_path):
    result = _result()
    figure = plots.by_axis_figure(result)
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 2
    curves = plots.curves_figure(result, "hidden")
    assert len(curves.axes[0].lines) == 3  # one mean curve per width
    assert len(plots.parallel_figure(result).axes[0].lines) >= 18  # one line per trial
    written = result.save(tmp_path)
    names = {path.name for path in written}
    assert names == {"metric_by_axis.png", "curves_by_hidden.png", "curves_by_dropout.png",
                     "parallel_coordinates.png"}  # fmt: skip
    for path in written:
        assert path.read_bytes()[:8] == PNG
    for name in ("summary.csv", "trials.csv", "summary.md"):
        assert (tmp_path / name).read_text().strip()
