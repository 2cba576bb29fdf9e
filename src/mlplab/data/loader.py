"""DataLoader: mini-batches of a data set held in memory, optionally shuffled, as Tensors.

Shuffling draws one permutation from the generator when an epoch's iteration *starts*
(``iter(loader)``), so the generator's state at an epoch boundary fixes that whole epoch: restore
the state and the epoch repeats batch for batch, which exact resume relies on. Each batch is
gathered by indexing with its slice of the permutation; the data set itself is never copied.
"""

import math

import numpy

from mlplab.random import generator_or_default
from mlplab.tensor import Tensor, from_numpy


def _as_numpy(array, what):
    """Accept NumPy arrays and Tensors; refuse anything without a length."""
    if isinstance(array, Tensor):
        return array.numpy()
    array = numpy.asarray(array)
    if array.ndim == 0:
        raise ValueError(f"DataLoader: {what} must have a sample axis, got a scalar")
    return array


def _batch_tensor(array):
    """Wrap a batch: floats as float32, integer class labels as int64, others as they are."""
    if array.dtype.kind == "f" and array.dtype != numpy.float32:
        array = array.astype(numpy.float32)
    elif array.dtype.kind in "iu" and array.ndim == 1:
        array = array.astype(numpy.int64, copy=False)
    return from_numpy(numpy.ascontiguousarray(array))


class DataLoader:
    """Iterate over ``(x_batch, y_batch)`` Tensor pairs, one epoch per ``for`` loop.

    Parameters
    ----------
    x : numpy.ndarray or Tensor
        Inputs, shape (N, ...).
    y : numpy.ndarray or Tensor
        Targets, shape (N, ...).
    batch_size : int
        Samples per batch (the last batch may be smaller unless ``drop_last``).
    shuffle : bool
        Visit samples in a new random order each epoch.
    drop_last : bool
        Skip a final batch smaller than ``batch_size``.
    generator : mlplab.random.Generator, optional
        Source of the shuffling (default ``mlplab.random.default_generator``).
    transform : callable, optional
        Applied to each input batch (a NumPy array) before it becomes a Tensor, e.g.
        :func:`mlplab.data.scale_to_unit` to keep uint8 images compact in memory.

    Notes
    -----
    Batches are Tensors without gradient. Float inputs and targets become float32; integer
    labels of shape (N,) become int64 (what the losses expect); other integer inputs are kept,
    so scale images (``transform=scale_to_unit``) before feeding a network.
    """

    def __init__(
        self, x, y, batch_size=1, shuffle=False, drop_last=False, generator=None, transform=None
    ):
        self.x = _as_numpy(x, "x")
        self.y = _as_numpy(y, "y")
        if len(self.x) != len(self.y):
            raise ValueError(
                f"DataLoader: x has {len(self.x)} samples but y has {len(self.y)}; they must match"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"Invalid batch_size {batch_size!r}: use a positive integer")
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: transform must be callable, got {transform!r}")
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.transform = transform

    def __len__(self):
        """Number of batches per epoch."""
        n = len(self.x)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def num_samples(self):
        """Number of samples in the data set."""
        return len(self.x)

    def __iter__(self):
        # Drawn here, not inside the generator function below, so that the permutation is taken
        # the moment the epoch starts even if no batch is ever requested.
        order = None
        if self.shuffle:
            generator = generator_or_default(self.generator)
            order = numpy.asarray(generator.permutation(len(self.x)))
        return self._batches(order)

    def _batches(self, order):
        """Yield the epoch's batches in ``order`` (None: in storage order, as views)."""
        size = self.batch_size
        for start in range(0, len(self) * size, size):
            stop = min(start + size, len(self.x))
            if order is None:
                x, y = self.x[start:stop], self.y[start:stop]
            else:
                index = order[start:stop]
                x, y = self.x[index], self.y[index]
            if self.transform is not None:
                x = self.transform(x)
            yield _batch_tensor(numpy.asarray(x)), _batch_tensor(y)
