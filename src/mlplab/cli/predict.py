"""``mlplab predict``: a trained model's predictions for inputs in IDX, .npy or image files."""

import argparse
import csv
import itertools
import math
from pathlib import Path

import numpy

from mlplab.cli.config import UsageError
from mlplab.data import IDXError, read_idx
from mlplab.experiment.data import target_names
from mlplab.experiment.saved import InputError, SavedRun
from mlplab.utils import atomic_write

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def add_parser(subparsers):
    """Register ``predict`` and its options."""
    parser = subparsers.add_parser(
        "predict",
        help="predict classes or values for new inputs",
        description="Predict with a trained model. Inputs: IDX files (raw or .gz, e.g. MNIST "
        "images), .npy arrays (one sample, or N samples along the first axis), CSV files (one "
        "sample per row, an optional header), or images (PNG, JPEG: turned to grey, resized to "
        "the model's input size). Inputs are given raw and scaled exactly as the training data "
        "were; values outside the training range are refused.",
        epilog="examples:\n  mlplab predict runs/mnist t10k-images-idx3-ubyte.gz --output p.csv\n"
        "  mlplab predict runs/mnist digit.png --invert    (dark digit on a light background)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", metavar="RUN", help="run folder, or the model.safetensors in one")
    parser.add_argument("inputs", metavar="INPUT", nargs="+", help="IDX, .npy, .csv or image files")
    parser.add_argument(
        "--invert",
        action="store_true",
        help="invert images (MNIST-style sets show light strokes on black)",
    )
    parser.add_argument(
        "--output", metavar="FILE", help="also write the predictions to FILE (.csv or .npy)"
    )
    parser.add_argument(
        "--proba",
        action="store_true",
        help="give every class's probability (printed, and as columns of --output CSV)",
    )
    parser.add_argument(
        "--limit",
        type=_count,
        default=20,
        metavar="N",
        help="print at most N rows (default 20; 0 prints none, e.g. with --output)",
    )
    parser.set_defaults(handler=run)


def run(args):
    """Predict as ``args`` say; returns the exit code."""
    saved = SavedRun.open(args.run)
    description = saved.description
    if args.output and Path(args.output).suffix not in (".csv", ".npy"):
        raise UsageError(f"--output {args.output}: use a .csv or .npy file name")
    if args.output and not Path(args.output).resolve().parent.is_dir():
        raise UsageError(f"--output: folder {Path(args.output).parent} does not exist")
    if args.proba and saved.task.targets != "classes":
        raise UsageError("--proba: class probabilities exist for classification runs only")
    sources = [(path, _read_inputs(Path(path), saved, args.invert)) for path in args.inputs]
    inputs = sources[0][1] if len(sources) == 1 else numpy.concatenate([x for _, x in sources])
    try:
        if saved.task.targets == "classes":
            array = saved.predict_proba(inputs)
            rows = _classes(array, description["class_names"], args.proba)
        else:
            array = saved.predict(inputs)
            rows = _values(array, target_names(description))
    except InputError as error:
        raise UsageError(f"{', '.join(args.inputs)}: {error}") from None
    _print(_names(sources), rows, len(array), args.limit)
    if args.output:
        _write(Path(args.output), _names(sources), rows, array)
    return 0


def _names(sources):
    """The name of every sample: the file, and ``[i]`` for files holding several."""
    for path, samples in sources:
        if len(samples) == 1:
            yield path
        else:
            yield from (f"{path}[{i}]" for i in range(len(samples)))


def _read_inputs(path, saved, invert):
    """The raw samples in one file, as an array (N, ...); UsageError if unusable."""
    if not path.is_file():
        raise UsageError(f"cannot read input {path}: no such file")
    description = saved.description
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _read_image(path, description, saved.config["preprocessing"], invert)
    try:
        array = _read_array(path)
    except (OSError, ValueError, IDXError) as error:
        raise UsageError(f"cannot read input {path}: {error}") from None
    if invert:
        raise UsageError("--invert applies to image files only")
    features = description["num_features"]
    if array.size == features:
        array = array.reshape(1, features)
    if array.ndim == 0 or math.prod(array.shape[1:]) != features:
        raise UsageError(
            f"{path} holds an array of shape {array.shape}, but the model takes samples of "
            f"{features} values ({'x'.join(map(str, description['feature_shape']))})"
        )
    if array.dtype.kind not in "biuf":
        raise UsageError(f"{path} holds {array.dtype} data, not numbers")
    return array.reshape(len(array), features)


