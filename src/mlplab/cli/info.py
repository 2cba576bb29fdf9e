"""``mlplab info``: a saved model's architecture, parameter counts and training config."""

import argparse
import json

from mlplab.cli import runs
from mlplab.cli.config import UsageError
from mlplab.data import available_datasets


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
    folder, model_path = runs.locate_run(args.run)
    model = runs.load_model(model_path)
    print(f"model: {model_path}")
    print(model)
    print()
    print(model.summary())
    try:
        document = runs.model_run_config(folder, model_path)
    except UsageError:
        print("\n(not saved by 'mlplab train': training settings unknown)")
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
    results_path = folder / runs.RESULTS
    if results_path.exists():
        try:
            results = json.loads(results_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot read {results_path}: {error}") from None
        figures = "  ".join(
            f"{key} {value:.4f}"
            for key, value in results["test"].items()
            if isinstance(value, float)
        )
        print(f"results after {results['epochs']} epochs: test {figures}")
    return 0
