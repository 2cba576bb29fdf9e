"""Tests of the optimizers against torch.optim, and of what the Optimizer base class promises."""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import optim

STEPS = 200
SHAPES = [(3, 4), (5,), (0, 3), (2,)]
# The parameter at index 3 gets no gradient at every third step; the one at index 2 has no
# elements. Both must be left alone by step().

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "amsgrad": True, "maximize": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.0, "betas": (0.5, 0.9)}),
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {"lr": 0.01, "betas": (0.9, 0.9)}),  # rho_inf = 19: rectified from step 3 on
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5}),
    ("Adadelta", {"weight_decay": 0.1, "maximize": True}),
]

# Several groups with different settings: per-layer rates, a frozen group (lr 0).
GROUP_CASES = [
    ("SGD", {"lr": 0.05}, [{"momentum": 0.9, "nesterov": True}, {"lr": 0.2, "weight_decay": 0.1}]),
    ("Adagrad", {"lr": 0.1}, [{"lr_decay": 0.01}, {"lr": 0.0}]),
    ("RMSprop", {"lr": 0.01}, [{"centered": True}, {"momentum": 0.9, "alpha": 0.8}]),
    ("Adam", {"lr": 0.01}, [{"amsgrad": True}, {"betas": (0.5, 0.9), "weight_decay": 0.1}]),
    ("AdamW", {"lr": 0.01}, [{"weight_decay": 0.5}, {"lr": 0.1, "amsgrad": True}]),
    ("NAdam", {"lr": 0.01}, [{"momentum_decay": 0.02}, {"lr": 0.1, "weight_decay": 0.1}]),
    ("RAdam", {"lr": 0.01}, [{"betas": (0.5, 0.9)}, {"decoupled_weight_decay": True}]),
    ("Adamax", {"lr": 0.01}, [{"betas": (0.5, 0.9)}, {"lr": 0.0}]),
    ("Adadelta", {}, [{"rho": 0.5}, {"lr": 0.1, "weight_decay": 0.1}]),
]


def _initial_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in SHAPES]


def _gradients(seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(STEPS)]


def _gradient(noise, value):
    """A gradient that depends on the parameter: its value enters the trajectory."""
    return noise + 0.3 * value


def _groups(params, settings):
    """Parameters split into one group per settings dict (two groups: 0-1 and 2-3)."""
    if settings is None:
        return params
    return [{"params": params[:2], **settings[0]}, {"params": params[2:], **settings[1]}]


def _run_mlplab(name, defaults, group_settings, grads, steps, start=None, state=None):
    params = [mlplab.tensor(a.copy(), requires_grad=True) for a in (start or _initial_arrays())]
    optimizer = getattr(optim, name)(_groups(params, group_settings), **defaults)
    if state is not None:
        optimizer.load_state_dict(state)
    for t in steps:
        for i, p in enumerate(params):
            p._grad = None if (i == 3 and t % 3 == 0) else _gradient(grads[t][i], p._data)
        optimizer.step()
    return [p._data for p in params], optimizer


def _run_torch(name, defaults, group_settings, grads):
    # PyTorch keeps scalar state (NAdam's product of momenta) in its default dtype: float64 here,
    # as mlplab keeps it, so that the comparison is of the algorithm, not of float32 rounding.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _torch_steps(name, defaults, group_settings, grads)
    finally:
        torch.set_default_dtype(previous)


def _torch_steps(name, defaults, group_settings, grads):
    params = [torch.tensor(a, requires_grad=True) for a in _initial_arrays()]
    optimizer = getattr(torch.optim, name)(_groups(params, group_settings), **defaults)
    for t in range(STEPS):
        for i, p in enumerate(params):
            if i == 3 and t % 3 == 0:
                p.grad = None
            else:
                p.grad = torch.from_numpy(_gradient(grads[t][i], p.detach().numpy()))
        optimizer.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize(
    ("name", "defaults", "group_settings"),
    [(n, d, None) for n, d in CASES] + GROUP_CASES,
    ids=[f"{n}-{d}" for n, d in CASES] + [f"{n}-groups" for n, _, _ in GROUP_CASES],
)
def test_200_steps_match_torch(name, defaults, group_settings):
    grads = _gradients()
    ours, _ = _run_mlplab(name, defaults, group_settings, grads, range(STEPS))
    theirs = _run_torch(name, defaults, group_settings, grads)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        if a.size:
            assert np.max(np.abs(a - b)) <= 1e-10
    # The parameters did move: the comparison is not between two untouched copies.
    assert not np.allclose(ours[0], _initial_arrays()[0])


