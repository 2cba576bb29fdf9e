"""Array helpers for preparing data: scaling, standardising, one-hot, flattening, seeded splits.

All take and return NumPy arrays and never modify their input.
"""

import numpy

from mlplab.backend import to_numpy
from mlplab.random import generator_or_default


def scale_to_unit(x):
    """Scale 8-bit pixel values to float32 in [0, 1] (x / 255).

    Parameters
    ----------
    x : numpy.ndarray
        uint8 array of any shape (a batch or a whole data set).

    Returns
    -------
    numpy.ndarray
        float32 array of the same shape.
    """
    x = numpy.asarray(x)
    if x.dtype != numpy.uint8:
        raise TypeError(
            f"scale_to_unit expects uint8 pixel values (0-255), got dtype {x.dtype}; "
            "float data is probably scaled already"
        )
    out = x.astype(numpy.float32)
    out *= numpy.float32(1.0 / 255.0)
    return out


def flatten_images(x):
    """Flatten each sample to a vector: (N, H, W, ...) -> (N, H*W*...), a view when possible.

    Parameters
    ----------
    x : numpy.ndarray
        Array of shape (N, ...) with at least one dimension after N.

    Returns
    -------
    numpy.ndarray
        Shape (N, prod(rest)), same dtype.
    """
    x = numpy.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"flatten_images expects shape (N, ...) with ndim >= 2, got {x.shape}")
    return x.reshape(x.shape[0], -1)


def standardization(x, eps=1e-8):
    """The per-feature mean and standard deviation of samples ``x`` (N, ...), in float64.

    The one place mlplab computes standardisation statistics: :func:`standardize`, a run's input
    scaling and a regression task's target scaling all use it.

    Parameters
    ----------
    x : numpy.ndarray
        Samples along axis 0.
    eps : float
        Floor for the std, so constant features (e.g. always-black border pixels) stay finite.

    Returns
    -------
    tuple of numpy.ndarray
        ``(mean, std)``, each float64 of shape ``x.shape[1:]``.
    """
    x = numpy.asarray(x)
    return x.mean(axis=0, dtype=numpy.float64), numpy.maximum(
        x.std(axis=0, dtype=numpy.float64), eps
    )


def standardize(x_train, *others, eps=1e-8):
    """Standardise features to zero mean and unit variance, with statistics from ``x_train`` only.

    Parameters
    ----------
    x_train : numpy.ndarray
        Training inputs, shape (N, ...); mean and std are taken over axis 0.
    *others : numpy.ndarray
        Further arrays (validation, test) transformed with the training statistics.
    eps : float
        Floor for the std, so constant features (e.g. always-black border pixels) stay finite.

    Returns
    -------
    tuple
        ``(x_train_std, *others_std, mean, std)``; floats keep their dtype (float32 for
        integer input), ``mean`` and ``std`` have shape ``x_train.shape[1:]``.
    """
    x_train = numpy.asarray(x_train)
    dtype = x_train.dtype if x_train.dtype.kind == "f" else numpy.dtype(numpy.float32)
    mean, std = standardization(x_train, eps)
    mean, std = mean.astype(dtype), std.astype(dtype)
    scaled = [
        ((numpy.asarray(x, dtype=dtype) - mean) / std).astype(dtype) for x in (x_train, *others)
    ]
    return (*scaled, mean, std)


def one_hot(labels, num_classes, dtype=numpy.float32):
    """One-hot encode integer labels.

    Parameters
    ----------
    labels : array_like of int
        Shape (N,), values in [0, num_classes).
    num_classes : int
    dtype : numpy dtype
        Output dtype (float32 by default).

    Returns
    -------
    numpy.ndarray
        Shape (N, num_classes).
    """
    labels = numpy.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot expects integer labels, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), found values from "
            f"{labels.min()} to {labels.max()}"
        )
    out = numpy.zeros((*labels.shape, num_classes), dtype=dtype)
    numpy.put_along_axis(out, labels[..., None].astype(numpy.intp), 1, axis=-1)
    return out


def train_val_split(x, y, val_fraction, generator=None):
    """Split samples at random into training and validation parts, reproducibly.

    Parameters
    ----------
    x : numpy.ndarray
        Inputs, shape (N, ...).
    y : numpy.ndarray
        Targets, shape (N, ...).
    val_fraction : float
        Share of the samples that go to validation, in (0, 1); rounded to whole samples, at
        least one on each side.
    generator : mlplab.random.Generator, optional
        Source of the permutation (default: ``mlplab.random.default_generator``).

    Returns
    -------
    tuple
        ``(x_train, y_train, x_val, y_val)``.
    """
    x, y = numpy.asarray(x), numpy.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} samples vs {len(y)} targets")
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"Invalid val_fraction {val_fraction!r}: use a number in (0, 1)")
    n = len(x)
    if n < 2:
        raise ValueError(f"Cannot split {n} sample(s) into two non-empty parts")
    n_val = min(max(round(n * val_fraction), 1), n - 1)
    # Both parts come out in the permutation's order: shuffled, even when x is sorted by class.
    order = to_numpy(generator_or_default(generator).permutation(n))
    train, val = order[n_val:], order[:n_val]
    return x[train], y[train], x[val], y[val]
