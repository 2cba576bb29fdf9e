"""One step of each update rule against its equations written out in NumPy."""

import numpy as np
import pytest

import mlplab
from mlplab import nn, optim
from mlplab.optim import functional as F

RNG = np.random.default_rng(0)
THETA = RNG.standard_normal((3, 4))
GRAD = RNG.standard_normal((3, 4))
STATE = np.abs(RNG.standard_normal((3, 4)))  # a positive running average, for the denominators
OTHER = RNG.standard_normal((3, 4)) * 0.1


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize(
    ("momentum", "dampening", "nesterov"),
    [(0.0, 0.0, False), (0.9, 0.0, False), (0.9, 0.3, False), (0.9, 0.0, True)],
)
def test_sgd(momentum, dampening, nesterov, weight_decay, maximize):
    settings = {
        "lr": 0.1,
        "momentum": momentum,
        "dampening": dampening,
        "weight_decay": weight_decay,
        "nesterov": nesterov,
        "maximize": maximize,
    }
    g = (-GRAD if maximize else GRAD) + weight_decay * THETA
    # first step: the buffer starts as the gradient itself
    theta, grad = THETA.copy(), GRAD.copy()
    buffers = [None]
    F.sgd([theta], [grad], buffers, **settings)
    (buffer,) = buffers
    if momentum == 0:
        assert buffer is None
        _close(theta, THETA - 0.1 * g)
    else:
        _close(buffer, g)
        _close(theta, THETA - 0.1 * (g + momentum * g if nesterov else g))
    assert np.array_equal(grad, GRAD)  # the gradient is read, never written
    if momentum == 0:
        return
    # a later step: b ← μb + (1 - τ)g
    theta, buffer = THETA.copy(), OTHER.copy()
    F.sgd([theta], [GRAD], [buffer], **settings)
    expected_buffer = momentum * OTHER + (1 - dampening) * g
    _close(buffer, expected_buffer)
    step = g + momentum * expected_buffer if nesterov else expected_buffer
    _close(theta, THETA - 0.1 * step)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("lr_decay", [0.0, 0.05])
def test_adagrad(lr_decay, weight_decay, maximize):
    theta, state_sum = THETA.copy(), STATE.copy()
    F.adagrad(
        [theta],
        [GRAD],
        [state_sum],
        [4],
        lr=0.1,
        lr_decay=lr_decay,
        weight_decay=weight_decay,
        eps=1e-10,
        maximize=maximize,
    )
    g = (-GRAD if maximize else GRAD) + weight_decay * THETA
    expected_sum = STATE + g * g
    clr = 0.1 / (1 + 3 * lr_decay)
    _close(state_sum, expected_sum)
    _close(theta, THETA - clr * g / (np.sqrt(expected_sum) + 1e-10))


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_rmsprop(momentum, centered, weight_decay, maximize):
    theta, square_avg = THETA.copy(), STATE.copy()
    grad_avg = OTHER.copy() if centered else None
    buffer = OTHER.copy() * 2 if momentum else None
    alpha, eps, lr = 0.9, 1e-8, 0.01
    F.rmsprop(
        [theta],
        [GRAD],
        [square_avg],
        [grad_avg],
        [buffer],
        lr=lr,
        alpha=alpha,
        eps=eps,
        weight_decay=weight_decay,
        momentum=momentum,
        centered=centered,
        maximize=maximize,
    )
    g = (-GRAD if maximize else GRAD) + weight_decay * THETA
    v = alpha * STATE + (1 - alpha) * g * g
    _close(square_avg, v)
    if centered:
        g_bar = alpha * OTHER + (1 - alpha) * g
        _close(grad_avg, g_bar)
        v = v - g_bar**2
    step = g / (np.sqrt(v) + eps)
    if momentum:
        step = momentum * OTHER * 2 + step
        _close(buffer, step)
    _close(theta, THETA - lr * step)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam(decoupled, amsgrad, weight_decay, maximize):
    beta1, beta2, eps, lr, t = 0.8, 0.99, 1e-8, 0.01, 3
    theta, m, v = THETA.copy(), OTHER.copy(), STATE.copy()
    v_max = STATE.copy() * 1.5 if amsgrad else None
    F.adam(
        [theta],
        [GRAD],
        [m],
        [v],
        [v_max],
        [t],
        lr=lr,
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        weight_decay=weight_decay,
        amsgrad=amsgrad,
        maximize=maximize,
        decoupled_weight_decay=decoupled,
    )
    g = -GRAD if maximize else GRAD
    start = THETA
    if decoupled:
        start = THETA * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * THETA
    expected_m = beta1 * OTHER + (1 - beta1) * g
    expected_v = beta2 * STATE + (1 - beta2) * g * g
    _close(m, expected_m)
    _close(v, expected_v)
    second = expected_v
    if amsgrad:
        second = np.maximum(STATE * 1.5, expected_v)
        _close(v_max, second)
    m_hat = expected_m / (1 - beta1**t)
    v_hat = second / (1 - beta2**t)
    _close(theta, start - lr * m_hat / (np.sqrt(v_hat) + eps))


