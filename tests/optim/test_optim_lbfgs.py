"""Tests of L-BFGS against torch.optim.LBFGS (with and without the strong-Wolfe line search),
of its line search's helpers, and of what it refuses."""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import optim
from mlplab.optim import line_search

STEPS = 200


def _problem(seed=0, n=40, d=6):
    """A logistic regression with an L2 term: smooth, not quadratic."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = np.sign(x @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n))
    return x, y, rng.standard_normal(d), rng.standard_normal(1)


def _logistic(x, y, w, b, lib):
    margins = y * (x @ w + b)
    return (1 + (-margins).exp()).log().mean() + 0.01 * (w * w).sum()


def _rosenbrock(w):
    """The Rosenbrock function of a vector: a curved valley, PyTorch's own L-BFGS test."""
    return (100 * (w[1:] - w[:-1] * w[:-1]) ** 2 + (1 - w[:-1]) ** 2).sum()


def _run(lib, settings, objective, steps=STEPS):
    """Parameters and loss after each step of L-BFGS on ``objective`` (``lib``: mlplab or torch)."""
    x, y, w0, b0 = _problem()
    if objective == "rosenbrock":
        params = [lib.tensor(np.array([-1.2, 1.0, -0.5, 0.8]), requires_grad=True)]
    else:
        params = [lib.tensor(w0, requires_grad=True), lib.tensor(b0, requires_grad=True)]
    xt, yt = lib.tensor(x), lib.tensor(y)
    optimizer = (optim if lib is mlplab else torch.optim).LBFGS(params, **settings)

    def closure():
        optimizer.zero_grad()
        if objective == "rosenbrock":
            loss = _rosenbrock(params[0])
        else:
            loss = _logistic(xt, yt, params[0], params[1], lib)
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        loss = optimizer.step(closure)
        trajectory.append(
            np.concatenate([np.array(p.detach().numpy()).ravel() for p in params] + [[loss.item()]])
        )
    return np.array(trajectory), optimizer


CASES = [
    ({}, "logistic"),
    ({"lr": 0.5, "max_iter": 3, "history_size": 4}, "logistic"),
    ({"max_iter": 4, "line_search_fn": "strong_wolfe"}, "logistic"),
    ({"lr": 1, "max_iter": 5, "history_size": 3, "line_search_fn": "strong_wolfe"}, "rosenbrock"),
    ({"lr": 0.01, "max_iter": 2, "history_size": 5}, "rosenbrock"),
    ({"max_iter": 20, "tolerance_grad": 1e-5, "line_search_fn": "strong_wolfe"}, "rosenbrock"),
]


@pytest.mark.parametrize(("settings", "objective"), CASES, ids=[f"{o}-{s}" for s, o in CASES])
def test_200_steps_match_torch(settings, objective):
    ours, optimizer = _run(mlplab, settings, objective)
    theirs, torch_optimizer = _run(torch, settings, objective)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)
    # It did optimise: the loss fell, and the evaluations were counted as PyTorch counts them.
    assert ours[-1, -1] < ours[0, -1]
    ours_state = optimizer.state[optimizer.param_groups[0]["params"][0]]
    theirs_state = torch_optimizer.state[torch_optimizer.param_groups[0]["params"][0]]
    assert ours_state["func_evals"] == theirs_state["func_evals"]
    assert ours_state["n_iter"] == theirs_state["n_iter"]


def test_state_dict_round_trip_mid_run_is_exact():
    settings = {"max_iter": 3, "history_size": 5, "line_search_fn": "strong_wolfe"}
    straight, _ = _run(mlplab, settings, "rosenbrock", steps=30)
    x = np.array([-1.2, 1.0, -0.5, 0.8])
    w = mlplab.tensor(x, requires_grad=True)
    optimizer = optim.LBFGS([w], **settings)

    def closure():
        optimizer.zero_grad()
        loss = _rosenbrock(w)
        loss.backward()
        return loss

    for _ in range(15):
        optimizer.step(closure)
    saved, at = optimizer.state_dict(), w.detach().numpy().copy()
    optimizer.step(closure)  # later steps must not reach into the snapshot
    w2 = mlplab.tensor(at, requires_grad=True)
    resumed = optim.LBFGS([w2], **settings)
    resumed.load_state_dict(saved)

    def closure2():
        resumed.zero_grad()
        loss = _rosenbrock(w2)
        loss.backward()
        return loss

    for step in range(15, 30):
        resumed.step(closure2)
        assert np.array_equal(w2.detach().numpy(), straight[step, :4])


def test_a_state_dict_of_another_optimizer_is_refused_by_name():
    w = mlplab.tensor(np.array([1.0, 2.0]), requires_grad=True)
    adam = optim.Adam([w])
    w.grad = np.array([0.5, -0.5])
    adam.step()
    lbfgs = optim.LBFGS([w])
    # Adam's per-parameter state under LBFGS's own group settings: the entries give it away.
    saved = {**adam.state_dict(), "param_groups": lbfgs.state_dict()["param_groups"]}
    refused = r"entries \['exp_avg', 'exp_avg_sq', 'step'\] that LBFGS does not keep .*another"
    with pytest.raises(ValueError, match=refused):
        lbfgs.load_state_dict(saved)


def test_cubic_interpolate_finds_a_cubics_minimum():
    # f(x) = (x - 1)^3 - 3(x - 1) has its minimum at x = 2; f'(x) = 3(x - 1)^2 - 3.
    def f(x):
        return (x - 1) ** 3 - 3 * (x - 1)

    def g(x):
        return 3 * (x - 1) ** 2 - 3

    assert line_search.cubic_interpolate(1.5, f(1.5), g(1.5), 3.0, f(3.0), g(3.0)) == (
        pytest.approx(2.0, rel=1e-12)
    )
    # Clamped to the bounds given.
    assert line_search.cubic_interpolate(1.5, f(1.5), g(1.5), 3.0, f(3.0), g(3.0), (0, 1.8)) == 1.8


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: optim.LBFGS(p, lr=-1), "Invalid learning rate: -1"),
        (lambda p: optim.LBFGS(p, max_iter=0), "Invalid max_iter: 0"),
        (lambda p: optim.LBFGS(p, history_size=0), "Invalid history_size: 0"),
        (lambda p: optim.LBFGS(p, line_search_fn="armijo"), "only 'strong_wolfe' is supported"),
        (
            lambda p: optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]),
            "doesn't support per-parameter options",
        ),
    ],
)
def test_bad_settings_are_named(make, message):
    params = [mlplab.tensor([1.0], requires_grad=True), mlplab.tensor([2.0], requires_grad=True)]
    with pytest.raises(ValueError, match=message):
        make(params)


def test_step_needs_a_closure():
    optimizer = optim.LBFGS([mlplab.tensor([1.0], requires_grad=True)])
    with pytest.raises(TypeError, match=r"LBFGS\.step needs a closure"):
        optimizer.step()
