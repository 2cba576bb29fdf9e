"""The optimizers' update rules element by element, and the compiled loops that apply them.

Each rule is written once, as a function of one element (``adam_values``, ...): it takes the
values of a parameter, its gradient and its state and returns their new values, in visible stages:
the gradient's sign (``maximize``), weight decay, the running averages, the move of the parameter.
Its numbers (bias corrections, 1 - β) come worked out in the parameter's dtype, so float32 stays
float32; the equations are in the docstrings of :mod:`mlplab.optim.functional`, which applies them.

The same function runs on whole arrays (NumPy, CuPy: it uses nothing but arithmetic and NumPy's
ufuncs) and, compiled by Numba, inside one loop over the elements (``adam_loop``, ...). Applied as a
chain of whole-array operations, Adam makes about a dozen passes over memory, each reading and
writing arrays the size of the parameter; the loop reads every array once and writes every result
once, vectorised by the compiler, and takes about 40% of the time on the reference MLP's
parameters (benchmarks/optim_step.py).

A loop takes a group of parameters at once -- per role (parameters, gradients, each kind of state)
a tuple of flat, C-contiguous arrays of one float dtype, or None for state the rule does not keep --
so one call does a step however many parameters there are. Then come the numbers that differ
between parameters, one row each, and the settings shared by all. NumPy's error rules are kept
(division by zero gives inf instead of raising) and the arithmetic is plain IEEE (no fast-math
reassociation), so both ways give the same numbers, bit for bit. Compiled code is cached on disk,
so only the first run on a machine compiles (about half a second per rule and dtype); the cache is
renewed when this file changes, which is why the element functions live here beside their loops.
"""

import numba
import numpy
from numba.core import types
from numba.extending import overload


def _compile(function):
    """``function`` compiled by Numba, with NumPy's error rules, cached on disk where possible.

    Numba caches beside this file, else in the user's cache folder; where neither can be written
    (a read-only installation and home), it compiles in every process instead of failing.
    """
    try:
        return numba.njit(function, error_model="numpy", nogil=True, cache=True)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(function, error_model="numpy", nogil=True)


def flushed(value):
    """``value``, with subnormal numbers (nonzero, below its dtype's smallest normal) set to zero.

    Running averages of a gradient that is mostly zero -- the weights of pixels that are rarely
    lit, say -- decay geometrically into the subnormal range, where x86 processors compute some
    twenty times slower (measured here: Adam's step on the reference MLP went from 0.3 to 1 ms
    once a share of its moments got there). Such values are too small to move any parameter:
    a step γ·m/(√v + ε) with m below 1.2e-38 (float32) is below 1e-30, far under the smallest
    change a float32 weight can take. So they are stored as zero; NaN and inf stay as they are.
    (With ε = 0, a ratio of two such averages, as Adadelta takes, is 0/0 a little sooner than
    without this: they would underflow to zero some hundred steps later all the same.)
    """
    kind = value.dtype if hasattr(value, "dtype") else numpy.dtype(float)  # a plain number
    zeroed = numpy.where(numpy.abs(value) < numpy.finfo(kind).tiny, kind.type(0), value)
    return zeroed[()]  # a number stays a number


@overload(flushed)
def _flushed_scalar(value):
    # Compiled: a comparison and a select per element, which the loops still vectorise; the
    # threshold and the zero are constants of the value's own type, so float32 stays float32.
    kind = numpy.dtype(str(value)).type
    tiny, zero = kind(numpy.finfo(kind).tiny), kind(0)
    return lambda value: zero if abs(value) < tiny else value


