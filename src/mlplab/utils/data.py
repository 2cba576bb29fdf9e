"""``mlplab.utils.data``: PyTorch's Dataset, TensorDataset, random_split and DataLoader.

Where PyTorch users look (``torch.utils.data``). A data set is anything with ``__len__`` and
``__getitem__``; :class:`DataLoader` batches one by PyTorch's default collation (samples that are
tuples give a list of batched tensors; Python ints become int64, floats float64, as PyTorch's
``default_collate`` does). A :class:`TensorDataset` of two tensors takes the fast path:
:class:`mlplab.data.DataLoader`'s slicing of whole arrays, with no per-sample Python work.
Shuffling draws from an mlplab :class:`~mlplab.random.Generator` (the default one unless
``generator`` is given), so the order is reproducible for a seed, though not PyTorch's.
"""

import math
import numbers

import numpy

from mlplab.backend import xp
from mlplab.functional import stack
from mlplab.random import generator_or_default
from mlplab.tensor import Tensor, as_tensor


class Dataset:
    """Base class of map-style data sets: subclasses define ``__len__`` and ``__getitem__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples taken along the first axis of tensors of one length: ``dataset[i]`` is a tuple."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(as_tensor(t) for t in tensors)
        lengths = {len(t) for t in self.tensors}
        if len(lengths) != 1:
            shapes = ", ".join(str(t.shape) for t in self.tensors)
            raise ValueError(
                f"Size mismatch between tensors: shapes {shapes}; the first axes differ"
            )

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def _split_lengths(lengths, total):
    """Whole lengths from ``lengths`` (counts, or fractions that sum to 1 as PyTorch allows)."""
    if all(isinstance(n, numbers.Integral) for n in lengths):
        counts = [int(n) for n in lengths]
    elif math.isclose(sum(lengths), 1) and all(0 <= f <= 1 for f in lengths):
        counts = [math.floor(total * f) for f in lengths]
        for i in range(total - sum(counts)):  # the remainder, one each, round robin
            counts[i % len(counts)] += 1
    else:
        raise ValueError(f"random_split: lengths {lengths} are neither counts nor fractions")
    if sum(counts) != total:
        raise ValueError(
            f"Sum of input lengths ({sum(counts)}) does not equal the length of the input "
            f"dataset ({total})"
        )
    return counts


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s of ``lengths``."""
    counts = _split_lengths(list(lengths), len(dataset))
    order = numpy.asarray(generator_or_default(generator).permutation(len(dataset)))
    subsets, start = [], 0
    for count in counts:
        subsets.append(Subset(dataset, order[start : start + count].tolist()))
        start += count
    return subsets


def default_collate(samples):
    """Stack a list of samples into a batch, as PyTorch's ``default_collate`` does."""
    first = samples[0]
    if isinstance(first, Tensor):
        return stack(samples)
    if isinstance(first, numpy.ndarray | xp.ndarray):
        return as_tensor(numpy.stack([numpy.asarray(s) for s in samples]))
    if isinstance(first, bool | numpy.bool_):
        return as_tensor(numpy.asarray(samples, dtype=numpy.bool_))
    if isinstance(first, numbers.Integral):
        return as_tensor(numpy.asarray(samples, dtype=numpy.int64))
    if isinstance(first, numbers.Real):
        return as_tensor(numpy.asarray(samples, dtype=numpy.float64))
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, tuple | list):
        if len({len(s) for s in samples}) != 1:
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(group)) for group in zip(*samples, strict=True)]
    if isinstance(first, str):
        return list(samples)
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; return "
        "tensors, arrays, numbers, tuples or dicts from __getitem__, or pass collate_fn"
    )


class DataLoader:
    """Batches of ``dataset``: ``for x, y in DataLoader(dataset, batch_size=64, shuffle=True)``.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``__len__`` and ``__getitem__`` (kept as ``loader.dataset``).
    batch_size : int
        Samples per batch; the last batch may be smaller unless ``drop_last``.
    shuffle : bool
        A new random order each epoch, drawn from ``generator`` when the epoch starts.
    drop_last : bool
        Skip a final batch smaller than ``batch_size``.
    generator : mlplab.random.Generator, optional
        Source of the shuffling (default ``mlplab.random.default_generator``).
    collate_fn : callable, optional
        Turns a list of samples into a batch (default :func:`default_collate`).
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        drop_last=False,
        generator=None,
        collate_fn=None,
        num_workers=0,
        pin_memory=False,
    ):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader needs a map-style data set (with __len__ and __getitem__), got "
                f"{type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"Invalid batch_size {batch_size!r}: use a positive integer")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"Invalid num_workers {num_workers!r}: use 0 or more")
        # num_workers and pin_memory are accepted for scripts that pass them; batches are made
        # in this process (worker processes would only add start-up cost for in-memory data).
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __len__(self):
        """Number of batches per epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = None
        if self.shuffle:
            order = numpy.asarray(generator_or_default(self.generator).permutation(n))
        if self._fast():
            return self._tensor_batches(order)
        return self._collated_batches(order)

    def _fast(self):
        """True for a TensorDataset with the default collation: batches are array slices."""
        return isinstance(self.dataset, TensorDataset) and self.collate_fn is default_collate

    def _bounds(self):
        """(start, stop) of each batch of the epoch."""
        n, size = len(self.dataset), self.batch_size
        return [(start, min(start + size, n)) for start in range(0, len(self) * size, size)]

    def _tensor_batches(self, order):
        """Batches of a TensorDataset by slicing (or fancy indexing) its arrays at once."""
        arrays = [t._data for t in self.dataset.tensors]
        for start, stop in self._bounds():
            if order is None:  # a copy, as PyTorch's batches are: not a view of the data set
                yield [Tensor._make(a[start:stop].copy()) for a in arrays]
            else:
                index = order[start:stop]
                yield [Tensor._make(a[index]) for a in arrays]

    def _collated_batches(self, order):
        """Batches of any data set, one ``dataset[i]`` per sample, collated."""
        for start, stop in self._bounds():
            indices = range(start, stop) if order is None else order[start:stop].tolist()
            yield self.collate_fn([self.dataset[i] for i in indices])


__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
