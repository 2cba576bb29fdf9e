"""Tests of the learning-rate schedules: PyTorch's rate sequences, resuming, the string specs.

The string specs live in ``mlplab.optim.schedule_spec``; its tests are here, beside the classes
they build, and go through ``lr_scheduler.from_string``/``parse_spec`` as the command line does.
"""

import math
import re

import numpy as np
import pytest
import torch

import mlplab
from mlplab import optim
from mlplab.optim import lr_scheduler, schedule_spec

EPOCHS = 100
BASE_LRS = (0.1, 0.05)


def _lambda(epoch):
    return 0.9**epoch / (1 + epoch)


def _lambda_other(epoch):
    return 1.0 + math.sin(epoch)


def _shrink(epoch):
    return 0.97 if epoch % 4 else 1.05


def _halving(cycle):
    return 0.5**cycle


# (name, arguments): the same call builds the mlplab and the torch scheduler.
CASES = [
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 10}),
    ("StepLR", {"step_size": 10, "gamma": 0.5}),
    ("StepLR", {"step_size": 3}),
    ("MultiStepLR", {"milestones": [10, 20, 20, 50], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.95}),
    ("CosineAnnealingLR", {"T_max": 30, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 100}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 20}),
    ("LambdaLR", {"lr_lambda": _lambda}),
    ("LambdaLR", {"lr_lambda": [_lambda, _lambda_other]}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 100}),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "epochs": 10, "steps_per_epoch": 10, "pct_start": 0.25}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 100, "three_phase": True}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 120, "anneal_strategy": "linear"}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 40, "power": 2.0}),
    ("PolynomialLR", {"total_iters": 150, "power": 0.5}),
    ("MultiplicativeLR", {"lr_lambda": _shrink}),
    ("MultiplicativeLR", {"lr_lambda": [_shrink, _lambda_other]}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 7}),
    (
        "CyclicLR",
        {
            "base_lr": [0.01, 0.02],
            "max_lr": 0.2,
            "step_size_up": 5,
            "step_size_down": 12,
            "mode": "triangular2",
            "base_momentum": 0.7,
            "max_momentum": 0.95,
        },
    ),
    (
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 4,
            "mode": "exp_range",
            "gamma": 0.97,
            "cycle_momentum": False,
        },
    ),
    (
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 3,
            "scale_fn": _halving,
            "scale_mode": "iterations",
            "cycle_momentum": False,
        },
    ),
    ("CosineAnnealingWarmRestarts", {"T_0": 10}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}),
]


def _optimizers(kind="SGD"):
    settings = {"momentum": 0.9} if kind == "SGD" else {}
    ours = getattr(optim, kind)(
        [{"params": [mlplab.tensor([1.0], requires_grad=True)], "lr": lr} for lr in BASE_LRS],
        **settings,
    )
    theirs = getattr(torch.optim, kind)(
        [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in BASE_LRS],
        **settings,
    )
    return ours, theirs


def _momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def _sequence(scheduler, optimizer, steps=EPOCHS):
    lrs = [[g["lr"] for g in optimizer.param_groups]]
    momenta = [_momenta(optimizer)]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append([g["lr"] for g in optimizer.param_groups])
        momenta.append(_momenta(optimizer))
        assert scheduler.get_last_lr() == lrs[-1]
    return np.array(lrs), np.array(momenta)


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
# Ids by position within each schedule: settings holding functions would print their addresses,
# which differ between pytest-xdist workers.
@pytest.mark.parametrize(
    ("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)]
)
def test_rate_sequence_matches_torch(name, kwargs, kind):
    ours_opt, theirs_opt = _optimizers(kind)
    ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
    our_lrs, our_momenta = _sequence(ours, ours_opt)
    their_lrs, their_momenta = _sequence(theirs, theirs_opt)
    assert np.max(np.abs(our_lrs - their_lrs)) <= 1e-12
    assert np.max(np.abs(our_momenta - their_momenta)) <= 1e-12
    assert ours.last_epoch == theirs.last_epoch == EPOCHS


def _sequential(module, optimizer, kind):
    """The same SequentialLR built from ``module`` (mlplab's or torch's scheduler module)."""
    if kind == "warmup-cosine":
        parts = [
            module.LinearLR(optimizer, start_factor=0.1, total_iters=5),
            module.CosineAnnealingLR(optimizer, T_max=30),
        ]
        return module.SequentialLR(optimizer, parts, milestones=[5])
    parts = [
        module.ConstantLR(optimizer, factor=0.5, total_iters=3),
        module.ExponentialLR(optimizer, gamma=0.9),
        module.StepLR(optimizer, step_size=7, gamma=0.5),
    ]
    return module.SequentialLR(optimizer, parts, milestones=[10, 40])


@pytest.mark.parametrize("kind", ["warmup-cosine", "three-parts"])
def test_sequential_matches_torch(kind):
    ours_opt, theirs_opt = _optimizers()
    our_lrs, _ = _sequence(_sequential(lr_scheduler, ours_opt, kind), ours_opt)
    their_lrs, _ = _sequence(_sequential(torch.optim.lr_scheduler, theirs_opt, kind), theirs_opt)
    assert np.max(np.abs(our_lrs - their_lrs)) <= 1e-12


def _metrics():
    rng = np.random.default_rng(0)
    return 1.0 / np.arange(1, EPOCHS + 1) ** 0.3 + 0.05 * rng.standard_normal(EPOCHS)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"patience": 2, "factor": 0.5, "cooldown": 3},
        {"mode": "max", "patience": 1, "threshold": 0.01, "threshold_mode": "abs"},
        {"patience": 0, "factor": 0.5, "min_lr": [0.01, 0.02]},
    ],
)
def test_reduce_on_plateau_matches_torch(kwargs):
    ours_opt, theirs_opt = _optimizers()
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kwargs)
    for metric in _metrics():
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.num_bad_epochs == theirs.num_bad_epochs
    assert ours.get_last_lr() != list(BASE_LRS)


