"""Functions under PyTorch's top-level names where their signatures differ from mlplab.functional.

``torch.max(x, 1)`` gives ``(values, indices)``, ``torch.argmax(x, dim=1)`` indices,
``torch.numel(x)`` a count: each here is a thin call to the Tensor method of that name, so a
script's ``torch.f(x, ...)`` and ``x.f(...)`` agree, as they do in PyTorch.
"""

from mlplab.functional import _tensor
from mlplab.tensor import Tensor


def max(input, dim=None, keepdim=False):
    """The largest value, ``(values, indices)`` along ``dim``, or the elementwise max of two."""
    return _tensor(input).max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    """The smallest value, ``(values, indices)`` along ``dim``, or the elementwise min of two."""
    return _tensor(input).min(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    """Indices of the largest values along ``dim`` (of the flattened tensor when None)."""
    return _tensor(input).argmax(dim=dim, keepdim=keepdim)


def argmin(input, dim=None, keepdim=False):
    """Indices of the smallest values along ``dim`` (of the flattened tensor when None)."""
    return _tensor(input).argmin(dim=dim, keepdim=keepdim)


def amax(input, dim=None, keepdim=False):
    """Largest values over ``dim`` (several dims allowed)."""
    return _tensor(input).amax(dim, keepdim)


def amin(input, dim=None, keepdim=False):
    """Smallest values over ``dim`` (several dims allowed)."""
    return _tensor(input).amin(dim, keepdim)


def numel(input):
    """The number of elements of a tensor."""
    return _tensor(input).numel()


def is_tensor(obj):
    """True for an mlplab Tensor (or Parameter)."""
    return isinstance(obj, Tensor)


def flatten(input, start_dim=0):
    """Merge the dimensions from ``start_dim`` on into one."""
    return _tensor(input).flatten(start_dim)


def squeeze(input, dim=None):
    """Remove dimensions of length one."""
    return _tensor(input).squeeze(dim)


def unsqueeze(input, dim):
    """Insert a dimension of length one at ``dim``."""
    return _tensor(input).unsqueeze(dim)


def transpose(input, dim0, dim1):
    """Swap two dimensions."""
    return _tensor(input).transpose(dim0, dim1)
