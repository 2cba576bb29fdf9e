"""``mlplab info``: a saved model's architecture, parameter counts and training config."""

import argparse

from mlplab.cli.config import UsageError
from mlplab.cli.train import format_test
from mlplab.data import available_datasets
from mlplab.experiment.saved import SavedRun


def add_parser(subparsers):
    """Register ``info`` and its options."""
    parser = subparsers.add_parser(
        "info",
        help="architecture, parameters and training config of a saved model",
        description="Describe a trained model: its layers, its parameter counts (trainable and "
        "frozen), the settings it was trained with and its test results. With --datasets, "
        "list the data sets mlplab knows.",
        epilog="examples:\n  mlplab info runs/digits-20260101-120000\n  mlplab info --datasets",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "run", metavar="RUN", nargs="?", help="run folder, or a model .safetensors file"
    )
    parser.add_argument("--datasets", action="store_true", help="list the known data sets")
    parser.set_defaults(handler=run)


def run(args):
    """Describe as ``args`` say; returns the exit code."""
    if args.datasets:
        for name, description in available_datasets().items():
            print(f"{name:<14} {description}")
        if args.run is None:
            return 0
    if args.run is None:
        raise UsageError("give a run folder or model file (or --datasets)")
    saved = SavedRun.open(args.run)
    print(f"model: {saved.model_path}")
    print(saved.model)
    print()
    print(saved.model.summary())
    document = saved.config
    if document is None:
        print("\n(not saved by a training run: training settings unknown)")
        return 0
    data = document["data"]
    print(
        f"\ntrained on {data['dataset']} ({data['task']}; {data['samples']['train']} training, "
        f"{data['samples']['val']} validation, {data['samples']['test']} test samples) "
        f"with mlplab {document.get('mlplab_version', '?')}"
    )
    print("settings:")
    for key, value in document["settings"].items():
        if value is not None:
            print(f"  {key.replace('_', '-'):<13} {value}")
    results = saved.results
    if results is not None:
        print(f"results after {results['epochs']} epochs: test {format_test(results['test'])}")
    return 0
