"""The update rules of the optimizers as pure functions on lists of arrays.

Each public function applies one step of one rule to a list of parameters, in place, as
PyTorch's ``torch.optim.sgd``, ``adam``, ... do: it overwrites the parameters and the state arrays
handed to it and keeps nothing itself, so it can be tested against the equations in its docstring
with nothing but NumPy. The settings are keyword-only. The equations follow PyTorch's
documentation and its order of operations: ``g`` is the gradient, ``θ`` the parameter, ``γ`` the
learning rate, ``λ`` the weight decay, and ``t`` the step number (1 at the first step).

Each rule's arithmetic is written once, for one element, in :mod:`mlplab.optim.rules`; these
functions work out its numbers for the step and run it the fastest way the arrays allow:

- compiled into one loop over all elements of all the parameters, which reads each array once and
  writes each result once -- NumPy float32 and float64 arrays, C-contiguous: the usual case;
- on whole arrays, the results then copied into place -- arrays of another module (CuPy), other
  dtypes or layouts.

Both give the same numbers, bit for bit.
"""

import functools
import math

import numpy

_FLOAT_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))
#: Parameters per call of a compiled loop (its tuples have this fixed length: one compilation).
_BATCH = 8
#: An empty array of each float dtype, in a tuple: the filling of a batch's unused places.
_EMPTY = {dtype: (numpy.empty(0, dtype),) for dtype in _FLOAT_DTYPES}


@functools.cache
def _rules():
    """:mod:`mlplab.optim.rules`, imported at the first step (its compiler is slow to load)."""
    from mlplab.optim import rules

    return rules


def _flat_views(kept):
    """Per role, flat views of the parameters' arrays, if the compiled loop can take them all.

    ``kept`` holds one list of arrays per role, parameters first. The loop walks one flat index
    over a parameter's arrays, so every array must be a writeable, C-contiguous NumPy array of its
    parameter's shape and of one float dtype (a read-only gradient, say, takes the other way).
    Returns None otherwise. A view of such an array shares its memory: the loop writes in place.
    Written as one pass without calls, since it runs at every step.
    """
    params = kept[0]
    dtype = params[0].dtype
    if dtype not in _FLOAT_DTYPES:
        return None
    columns = []
    for role in kept:
        column = []
        for array, param in zip(role, params, strict=True):
            if (
                type(array) is not numpy.ndarray
                or array.dtype != dtype
                or array.shape != param.shape
            ):
                return None
            flags = array.flags
            if not (flags.c_contiguous and flags.writeable):
                return None
            column.append(array.ravel())
        columns.append(column)
    return columns


@functools.lru_cache(maxsize=256)
def _in_dtype(dtype, numbers):
    """``numbers`` as scalars of ``dtype``, so that float32 arithmetic stays float32.

    Cached: a training run asks for the same few conversions at every step.
    """
    return tuple(dtype.type(number) for number in numbers)


def _apply(rule, roles, per_param, numbers, flags):
    """Apply the rule named ``rule`` to every parameter, each by the fastest way that takes it.

    Parameters
    ----------
    rule : str
        ``"sgd"``, ``"adagrad"``, ``"rmsprop"``, ``"adam"``, ``"nadam"``, ``"radam"``,
        ``"adamax"`` or ``"adadelta"``: the element function
        ``rules.<rule>_values`` and its compiled loop ``rules.<rule>_loop``.
    roles : sequence of lists of arrays, or None
        One list per array the rule reads (parameters first, then gradients, then state), one
        entry per parameter; None for state the rule does not keep this step.
    per_param : list of tuples of floats
        The numbers that differ between parameters (bias corrections at each one's step).
    numbers : tuple of floats
        The numbers shared by all of them.
    flags : tuple of bools
        The rule's switches (maximize, ...), last in its arguments.
    """
    kept = [role for role in roles if role is not None]
    if len({len(role) for role in kept}) > 1:
        raise ValueError(
            f"{rule}: the lists of parameters, gradients and state have lengths "
            f"{[len(role) for role in kept]}: give one entry per parameter in each"
        )
    if not kept[0]:
        return
    columns = _flat_views(kept)
    if columns is not None and len(kept[0]) <= _BATCH:  # the usual case: one call does it all
        shared = (*_in_dtype(kept[0][0].dtype, numbers), *flags)
        _run_compiled(rule, kept[0][0].dtype, roles, columns, per_param, shared)
        return
    compiled, whole = {}, []
    for k in range(len(kept[0])):
        views = _flat_views([role[k : k + 1] for role in kept])
        if views is None:
            _check_shapes(rule, k, [role[k] for role in kept])  # all before any parameter moves
            whole.append(k)
        else:
            compiled.setdefault(kept[0][k].dtype, []).append((k, views))
    for k in whole:
        _apply_to_whole_arrays(rule, roles, k, per_param[k] + numbers, flags)
    for dtype, entries in compiled.items():
        shared = (*_in_dtype(dtype, numbers), *flags)
        for start in range(0, len(entries), _BATCH):
            batch = entries[start : start + _BATCH]
            columns = [[views[r][0] for _, views in batch] for r in range(len(kept))]
            _run_compiled(rule, dtype, roles, columns, [per_param[k] for k, _ in batch], shared)


