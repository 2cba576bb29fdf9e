"""Your own data as a CSV file: one row per sample, the inputs, then the class or the target.

``csv`` reads the last column as class labels (any text or integers: the classes are their
distinct values, sorted), ``csv-regression`` as a real-valued target. A first row that is not
all numbers is the header and names the columns. The test split is drawn from
``mlplab.random.Generator(seed)`` as the generated sets' is, so the same file and seed always give
the same split; files with one or two input columns take ``features`` like the generated sets.
"""

import csv
import math
from pathlib import Path

import numpy

from mlplab.data.dataset import Dataset
from mlplab.data.features import map_features
from mlplab.data.transforms import train_val_split
from mlplab.random import Generator

MAX_BYTES = 64 * 2**20  # a CSV larger than this is refused before it is read


def load_csv_classes(*, path=None, test_fraction=0.2, seed=0, features=None):
    """A classification set from the CSV at ``path``: inputs, then the class of each row.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file (required; UTF-8, comma-separated).
    test_fraction : float
        Share of the rows held out as the test split, in (0, 1).
    seed : int
        Fixes the test split.
    features : sequence of str, optional
        Input feature maps (``mlplab.data.features``) of a file with one or two input columns;
        default: the columns as they are.

    Returns
    -------
    Dataset
        x float32 (N, inputs or len(features)), y int64 (N,); ``class_names`` are the distinct
        labels, sorted (as numbers when all are numbers).
    """
    names, inputs, labels, _ = _read(path, test_fraction)
    classes = sorted(set(labels), key=_label_order)
    if len(classes) < 2:
        raise ValueError(
            f"Invalid CSV {path}: its last column holds one class only, {classes[0]!r}"
        )
    index = {label: k for k, label in enumerate(classes)}
    y = numpy.asarray([index[label] for label in labels], dtype=numpy.int64)
    return _dataset("csv", path, names, inputs, y, test_fraction, seed, features, classes)


def load_csv_values(*, path=None, test_fraction=0.2, seed=0, features=None):
    """A regression set from the CSV at ``path``: inputs, then the real-valued target of each row.

    Parameters and returns as :func:`load_csv_classes`, with y float32 (N, 1).
    """
    names, inputs, labels, first_row = _read(path, test_fraction)
    y = _numbers([[label] for label in labels], path, len(names) + 1, first_row)
    return _dataset("csv-regression", path, names, inputs, y, test_fraction, seed, features, None)


def _read(path, test_fraction):
    """Column names, input rows (float64 (N, d)), last-column texts, and the first data row's
    number in the file, of the CSV at ``path``."""
    if path is None:
        raise ValueError(
            'a CSV data set needs its file: give the option path, e.g. path = "my.csv"'
        )
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"Invalid test_fraction {test_fraction!r}: use a number in (0, 1)")
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ValueError(f"Invalid CSV {path}: larger than {MAX_BYTES // 2**20} MiB")
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read CSV {path}: {error}") from None
    if rows and not all(_is_number(cell) for cell in rows[0][:-1]):
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
    else:
        header = None
    if len(rows) < 4:
        raise ValueError(f"Invalid CSV {path}: {len(rows)} data rows; give at least 4")
    first_row = 2 if header else 1
    width = len(header or rows[0])
    if width < 2:
        raise ValueError(f"Invalid CSV {path}: one column; give the inputs, then the class/target")
    for number, row in enumerate(rows, start=first_row):
        if len(row) != width:
            raise ValueError(
                f"Invalid CSV {path}: row {number} has {len(row)} columns, not {width}"
            )
    names = header[:-1] if header else [f"x{i + 1}" for i in range(width - 1)]
    inputs = _numbers([row[:-1] for row in rows], path, 1, first_row)
    return names, inputs, [row[-1].strip() for row in rows], first_row


def _numbers(rows, path, first_column, first_row):
    """``rows`` of text as float64, or ValueError naming the row and column (counted from 1 in
    the file, from ``first_row`` and ``first_column``) of the first bad cell."""
    try:
        values = numpy.asarray(rows, dtype=numpy.float64)
    except ValueError:
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if not _is_number(cell):
                    raise ValueError(
                        f"Invalid CSV {path}: row {first_row + r}, column {first_column + c} "
                        f"holds {cell!r}, not a number"
                    ) from None
        raise
    if not numpy.isfinite(values).all():
        r, c = numpy.argwhere(~numpy.isfinite(values))[0]
        raise ValueError(
            f"Invalid CSV {path}: row {first_row + r}, column {first_column + c} is not finite"
        )
    return values


def _is_number(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _label_order(label):
    """Numbers in numeric order before any text."""
    return (0, float(label), "") if _is_number(label) else (1, 0.0, label)


def _dataset(name, path, names, inputs, y, test_fraction, seed, features, classes):
    """Map, split and wrap the rows of a CSV."""
    generator = Generator(seed)
    x = inputs.astype(numpy.float32) if features is None else map_features(inputs, features)
    x_train, y_train, x_test, y_test = train_val_split(x, y, test_fraction, generator)
    meta = {"path": str(path), "columns": list(names), "seed": generator.initial_seed()}
    if features is not None or inputs.shape[1] <= 2:
        meta["features"] = list(features or ["x1", "x2"][: inputs.shape[1]])
    return Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        task="classification" if classes else "regression",
        num_classes=len(classes) if classes else None,
        feature_shape=(x.shape[1],),
        class_names=tuple(classes) if classes else None,
        target_names=None if classes else ("y",),
        meta=meta,
    )
