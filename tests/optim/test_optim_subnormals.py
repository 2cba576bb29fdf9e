"""Running averages that decay into the subnormal range are stored as zero and move no parameter.

Subnormal arithmetic is some twenty times slower on x86; a moment of a gradient that is mostly
zero gets there after about 800 of Adam's steps. See :func:`mlplab.optim.rules.flushed`.
"""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import optim
from mlplab.optim import rules

STEPS = 1000  # 0.9**STEPS * 1e-3 is far below float32's smallest normal number, 1.2e-38
SHAPE = (4, 8)

# (name, settings): the same settings build mlplab's and PyTorch's optimizer; each keeps a
# running average that decays by 0.9 a step where the gradient is zero.
CASES = [
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.9}),
    ("Adam", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01}),
    ("NAdam", {"lr": 0.01}),
    ("RAdam", {"lr": 0.01}),
    ("Adamax", {"lr": 0.01}),
    ("Adadelta", {"lr": 1.0}),
]


def _gradients():
    """A gradient per step: half the elements get one only at the first step, then zero."""
    rng = np.random.default_rng(0)
    rare = np.zeros(SHAPE, bool)
    rare[:, ::2] = True
    for step in range(STEPS):
        grad = (rng.standard_normal(SHAPE) * 1e-2).astype(np.float32)
        yield np.where(rare & (step > 0), np.float32(0), grad)


def _subnormal(array):
    """Whether ``array`` holds a nonzero number below its dtype's smallest normal one."""
    magnitude = np.abs(np.asarray(array))
    return bool(np.any((magnitude > 0) & (magnitude < np.finfo(magnitude.dtype).tiny)))


def test_flushed_zeroes_subnormal_numbers_and_keeps_every_other():
    for dtype in (np.float32, np.float64):
        tiny = np.finfo(dtype).tiny
        values = np.array(
            [0.0, tiny, -tiny, tiny / 2, -tiny / 3, 1.5, -2.0, np.inf, -np.inf], dtype
        )
        flushed = rules.flushed(np.append(values, np.nan).astype(dtype))
        assert flushed.dtype == dtype
        expected = np.array([0.0, tiny, -tiny, 0.0, 0.0, 1.5, -2.0, np.inf, -np.inf], dtype)
        np.testing.assert_array_equal(flushed[:-1], expected)
        assert np.isnan(flushed[-1])


@pytest.mark.parametrize(("name", "settings"), CASES, ids=[f"{n}{s}" for n, s in CASES])
def test_decayed_state_is_zero_and_the_parameters_follow_pytorch(name, settings):
    start = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    ours = mlplab.tensor(start.copy(), requires_grad=True)
    theirs = torch.tensor(start.copy(), requires_grad=True)
    our_optimizer = getattr(optim, name)([ours], **settings)
    their_optimizer = getattr(torch.optim, name)([theirs], foreach=False, **settings)
    for grad in _gradients():
        ours.grad = grad.copy()
        theirs.grad = torch.from_numpy(grad.copy())
        our_optimizer.step()
        their_optimizer.step()
    their_state = [v for v in their_optimizer.state[theirs].values() if torch.is_tensor(v)]
    our_state = [v for v in our_optimizer.state[ours].values() if isinstance(v, np.ndarray)]
    # PyTorch keeps the decayed averages as subnormal numbers; mlplab keeps none.
    assert any(_subnormal(v.numpy()) for v in their_state if v.dim() > 0)
    assert our_state and not any(_subnormal(v) for v in our_state)
    # Values that small move no float32 weight: both end at the same place.
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=2e-6, atol=1e-7)
