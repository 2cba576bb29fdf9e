"""The optimizers' update rules compiled by Numba into one loop over a parameter's elements.

A rule applied with NumPy is a chain of whole-array operations: Adam's makes about a dozen passes
over memory, each reading and writing arrays the size of the parameter. Compiled, the same
element function of :mod:`mlplab.optim.functional` runs once per element inside one loop that
reads every array once and writes every result once, with the arithmetic vectorised by the
compiler: Adam's step over the reference MLP takes a third of the time (benchmarks/optim_step.py).

Each loop takes the arrays of many parameters at once -- tuples of flat, C-contiguous arrays of
one float dtype (``None`` for state the rule does not keep) -- so a step costs one call, however
many parameters there are; then the numbers that differ between parameters, one row each, and
the shared settings, all in that dtype. NumPy's rules for errors are kept
(division by zero gives inf, as in NumPy, instead of raising), the arithmetic is IEEE's (no
fast-math reassociation), so the results equal NumPy's bit for bit. Compiled code is cached on
disk: only the first run on a machine pays the compilation (about a second per rule and dtype).
"""

import numba
from numba.core import types
from numba.extending import overload

from mlplab.optim import functional as F

_compile = numba.njit(error_model="numpy", nogil=True, cache=True)

_sgd_values = _compile(F._sgd_values)
_adagrad_values = _compile(F._adagrad_values)
_rmsprop_values = _compile(F._rmsprop_values)
_adam_values = _compile(F._adam_values)


def _entry(arrays, k):
    """Array ``k`` of a tuple of arrays, or None for state that is not kept."""


def _load(array, i):
    """Element ``i`` of ``array``, or None for state that is not kept."""


def _store(array, i, value):
    """Write ``value`` to element ``i`` of ``array``, unless the state is not kept."""


# Absent state is chosen by type, when compiling: no test on None is left inside the loops, so
# the compiler vectorises them as it does the loops without optional state.
@overload(_entry)
def _entry_by_type(arrays, k):
    if isinstance(arrays, types.NoneType):
        return lambda arrays, k: None
    return lambda arrays, k: arrays[k]


@overload(_load)
def _load_by_type(array, i):
    if isinstance(array, types.NoneType):
        return lambda array, i: None
    return lambda array, i: array[i]


@overload(_store)
def _store_by_type(array, i, value):
    if isinstance(array, types.NoneType):
        return lambda array, i, value: None

    def store(array, i, value):
        array[i] = value

    return store


@_compile
def sgd(params, grads, momentum_buffers, numbers, *settings):
    """:func:`functional.sgd` on tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, buffers = params[k], grads[k], _entry(momentum_buffers, k)
        decay, gain = numbers[k, 0], numbers[k, 1]
        for i in range(param.size):
            param[i], buffer = _sgd_values(
                param[i], grad[i], _load(buffers, i), decay, gain, *settings
            )
            _store(buffers, i, buffer)


@_compile
def adagrad(params, grads, state_sums, numbers, *settings):
    """:func:`functional.adagrad` on tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, state_sum, clr = params[k], grads[k], state_sums[k], numbers[k, 0]
        for i in range(param.size):
            param[i], state_sum[i] = _adagrad_values(
                param[i], grad[i], state_sum[i], clr, *settings
            )


@_compile
def rmsprop(params, grads, square_avgs, grad_avgs, momentum_buffers, numbers, *settings):
    """:func:`functional.rmsprop` on tuples of flat arrays, in place (``numbers`` is empty)."""
    for k in range(len(params)):
        param, grad, square_avg = params[k], grads[k], square_avgs[k]
        averages, buffers = _entry(grad_avgs, k), _entry(momentum_buffers, k)
        for i in range(param.size):
            param[i], square_avg[i], average, buffer = _rmsprop_values(
                param[i], grad[i], square_avg[i], _load(averages, i), _load(buffers, i), *settings
            )
            _store(averages, i, average)
            _store(buffers, i, buffer)


@_compile
def adam(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, numbers, *settings):
    """:func:`functional.adam` on tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, exp_avg, exp_avg_sq = params[k], grads[k], exp_avgs[k], exp_avg_sqs[k]
        maxima = _entry(max_exp_avg_sqs, k)
        step_size, bias_correction2_sqrt = numbers[k, 0], numbers[k, 1]
        for i in range(param.size):
            param[i], exp_avg[i], exp_avg_sq[i], maximum = _adam_values(
                param[i], grad[i], exp_avg[i], exp_avg_sq[i], _load(maxima, i), step_size,
                bias_correction2_sqrt, *settings,
            )  # fmt: skip
            _store(maxima, i, maximum)
