"""``mlplab export``: a trained model as an ONNX file, for serving runtimes."""

import argparse
from pathlib import Path

from mlplab.cli.config import UsageError
from mlplab.experiment.saved import SavedRun

DATA_KEY = "mlplab.data"
"""Metadata key of what the training data were (features, classes or targets), as JSON."""


def add_parser(subparsers):
    """Register ``export`` and its options."""
    parser = subparsers.add_parser(
        "export",
        help="write a trained model as an ONNX file",
        description="Export a trained model to ONNX (opset 17), checked by onnx.checker: its "
        "linear layers and activations, without dropout. The file's metadata records how raw "
        "inputs are scaled for it (mlplab.preprocessing) and what the training data were "
        '(mlplab.data). Needs the onnx package: pip install "mlplab[onnx]".',
        epilog="example: mlplab export runs/fashion --onnx fashion.onnx --softmax",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", help="run folder, or a model .safetensors file")
    parser.add_argument("--onnx", metavar="FILE", required=True, help="the ONNX file to write")
    parser.add_argument(
        "--softmax",
        action="store_true",
        help="end with a softmax, so the file outputs class probabilities instead of logits",
    )
    parser.set_defaults(handler=run)


def run(args):
    """Export as ``args`` say; returns the exit code."""
    from mlplab import onnx

    target = Path(args.onnx)
    if not target.parent.is_dir():
        raise UsageError(f"--onnx: folder {target.parent} does not exist")
    saved = SavedRun.open(args.run)
    config = saved.config or {}
    metadata = {DATA_KEY: config["data"]} if "data" in config else {}
    try:
        onnx.export(
            saved.model,
            target,
            softmax=args.softmax,
            preprocessing=config.get("preprocessing"),
            metadata=metadata,
        )
    except (onnx.OnnxExportError, ImportError) as error:
        raise UsageError(str(error)) from None
    outputs = "class probabilities" if args.softmax else "the network's outputs"
    print(f"Wrote {target} (ONNX opset {onnx.OPSET}): input 'input', output 'output' ({outputs})")
    if "preprocessing" not in config:
        print("  (a model file without its run: no input scaling recorded)")
    return 0
