"""nn.init: PyTorch's scale formulas, checked through the statistics of large samples."""

import math

import numpy as np
import pytest
import torch

import mlplab
from mlplab import nn
from mlplab.nn import init

SHAPE = (300, 400)  # fan_out 300, fan_in 400; 120,000 samples pin the variance within ~1%


def _weight(shape=SHAPE, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15
    )


def _check_uniform(w, bound):
    assert np.abs(w._data).max() <= bound * (1 + 1e-6)
    assert np.abs(w._data).max() > 0.99 * bound
    np.testing.assert_allclose(w._data.var(), bound**2 / 3, rtol=0.03)


def _check_normal(w, std):
    np.testing.assert_allclose(w._data.std(), std, rtol=0.02)
    np.testing.assert_allclose(w._data.mean(), 0, atol=0.02 * std)


def test_xavier_uniform_and_normal():
    w = init.xavier_uniform_(_weight(), gain=2.0, generator=mlplab.Generator(0))
    _check_uniform(w, 2.0 * math.sqrt(6 / (400 + 300)))
    w = init.xavier_normal_(_weight(), gain=0.5, generator=mlplab.Generator(0))
    _check_normal(w, 0.5 * math.sqrt(2 / (400 + 300)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize(("nonlinearity", "a"), [("relu", 0), ("leaky_relu", 0.1), ("tanh", 0)])
def test_kaiming_uniform_and_normal(mode, nonlinearity, a):
    fan = 400 if mode == "fan_in" else 300
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    w = init.kaiming_uniform_(_weight(), a, mode, nonlinearity, generator=mlplab.Generator(1))
    _check_uniform(w, math.sqrt(3) * std)
    w = init.kaiming_normal_(_weight(), a, mode, nonlinearity, generator=mlplab.Generator(1))
    _check_normal(w, std)


def test_receptive_field_counts_in_the_fans():
    w = init.xavier_uniform_(_weight((20, 10, 3, 3)), generator=mlplab.Generator(2))
    assert np.abs(w._data).max() <= math.sqrt(6 / (90 + 180))


def test_uniform_normal_constant_zeros_ones():
    w = init.uniform_(_weight(), -2, 3, generator=mlplab.Generator(3))
    assert w._data.min() >= -2 and w._data.max() < 3
    np.testing.assert_allclose(w._data.mean(), 0.5, atol=0.02)
    w = init.normal_(_weight(), mean=1.0, std=0.5, generator=mlplab.Generator(3))
    np.testing.assert_allclose([w._data.mean(), w._data.std()], [1.0, 0.5], rtol=0.01)
    assert not init.zeros_(w)._data.any()
    assert (init.ones_(w)._data == 1).all()
    assert (init.constant_(w, 0.25)._data == 0.25).all()


def test_init_fills_in_place_keeps_dtype_and_records_nothing():
    w = _weight((4, 5), np.float64)
    data = w._data
    out = init.kaiming_normal_(w, generator=mlplab.Generator(0))
    assert out is w and w._data is data and w.dtype == np.float64
    assert w.is_leaf and w._grad is None


def test_same_seed_same_weights():
    a = init.xavier_normal_(_weight((8, 8)), generator=mlplab.Generator(4))
    b = init.xavier_normal_(_weight((8, 8)), generator=mlplab.Generator(4))
    assert a._data.tobytes() == b._data.tobytes()
    mlplab.manual_seed(4)
    c = init.kaiming_uniform_(_weight((8, 8)))
    mlplab.manual_seed(4)
    d = init.kaiming_uniform_(_weight((8, 8)))
    assert c._data.tobytes() == d._data.tobytes()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: init.xavier_uniform_(_weight((5,))), "at least 2 dimensions"),
        (lambda: init.kaiming_uniform_(_weight(), mode="fan_avg"), "Invalid mode 'fan_avg'"),
        (lambda: init.kaiming_normal_(_weight(), nonlinearity="swish"), "Unsupported nonlinearity"),
        (lambda: init.uniform_(_weight(), 1, 0), "lower bound 1 is above upper bound 0"),
        (lambda: init.normal_(_weight(), std=-1), "std must be non-negative"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
