"""Tests of mlplab.train.plots: PNG files of learning curves and confusion matrices."""

import numpy

from mlplab.train import plots

PNG = b"\x89PNG\r\n\x1a\n"


def test_curves_and_confusion_matrix_are_png_files(tmp_path):
    records = [
        {"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "train_accuracy": 0.5}
        for e in range(1, 5)
    ]
    plots.plot_curves(records, "loss", tmp_path / "loss.png")
    plots.plot_curves(records, "accuracy", tmp_path / "accuracy.png")  # no validation values
    plots.plot_confusion_matrix(numpy.array([[5, 1], [2, 9]]), tmp_path / "cm.png", ["a", "b"])
    for name in ("loss.png", "accuracy.png", "cm.png"):
        assert (tmp_path / name).read_bytes()[:8] == PNG
    assert len(list(tmp_path.iterdir())) == 3