@pytest.mark.parametrize(("name", "defaults"), CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_float32_steps_follow_torch_in_float32(name, defaults):
    # The usual case, float32 parameters, runs the compiled loops with every number in float32,
    # as PyTorch computes: the trajectories agree to float32's precision.
    start = [a.astype(np.float32) for a in _initial_arrays()]
    grads = [[g.astype(np.float32) for g in step] for step in _gradients()[:50]]
    ours = [mlplab.tensor(a.copy(), requires_grad=True) for a in start]
    theirs = [torch.tensor(a, requires_grad=True) for a in start]
    ours_optimizer = getattr(optim, name)(ours, **defaults)
    theirs_optimizer = getattr(torch.optim, name)(theirs, **defaults)
    for step in grads:
        for p, q, g in zip(ours, theirs, step, strict=True):
            p._grad = _gradient(g, p._data)
            q.grad = torch.from_numpy(_gradient(g, q.detach().numpy()))
        ours_optimizer.step()
        theirs_optimizer.step()
    for p, q in zip(ours, theirs, strict=True):
        assert p._data.dtype == np.float32
        np.testing.assert_allclose(p._data, q.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "defaults", "group_settings"),
    [(n, d, None) for n, d in CASES] + GROUP_CASES,
    ids=[f"{n}-{d}" for n, d in CASES] + [f"{n}-groups" for n, _, _ in GROUP_CASES],
)
def test_state_dict_round_trip_mid_run_is_exact(name, defaults, group_settings):
    grads = _gradients()
    straight, _ = _run_mlplab(name, defaults, group_settings, grads, range(40))
    first, optimizer = _run_mlplab(name, defaults, group_settings, grads, range(20))
    first = [a.copy() for a in first]
    state = optimizer.state_dict()
    # Later steps of the first optimizer must not reach into the saved snapshot.
    optimizer.step()
    resumed, _ = _run_mlplab(
        name, defaults, group_settings, grads, range(20, 40), start=first, state=state
    )
    for a, b in zip(straight, resumed, strict=True):
        assert np.array_equal(a, b)


def test_zero_size_and_gradless_parameters_are_left_alone():
    for name, defaults in [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {}), ("RMSprop", {})]:
        empty = mlplab.tensor(np.zeros((0, 3)), requires_grad=True)
        empty._grad = np.zeros((0, 3))
        frozen = mlplab.tensor(np.ones(3), requires_grad=True)
        moving = mlplab.tensor(np.ones(3), requires_grad=True)
        moving._grad = np.ones(3)
        optimizer = getattr(optim, name)([empty, frozen, moving], **defaults)
        optimizer.step()
        assert np.array_equal(frozen._data, np.ones(3))
        assert empty._data.shape == (0, 3)
        assert frozen not in optimizer.state and empty not in optimizer.state
        assert not np.array_equal(moving._data, np.ones(3))


def test_update_is_in_place_and_keeps_float32():
    w = mlplab.tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True)
    data = w._data
    for name in ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam", "Adamax",
                 "Adadelta"):  # fmt: skip
        optimizer = getattr(optim, name)([w], lr=0.1)
        w._grad = np.full((4, 3), 0.5, dtype=np.float32)
        optimizer.step()
        optimizer.step()
        assert w._data is data and w._data.dtype == np.float32
        assert all(
            v.dtype == np.float32 for v in optimizer.state[w].values() if isinstance(v, np.ndarray)
        )


def test_zero_grad():
    w = mlplab.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)
    w._grad = np.ones(2, dtype=np.float32)
    grad = w._grad
    optimizer.zero_grad(set_to_none=False)
    assert w._grad is grad and np.array_equal(grad, [0, 0])
    optimizer.zero_grad()
    assert w._grad is None