def sgd_values(
    param, grad, momentum_buffer, buffer_decay, buffer_gain, lr, momentum, weight_decay,
    nesterov, maximize,
):  # fmt: skip
    """New θ and momentum buffer (None without momentum): see :func:`functional.sgd`.

    ``buffer_decay`` and ``buffer_gain`` are μ and 1 - τ, or 0 and 1 at a parameter's first
    step: from an empty (zero) buffer that gives b = g exactly.
    """
    d_p = -grad if maximize else grad
    if weight_decay != 0:
        d_p = d_p + weight_decay * param
    if momentum_buffer is not None:
        momentum_buffer = flushed(buffer_decay * momentum_buffer + buffer_gain * d_p)
        d_p = d_p + momentum * momentum_buffer if nesterov else momentum_buffer
    return param - lr * d_p, momentum_buffer


def adagrad_values(param, grad, state_sum, clr, weight_decay, eps, maximize):
    """New θ and sum of squared gradients: see :func:`functional.adagrad`."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    state_sum = state_sum + grad * grad
    return param - clr * (grad / (numpy.sqrt(state_sum) + eps)), state_sum


def rmsprop_values(
    param, grad, square_avg, grad_avg, momentum_buffer, lr, alpha, one_minus_alpha, eps,
    weight_decay, momentum, maximize,
):  # fmt: skip
    """New θ, v, ḡ and b (ḡ and b None where not kept): see :func:`functional.rmsprop`."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg = flushed(alpha * square_avg + one_minus_alpha * (grad * grad))
    if grad_avg is not None:
        grad_avg = flushed(grad_avg + one_minus_alpha * (grad - grad_avg))  # PyTorch's lerp
        avg = numpy.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = numpy.sqrt(square_avg) + eps
    if momentum_buffer is not None:
        momentum_buffer = flushed(momentum * momentum_buffer + grad / avg)
        param = param - lr * momentum_buffer
    else:
        param = param - lr * (grad / avg)
    return param, square_avg, grad_avg, momentum_buffer


def adam_values(
    param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step_size, bias_correction2_sqrt, beta1,
    one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, decay_factor,
    decoupled_weight_decay, maximize,
):  # fmt: skip
    """New θ, m, v and v̂ (v̂ None without amsgrad): see :func:`functional.adam`."""
    if maximize:
        grad = -grad
    if decoupled_weight_decay:
        param = param * decay_factor
    elif weight_decay != 0:
        grad = grad + weight_decay * param
    exp_avg = flushed(exp_avg + one_minus_beta1 * (grad - exp_avg))  # PyTorch's lerp
    exp_avg_sq = flushed(beta2 * exp_avg_sq + one_minus_beta2 * (grad * grad))
    second = exp_avg_sq
    if max_exp_avg_sq is not None:
        max_exp_avg_sq = numpy.maximum(max_exp_avg_sq, exp_avg_sq)
        second = max_exp_avg_sq
    denom = numpy.sqrt(second) / bias_correction2_sqrt + eps
    return param - step_size * (exp_avg / denom), exp_avg, exp_avg_sq, max_exp_avg_sq


def nadam_values(
    param, grad, exp_avg, exp_avg_sq, bias_correction2, grad_coef, avg_coef, one_minus_beta1,
    beta2, one_minus_beta2, eps, weight_decay, decay_factor, decoupled_weight_decay, maximize,
):  # fmt: skip
    """New θ, m and v: see :func:`functional.nadam` (the coefficients carry μ and its products)."""
    if maximize:
        grad = -grad
    if decoupled_weight_decay:
        param = param * decay_factor
    elif weight_decay != 0:
        grad = grad + weight_decay * param
    exp_avg = flushed(exp_avg + one_minus_beta1 * (grad - exp_avg))  # PyTorch's lerp
    exp_avg_sq = flushed(beta2 * exp_avg_sq + one_minus_beta2 * (grad * grad))
    denom = numpy.sqrt(exp_avg_sq / bias_correction2) + eps
    param = param + grad_coef * grad / denom
    return param + avg_coef * exp_avg / denom, exp_avg, exp_avg_sq