def _builders():
    """Scheduler builders for the resume test, each taking an optimizer."""
    return {
        "step": lambda o: lr_scheduler.StepLR(o, 7, 0.5),
        "cosine": lambda o: lr_scheduler.CosineAnnealingLR(o, 30),
        "onecycle": lambda o: lr_scheduler.OneCycleLR(o, 0.5, total_steps=EPOCHS),
        "lambda": lambda o: lr_scheduler.LambdaLR(o, _lambda),
        "sequential": lambda o: _sequential(lr_scheduler, o, "three-parts"),
        "spec": lambda o: lr_scheduler.from_string("warmup:5+cosine", o, epochs=EPOCHS),
        "polynomial": lambda o: lr_scheduler.PolynomialLR(o, 60, 2.0),
        "multiplicative": lambda o: lr_scheduler.MultiplicativeLR(o, _shrink),
        "cyclic": lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, 6, mode="triangular2"),
        "restarts": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 3, 2, 0.001),
        "chained": lambda o: lr_scheduler.ChainedScheduler(
            [lr_scheduler.LinearLR(o, 0.2, total_iters=8), lr_scheduler.StepLR(o, 5, 0.7)]
        ),
    }


@pytest.mark.parametrize("which", list(_builders()))
def test_resume_mid_run_continues_exactly(which):
    build = _builders()[which]
    optimizer, _ = _optimizers()
    straight, straight_momenta = _sequence(build(optimizer), optimizer)

    optimizer, _ = _optimizers()
    scheduler = build(optimizer)
    _sequence(scheduler, optimizer, steps=40)
    saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()

    fresh, _ = _optimizers()
    resumed_scheduler = build(fresh)
    resumed_scheduler.load_state_dict(saved_scheduler)
    fresh.load_state_dict(saved_optimizer)
    rest, rest_momenta = _sequence(resumed_scheduler, fresh, steps=EPOCHS - 40)
    assert np.array_equal(rest, straight[40:])
    assert np.array_equal(rest_momenta, straight_momenta[40:])


def test_resume_plateau_continues_exactly():
    optimizer, _ = _optimizers()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, cooldown=1)
    straight = []
    for metric in _metrics():
        scheduler.step(metric)
        straight.append(scheduler.get_last_lr())
    optimizer, _ = _optimizers()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2, cooldown=1)
    for metric in _metrics()[:50]:
        scheduler.step(metric)
    saved = scheduler.state_dict()
    fresh, _ = _optimizers()
    resumed = lr_scheduler.ReduceLROnPlateau(fresh, patience=2, cooldown=1)
    resumed.load_state_dict(saved)
    rest = []
    for metric in _metrics()[50:]:
        resumed.step(metric)
        rest.append(resumed.get_last_lr())
    assert rest == straight[50:]


def test_loading_another_schedulers_state_is_an_error():
    optimizer, _ = _optimizers()
    state = lr_scheduler.StepLR(optimizer, 5).state_dict()
    with pytest.raises(ValueError, match=r"not a state dict of CosineAnnealingLR.*T_max"):
        lr_scheduler.CosineAnnealingLR(optimizer, 10).load_state_dict(state)


