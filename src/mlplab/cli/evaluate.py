"""``mlplab evaluate``: a saved model's test metrics and confusion matrix (text and PNG)."""

import argparse
from pathlib import Path

import numpy

from mlplab.cli.config import UsageError
from mlplab.cli.train import format_test
from mlplab.experiment.saved import SavedRun
from mlplab.train import format_confusion_matrix


def add_parser(subparsers):
    """Register ``evaluate`` and its options."""
    parser = subparsers.add_parser(
        "evaluate",
        help="test metrics and confusion matrix of a trained model",
        description="Measure a trained model on the test part of its data set (or of another "
        "set with the same shape): loss and accuracy, or MSE and R²; for classification also "
        "the confusion matrix, printed and drawn as a PNG.",
        epilog="example: mlplab evaluate runs/digits-20260101-120000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", help="run folder, or the model.safetensors in one")
    parser.add_argument(
        "--dataset", metavar="NAME", help="evaluate on this data set (default: the run's own)"
    )
    parser.add_argument("--data-dir", metavar="DIR", help="folder searched first for data files")
    parser.add_argument(
        "--download",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="download missing data set files (default: on)",
    )
    parser.add_argument(
        "--png",
        metavar="FILE",
        help="where to draw the confusion matrix (default: RUN/confusion_matrix.png)",
    )
    parser.set_defaults(handler=run)


def run(args):
    """Evaluate as ``args`` say; returns the exit code."""
    saved = SavedRun.open(args.run)
    png = Path(args.png) if args.png else saved.folder / "confusion_matrix.png"
    if not png.parent.is_dir():
        raise UsageError(f"--png: folder {png.parent} does not exist")
    report = saved.evaluate(args.dataset, data_dir=args.data_dir, download=args.download)
    print(f"{report['dataset']} test set, {report['samples']} samples:")
    print(f"  {format_test(report['test'])}")
    class_names = saved.description["class_names"]
    if "confusion_matrix" in report:
        matrix = report["confusion_matrix"]
        print(format_confusion_matrix(matrix, class_names))
        _per_class(matrix, class_names)
        from mlplab.train import plots

        title = f"{report['dataset']} test set"
        plots.plot_confusion_matrix(matrix, png, class_names, title, normalize="both")
        print(f"Confusion matrix drawn in {png}")
    for name, scores in report.get("per_target", {}).items():
        print(
            f"  {name}: R² {scores['r2']:.4f}  MSE {scores['mse']:.4g}  MAE {scores['mae']:.4g} "
            "(in the target's units)"
        )
    return 0


def _per_class(matrix, names):
    """Print recall per class: the share of each true class predicted correctly."""
    totals = matrix.sum(axis=1)
    recall = numpy.divide(
        numpy.diag(matrix), totals, out=numpy.zeros(len(matrix)), where=totals > 0
    )
    labels = names or [str(i) for i in range(len(matrix))]
    print(
        "recall per class: "
        + ", ".join(f"{label} {value:.3f}" for label, value in zip(labels, recall, strict=True))
    )
