"""``mlplab evaluate``: a saved model's test metrics and confusion matrix (text and PNG)."""

import argparse
from pathlib import Path

import numpy

import mlplab
from mlplab.cli import runs
from mlplab.cli.config import UsageError
from mlplab.data import DataLoader
from mlplab.train import confusion_matrix, evaluate, format_confusion_matrix, predict
from mlplab.train.metrics import mean_squared_error, r2_score


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
    folder, model_path = runs.locate_run(args.run)
    document = runs.model_run_config(folder, model_path)
    settings = dict(document["settings"])
    settings["dataset"] = args.dataset or settings["dataset"]
    settings["data_dir"], settings["download"] = args.data_dir, args.download
    png = Path(args.png) if args.png else folder / "confusion_matrix.png"
    if not png.parent.is_dir():
        raise UsageError(f"--png: folder {png.parent} does not exist")
    model = runs.load_model(model_path)
    data = runs.load_data(
        settings, mlplab.Generator(settings["seed"]), preprocessing=document["preprocessing"]
    )
    expected = document["data"]
    for key in ("num_features", "num_outputs", "task"):
        if data.description[key] != expected[key]:
            raise UsageError(
                f"--dataset {settings['dataset']} does not fit this model: {key} is "
                f"{data.description[key]}, the model was trained with {expected[key]}"
            )
    task = expected["task"]
    loss_fn = runs.build_loss(settings, task)
    test = evaluate(model, loss_fn, DataLoader(data.x_test, data.y_test, 1000), task=task)
    print(f"{settings['dataset']} test set, {len(data.x_test)} samples:")
    print("  " + "  ".join(f"{key} {value:.4f}" for key, value in test.items()))
    outputs = predict(model, data.x_test)
    if task == "classification":
        matrix = confusion_matrix(data.y_test, outputs.argmax(axis=1), expected["num_outputs"])
        print(format_confusion_matrix(matrix, expected["class_names"]))
        _per_class(matrix, expected["class_names"])
        from mlplab.train import plots

        plots.plot_confusion_matrix(
            matrix, png, expected["class_names"], f"{settings['dataset']} test set"
        )
        print(f"Confusion matrix drawn in {png}")
    else:
        outputs = runs.restore_targets(outputs, data.preprocessing)
        truth = runs.restore_targets(data.y_test, data.preprocessing)
        names = expected["target_names"] or [f"y{i + 1}" for i in range(truth.shape[1])]
        for i, name in enumerate(names):
            print(
                f"  {name}: R² {r2_score(outputs[:, i], truth[:, i]):.4f}  "
                f"MSE {mean_squared_error(outputs[:, i], truth[:, i]):.4g}"
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