@pytest.mark.parametrize("t_mult", [1, 2])
def test_warm_restarts_stepped_per_batch_with_fractional_epochs_match_torch(t_mult):
    # PyTorch's documented pattern: scheduler.step(epoch + i / iters) inside the batch loop.
    ours_opt, theirs_opt = _optimizers()
    ours = lr_scheduler.CosineAnnealingWarmRestarts(ours_opt, 3, t_mult, eta_min=0.001)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs_opt, 3, t_mult, 0.001)
    iters = 7
    for epoch in range(20):
        for i in range(iters):
            ours_opt.step()
            theirs_opt.step()
            ours.step(epoch + i / iters)
            theirs.step(epoch + i / iters)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=0)
            assert ours.last_epoch == theirs.last_epoch
    with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
        ours.step(-1)


def test_lr_at_is_the_closed_form():
    optimizer, _ = _optimizers()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.01)
    assert scheduler.lr_at(10) == [0.01, 0.01]
    assert scheduler.lr_at(5) == pytest.approx([0.055, 0.03])
    assert scheduler.last_epoch == 0  # asking does not step


# ------------------------------------------------------------------------- from_string
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("constant", lambda o: lr_scheduler.ConstantLR(o, factor=1.0, total_iters=0)),
        ("constant:0.5:3", lambda o: lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3)),
        ("step:10:0.5", lambda o: lr_scheduler.StepLR(o, 10, 0.5)),
        ("step:10", lambda o: lr_scheduler.StepLR(o, 10, 0.1)),
        ("multistep:10,20:0.1", lambda o: lr_scheduler.MultiStepLR(o, [10, 20], 0.1)),
        ("exp:0.95", lambda o: lr_scheduler.ExponentialLR(o, 0.95)),
        ("cosine:30", lambda o: lr_scheduler.CosineAnnealingLR(o, 30)),
        ("cosine", lambda o: lr_scheduler.CosineAnnealingLR(o, 60)),
        ("cosine:30:0.001", lambda o: lr_scheduler.CosineAnnealingLR(o, 30, 0.001)),
        ("linear:0.1:1:10", lambda o: lr_scheduler.LinearLR(o, 0.1, 1.0, 10)),
        ("poly:30", lambda o: lr_scheduler.PolynomialLR(o, 30, 1.0)),
        ("poly", lambda o: lr_scheduler.PolynomialLR(o, 60, 1.0)),
        ("poly:30:2.5", lambda o: lr_scheduler.PolynomialLR(o, 30, 2.5)),
        ("restarts:5", lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 5)),
        ("restarts:5:2:0.01", lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 5, 2, 0.01)),
        (
            "cyclic:0.5:4",
            lambda o: lr_scheduler.CyclicLR(o, [0.1, 0.05], 0.5, 4, cycle_momentum=False),
        ),
        (
            "poly:10+restarts:4",
            lambda o: lr_scheduler.SequentialLR(
                o,
                [
                    lr_scheduler.PolynomialLR(o, 10, 1.0),
                    lr_scheduler.CosineAnnealingWarmRestarts(o, 4),
                ],
                [10],
            ),
        ),
        ("onecycle:0.1", lambda o: lr_scheduler.OneCycleLR(o, 0.1, total_steps=60)),
        (
            "warmup:5+cosine:30",
            lambda o: lr_scheduler.SequentialLR(
                o,
                [lr_scheduler.LinearLR(o, 1 / 6, 1.0, 5), lr_scheduler.CosineAnnealingLR(o, 30)],
                [5],
            ),
        ),
        (
            "Warmup:5 + cosine",
            lambda o: lr_scheduler.SequentialLR(
                o,
                [lr_scheduler.LinearLR(o, 1 / 6, 1.0, 5), lr_scheduler.CosineAnnealingLR(o, 55)],
                [5],
            ),
        ),
    ],
)
def test_from_string_builds_the_named_schedule(spec, expected):
    ours_opt, _ = _optimizers()
    ours = lr_scheduler.from_string(spec, ours_opt, epochs=60)
    reference_opt, _ = _optimizers()
    reference = expected(reference_opt)
    assert type(ours) is type(reference)
    ours_lrs, _ = _sequence(ours, ours_opt, steps=60)
    reference_lrs, _ = _sequence(reference, reference_opt, steps=60)
    assert np.array_equal(ours_lrs, reference_lrs)


