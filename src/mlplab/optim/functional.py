"""The update rules of the optimizers as pure functions on arrays.

Each function applies one step of one rule to one parameter, in place: it overwrites ``param``
and the state arrays handed to it and keeps nothing itself, so it can be tested against the
equations in its docstring with nothing but NumPy. The settings are keyword-only. The equations
follow PyTorch's documentation and its order of operations: ``g`` is the gradient, ``θ`` the
parameter, ``γ`` the learning rate, ``λ`` the weight decay, and ``t`` the step number (1 at
the first step).

Every rule runs in the same visible stages: the gradient's sign (``maximize``), weight decay,
the running averages, and the move of the parameter. ``work`` holds scratch arrays of the
parameter's shape and dtype that the optimizer allocates once and reuses, so a step allocates
nothing; without it the function allocates what it needs. The moves ``y ← y + αx`` go through
BLAS's axpy when the arrays allow it: one pass over memory instead of NumPy's two (a scaled
temporary, then the sum); an optimizer's step runs them on one BLAS thread
(:func:`blas_on_one_thread`).
"""

import functools
import math

import numpy

from mlplab.backend import xp


def _work(work, index, like):
    """Scratch array number ``index`` from ``work``, or a new one shaped like ``like``."""
    if work is not None and index < len(work):
        return work[index]
    return xp.empty_like(like)


def _direction(param, grad, *, weight_decay, maximize, out):
    """``g`` (``-g`` when maximizing) plus ``λθ``: the gradient the rule then works with.

    Returns ``grad`` itself when there is nothing to add, else ``out`` holding the result.
    """
    if weight_decay != 0:
        # -g + λθ and g + λθ, written as λθ ∓ g so that one scratch array suffices
        xp.multiply(param, weight_decay, out=out)
        (xp.subtract if maximize else xp.add)(out, grad, out=out)
        return out
    if maximize:
        return xp.negative(grad, out=out)
    return grad


@functools.cache
def _blas():
    """BLAS's axpy for float32 and float64, and a controller of BLAS's threads; loaded once."""
    from scipy.linalg import blas
    from threadpoolctl import ThreadpoolController

    # Made after SciPy's BLAS is loaded, so that it controls that library too.
    controller = ThreadpoolController().select(user_api="blas")
    routines = {numpy.dtype(numpy.float32): blas.saxpy, numpy.dtype(numpy.float64): blas.daxpy}
    return routines, controller


def blas_on_one_thread():
    """A context in which BLAS runs on one thread; the optimizers step inside it.

    An axpy is too short to share: with BLAS's threads waiting for a core beside NumPy's and
    other processes', it was measured up to 100 times slower than on one thread, which is as fast
    as one NumPy pass. The previous thread counts are restored on exit.
    """
    return _blas()[1].limit(limits=1)


def _axpy(alpha, x, y, *, out):
    """y ← y + αx in place: one BLAS call for contiguous NumPy float arrays, else via ``out``.

    ``out`` is scratch space of y's shape (it may be ``x`` itself when x is not needed after).
    """
    if (
        type(x) is numpy.ndarray
        and type(y) is numpy.ndarray
        and x.dtype == y.dtype
        and x.flags.c_contiguous
        and y.flags.c_contiguous
        and y.flags.writeable
        and x.dtype in _blas()[0]
    ):
        flat = y.reshape(-1)  # a view: BLAS updates y's own memory
        result = _blas()[0][x.dtype](x.reshape(-1), flat, a=alpha)
        if result is not flat:  # the wrapper had to copy: put the result where it belongs
            y[...] = result.reshape(y.shape)
        return
    xp.multiply(x, alpha, out=out)
    y += out


def _decay_toward(average, value, weight, *, out):
    """average ← (1 - weight)·average + weight·value: a running average, in place."""
    average *= 1 - weight
    _axpy(weight, value, average, out=out)