def _check_shapes(rule, k, arrays):
    """Raise ValueError unless parameter ``k``'s gradient and state have its shape."""
    for array in arrays[1:]:
        if array.shape != arrays[0].shape:
            raise ValueError(
                f"{rule}: parameter {k} has shape {arrays[0].shape} but its gradient or state "
                f"has shape {array.shape}: each must have its parameter's shape"
            )


def _apply_to_whole_arrays(rule, roles, k, numbers, flags):
    """The rule's element function on parameter ``k``'s whole arrays; results copied into place."""
    arrays = [None if role is None else role[k] for role in roles]
    values = getattr(_rules(), f"{rule}_values")
    new = values(*arrays, *_in_dtype(arrays[0].dtype, numbers), *flags)
    written = arrays[:1] + arrays[2:]  # all but the gradient, in the order the rule returns them
    for array, values in zip(written, new, strict=True):
        if array is not None:
            array[...] = values


def _run_compiled(rule, dtype, roles, columns, numbers, shared):
    """One call of the compiled loop over at most ``_BATCH`` parameters.

    ``columns`` holds, for each role kept (see ``roles``), the parameters' flat views; ``numbers``
    a tuple per parameter. The loops take exactly ``_BATCH`` arrays per role, so that they compile
    once, whatever the number of parameters: the places left over hold empty arrays, over which a
    loop does nothing.
    """
    missing = _BATCH - len(numbers)
    padding = _EMPTY[dtype] * missing
    views = iter(columns)
    flat = [None if role is None else tuple(next(views)) + padding for role in roles]
    table = _table(dtype, tuple(numbers) + (numbers[0],) * missing)
    getattr(_rules(), f"{rule}_loop")(*flat, table, *shared)


@functools.lru_cache(maxsize=256)
def _table(dtype, numbers):
    """``numbers`` (one tuple per parameter) as a (parameters, numbers) array in ``dtype``.

    Cached like :func:`_in_dtype`: SGD's and RMSprop's stay the same from step to step. The
    compiled loops only read it.
    """
    return numpy.array(numbers, dtype).reshape(len(numbers), -1)