def test_warmup_ramps_linearly_to_the_base_rate():
    optimizer, _ = _optimizers()
    lrs, _ = _sequence(lr_scheduler.from_string("warmup:4+constant", optimizer), optimizer, 6)
    assert lrs[:, 0] == pytest.approx([0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1])


def test_onecycle_spec_is_stepped_per_batch_with_steps_per_epoch():
    optimizer, _ = _optimizers()
    scheduler = lr_scheduler.from_string("onecycle:0.1:0.2", optimizer, epochs=3, steps_per_epoch=7)
    assert scheduler.total_steps == 21
    assert scheduler.phases[0][0] == pytest.approx(0.2 * 21 - 1)


def test_plateau_spec():
    optimizer, _ = _optimizers()
    scheduler = lr_scheduler.from_string("plateau:3:0.5", optimizer)
    assert isinstance(scheduler, lr_scheduler.ReduceLROnPlateau)
    assert (scheduler.patience, scheduler.factor) == (3, 0.5)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "expected a spec such as"),
        ("linear", r"3 values after 'linear'.*linear:START_FACTOR:END_FACTOR:EPOCHS"),
        ("sgdr:10", "unknown schedule 'sgdr'; expected one of constant, step"),
        ("step", r"1 to 2 values after 'step', got 0.*expected step:STEP_SIZE\[:GAMMA\]"),
        ("step:ten:0.5", "STEP_SIZE must be an integer, got 'ten'"),
        ("step:10:half", "GAMMA must be a number, got 'half'"),
        ("step:10:0.5:3", "1 to 2 values after 'step', got 3"),
        ("multistep:10,x", "milestones must be integers, got '10,x'"),
        ("exp", r"1 values after 'exp', got 0.*expected exp:GAMMA"),
        ("cosine", "T_MAX is needed when the number of epochs is not given"),
        ("step:10+cosine:5", "needs a length in epochs"),
        ("onecycle:0.1+cosine:5", "cannot be combined"),
        ("onecycle:0.1", "the number of epochs is needed"),
        ("step:0", r"STEP_SIZE must be >= 1, got 0 in 'step:0'"),
        ("constant:2:3", r"FACTOR must be in \[0, 1\], got 2"),
        ("warmup:0", "EPOCHS must be >= 1, got 0"),
        ("constant:0.5", "0 or 2 values after 'constant'"),
    ],
)
def test_malformed_spec_is_a_clear_error(spec, message):
    optimizer, _ = _optimizers()
    with pytest.raises(ValueError, match=message):
        lr_scheduler.from_string(spec, optimizer)


def test_failed_spec_leaves_the_optimizer_alone():
    optimizer, _ = _optimizers()
    before = [dict(g) for g in optimizer.param_groups]
    with pytest.raises(ValueError):
        lr_scheduler.from_string("warmup:5+step:bad", optimizer)
    assert optimizer.param_groups == before


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), 5)


# ------------------------------------------------------------------ the spec table, parse_spec
# One spec per schedule name documented for the command line, each giving every value.
EXAMPLES = {
    "constant": "constant:0.5:3",
    "step": "step:10:0.5",
    "multistep": "multistep:10,20:0.1",
    "exp": "exp:0.95",
    "cosine": "cosine:30:0.001",
    "linear": "linear:0.1:1:10",
    "warmup": "warmup:5:0.2",
    "onecycle": "onecycle:0.1:0.25",
    "plateau": "plateau:5:0.5",
    "poly": "poly:30:2",
    "restarts": "restarts:5:2:0.001",
    "cyclic": "cyclic:0.5:4",
}


