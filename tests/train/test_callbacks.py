"""Tests of mlplab.train.callbacks: early stopping, checkpoint, progress, history files."""

import csv
import io
import json
from types import SimpleNamespace

import numpy
import pytest

import mlplab
from mlplab import nn
from mlplab.train import EarlyStopping, HistoryLogger, ProgressBar, read_history, write_history
from mlplab.train.metrics import ClassificationMetrics


class FakeRun(SimpleNamespace):
    """A stand-in for the loop's Run with what the callbacks read."""

    def stop(self, reason):
        self.stopped = reason


@pytest.fixture
def run():
    return FakeRun(
        model=nn.Linear(2, 1, generator=mlplab.Generator(0)),
        stopped=None,
        epoch=0,
        epochs=3,
        batch=0,
        batches_per_epoch=4,
        metrics=ClassificationMetrics(),
    )


def test_early_stopping_counts_epochs_without_improvement(run):
    stopper = EarlyStopping("val_loss", patience=2, min_delta=0.01)
    for epoch, loss in enumerate([1.0, 0.5, 0.495, 0.6], start=1):
        stopper.on_epoch_end(run, {"epoch": epoch, "val_loss": loss})
    assert (stopper.best, stopper.best_epoch, stopper.wait) == (0.5, 2, 2)
    assert run.stopped == "early-stopping"


def test_early_stopping_state_round_trip_and_weight_restore(run):
    stopper = EarlyStopping("val_accuracy", patience=3, restore_best_weights=True)
    stopper.on_epoch_end(run, {"epoch": 1, "val_accuracy": 0.9})
    best = run.model.weight._data.copy()
    run.model.weight._data += 1.0
    stopper.on_epoch_end(run, {"epoch": 2, "val_accuracy": 0.8})
    again = EarlyStopping("val_accuracy", patience=3, restore_best_weights=True)
    again.load_state_dict(stopper.state_dict())
    assert again.wait == 1 and again.best == 0.9
    again.on_train_end(run)
    numpy.testing.assert_array_equal(run.model.weight._data, best)


def test_early_stopping_names_a_missing_metric(run):
    with pytest.raises(ValueError, match=r"val_r2.*train_loss"):
        EarlyStopping("val_r2", patience=1).on_epoch_end(run, {"epoch": 1, "train_loss": 1.0})


@pytest.mark.parametrize(
    "options", [{"patience": 0}, {"min_delta": -1.0}, {"mode": "best"}, {"patience": 1.5}]
)
def test_early_stopping_validates_its_settings(options):
    with pytest.raises(ValueError):
        EarlyStopping(**options)


def test_progress_bar_prints_one_summary_line_per_epoch(run):
    out = io.StringIO()
    bar = ProgressBar(file=out)
    bar.on_epoch_begin(run)
    for _ in range(4):
        run.batch += 1
        bar.on_batch_end(run, 0.5)
    bar.on_epoch_end(
        run,
        {
            "epoch": 1,
            "step": 4,
            "lr": 0.001,
            "train_loss": 0.5,
            "train_accuracy": 0.75,
            "val_loss": 0.6,
            "val_accuracy": 0.7,
            "seconds": 0.2,
        },
    )
    line = out.getvalue()
    assert line.count("\n") == 1
    assert "epoch 1/3" in line and "loss 0.5000" in line and "val loss 0.6000" in line


def test_history_files_hold_every_epoch_once(tmp_path, run):
    records = [
        {"epoch": 1, "train_loss": 1.0, "val_loss": float("nan")},
        {"epoch": 2, "train_loss": 0.5, "val_loss": 0.25},
    ]
    run.history = SimpleNamespace(records=records)
    logger = HistoryLogger(tmp_path)
    logger.on_epoch_end(run, records[-1])
    logger.on_epoch_end(run, records[-1])
    rows = list(csv.DictReader((tmp_path / "history.csv").open()))
    assert [row["epoch"] for row in rows] == ["1", "2"] and rows[1]["val_loss"] == "0.25"
    assert read_history(tmp_path)[0]["val_loss"] == "nan"
    lines = (tmp_path / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_write_history_leaves_no_temporary_files(tmp_path):
    write_history([{"epoch": 1, "train_loss": 0.1}], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "history.jsonl"]