def sgd(
    param,
    grad,
    momentum_buffer,
    *,
    lr,
    momentum,
    dampening,
    weight_decay,
    nesterov,
    maximize,
    work=None,
):
    """One step of stochastic gradient descent with momentum, in place.

    ::

        g ← -g                       if maximize
        g ← g + λθ                   if λ ≠ 0        (weight decay: an L2 penalty's gradient)
        b ← g                        at the first step, if μ ≠ 0
        b ← μb + (1 - τ)g            afterwards                  (momentum, dampening τ)
        g ← g + μb  if nesterov,  else  g ← b
        θ ← θ - γg

    Parameters
    ----------
    param : ndarray, any shape
        The parameter θ, updated in place.
    grad : ndarray, same shape
        Its gradient; left unchanged.
    momentum_buffer : ndarray of the same shape, or None
        The momentum buffer ``b``, updated in place; None before the first step.
    lr, momentum, dampening, weight_decay : float
        γ, μ, τ and λ.
    nesterov, maximize : bool
        Use Nesterov momentum; follow the gradient upwards instead of downwards.
    work : sequence of two ndarrays of the parameter's shape, optional
        Scratch space.

    Returns
    -------
    ndarray or None
        The momentum buffer to keep (a new array at the first step), None when μ = 0.
    """
    scratch = _work(work, 0, param)
    d_p = _direction(param, grad, weight_decay=weight_decay, maximize=maximize, out=scratch)
    if momentum == 0:
        _axpy(-lr, d_p, param, out=scratch)
        return None
    if momentum_buffer is None:
        momentum_buffer = d_p.copy()
    else:
        momentum_buffer *= momentum
        if dampening == 0:
            momentum_buffer += d_p
        else:
            # Dampening excludes Nesterov, so d_p is not needed after this and may be scaled.
            _axpy(1 - dampening, d_p, momentum_buffer, out=scratch)
    if nesterov:
        # θ - γ(g + μb), taken as two moves
        step = _work(work, 1, param)
        _axpy(-lr, d_p, param, out=step)
        _axpy(-lr * momentum, momentum_buffer, param, out=step)
    else:
        _axpy(-lr, momentum_buffer, param, out=scratch)
    return momentum_buffer


def adagrad(
    param,
    grad,
    state_sum,
    *,
    step,
    lr,
    lr_decay,
    weight_decay,
    eps,
    maximize,
    work=None,
):
    """One step of Adagrad, in place.

    ::

        g ← -g                       if maximize
        g ← g + λθ                   if λ ≠ 0
        γ_t = γ / (1 + (t - 1)η)                         (learning-rate decay η)
        s ← s + g²
        θ ← θ - γ_t g / (√s + ε)

    Parameters
    ----------
    param : ndarray, any shape
        The parameter θ, updated in place.
    grad : ndarray, same shape
        Its gradient; left unchanged.
    state_sum : ndarray, same shape
        The sum of squared gradients ``s`` (starts at ``initial_accumulator_value``), in place.
    step : int
        t, the number of this step (1 at the first).
    lr, lr_decay, weight_decay, eps : float
        γ, η, λ and ε.
    maximize : bool
        Follow the gradient upwards instead of downwards.
    work : sequence of two ndarrays of the parameter's shape, optional
        Scratch space.
    """
    d_p = _direction(
        param, grad, weight_decay=weight_decay, maximize=maximize, out=_work(work, 0, param)
    )
    clr = lr / (1 + (step - 1) * lr_decay)
    std = _work(work, 1, param)
    xp.multiply(d_p, d_p, out=std)
    state_sum += std
    xp.sqrt(state_sum, out=std)
    std += eps
    xp.divide(d_p, std, out=std)
    _axpy(-clr, std, param, out=std)