def test_the_table_has_every_documented_schedule():
    assert set(schedule_spec.SCHEDULES) == set(EXAMPLES)
    for name, kind in schedule_spec.SCHEDULES.items():
        assert kind.usage.startswith(name)
        assert kind.description and "\n" not in kind.description
        assert all(count <= len(kind.fields) for count in kind.counts)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_schedule_builds_by_name(name):
    spec = lr_scheduler.parse_spec(EXAMPLES[name])
    assert spec.parts[0].kind is schedule_spec.SCHEDULES[name]
    optimizer, _ = _optimizers()
    scheduler = spec.build(optimizer, epochs=20, steps_per_epoch=3)
    assert isinstance(scheduler, lr_scheduler.LRScheduler)
    assert (scheduler.monitor is not None) == spec.metric_driven
    spec.check(0.1, 20)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("exp:-1", r"GAMMA must be > 0, got -1 in 'exp:-1'; expected exp:GAMMA"),
        ("exp:0", "GAMMA must be > 0, got 0"),
        ("exp:nan", "GAMMA must be finite, got nan"),
        ("exp:inf", "GAMMA must be finite, got inf"),
        ("step:1:-1", "GAMMA must be > 0, got -1"),
        ("step:1:1e999", "GAMMA must be finite, got 1e999"),
        ("step:-2", "STEP_SIZE must be >= 1, got -2"),
        ("multistep:-1,3", "milestones must be >= 0, got -1"),
        ("multistep:2,5:-0.5", "GAMMA must be > 0, got -0.5"),
        ("onecycle:-1", "MAX_LR must be > 0, got -1"),
        ("onecycle:0", "MAX_LR must be > 0, got 0"),
        ("onecycle:0.1:1.5", r"PCT_START must be in \[0, 1\], got 1.5"),
        ("cosine:30:-0.1", "ETA_MIN must be >= 0, got -0.1"),
        ("cosine:0", "T_MAX must be >= 1, got 0"),
        ("cosine:nan", "T_MAX must be an integer, got 'nan'"),
        ("linear:0:1:5", r"START_FACTOR must be in \(0, 1\], got 0"),
        ("linear:0.1:2:5", r"END_FACTOR must be in \[0, 1\], got 2"),
        ("linear:0.1:1:0", "EPOCHS must be >= 1, got 0"),
        ("warmup:0", "EPOCHS must be >= 1, got 0"),
        ("warmup:5:-0.1", r"START_FACTOR must be in \(0, 1\], got -0.1"),
        ("constant:-0.5:3", r"FACTOR must be in \[0, 1\], got -0.5"),
        ("constant:0.5:0", "EPOCHS must be >= 1, got 0"),
        ("plateau:-1", "PATIENCE must be >= 0, got -1"),
        ("plateau:5:1.5", r"FACTOR must be in \(0, 1\), got 1.5"),
        ("plateau:5:0", r"FACTOR must be in \(0, 1\), got 0"),
        ("poly:0", "EPOCHS must be >= 1, got 0"),
        ("poly:10:-1", "POWER must be > 0, got -1"),
        ("poly+step:5", r"needs a length in epochs \(give its EPOCHS\)"),
        ("restarts:0", "T_0 must be >= 1, got 0"),
        ("restarts:5:0", "T_MULT must be >= 1, got 0"),
        ("restarts:5:1.5", "T_MULT must be an integer, got '1.5'"),
        ("cyclic:0.5", "2 values after 'cyclic', got 1"),
        ("cyclic:0.5:0", "STEP_SIZE_UP must be >= 1, got 0"),
        ("warmup:3+cyclic:0.5:4", "'cyclic' cannot be combined"),
        ("cosine+step:5", r"needs a length in epochs \(give its T_MAX\)"),
        ("warmup:5+exp:0.9+step:3", r"needs a length in epochs; .* in 'exp:0.9'"),
    ],
)
def test_parse_spec_refuses_bad_values_naming_the_field(spec, message):
    with pytest.raises(ValueError, match=rf"^Invalid schedule '{re.escape(spec)}': .*{message}"):
        lr_scheduler.parse_spec(spec)
    optimizer, _ = _optimizers()
    with pytest.raises(ValueError, match=message):
        lr_scheduler.from_string(spec, optimizer, epochs=60)


def test_parse_spec_needs_no_optimizer_and_keeps_the_values():
    spec = lr_scheduler.parse_spec("Warmup:5 + cosine:30:0.001")
    assert spec.text == "Warmup:5 + cosine:30:0.001"
    assert [part.text for part in spec.parts] == ["warmup:5", "cosine:30:0.001"]
    assert spec.parts[0].values == {"EPOCHS": 5, "START_FACTOR": None}
    assert spec.parts[1].values == {"T_MAX": 30, "ETA_MIN": 0.001}


@pytest.mark.parametrize(
    ("spec", "interval", "metric_driven"),
    [
        ("constant", "epoch", False),
        ("step:10", "epoch", False),
        ("warmup:5+cosine:30", "epoch", False),
        ("onecycle:0.1", "step", False),
        ("cyclic:0.5:10", "step", False),
        ("restarts:10", "epoch", False),
        ("plateau", "epoch", True),
    ],
)
def test_interval_and_metric_driven(spec, interval, metric_driven):
    parsed = lr_scheduler.parse_spec(spec)
    assert (parsed.interval, parsed.metric_driven) == (interval, metric_driven)


