"""Utilities over a model's parameters: gradient clipping."""

import math
import numbers

from mlplab.backend import xp
from mlplab.tensor import Tensor


def _grads(parameters):
    """The gradients (arrays) of ``parameters`` (a Tensor or an iterable of them) that have one."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = []
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters must be Tensors, but item {i} is a {type(p).__name__}")
        if p._grad is not None:
            grads.append(p._grad)
    return grads


def _vector_norm(array, norm_type):
    """The ``norm_type``-norm of ``array`` taken as one flat vector, as a Python float."""
    flat = array.reshape(-1)
    if flat.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(xp.max(xp.abs(flat)))
    if norm_type == -math.inf:
        return float(xp.min(xp.abs(flat)))
    if norm_type == 0:
        return float(xp.count_nonzero(flat))
    if norm_type == 2:
        flat = flat.astype(xp.float64, copy=False)
        return math.sqrt(float(xp.dot(flat, flat)))
    if norm_type == 1:
        return float(xp.sum(xp.abs(flat), dtype=xp.float64))
    return float(xp.sum(xp.abs(flat) ** norm_type, dtype=xp.float64)) ** (1.0 / norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector; when it
    exceeds ``max_norm`` every gradient is multiplied by ``max_norm / (norm + 1e-6)``, as
    ``torch.nn.utils.clip_grad_norm_`` does. Parameters without a gradient are skipped.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        The parameters whose ``.grad`` arrays are clipped.
    max_norm : float
        The largest norm allowed, >= 0.
    norm_type : float
        The order p of the norm (``math.inf`` for the largest absolute value).
    error_if_nonfinite : bool
        Raise RuntimeError instead of scaling when the norm is NaN or infinite.

    Returns
    -------
    Tensor, shape ()
        The total norm of the gradients before clipping.
    """
    if not isinstance(max_norm, numbers.Real) or not max_norm >= 0:
        raise ValueError(f"max_norm must be a number >= 0, got {max_norm!r}")
    if not isinstance(norm_type, numbers.Real) or isinstance(norm_type, bool):
        raise ValueError(f"norm_type must be a number (or math.inf), got {norm_type!r}")
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    norms = xp.asarray([_vector_norm(g, norm_type) for g in grads], dtype=xp.float64)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the gradients "
            "by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    coefficient = max_norm / (total + 1e-6)
    # min() would return 1.0 for a NaN coefficient; PyTorch's clamp keeps the NaN.
    if not coefficient < 1.0 and not math.isnan(coefficient):
        coefficient = 1.0
    if coefficient != 1.0:
        for g in grads:
            g *= coefficient
    return Tensor(xp.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters, clip_value):
    """Clip every gradient element into ``[-clip_value, clip_value]``, in place.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        The parameters whose ``.grad`` arrays are clipped (those without one are skipped).
    clip_value : float
        The largest absolute value allowed, >= 0.
    """
    if not isinstance(clip_value, numbers.Real) or not clip_value >= 0:
        raise ValueError(f"clip_value must be a number >= 0, got {clip_value!r}")
    for g in _grads(parameters):
        xp.clip(g, -clip_value, clip_value, out=g)