def _decayed(maximize, weight_decay, decoupled, lr):
    """The gradient after maximize and L2 decay, and the parameter after decoupled decay."""
    g = -GRAD if maximize else GRAD
    if decoupled:
        return g, THETA * (1 - lr * weight_decay)
    return g + weight_decay * THETA, THETA


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("decoupled", [False, True])
def test_nadam(decoupled, weight_decay, maximize):
    beta1, beta2, eps, lr, psi, t, product = 0.8, 0.99, 1e-8, 0.01, 4e-3, 3, 0.4
    theta, m, v, products = THETA.copy(), OTHER.copy(), STATE.copy(), [product]
    F.nadam(
        [theta], [GRAD], [m], [v], products, [t], lr=lr, beta1=beta1, beta2=beta2, eps=eps,
        weight_decay=weight_decay, momentum_decay=psi, decoupled_weight_decay=decoupled,
        maximize=maximize,
    )  # fmt: skip
    g, start = _decayed(maximize, weight_decay, decoupled, lr)
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    assert products == [pytest.approx(product * mu, rel=1e-15)]
    expected_m = beta1 * OTHER + (1 - beta1) * g
    expected_v = beta2 * STATE + (1 - beta2) * g * g
    _close(m, expected_m)
    _close(v, expected_v)
    d = np.sqrt(expected_v / (1 - beta2**t)) + eps
    step = lr * (1 - mu) / (1 - product * mu) * g / d
    step += lr * mu_next / (1 - product * mu * mu_next) * expected_m / d
    _close(theta, start - step)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("decoupled", [False, True])
