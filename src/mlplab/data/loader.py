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


def _check_float_dtype(dtype):
    """``dtype`` as float32 or float64, or a ValueError naming it."""
    try:
        # numpy.dtype(None) is float64: refuse None rather than pick a precision silently.
        resolved = None if dtype is None else numpy.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in (numpy.float32, numpy.float64):
        raise ValueError(f"DataLoader: invalid dtype {dtype!r}; use 'float32' or 'float64'")
    return resolved


def _batch_tensor(array, dtype):
    """Wrap a batch by the dtype rules of :class:`DataLoader` (see its Notes)."""
    kind = array.dtype.kind
    if kind in "iu" and array.ndim == 1:
        array = array.astype(numpy.int64, copy=False)
    elif kind in "fiu":
        # Converted, never rescaled: pixel values 0-255 stay 0-255, scaling is the transform's job.
        array = array.astype(dtype, copy=False)
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
        Applied to each input batch (a NumPy array) before the dtype rules below, e.g.
        :func:`mlplab.data.scale_to_unit`, so that uint8 images stay compact in memory and are
        scaled one batch at a time.
    dtype : str
        The dtype of float batches: "float32" (default, that of mlplab's layers) or "float64"
        (for a model built with ``dtype="float64"``).

    Notes
    -----
    Batches are Tensors without gradient. The same rules apply to inputs and targets:

    - float arrays of any precision become ``dtype`` (float32 unless told otherwise);
    - integer arrays of shape (N,) become int64: class labels, what the losses expect;
    - integer arrays of two or more axes, e.g. uint8 images (N, 28, 28), become ``dtype`` **with
      their values unchanged**: pixels 0-255 stay 0-255 (unlike torchvision's ``ToTensor``,
      nothing is divided by 255), so pass ``transform=scale_to_unit`` to scale them (float32
      holds integers exactly up to 2**24);
    - bool arrays are kept as they are.

    One float dtype for every batch matters because :class:`mlplab.nn.Linear` refuses an input
    whose dtype is not its own, as PyTorch's does: match ``dtype`` to the model's.
    """

    def __init__(
        self,
        x,
        y,
        batch_size=1,
        shuffle=False,
        drop_last=False,
        generator=None,
        transform=None,
        dtype="float32",
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
        self.dtype = _check_float_dtype(dtype)

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
            yield _batch_tensor(numpy.asarray(x), self.dtype), _batch_tensor(y, self.dtype)