def _read_array(path):
    """The array in an .npy, .csv or IDX file (raw or gzip)."""
    if path.suffix == ".npy":
        return numpy.load(path, allow_pickle=False)
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8") as handle:
            first = handle.readline()
        try:
            [float(field) for field in first.split(",")]
            header = 0
        except ValueError:
            header = 1  # a first line of column names
        return numpy.loadtxt(path, delimiter=",", skiprows=header, ndmin=2)
    return read_idx(path)


def _count(text):
    """A non-negative integer for argparse, with a message naming the problem."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more rows, got {value}")
    return value


def _read_image(path, description, preprocessing, invert):
    """A picture as one raw sample: grey, resized to the input's shape, in the input's range."""
    from PIL import Image, UnidentifiedImageError

    shape = description.get("image_shape")
    if not shape or preprocessing["inputs"]["kind"] != "scale":
        raise UsageError(
            f"{path}: this model does not take images (its inputs are "
            f"{description['feature_shape']} values of {description['dataset']})"
        )
    try:
        with Image.open(path) as image:
            grey = image.convert("L").resize((shape[1], shape[0]), Image.Resampling.LANCZOS)
            pixels = numpy.asarray(grey, dtype=numpy.float64) / 255.0
    except (OSError, UnidentifiedImageError) as error:
        raise UsageError(f"cannot read image {path}: {error}") from None
    if invert:
        pixels = 1.0 - pixels
    # Raw training inputs run from 0 to full scale 1/factor (255, or 16 for digits).
    return pixels.reshape(1, -1) / preprocessing["inputs"]["factor"]


def _classes(probabilities, class_names, every=False):
    """Rows of predicted class, its name and probability (and, with ``every``, each class's
    probability ``p_<name>``), one per row of ``probabilities``, made as they are read."""
    names = class_names or [str(c) for c in range(probabilities.shape[1])]

    def rows():
        for row in probabilities:
            best = int(row.argmax())
            entry = {"class": best, "name": names[best], "probability": float(row[best])}
            if every:
                entry.update({f"p_{name}": float(p) for name, p in zip(names, row, strict=True)})
            yield entry

    return rows


def _values(values, names):
    """Rows of each target's predicted value, one per row of ``values``, made as they are read."""

    def rows():
        for row in values:
            yield dict(zip(names, map(float, row), strict=True))

    return rows


def _print(names, rows, count, limit):
    """Print the first ``limit`` of ``count`` rows of predictions."""
    shown = list(itertools.islice(zip(names, rows(), strict=False), limit))
    width = min(max((len(name) for name, _ in shown), default=0), 60)
    for name, row in shown:
        if "class" in row:
            text = f"class {row['class']} ({row['name']})  p={row['probability']:.3f}"
            every = [f"{key[2:]} {value:.3f}" for key, value in row.items() if key[:2] == "p_"]
            if every:
                text += "  [" + "  ".join(every) + "]"
        else:
            text = "  ".join(f"{key} {value:.4g}" for key, value in row.items())
        print(f"{name:<{width}}  {text}")
    if count > limit:
        print(f"... {count - limit} more (use --limit or --output)")


def _write(path, names, rows, outputs):
    """Write the predictions as CSV (one row per input, streamed) or .npy, atomically.

    The .npy holds class probabilities (N, C), or values in the data's units (N, T).
    """
    if path.suffix == ".npy":
        with atomic_write(path) as handle:
            numpy.save(handle, outputs, allow_pickle=False)
    else:
        with atomic_write(path, "w") as handle:
            writer = None
            for name, row in zip(names, rows(), strict=True):
                if writer is None:
                    writer = csv.DictWriter(handle, ["input", *row], lineterminator="\n")
                    writer.writeheader()
                writer.writerow({"input": name, **row})
    print(f"Predictions written to {path}")
