"""One step of each update rule against its equations written out in NumPy."""

import numpy as np
import pytest

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
    buffer = F.sgd(theta, grad, None, **settings)
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
    F.sgd(theta, GRAD, buffer, **settings)
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
        theta,
        GRAD,
        state_sum,
        step=4,
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
        theta,
        GRAD,
        square_avg,
        grad_avg,
        buffer,
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
        theta,
        GRAD,
        m,
        v,
        v_max,
        step=t,
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


def test_rules_work_without_scratch_and_with_it_alike():
    results = []
    for work in (None, (np.empty((3, 4)), np.empty((3, 4)))):
        theta, m, v = THETA.copy(), OTHER.copy(), STATE.copy()
        F.adam(
            theta,
            GRAD,
            m,
            v,
            None,
            step=1,
            lr=0.1,
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            weight_decay=0.1,
            amsgrad=False,
            maximize=True,
            work=work,
        )
        results.append(theta)
    assert np.array_equal(*results)


def test_float32_stays_float32():
    theta = THETA.astype(np.float32)
    grad = GRAD.astype(np.float32)
    m, v = np.zeros_like(theta), np.zeros_like(theta)
    F.adam(
        theta,
        grad,
        m,
        v,
        None,
        step=1,
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


def _sgd_nesterov(theta, grad, buffer):
    F.sgd(
        theta,
        grad,
        buffer,
        lr=0.1,
        momentum=0.9,
        dampening=0.0,
        weight_decay=0.1,
        nesterov=True,
        maximize=False,
    )


@pytest.mark.parametrize("layout", ["strided", "fortran", "float32 grad"])
def test_the_numpy_path_equals_the_blas_path(layout):
    # BLAS takes contiguous arrays of one dtype; other layouts go through NumPy, same numbers.
    theta, buffer = THETA.copy(), OTHER.copy()
    _sgd_nesterov(theta, GRAD, buffer)
    if layout == "strided":
        storage = np.zeros((3, 8))
        other_theta = storage[:, ::2]
        other_theta[...] = THETA
        grad = GRAD
    elif layout == "fortran":
        other_theta, grad = np.asfortranarray(THETA), np.asfortranarray(GRAD)
    else:
        other_theta, grad = THETA.copy(), GRAD.astype(np.float32)
    other_buffer = OTHER.copy()
    _sgd_nesterov(other_theta, grad, other_buffer)
    tolerance = 1e-7 if layout == "float32 grad" else 1e-15
    np.testing.assert_allclose(other_theta, theta, rtol=0, atol=tolerance)
    np.testing.assert_allclose(other_buffer, buffer, rtol=0, atol=tolerance)


def test_blas_on_one_thread_restores_the_thread_counts():
    from threadpoolctl import threadpool_info

    F._blas()  # loaded, as after a first step

    def counts():
        return [
            (i["filepath"], i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"
        ]

    before = counts()
    with F.blas_on_one_thread():
        assert all(n == 1 for _, n in counts())
    assert counts() == before