@pytest.mark.parametrize(
    ("spec", "epochs", "message"),
    [
        ("cosine", None, "T_MAX is needed when the number of epochs is not given"),
        ("warmup:5+cosine", 5, r"T_max >= 1, but got 0 in 'cosine'"),
        ("onecycle:0.1", None, "the number of epochs is needed"),
        ("step:10", -1, "the number of epochs must be an integer >= 0, got -1"),
    ],
)
def test_check_refuses_a_run_the_schedule_cannot_fit(spec, epochs, message):
    with pytest.raises(ValueError, match=message):
        lr_scheduler.parse_spec(spec).check(0.1, epochs)


def test_check_refuses_a_rate_that_would_overflow():
    spec = lr_scheduler.parse_spec("exp:10")  # every value in range, yet 0.1·10^e overflows
    spec.check(0.1, 300)
    with pytest.raises(ValueError, match=r"'exp:10'.* to inf in epoch 310 of 400; choose values"):
        spec.check(0.1, 400)
    with pytest.raises(ValueError, match="to inf in epoch 2 of 2"):
        lr_scheduler.parse_spec("step:1:1e10").check(1e300, 2)
    with pytest.raises(ValueError, match="to inf in epoch 1 of 1"):
        lr_scheduler.parse_spec("constant").check(math.inf, 1)


def test_check_refuses_a_negative_rate():
    # No spec's values in range can make a rate negative; a schedule kind made for the test can.
    falling = schedule_spec.ScheduleKind(
        "falling",
        "rate·(1 - e)",
        (),
        (0,),
        lambda optimizer, values, context: lr_scheduler.LambdaLR(optimizer, lambda e: 1 - e),
    )
    spec = schedule_spec.ScheduleSpec(
        "falling", (schedule_spec.SchedulePart("falling", falling, {}),)
    )
    spec.check(0.1, 2)
    with pytest.raises(ValueError, match=r"rate to -0.1 in epoch 3 of 3"):
        spec.check(0.1, 3)


def test_check_leaves_per_step_and_metric_driven_schedules_to_their_values():
    lr_scheduler.parse_spec("onecycle:0.1").check(0.1, 50)
    lr_scheduler.parse_spec("plateau:0:0.5").check(0.1, 50)


def test_a_kind_stepped_per_batch_or_by_a_metric_cannot_be_combinable():
    with pytest.raises(ValueError, match=r"cannot be combined by '\+'.*combinable=False"):
        schedule_spec.ScheduleKind("x", "x", (), (0,), lambda o, v, c: None, interval="step")
    with pytest.raises(ValueError, match="combinable=False"):
        schedule_spec.ScheduleKind("x", "x", (), (0,), lambda o, v, c: None, metric_driven=True)


# ---------------------------------------------------------------------------------- monitors
def test_plateau_spec_passes_its_monitor_through():
    spec = lr_scheduler.parse_spec("plateau:3")
    optimizer, _ = _optimizers()
    assert spec.build(optimizer).monitor == "val_loss"
    optimizer, _ = _optimizers()
    assert spec.build(optimizer, monitor="train_loss").monitor == "train_loss"
    optimizer, _ = _optimizers()
    with pytest.raises(ValueError, match=r"only a metric-driven schedule.*monitor='train_loss'"):
        lr_scheduler.parse_spec("step:3").build(optimizer, monitor="train_loss")


def test_only_metric_driven_schedulers_have_a_monitor():
    optimizer, _ = _optimizers()
    scheduler = lr_scheduler.StepLR(optimizer, 5)
    assert scheduler.monitor is None and "monitor" not in scheduler.state_dict()


@pytest.mark.parametrize("monitor", ["", None, 3])
def test_plateau_monitor_must_be_a_record_key(monitor):
    optimizer, _ = _optimizers()
    with pytest.raises(ValueError, match="monitor must name an entry of the epoch records"):
        lr_scheduler.ReduceLROnPlateau(optimizer, monitor=monitor)


def test_plateau_monitor_survives_the_state_dict():
    optimizer, _ = _optimizers()
    state = lr_scheduler.ReduceLROnPlateau(optimizer, monitor="train_loss").state_dict()
    assert state["monitor"] == "train_loss"
    fresh, _ = _optimizers()
    resumed = lr_scheduler.ReduceLROnPlateau(fresh)
    resumed.load_state_dict(state)
    assert resumed.monitor == "train_loss"
