"""SGD's behaviour: momentum on a poorly conditioned quadratic, weight decay as an L2 penalty."""

import numpy as np

import mlplab
from mlplab import optim

# f(θ) = ½ Σ h_i θ_i²: curvatures 1 and 100, a condition number of 100.
CURVATURES = np.array([1.0, 100.0])
START = np.array([1.0, 1.0])
LR = 0.01  # plain SGD is stable below 2/100, Nesterov (μ = 0.9) below 1.36/100
MU = 0.9


def _loss(theta):
    return (mlplab.tensor(CURVATURES) * theta * theta).sum() * 0.5


def _losses(steps, **settings):
    theta = mlplab.tensor(START.copy(), requires_grad=True)
    optimizer = optim.SGD([theta], **settings)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = _loss(theta)
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return np.array(losses)


def _steps_to_reach(target, **settings):
    losses = _losses(3000, **settings)
    below = np.flatnonzero(losses < target)
    return int(below[0]) if below.size else None


def test_momentum_and_nesterov_beat_plain_sgd_at_the_same_learning_rate():
    target = 1e-6
    plain = _steps_to_reach(target, lr=LR)
    heavy_ball = _steps_to_reach(target, lr=LR, momentum=MU)
    nesterov = _steps_to_reach(target, lr=LR, momentum=MU, nesterov=True)
    assert plain is not None and heavy_ball is not None and nesterov is not None
    assert heavy_ball < plain / 3
    assert nesterov < plain / 3


def test_raising_the_learning_rate_instead_of_using_momentum_diverges():
    # Along a direction of constant gradient, momentum's step grows to lr/(1 - μ): ten times lr.
    # Plain SGD with that rate overshoots the stiff direction (lr·100 > 2) and blows up, while
    # momentum at the small lr converges: momentum is not just a larger learning rate.
    effective = LR / (1 - MU)
    raised = _losses(50, lr=effective)
    assert raised[-1] > 1e6 * raised[0]
    assert np.all(np.diff(raised[1:]) > 0)
    momentum = _losses(500, lr=LR, momentum=MU)
    assert momentum[-1] < 1e-10 * momentum[0]


def test_weight_decay_equals_an_added_l2_penalty():
    decay = 0.25
    rng = np.random.default_rng(0)
    targets = [rng.standard_normal(4) for _ in range(100)]

    def trajectory(weight_decay, penalty):
        theta = mlplab.tensor(np.ones(4), requires_grad=True)
        optimizer = optim.SGD([theta], lr=0.05, momentum=0.9, weight_decay=weight_decay)
        path = []
        for target in targets:
            optimizer.zero_grad()
            loss = ((theta - mlplab.tensor(target)) ** 2).sum()
            if penalty:
                loss = loss + (theta * theta).sum() * (penalty / 2)
            loss.backward()
            optimizer.step()
            path.append(theta._data.copy())
        return np.array(path)

    with_decay = trajectory(decay, 0.0)
    with_penalty = trajectory(0.0, decay)
    # Equal up to rounding: autograd adds the penalty's gradient as θ·w/2 twice (θ·θ uses θ
    # twice), the optimizer adds w·θ once.
    np.testing.assert_allclose(with_decay, with_penalty, rtol=0, atol=1e-14)
    assert not np.allclose(with_decay, trajectory(0.0, 0.0))