def radam_values(
    param, grad, exp_avg, exp_avg_sq, bias_correction1, bias_correction2_sqrt, rect, lr,
    one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, decay_factor,
    decoupled_weight_decay, maximize,
):  # fmt: skip
    """New θ, m and v: see :func:`functional.radam` (``rect`` 0: the unrectified step)."""
    if maximize:
        grad = -grad
    if decoupled_weight_decay:
        param = param * decay_factor
    elif weight_decay != 0:
        grad = grad + weight_decay * param
    exp_avg = flushed(exp_avg + one_minus_beta1 * (grad - exp_avg))
    exp_avg_sq = flushed(beta2 * exp_avg_sq + one_minus_beta2 * (grad * grad))
    corrected = exp_avg / bias_correction1
    if rect > 0:
        adaptive = bias_correction2_sqrt / (numpy.sqrt(exp_avg_sq) + eps)
        return param - corrected * lr * adaptive * rect, exp_avg, exp_avg_sq
    return param - corrected * lr, exp_avg, exp_avg_sq


def adamax_values(param, grad, exp_avg, exp_inf, clr, one_minus_beta1, beta2, eps, weight_decay,
                  maximize):  # fmt: skip
    """New θ, m and u (the infinity norm): see :func:`functional.adamax`."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    exp_avg = flushed(exp_avg + one_minus_beta1 * (grad - exp_avg))
    exp_inf = flushed(numpy.maximum(beta2 * exp_inf, numpy.abs(grad) + eps))
    return param - clr * exp_avg / exp_inf, exp_avg, exp_inf


def adadelta_values(param, grad, square_avg, acc_delta, lr, rho, one_minus_rho, eps, weight_decay,
                    maximize):  # fmt: skip
    """New θ, v and u (the running average of squared steps): see :func:`functional.adadelta`."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad + weight_decay * param
    square_avg = flushed(rho * square_avg + one_minus_rho * (grad * grad))
    delta = numpy.sqrt(acc_delta + eps) / numpy.sqrt(square_avg + eps) * grad
    acc_delta = flushed(rho * acc_delta + one_minus_rho * (delta * delta))
    return param - lr * delta, square_avg, acc_delta


_sgd_compiled = _compile(sgd_values)
_adagrad_compiled = _compile(adagrad_values)
_rmsprop_compiled = _compile(rmsprop_values)
_adam_compiled = _compile(adam_values)
_nadam_compiled = _compile(nadam_values)
_radam_compiled = _compile(radam_values)
_adamax_compiled = _compile(adamax_values)
_adadelta_compiled = _compile(adadelta_values)


def _entry(arrays, k):
    """Array ``k`` of a tuple of arrays, or None for state that is not kept."""
    return None if arrays is None else arrays[k]


def _load(array, i):
    """Element ``i`` of ``array``, or None for state that is not kept."""
    return None if array is None else array[i]


def _store(array, i, value):
    """Write ``value`` to element ``i`` of ``array``, unless the state is not kept."""
    if array is not None:
        array[i] = value


# Compiled, absent state is chosen by type instead: no test on None is left inside the loops, so
# the compiler vectorises them as it does the loops without optional state. (The Python bodies
# above serve when Numba runs the loops as Python, with NUMBA_DISABLE_JIT=1.)
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
def sgd_loop(params, grads, momentum_buffers, numbers, *shared):
    """``sgd_values`` over tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, buffers = params[k], grads[k], _entry(momentum_buffers, k)
        decay, gain = numbers[k, 0], numbers[k, 1]
        for i in range(param.size):
            param[i], buffer = _sgd_compiled(
                param[i], grad[i], _load(buffers, i), decay, gain, *shared
            )
            _store(buffers, i, buffer)


@_compile
def adagrad_loop(params, grads, state_sums, numbers, *shared):
    """``adagrad_values`` over tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, state_sum, clr = params[k], grads[k], state_sums[k], numbers[k, 0]
        for i in range(param.size):
            param[i], state_sum[i] = _adagrad_compiled(
                param[i], grad[i], state_sum[i], clr, *shared
            )