@pytest.mark.parametrize("t", [2, 9])  # ρ_t <= 5 (a plain momentum step), then > 5
def test_radam(t, decoupled, weight_decay, maximize):
    beta1, beta2, eps, lr = 0.8, 0.9, 1e-8, 0.01
    theta, m, v = THETA.copy(), OTHER.copy(), STATE.copy()
    F.radam(
        [theta], [GRAD], [m], [v], [t], lr=lr, beta1=beta1, beta2=beta2, eps=eps,
        weight_decay=weight_decay, decoupled_weight_decay=decoupled, maximize=maximize,
    )  # fmt: skip
    g, start = _decayed(maximize, weight_decay, decoupled, lr)
    expected_m = beta1 * OTHER + (1 - beta1) * g
    expected_v = beta2 * STATE + (1 - beta2) * g * g
    _close(m, expected_m)
    _close(v, expected_v)
    m_hat = expected_m / (1 - beta1**t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t > 5:
        r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        _close(theta, start - lr * m_hat * np.sqrt(1 - beta2**t) / (np.sqrt(expected_v) + eps) * r)
    else:
        assert t == 2  # the case chosen for it
        _close(theta, start - lr * m_hat)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adamax(weight_decay, maximize):
    beta1, beta2, eps, lr, t = 0.8, 0.99, 1e-8, 0.01, 3
    theta, m, u = THETA.copy(), OTHER.copy(), STATE.copy()
    F.adamax(
        [theta], [GRAD], [m], [u], [t], lr=lr, beta1=beta1, beta2=beta2, eps=eps,
        weight_decay=weight_decay, maximize=maximize,
    )  # fmt: skip
    g, _ = _decayed(maximize, weight_decay, False, lr)
    expected_m = beta1 * OTHER + (1 - beta1) * g
    expected_u = np.maximum(beta2 * STATE, np.abs(g) + eps)
    _close(m, expected_m)
    _close(u, expected_u)
    _close(theta, THETA - lr / (1 - beta1**t) * expected_m / expected_u)


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adadelta(weight_decay, maximize):
    lr, rho, eps = 0.5, 0.9, 1e-6
    theta, v, u = THETA.copy(), STATE.copy(), STATE.copy() * 0.1
    F.adadelta(
        [theta], [GRAD], [v], [u], lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
        maximize=maximize,
    )  # fmt: skip
    g, _ = _decayed(maximize, weight_decay, False, lr)
    expected_v = rho * STATE + (1 - rho) * g * g
    delta = np.sqrt(STATE * 0.1 + eps) / np.sqrt(expected_v + eps) * g
    _close(v, expected_v)
    _close(u, rho * STATE * 0.1 + (1 - rho) * delta * delta)
    _close(theta, THETA - lr * delta)


def test_float32_stays_float32():
    theta = THETA.astype(np.float32)
    grad = GRAD.astype(np.float32)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    F.adam(
        [theta],
        [grad],
        [m],
        [v],
        None,
        [1],
        lr=0.1,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        maximize=False,
    )
    assert theta.dtype == m.dtype == v.dtype == np.float32
    # Adam's first step moves every coordinate by about lr against the gradient's sign.
    np.testing.assert_allclose(theta, THETA - 0.1 * np.sign(GRAD), rtol=1e-4, atol=1e-4)


def test_contiguous_float_arrays_take_the_compiled_loop():
    def walkable(*arrays):  # one parameter, its arrays in their roles
        return F._flat_views([[a] for a in arrays]) is not None

    for dtype in (np.float32, np.float64):
        theta = THETA.astype(dtype)
        ((view,), _, _) = F._flat_views([[theta], [theta.copy()], [theta.copy()]])
        assert view.shape == (12,) and np.shares_memory(view, theta)  # written in place
    assert not walkable(np.asfortranarray(THETA), THETA)  # a layout the loop cannot walk
    assert not walkable(THETA, GRAD.astype(np.float32))  # mixed dtypes
    assert not walkable(THETA.astype(np.float16), GRAD.astype(np.float16))
    assert not walkable(THETA, GRAD[:2])  # shapes differ
    read_only = GRAD.copy()
    read_only.flags.writeable = False
    assert not walkable(THETA, read_only)
    # Over several parameters, one that cannot be walked sends the call down the general path.
    assert F._flat_views([[THETA, THETA.copy()], [GRAD, np.asfortranarray(GRAD)]]) is None


@pytest.mark.parametrize("layout", ["fortran", "strided", "float32 grad", "read-only grad"])
def test_any_layout_gives_the_same_step(layout):
    settings = {"lr": 0.1, "momentum": 0.9, "dampening": 0.0, "weight_decay": 0.1}
    theta, buffer = THETA.copy(), OTHER.copy()
    F.sgd([theta], [GRAD], [buffer], nesterov=True, maximize=False, **settings)
    grad = GRAD
    if layout == "fortran":
        other_theta, grad = np.asfortranarray(THETA), np.asfortranarray(GRAD)
    elif layout == "strided":
        other_theta = np.zeros((3, 8))[:, ::2]
        other_theta[...] = THETA
    elif layout == "float32 grad":
        other_theta, grad = THETA.copy(), GRAD.astype(np.float32)
    else:
        other_theta, grad = THETA.copy(), GRAD.copy()
        grad.flags.writeable = False
    other_buffer = OTHER.copy()
    F.sgd([other_theta], [grad], [other_buffer], nesterov=True, maximize=False, **settings)
    tolerance = 1e-7 if layout == "float32 grad" else 0
    np.testing.assert_allclose(other_theta, theta, rtol=0, atol=tolerance)
    np.testing.assert_allclose(other_buffer, buffer, rtol=0, atol=tolerance)


def _adam_on(params, steps):
    """One Adam step over ``params`` at ``steps``; returns every array it wrote."""
    grads = [np.cos(p * 3) for p in params]  # any gradient of each parameter's shape and dtype
    m, v = [np.full_like(p, 0.1) for p in params], [np.full_like(p, 0.2) for p in params]
    F.adam(
        params, grads, m, v, None, steps, lr=0.01, beta1=0.9, beta2=0.99, eps=1e-8,
        weight_decay=0.1, amsgrad=False, maximize=False,
    )  # fmt: skip
    return [*params, *m, *v]


def test_one_call_over_many_parameters_equals_one_call_each():
    # More parameters than one compiled call takes, of both float dtypes, some in a layout the
    # compiled loop cannot walk, each at its own step: every one gets its own update.
    rng = np.random.default_rng(1)
    shapes = [(3, 4), (5,), (2, 3, 2), (7, 1), (1,), (4, 4), (6,), (2, 5), (3,), (8, 2), (2, 2)]
    made = [rng.standard_normal(shape) for shape in shapes]
    made[2] = np.asfortranarray(made[2])
    made[5] = made[5].astype(np.float32)
    made[9] = made[9].astype(np.float32)
    steps = [k % 4 + 1 for k in range(len(made))]
    together = _adam_on([p.copy(order="K") for p in made], steps)
    one_by_one = [_adam_on([p.copy(order="K")], [t]) for p, t in zip(made, steps, strict=True)]
    count = len(made)
    for k, arrays in enumerate(one_by_one):
        for role, array in enumerate(arrays):
            np.testing.assert_array_equal(together[role * count + k], array)
            assert together[role * count + k].dtype == made[k].dtype


def test_a_gradient_of_another_shape_is_refused_before_anything_moves():
    fine, other = THETA.copy(), THETA.copy()
    with pytest.raises(ValueError, match=r"parameter 1 has shape \(3, 4\) but its gradient"):
        F.sgd(
            [fine, other], [GRAD, GRAD[0]], [None, None], lr=0.1, momentum=0.0, dampening=0.0,
            weight_decay=0.0, nesterov=False, maximize=False,
        )  # fmt: skip
    np.testing.assert_array_equal(fine, THETA)
    np.testing.assert_array_equal(other, THETA)


def test_lists_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match=r"lengths \[2, 1\]: give one entry per parameter"):
        F.sgd(
            [THETA.copy(), THETA.copy()], [GRAD], [None, None], lr=0.1, momentum=0.0,
            dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False,
        )  # fmt: skip


@pytest.mark.parametrize(
    "name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "Adamax", "Adadelta"]
)
def test_an_mlps_float32_parameters_take_the_compiled_loops(name, monkeypatch):
    model = nn.MLP([4, 8, 3], generator=mlplab.Generator(0))
    x = mlplab.tensor(np.ones((5, 4), dtype=np.float32))
    nn.CrossEntropyLoss()(model(x), mlplab.tensor(np.array([0, 1, 2, 0, 1]))).backward()
    before = [p._data.copy() for p in model.parameters()]
    slow = []
    monkeypatch.setattr(F, "_apply_to_whole_arrays", lambda *args: slow.append(args))
    getattr(optim, name)(model.parameters(), lr=0.1).step()
    assert not slow
    moved = [
        not np.array_equal(p._data, b) for p, b in zip(model.parameters(), before, strict=True)
    ]
    assert all(moved)


def test_empty_lists_are_a_step_over_nothing():
    buffers = []
    F.sgd([], [], buffers, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0,
          nesterov=False, maximize=False)  # fmt: skip
    F.adam([], [], [], [], None, [], lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
           amsgrad=False, maximize=False)  # fmt: skip
    assert buffers == []
