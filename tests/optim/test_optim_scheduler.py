"""Tests of schedulers composing (PyTorch's chainable form): stacks of two and three on one
optimizer, ReduceLROnPlateau among them, against torch over 100 epochs, and the product rule."""

import math

import numpy as np
import pytest
import torch

import mlplab
from mlplab import optim
from mlplab.optim import lr_scheduler

EPOCHS = 100
BASE_LRS = (0.1, 0.05)


def _optimizers():
    ours = optim.SGD(
        [{"params": [mlplab.tensor([1.0], requires_grad=True)], "lr": lr} for lr in BASE_LRS],
        momentum=0.9,
    )
    theirs = torch.optim.SGD(
        [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in BASE_LRS],
        momentum=0.9,
    )
    return ours, theirs


def _metrics():
    """A noisy, slowly improving validation loss: it plateaus often enough to trigger cuts."""
    rng = np.random.default_rng(0)
    return 1.0 / np.arange(1, EPOCHS + 1) ** 0.3 + 0.05 * rng.standard_normal(EPOCHS)


def _lambda(epoch):
    return 0.95**epoch


# Each stack: a function of (scheduler module, optimizer) building the schedulers in order.
STACKS = {
    "constant+exp": lambda m, o: [m.ConstantLR(o, 0.4), m.ExponentialLR(o, 0.9)],
    "step+plateau": lambda m, o: [
        m.StepLR(o, 7, 0.5),
        m.ReduceLROnPlateau(o, patience=2, factor=0.5),
    ],
    "cosine(eta_min)+exp": lambda m, o: [
        m.CosineAnnealingLR(o, 20, eta_min=0.01),
        m.ExponentialLR(o, 0.97),
    ],
    "cosine+plateau": lambda m, o: [
        m.CosineAnnealingLR(o, 10, eta_min=0.001),
        m.ReduceLROnPlateau(o, patience=1, factor=0.7),
    ],
    "linear+multistep": lambda m, o: [
        m.LinearLR(o, 0.1, total_iters=10),
        m.MultiStepLR(o, [20, 50, 50], 0.3),
    ],
    "polynomial+step": lambda m, o: [m.PolynomialLR(o, 80, 2.0), m.StepLR(o, 10, 0.7)],
    "multiplicative+constant": lambda m, o: [
        m.MultiplicativeLR(o, lambda e: 0.98),
        m.ConstantLR(o, 0.5, 7),
    ],
    "lambda+exp": lambda m, o: [m.LambdaLR(o, _lambda), m.ExponentialLR(o, 0.99)],
    "cyclic+exp": lambda m, o: [
        m.CyclicLR(o, 0.01, 0.1, 5, cycle_momentum=False),
        m.ExponentialLR(o, 0.99),
    ],
    "restarts+plateau": lambda m, o: [
        m.CosineAnnealingWarmRestarts(o, 5, 2),
        m.ReduceLROnPlateau(o, patience=0, factor=0.5),
    ],
    "linear+cosine+plateau": lambda m, o: [
        m.LinearLR(o, 0.2, total_iters=5),
        m.CosineAnnealingLR(o, 40),
        m.ReduceLROnPlateau(o, patience=3, factor=0.5, cooldown=2),
    ],
    "step+exp+multistep": lambda m, o: [
        m.StepLR(o, 7, 0.5),
        m.ExponentialLR(o, 0.98),
        m.MultiStepLR(o, [30, 60], 0.2),
    ],
    "constant+polynomial+plateau(max)": lambda m, o: [
        m.ConstantLR(o, 0.5, 10),
        m.PolynomialLR(o, 120, 1.5),
        m.ReduceLROnPlateau(o, mode="max", patience=2, threshold=0.01, threshold_mode="abs"),
    ],
    "chained+plateau": lambda m, o: [
        m.ChainedScheduler([m.LinearLR(o, 0.3, total_iters=6), m.ExponentialLR(o, 0.96)]),
        m.ReduceLROnPlateau(o, patience=2, factor=0.3),
    ],
    "sequential+plateau": lambda m, o: [
        m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=5), m.CosineAnnealingLR(o, 30)], [5]),
        m.ReduceLROnPlateau(o, patience=1, factor=0.5),
    ],
}


def _run(schedulers, optimizer):
    """The groups' rates at epoch 0 and after each of EPOCHS steps of every scheduler."""
    lrs = [[group["lr"] for group in optimizer.param_groups]]
    for metric in _metrics():
        optimizer.step()
        for scheduler in schedulers:
            if isinstance(
                scheduler,
                lr_scheduler.ReduceLROnPlateau | torch.optim.lr_scheduler.ReduceLROnPlateau,
            ):
                scheduler.step(metric)
            else:
                scheduler.step()
        lrs.append([group["lr"] for group in optimizer.param_groups])
    return np.array(lrs)


@pytest.mark.parametrize("name", list(STACKS))
def test_stacked_schedulers_match_torch(name):
    ours_opt, theirs_opt = _optimizers()
    ours = _run(STACKS[name](lr_scheduler, ours_opt), ours_opt)
    theirs = _run(STACKS[name](torch.optim.lr_scheduler, theirs_opt), theirs_opt)
    assert np.max(np.abs(ours - theirs)) <= 1e-12
    # The stack did change the rates, in more than one way.
    assert len(np.unique(ours[:, 0])) > 3