@_compile
def rmsprop_loop(params, grads, square_avgs, grad_avgs, momentum_buffers, numbers, *shared):
    """``rmsprop_values`` over tuples of flat arrays, in place (``numbers`` is empty)."""
    for k in range(len(params)):
        param, grad, square_avg = params[k], grads[k], square_avgs[k]
        averages, buffers = _entry(grad_avgs, k), _entry(momentum_buffers, k)
        for i in range(param.size):
            param[i], square_avg[i], average, buffer = _rmsprop_compiled(
                param[i], grad[i], square_avg[i], _load(averages, i), _load(buffers, i), *shared
            )
            _store(averages, i, average)
            _store(buffers, i, buffer)


@_compile
def adam_loop(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, numbers, *shared):
    """``adam_values`` over tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, exp_avg, exp_avg_sq = params[k], grads[k], exp_avgs[k], exp_avg_sqs[k]
        maxima = _entry(max_exp_avg_sqs, k)
        step_size, bias_correction2_sqrt = numbers[k, 0], numbers[k, 1]
        for i in range(param.size):
            param[i], exp_avg[i], exp_avg_sq[i], maximum = _adam_compiled(
                param[i], grad[i], exp_avg[i], exp_avg_sq[i], _load(maxima, i), step_size,
                bias_correction2_sqrt, *shared,
            )  # fmt: skip
            _store(maxima, i, maximum)


@_compile
def nadam_loop(params, grads, exp_avgs, exp_avg_sqs, numbers, *shared):
    """``nadam_values`` over tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, exp_avg, exp_avg_sq = params[k], grads[k], exp_avgs[k], exp_avg_sqs[k]
        correction, grad_coef, avg_coef = numbers[k, 0], numbers[k, 1], numbers[k, 2]
        for i in range(param.size):
            param[i], exp_avg[i], exp_avg_sq[i] = _nadam_compiled(
                param[i], grad[i], exp_avg[i], exp_avg_sq[i], correction, grad_coef, avg_coef,
                *shared,
            )  # fmt: skip


@_compile
def radam_loop(params, grads, exp_avgs, exp_avg_sqs, numbers, *shared):
    """``radam_values`` over tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, exp_avg, exp_avg_sq = params[k], grads[k], exp_avgs[k], exp_avg_sqs[k]
        correction1, correction2_sqrt, rect = numbers[k, 0], numbers[k, 1], numbers[k, 2]
        for i in range(param.size):
            param[i], exp_avg[i], exp_avg_sq[i] = _radam_compiled(
                param[i], grad[i], exp_avg[i], exp_avg_sq[i], correction1, correction2_sqrt,
                rect, *shared,
            )  # fmt: skip


@_compile
def adamax_loop(params, grads, exp_avgs, exp_infs, numbers, *shared):
    """``adamax_values`` over tuples of flat arrays, in place."""
    for k in range(len(params)):
        param, grad, exp_avg, exp_inf, clr = (
            params[k],
            grads[k],
            exp_avgs[k],
            exp_infs[k],
            numbers[k, 0],
        )
        for i in range(param.size):
            param[i], exp_avg[i], exp_inf[i] = _adamax_compiled(
                param[i], grad[i], exp_avg[i], exp_inf[i], clr, *shared
            )


@_compile
def adadelta_loop(params, grads, square_avgs, acc_deltas, numbers, *shared):
    """``adadelta_values`` over tuples of flat arrays, in place (``numbers`` is empty)."""
    for k in range(len(params)):
        param, grad, square_avg, acc_delta = params[k], grads[k], square_avgs[k], acc_deltas[k]
        for i in range(param.size):
            param[i], square_avg[i], acc_delta[i] = _adadelta_compiled(
                param[i], grad[i], square_avg[i], acc_delta[i], *shared
            )