def rmsprop(
    param,
    grad,
    square_avg,
    grad_avg,
    momentum_buffer,
    *,
    lr,
    alpha,
    eps,
    weight_decay,
    momentum,
    centered,
    maximize,
    work=None,
):
    """One step of RMSprop, in place.

    ::

        g ← -g                       if maximize
        g ← g + λθ                   if λ ≠ 0
        v ← αv + (1 - α)g²
        ḡ ← αḡ + (1 - α)g,  v' = v - ḡ²    if centered,  else  v' = v
        b ← μb + g / (√v' + ε);  θ ← θ - γb      if μ > 0  (b starts at zero)
        θ ← θ - γ g / (√v' + ε)                   otherwise

    Parameters
    ----------
    param : ndarray, any shape
        The parameter θ, updated in place.
    grad : ndarray, same shape
        Its gradient; left unchanged.
    square_avg : ndarray, same shape
        The running average of squared gradients ``v``, in place.
    grad_avg : ndarray of the same shape, or None
        The running average of gradients ``ḡ`` (centered only), in place.
    momentum_buffer : ndarray of the same shape, or None
        The momentum buffer ``b`` (μ > 0 only), in place.
    lr, alpha, eps, weight_decay, momentum : float
        γ, α, ε, λ and μ.
    centered, maximize : bool
        Normalise by the variance estimate instead of the second moment; follow the gradient
        upwards instead of downwards.
    work : sequence of two ndarrays of the parameter's shape, optional
        Scratch space.
    """
    d_p = _direction(
        param, grad, weight_decay=weight_decay, maximize=maximize, out=_work(work, 0, param)
    )
    avg = _work(work, 1, param)
    square_avg *= alpha
    xp.multiply(d_p, d_p, out=avg)
    _axpy(1 - alpha, avg, square_avg, out=avg)
    if centered:
        _decay_toward(grad_avg, d_p, 1 - alpha, out=avg)
        xp.multiply(grad_avg, grad_avg, out=avg)
        xp.subtract(square_avg, avg, out=avg)
        xp.sqrt(avg, out=avg)
    else:
        xp.sqrt(square_avg, out=avg)
    avg += eps
    xp.divide(d_p, avg, out=avg)
    if momentum > 0:
        momentum_buffer *= momentum
        momentum_buffer += avg
        _axpy(-lr, momentum_buffer, param, out=avg)
    else:
        _axpy(-lr, avg, param, out=avg)


def adam(
    param,
    grad,
    exp_avg,
    exp_avg_sq,
    max_exp_avg_sq,
    *,
    step,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    amsgrad,
    maximize,
    decoupled_weight_decay=False,
    work=None,
):
    """One step of Adam (AdamW with ``decoupled_weight_decay``), in place.

    ::

        g ← -g                             if maximize
        θ ← θ(1 - γλ)                      if decoupled (AdamW)
        g ← g + λθ                         otherwise, if λ ≠ 0      (L2 weight decay)
        m ← β₁m + (1 - β₁)g
        v ← β₂v + (1 - β₂)g²
        v̂ ← max(v̂, v),  v' = v̂   if amsgrad,  else  v' = v
        θ ← θ - γ/(1 - β₁ᵗ) · m / (√v' / √(1 - β₂ᵗ) + ε)

    Parameters
    ----------
    param : ndarray, any shape
        The parameter θ, updated in place.
    grad : ndarray, same shape
        Its gradient; left unchanged.
    exp_avg, exp_avg_sq : ndarray, same shape
        The first and second moment estimates ``m`` and ``v``, in place.
    max_exp_avg_sq : ndarray of the same shape, or None
        The running maximum ``v̂`` of ``v`` (amsgrad only), in place.
    step : int
        t, the number of this step (1 at the first).
    lr, beta1, beta2, eps, weight_decay : float
        γ, β₁, β₂, ε and λ.
    amsgrad, maximize, decoupled_weight_decay : bool
        Use the maximum of past second moments; follow the gradient upwards; decay the weights
        directly (AdamW) instead of through the gradient.
    work : sequence of two ndarrays of the parameter's shape, optional
        Scratch space.
    """
    scratch = _work(work, 0, param)
    if decoupled_weight_decay:
        if weight_decay != 0:
            param *= 1 - lr * weight_decay
        d_p = _direction(param, grad, weight_decay=0, maximize=maximize, out=scratch)
    else:
        d_p = _direction(param, grad, weight_decay=weight_decay, maximize=maximize, out=scratch)
    tmp = _work(work, 1, param)
    _decay_toward(exp_avg, d_p, 1 - beta1, out=tmp)
    exp_avg_sq *= beta2
    xp.multiply(d_p, d_p, out=tmp)
    _axpy(1 - beta2, tmp, exp_avg_sq, out=tmp)
    if amsgrad:
        xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    step_size = lr / (1 - beta1**step)
    bias_correction2_sqrt = math.sqrt(1 - beta2**step)
    # m / (√v'/c + ε) = c·m / (√v' + cε) with c = √(1 - β₂ᵗ): one pass over the array fewer
    # (the form of PyTorch's capturable Adam).
    denom = tmp
    xp.sqrt(second, out=denom)
    denom += eps * bias_correction2_sqrt
    xp.divide(exp_avg, denom, out=denom)
    _axpy(-step_size * bias_correction2_sqrt, denom, param, out=denom)
