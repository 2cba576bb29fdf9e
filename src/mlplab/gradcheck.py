"""gradcheck: compare the engine's gradients with central finite differences in float64."""

import numpy

from mlplab import autograd
from mlplab.backend import to_numpy
from mlplab.random import Generator
from mlplab.tensor import Tensor


class GradcheckError(RuntimeError):
    """The analytic gradient of some input differs from the numeric one."""


def _projected_output(fn, inputs, weights):
    """sum(weights * fn(*inputs)): one scalar whose gradient checks the whole vector-Jacobian."""
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out, (out * weights).sum() if weights is not None else out.sum()


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check the gradients ``fn`` gets from autograd against central differences, in float64.

    The output is projected on fixed random weights, so one backward pass checks the
    vector-Jacobian product of every input element; each element of each input that requires a
    gradient is then nudged by +-eps.

    Parameters
    ----------
    fn : callable
        Takes ``inputs`` and returns a Tensor of any shape.
    inputs : sequence
        Tensors (those that require grad are checked; float32 ones are cast to float64) and any
        other arguments, passed through unchanged.
    eps, atol, rtol : float
        Step, and tolerance ``|analytic - numeric| <= atol + rtol * |numeric|``.

    Returns
    -------
    True, or raises :class:`GradcheckError` naming the input, the worst element and both values.
    """
    inputs = [
        Tensor(x._data.astype(numpy.float64), requires_grad=True)
        if isinstance(x, Tensor) and x.requires_grad
        else x
        for x in inputs
    ]
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    with autograd.no_grad():
        probe, _ = _projected_output(fn, inputs, None)
    weights = Tensor(Generator(seed).uniform(probe.shape, 0.5, 1.5, dtype=numpy.float64))
    _, scalar = _projected_output(fn, inputs, weights)
    analytic = autograd.grad(scalar, [inputs[i] for i in checked], allow_unused=True)
    for position, index in enumerate(checked):
        tensor = inputs[index]
        numeric = _numeric_gradient(fn, inputs, tensor, weights, eps)
        got = analytic[position]
        got = numpy.zeros_like(numeric) if got is None else to_numpy(got._data)
        _compare(index, got, numeric, atol, rtol)
    return True


def _numeric_gradient(fn, inputs, tensor, weights, eps):
    """d sum(weights * fn) / d tensor by central differences, one element at a time."""
    data = tensor._data
    numeric = numpy.zeros(data.shape, dtype=numpy.float64)
    flat = data.reshape(-1)  # a view: nudging it nudges the input
    with autograd.no_grad():
        for k in range(flat.size):
            original = flat[k]
            flat[k] = original + eps
            plus = _projected_output(fn, inputs, weights)[1].item()
            flat[k] = original - eps
            minus = _projected_output(fn, inputs, weights)[1].item()
            flat[k] = original
            numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
    return numeric


def _compare(index, analytic, numeric, atol, rtol):
    """Raise GradcheckError at the element where analytic and numeric differ the most."""
    excess = numpy.abs(analytic - numeric) - (atol + rtol * numpy.abs(numeric))
    nonfinite = ~numpy.isfinite(analytic)
    if not excess.size or (excess.max() <= 0 and not nonfinite.any()):
        return
    worst = numpy.unravel_index(
        int(numpy.argmax(numpy.where(nonfinite, numpy.inf, excess))), analytic.shape
    )
    raise GradcheckError(
        f"Gradient of input {index} is wrong at element {tuple(int(i) for i in worst)}: "
        f"analytic {float(analytic[worst]):.10g}, numeric {float(numeric[worst]):.10g} "
        f"(atol={atol}, rtol={rtol}; both are d sum(w * output) / d input, for fixed random "
        "weights w in [0.5, 1.5] of the output's shape)"
    )