def test_the_issues_example():
    # ConstantLR(0.4) then ExponentialLR(0.9) on lr 1: PyTorch gives 0.4, 0.36, 0.324.
    optimizer = optim.SGD([mlplab.tensor([1.0], requires_grad=True)], lr=1.0)
    lr_scheduler.ConstantLR(optimizer, 0.4)
    exp = lr_scheduler.ExponentialLR(optimizer, 0.9)
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(2):
        exp.step()
        rates.append(optimizer.param_groups[0]["lr"])
    assert rates == pytest.approx([0.4, 0.36, 0.324], rel=1e-15)


def test_a_plateau_cut_stays_beside_a_step_schedule():
    optimizer = optim.SGD([mlplab.tensor([1.0], requires_grad=True)], lr=1.0)
    step = lr_scheduler.StepLR(optimizer, 2, 0.5)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.1)
    plateau.step(1.0)
    plateau.step(2.0)  # worse: cut to 0.1
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1)
    step.step()
    step.step()  # epoch 2: halved, from the cut rate
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.05)


def test_multiplicative_schedules_compose_as_the_product_of_their_factors():
    def alone(build):
        optimizer, _ = _optimizers()
        scheduler = build(optimizer)
        return np.array([scheduler.lr_at(e) for e in range(EPOCHS + 1)]) / np.array(BASE_LRS)

    builds = [
        lambda o: lr_scheduler.LinearLR(o, 0.1, total_iters=10),
        lambda o: lr_scheduler.StepLR(o, 7, 0.5),
        lambda o: lr_scheduler.PolynomialLR(o, 150, 2.0),
    ]
    optimizer, _ = _optimizers()
    stacked = _run([build(optimizer) for build in builds], optimizer)
    product = np.array(BASE_LRS) * math.prod(alone(build) for build in builds)
    np.testing.assert_allclose(stacked, product, rtol=1e-13, atol=0)


def test_chained_scheduler_lr_at_replays_its_steps():
    optimizer, _ = _optimizers()
    chained = lr_scheduler.ChainedScheduler(
        [
            lr_scheduler.CosineAnnealingLR(optimizer, 12, eta_min=0.01),
            lr_scheduler.MultiplicativeLR(optimizer, lambda e: 0.97),
        ]
    )
    assert chained.lr_at(0) == [g["lr"] for g in optimizer.param_groups]
    for epoch in range(1, 30):
        chained.step()
        assert chained.lr_at(epoch) == pytest.approx(chained.get_last_lr(), rel=1e-13)


def test_chained_scheduler_refuses_plateau_and_other_optimizers():
    optimizer, _ = _optimizers()
    other, _ = _optimizers()
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer)
    with pytest.raises(ValueError, match=r"does not support ReduceLROnPlateau \(index 0\)"):
        lr_scheduler.ChainedScheduler([plateau])
    with pytest.raises(ValueError, match="same optimizer, but the scheduler at index 1"):
        lr_scheduler.ChainedScheduler(
            [lr_scheduler.StepLR(optimizer, 3), lr_scheduler.StepLR(other, 3)]
        )
    with pytest.raises(ValueError, match="at least one scheduler"):
        lr_scheduler.ChainedScheduler([])


def test_a_tensor_lr_is_updated_in_place():
    lr = mlplab.tensor(0.1, dtype="float64")
    optimizer = optim.SGD([mlplab.tensor([1.0], requires_grad=True)], lr=lr)
    scheduler = lr_scheduler.ExponentialLR(optimizer, 0.5)
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] is lr
    assert lr.item() == pytest.approx(0.05)
    assert scheduler.get_last_lr() == [pytest.approx(0.05)]


@pytest.mark.parametrize("name", ["SGD", "Adam", "NAdam", "Adadelta"])
def test_a_tensor_lr_with_stacked_schedules_steps_as_torch(name):
    """An optimizer given lr as a tensor, two schedules moving it: PyTorch's trajectory."""
    rng = np.random.default_rng(0)
    start, grads = rng.standard_normal(5), rng.standard_normal((60, 5))

    def run(lib, module, float64):
        w = lib.tensor(start.copy(), requires_grad=True)
        optimizer = getattr(module, name)([w], lr=lib.tensor(0.05, dtype=float64))
        schedulers = [
            module.lr_scheduler.LinearLR(optimizer, 0.2, total_iters=10),
            module.lr_scheduler.StepLR(optimizer, 7, 0.5),
        ]
        for g in grads:
            w.grad = lib.tensor(g + 0.3 * w.detach().numpy())
            optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
        return w.detach().numpy(), float(optimizer.param_groups[0]["lr"])

    ours, ours_lr = run(mlplab, optim, "float64")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam's scalar state in float64, as mlplab keeps it
    try:
        theirs, theirs_lr = run(torch, torch.optim, torch.float64)
    finally:
        torch.set_default_dtype(previous)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert ours_lr == pytest.approx(theirs_lr, rel=1e-14)