def test_step_with_closure_returns_loss_and_uses_its_gradient():
    w = mlplab.tensor([3.0], requires_grad=True)
    optimizer = optim.SGD([w], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = optimizer.step(closure)
    assert loss.item() == 9.0
    assert w._data[0] == 3.0 - 0.25 * 6.0


def test_add_param_group_uses_defaults_and_own_settings():
    a = mlplab.tensor([1.0], requires_grad=True)
    b = mlplab.tensor([1.0], requires_grad=True)
    optimizer = optim.SGD([a], lr=0.1, momentum=0.9)
    optimizer.add_param_group({"params": b, "lr": 0.01})
    assert optimizer.param_groups[1]["lr"] == 0.01
    assert optimizer.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        optimizer.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optimizer.add_param_group({"params": [mlplab.tensor([1.0])], "lr": -1.0})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: optim.SGD(p, lr=-1.0), "Invalid learning rate: -1.0"),
        (lambda p: optim.SGD(p, momentum=-0.5), "Invalid momentum value: -0.5"),
        (lambda p: optim.SGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum"),
        (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "zero dampening"),
        (lambda p: optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
        (lambda p: optim.Adagrad(p, eps=-1), "Invalid epsilon value: -1"),
        (
            lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
            "Invalid initial_accumulator_value value: -1",
        ),
        (lambda p: optim.RMSprop(p, alpha=-0.1), "Invalid alpha value: -0.1"),
        (lambda p: optim.RMSprop(p, momentum=-1), "Invalid momentum value: -1"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
        (lambda p: optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
        (lambda p: optim.AdamW(p, eps=-1e-8), "Invalid epsilon value: -1e-08"),
        (lambda p: optim.AdamW(p, weight_decay=-1e-2), "Invalid weight_decay value: -0.01"),
        (lambda p: optim.Adam(p, lr=float("nan")), "Invalid learning rate: nan"),
        (lambda p: optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
        (lambda p: optim.NAdam(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
        (lambda p: optim.RAdam(p, eps=-1), "Invalid epsilon value: -1"),
        (lambda p: optim.Adamax(p, betas=(-0.1, 0.9)), "Invalid beta parameter at index 0: -0.1"),
        (lambda p: optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
        (lambda p: optim.Adadelta(p, weight_decay=-1), "Invalid weight_decay value: -1"),
        (lambda p: optim.SGD(p, lr=mlplab.tensor([0.1, 0.2])), "Tensor lr must be 1-element"),
        (lambda p: optim.SGD(p, lr=mlplab.tensor(-0.5)), "Invalid learning rate: -0.5"),
    ],
)
def test_invalid_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make([mlplab.tensor([1.0], requires_grad=True)])


def test_invalid_parameter_lists():
    w = mlplab.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)


def test_defaults_are_pytorchs():
    p = [mlplab.tensor([1.0], requires_grad=True)]
    assert optim.SGD(p).defaults["lr"] == 1e-3
    adagrad = optim.Adagrad(p).defaults
    assert (adagrad["lr"], adagrad["eps"], adagrad["initial_accumulator_value"]) == (1e-2, 1e-10, 0)
    rms = optim.RMSprop(p).defaults
    assert (rms["lr"], rms["alpha"], rms["eps"], rms["centered"]) == (1e-2, 0.99, 1e-8, False)
    adam = optim.Adam(p).defaults
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"]) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        0,
    )
    assert optim.AdamW(p).defaults["weight_decay"] == 1e-2
    # The new ones, against torch's own defaults.
    for name in ("NAdam", "RAdam", "Adamax", "Adadelta", "LBFGS"):
        ours = getattr(optim, name)(p).defaults
        theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
        assert ours == {key: theirs[key] for key in ours}, name


def _stepped(optimizer_class, shapes, **settings):
    params = [mlplab.tensor(np.ones(s), requires_grad=True) for s in shapes]
    optimizer = optimizer_class(params, **settings)
    for p in params:
        p._grad = np.ones(p.shape)
    optimizer.step()
    return optimizer


def test_loading_state_for_other_parameters_is_an_error_that_says_so():
    saved = _stepped(optim.Adam, [(3, 4), (4,)]).state_dict()
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*other parameters"):
        _stepped(optim.Adam, [(4, 3), (4,)]).load_state_dict(saved)
    with pytest.raises(
        ValueError, match=r"2 parameters in group 0, this optimizer has 1.*other parameters"
    ):
        _stepped(optim.Adam, [(3, 4)]).load_state_dict(saved)
    two_groups = optim.Adam(
        [
            {"params": [mlplab.tensor(np.ones((3, 4)), requires_grad=True)]},
            {"params": [mlplab.tensor(np.ones(4), requires_grad=True)]},
        ]
    )
    with pytest.raises(ValueError, match="1 parameter groups, this optimizer has 2"):
        two_groups.load_state_dict(saved)
    sgd_state = _stepped(optim.SGD, [(3, 4), (4,)], momentum=0.9).state_dict()
    target = _stepped(optim.Adam, [(3, 4), (4,)])
    before = target.state_dict()
    with pytest.raises(ValueError, match="another optimizer"):
        target.load_state_dict(sgd_state)
    # Nothing changed on the failed load.
    after = target.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert np.array_equal(after["state"][0]["exp_avg"], before["state"][0]["exp_avg"])


def test_state_dict_is_a_snapshot_with_indices():
    optimizer = _stepped(optim.SGD, [(2,), (3,)], lr=0.1, momentum=0.9)
    state = optimizer.state_dict()
    assert state["param_groups"][0]["params"] == [0, 1]
    assert set(state["state"]) == {0, 1}
    buffer = state["state"][0]["momentum_buffer"].copy()
    optimizer.step()
    assert np.array_equal(state["state"][0]["momentum_buffer"], buffer)


def test_a_gradient_of_the_wrong_shape_is_an_error_before_anything_moves():
    a = mlplab.tensor(np.ones(3), requires_grad=True)
    b = mlplab.tensor(np.ones(3), requires_grad=True)
    a._grad, b._grad = np.ones(3), np.ones(4)
    optimizer = optim.Adam([a, b])
    with pytest.raises(ValueError, match=r"shape \(3,\) has a gradient of shape \(4,\)"):
        optimizer.step()
    assert np.array_equal(a._data, np.ones(3)) and not optimizer.state
