"""Adam's coupled weight decay against AdamW's decoupled decay."""

import numpy as np

import mlplab
from mlplab import optim

DECAY = 0.5
LR = 0.05
RNG = np.random.default_rng(0)
TARGETS = [RNG.standard_normal(4) for _ in range(50)]


def _trajectory(optimizer_class, weight_decay, penalty):
    theta = mlplab.tensor(np.ones(4), requires_grad=True)
    optimizer = optimizer_class([theta], lr=LR, weight_decay=weight_decay)
    path = []
    for target in TARGETS:
        optimizer.zero_grad()
        loss = ((theta - mlplab.tensor(target)) ** 2).sum()
        if penalty:
            loss = loss + (theta * theta).sum() * (penalty / 2)
        loss.backward()
        optimizer.step()
        path.append(theta._data.copy())
    return np.array(path)


def test_adam_weight_decay_is_an_l2_penalty_and_adamw_is_not():
    with_penalty = _trajectory(optim.Adam, 0.0, DECAY)
    # Adam's weight_decay adds λθ to the gradient: the same as the penalty (up to rounding).
    np.testing.assert_allclose(_trajectory(optim.Adam, DECAY, 0.0), with_penalty, atol=1e-13)
    # AdamW's decay bypasses the adaptive scaling: a different trajectory.
    decoupled = _trajectory(optim.AdamW, DECAY, 0.0)
    assert np.max(np.abs(decoupled - with_penalty)) > 1e-2


def test_adamw_follows_its_formula():
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    theta = np.ones(4)
    m, v = np.zeros(4), np.zeros(4)
    expected = []
    for t, target in enumerate(TARGETS, start=1):
        g = 2 * (theta - target)
        theta = theta * (1 - LR * DECAY)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        theta = theta - LR * m_hat / (np.sqrt(v_hat) + eps)
        expected.append(theta)
    np.testing.assert_allclose(_trajectory(optim.AdamW, DECAY, 0.0), expected, atol=1e-12)
