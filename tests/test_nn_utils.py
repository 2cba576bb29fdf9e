"""Tests of gradient clipping against torch.nn.utils."""

import math

import numpy as np
import pytest
import torch

import mlplab
from mlplab.nn.utils import clip_grad_norm_, clip_grad_value_

SHAPES = [(3, 4), (5,), (0, 2), (2, 2)]


def _pairs(scale=1.0, seed=0):
    """mlplab and torch parameters with the same gradients (the third has none in both)."""
    rng = np.random.default_rng(seed)
    ours, theirs = [], []
    for i, shape in enumerate(SHAPES):
        ours.append(mlplab.tensor(np.zeros(shape), requires_grad=True))
        theirs.append(torch.zeros(shape, dtype=torch.float64, requires_grad=True))
        if i != 1:
            grad = rng.standard_normal(shape) * scale
            ours[-1]._grad = grad.copy()
            theirs[-1].grad = torch.from_numpy(grad.copy())
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = _pairs(scale=3.0)
    if norm_type == math.inf:
        # PyTorch cannot take the infinity norm of an empty gradient (mlplab takes it as 0).
        ours[2]._grad = theirs[2].grad = None
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, mlplab.Tensor) and total.shape == ()
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for a, b in zip(ours, theirs, strict=True):
        assert (a._grad is None) == (b.grad is None)
        if a._grad is not None:
            np.testing.assert_allclose(a._grad, b.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_bounds_the_norm_and_keeps_direction():
    ours, _ = _pairs(scale=10.0)
    before = [p._grad.copy() for p in ours if p._grad is not None]
    clip_grad_norm_(ours, 1.0)
    after = [p._grad for p in ours if p._grad is not None]
    norm = math.sqrt(sum(float((g**2).sum()) for g in after))
    assert norm == pytest.approx(1.0, rel=1e-5)
    ratios = {
        round(float(a.ravel()[0] / b.ravel()[0]), 12)
        for a, b in zip(after, before, strict=True)
        if a.size
    }
    assert len(ratios) == 1  # every gradient scaled by the same factor


def test_clip_grad_norm_single_tensor_and_float32():
    w = mlplab.tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    w._grad = np.full(4, 2.0, dtype=np.float32)
    total = clip_grad_norm_(w, 1.0)
    assert total.item() == pytest.approx(4.0)
    assert w._grad.dtype == np.float32
    np.testing.assert_allclose(w._grad, 0.5 / (1 + 2.5e-7), rtol=1e-6)


def test_clip_grad_norm_nonfinite():
    ours, _ = _pairs()
    ours[0]._grad[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    ours, theirs = _pairs()
    ours[0]._grad[0, 0] = np.nan
    theirs[0].grad[0, 0] = np.nan
    total = clip_grad_norm_(ours, 1.0)
    torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isnan(total.item())
    assert np.isnan(ours[3]._grad).all() and torch.isnan(theirs[3].grad).all()


def test_clip_grad_norm_without_gradients_and_bad_arguments():
    w = mlplab.tensor(np.ones(3), requires_grad=True)
    assert clip_grad_norm_([w], 1.0).item() == 0.0
    empty = mlplab.tensor(np.ones(0), requires_grad=True)
    empty._grad = np.ones(0)
    assert clip_grad_norm_([empty], 1.0, norm_type=math.inf).item() == 0.0
    with pytest.raises(ValueError, match="max_norm must be a number >= 0"):
        clip_grad_norm_([w], -1.0)
    with pytest.raises(TypeError, match="item 0 is a ndarray"):
        clip_grad_norm_([np.ones(3)], 1.0)


@pytest.mark.parametrize("clip_value", [0.0, 0.3, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = _pairs(scale=2.0)
    grad = ours[0]._grad
    clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    assert ours[0]._grad is grad  # in place
    for a, b in zip(ours, theirs, strict=True):
        if a._grad is not None:
            assert np.array_equal(a._grad, b.grad.numpy())


def test_clip_grad_value_rejects_a_negative_bound():
    with pytest.raises(ValueError, match="clip_value must be a number >= 0"):
        clip_grad_value_([mlplab.tensor([1.0], requires_grad=True)], -1)