# ----------------------------------------------------------------------------------- SGD
def sgd(
    params,
    grads,
    momentum_buffers,
    *,
    lr,
    momentum,
    dampening,
    weight_decay,
    nesterov,
    maximize,
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
    params : list of ndarray
        The parameters θ, updated in place.
    grads : list of ndarray, shaped as ``params``
        Their gradients; left unchanged.
    momentum_buffers : list of ndarray or None, one per parameter
        The momentum buffers ``b``, updated in place. A None entry (before a parameter's first
        step) is replaced in the list by a new buffer, when μ ≠ 0.
    lr, momentum, dampening, weight_decay : float
        γ, μ, τ and λ.
    nesterov, maximize : bool
        Use Nesterov momentum; follow the gradient upwards instead of downwards.
    """
    per_param = [(momentum, 1 - dampening)] * len(params)
    if momentum != 0:
        for k, buffer in enumerate(momentum_buffers):
            if buffer is None:
                # NumPy's zeros_like hands another module's array to that module (NEP 18).
                momentum_buffers[k] = numpy.zeros_like(params[k])
                per_param[k] = (0, 1)
    roles = (params, grads, momentum_buffers if momentum != 0 else None)
    _apply("sgd", roles, per_param, (lr, momentum, weight_decay), (nesterov, maximize))


# ----------------------------------------------------------------------------------- Adagrad
def adagrad(
    params,
    grads,
    state_sums,
    state_steps,
    *,
    lr,
    lr_decay,
    weight_decay,
    eps,
    maximize,
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
    params : list of ndarray
        The parameters θ, updated in place.
    grads : list of ndarray, shaped as ``params``
        Their gradients; left unchanged.
    state_sums : list of ndarray, shaped as ``params``
        The sums of squared gradients ``s`` (starting at ``initial_accumulator_value``), in place.
    state_steps : list of int
        Each parameter's t, the number of this step (1 at its first).
    lr, lr_decay, weight_decay, eps : float
        γ, η, λ and ε.
    maximize : bool
        Follow the gradient upwards instead of downwards.
    """
    per_param = [(lr / (1 + (step - 1) * lr_decay),) for step in state_steps]
    _apply("adagrad", (params, grads, state_sums), per_param, (weight_decay, eps), (maximize,))


# ----------------------------------------------------------------------------------- RMSprop
def rmsprop(
    params,
    grads,
    square_avgs,
    grad_avgs,
    momentum_buffers,
    *,
    lr,
    alpha,
    eps,
    weight_decay,
    momentum,
    centered,
    maximize,
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
    params : list of ndarray
        The parameters θ, updated in place.
    grads : list of ndarray, shaped as ``params``
        Their gradients; left unchanged.
    square_avgs : list of ndarray, shaped as ``params``
        The running averages of squared gradients ``v``, in place.
    grad_avgs : list of ndarray, or None
        The running averages of gradients ``ḡ``, in place; read only when centered.
    momentum_buffers : list of ndarray, or None
        The momentum buffers ``b``, in place; read only when μ > 0.
    lr, alpha, eps, weight_decay, momentum : float
        γ, α, ε, λ and μ.
    centered, maximize : bool
        Normalise by the variance estimate instead of the second moment; follow the gradient
        upwards instead of downwards.
    """
    roles = (
        params,
        grads,
        square_avgs,
        grad_avgs if centered else None,
        momentum_buffers if momentum > 0 else None,
    )
    numbers = (lr, alpha, 1 - alpha, eps, weight_decay, momentum)
    _apply("rmsprop", roles, [()] * len(params), numbers, (maximize,))


# ----------------------------------------------------------------------------------- Adam
def adam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    max_exp_avg_sqs,
    state_steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    amsgrad,
    maximize,
    decoupled_weight_decay=False,
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
    params : list of ndarray
        The parameters θ, updated in place.
    grads : list of ndarray, shaped as ``params``
        Their gradients; left unchanged.
    exp_avgs, exp_avg_sqs : lists of ndarray, shaped as ``params``
        The first and second moment estimates ``m`` and ``v``, in place.
    max_exp_avg_sqs : list of ndarray, or None
        The running maxima ``v̂`` of ``v``, in place; read only with amsgrad.
    state_steps : list of int
        Each parameter's t, the number of this step (1 at its first).
    lr, beta1, beta2, eps, weight_decay : float
        γ, β₁, β₂, ε and λ.
    amsgrad, maximize, decoupled_weight_decay : bool
        Use the maximum of past second moments; follow the gradient upwards; decay the weights
        directly (AdamW) instead of through the gradient.
    """
    per_param = [(lr / (1 - beta1**step), math.sqrt(1 - beta2**step)) for step in state_steps]
    roles = (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs if amsgrad else None)
    numbers = (beta1, 1 - beta1, beta2, 1 - beta2, eps, weight_decay, 1 - lr * weight_decay)
    _apply("adam", roles, per_param, numbers, (decoupled_weight_decay, maximize))


# ----------------------------------------------------------------------------------- NAdam
def nadam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    mu_products,
    state_steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    momentum_decay,
    decoupled_weight_decay,
    maximize,
):
    """One step of NAdam (Adam with Nesterov momentum, Dozat 2016), in place.

    ::

        g ← -g                             if maximize
        θ ← θ(1 - γλ)                      if decoupled
        g ← g + λθ                         otherwise, if λ ≠ 0
        μ_t = β₁(1 - ½·0.96^(tψ)),  μ_{t+1} likewise       (momentum decay ψ)
        m ← β₁m + (1 - β₁)g
        v ← β₂v + (1 - β₂)g²
        d = √(v / (1 - β₂ᵗ)) + ε
        θ ← θ - γ(1 - μ_t)/(1 - ∏ᵢ₌₁ᵗ μᵢ) · g/d - γμ_{t+1}/(1 - ∏ᵢ₌₁ᵗ⁺¹ μᵢ) · m/d

    Parameters
    ----------
    params, grads, exp_avgs, exp_avg_sqs : lists of ndarray, shaped as ``params``
        θ (in place), g (unchanged), m and v (in place).
    mu_products : list of float
        Each parameter's ∏ μᵢ up to its previous step (1.0 before its first); replaced in the
        list by the product up to this step.
    state_steps : list of int
        Each parameter's t, the number of this step (1 at its first).
    lr, beta1, beta2, eps, weight_decay, momentum_decay : float
        γ, β₁, β₂, ε, λ and ψ.
    decoupled_weight_decay, maximize : bool
        Decay the weights directly (as AdamW) instead of through the gradient; follow the
        gradient upwards.
    """
    per_param = []
    for k, step in enumerate(state_steps):
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_products[k] *= mu
        product = mu_products[k]
        per_param.append(
            (
                1 - beta2**step,
                -lr * (1.0 - mu) / (1.0 - product),
                -lr * mu_next / (1.0 - product * mu_next),
            )
        )
    roles = (params, grads, exp_avgs, exp_avg_sqs)
    numbers = (1 - beta1, beta2, 1 - beta2, eps, weight_decay, 1 - lr * weight_decay)
    _apply("nadam", roles, per_param, numbers, (decoupled_weight_decay, maximize))


# ----------------------------------------------------------------------------------- RAdam
def radam(
    params,
    grads,
    exp_avgs,
    exp_avg_sqs,
    state_steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    decoupled_weight_decay,
    maximize,
):
    """One step of RAdam (Adam with its variance rectified, Liu et al. 2019), in place.

    ::

        g ← -g                             if maximize
        θ ← θ(1 - γλ)                      if decoupled
        g ← g + λθ                         otherwise, if λ ≠ 0
        m ← β₁m + (1 - β₁)g
        v ← β₂v + (1 - β₂)g²
        m̂ = m / (1 - β₁ᵗ)
        ρ∞ = 2/(1 - β₂) - 1,   ρ_t = ρ∞ - 2tβ₂ᵗ/(1 - β₂ᵗ)
        r = √((ρ_t - 4)(ρ_t - 2)ρ∞ / ((ρ∞ - 4)(ρ∞ - 2)ρ_t))
        θ ← θ - γ m̂ · √(1 - β₂ᵗ)/(√v + ε) · r     if ρ_t > 5
        θ ← θ - γ m̂                                 otherwise (the variance is not yet tractable)

    Parameters
    ----------
    params, grads, exp_avgs, exp_avg_sqs : lists of ndarray, shaped as ``params``
        θ (in place), g (unchanged), m and v (in place).
    state_steps : list of int
        Each parameter's t, the number of this step (1 at its first).
    lr, beta1, beta2, eps, weight_decay : float
        γ, β₁, β₂, ε and λ.
    decoupled_weight_decay, maximize : bool
        Decay the weights directly (as AdamW); follow the gradient upwards.
    """
    rho_inf = 2 / (1 - beta2) - 1
    per_param = []
    for step in state_steps:
        bias_correction2 = 1 - beta2**step
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        rect = 0.0
        if rho_t > 5.0:
            rect = (
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            ) ** 0.5
        per_param.append((1 - beta1**step, bias_correction2**0.5, rect))
    roles = (params, grads, exp_avgs, exp_avg_sqs)
    numbers = (lr, 1 - beta1, beta2, 1 - beta2, eps, weight_decay, 1 - lr * weight_decay)
    _apply("radam", roles, per_param, numbers, (decoupled_weight_decay, maximize))


# ----------------------------------------------------------------------------------- Adamax
def adamax(
    params,
    grads,
    exp_avgs,
    exp_infs,
    state_steps,
    *,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay,
    maximize,
):
    """One step of Adamax (Adam with the infinity norm, Kingma & Ba 2015), in place.

    ::

        g ← -g                             if maximize
        g ← g + λθ                         if λ ≠ 0
        m ← β₁m + (1 - β₁)g
        u ← max(β₂u, |g| + ε)
        θ ← θ - γ/(1 - β₁ᵗ) · m/u

    Parameters
    ----------
    params, grads, exp_avgs, exp_infs : lists of ndarray, shaped as ``params``
        θ (in place), g (unchanged), m and u (in place).
    state_steps : list of int
        Each parameter's t, the number of this step (1 at its first).
    lr, beta1, beta2, eps, weight_decay : float
        γ, β₁, β₂, ε and λ.
    maximize : bool
        Follow the gradient upwards instead of downwards.
    """
    per_param = [(lr / (1 - beta1**step),) for step in state_steps]
    roles = (params, grads, exp_avgs, exp_infs)
    _apply("adamax", roles, per_param, (1 - beta1, beta2, eps, weight_decay), (maximize,))


# ----------------------------------------------------------------------------------- Adadelta
def adadelta(
    params,
    grads,
    square_avgs,
    acc_deltas,
    *,
    lr,
    rho,
    eps,
    weight_decay,
    maximize,
):
    """One step of Adadelta (Zeiler 2012), in place.

    ::

        g ← -g                             if maximize
        g ← g + λθ                         if λ ≠ 0
        v ← ρv + (1 - ρ)g²
        Δ = √(u + ε) / √(v + ε) · g
        u ← ρu + (1 - ρ)Δ²
        θ ← θ - γΔ

    Parameters
    ----------
    params, grads, square_avgs, acc_deltas : lists of ndarray, shaped as ``params``
        θ (in place), g (unchanged), v and u (in place).
    lr, rho, eps, weight_decay : float
        γ, ρ, ε and λ.
    maximize : bool
        Follow the gradient upwards instead of downwards.
    """
    roles = (params, grads, square_avgs, acc_deltas)
    numbers = (lr, rho, 1 - rho, eps, weight_decay)
    _apply("adadelta", roles, [()] * len(params), numbers, (maximize,))
