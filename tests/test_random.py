"""Tests of mlplab.random: seeded generators, their state, and the random tensor makers."""

import json

import numpy as np
import pytest

import mlplab
from mlplab.random import Generator


def draws(generator):
    """A few numbers of every kind the generator makes."""
    return [
        generator.normal((3,)),
        generator.uniform((2, 2), -1.0, 1.0),
        generator.random((4,)),
        generator.integers(0, 100, (5,)),
        generator.permutation(6),
    ]


def assert_same(first, second):
    for a, b in zip(first, second, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_the_same_seed_gives_the_same_numbers():
    assert_same(draws(Generator(42)), draws(Generator(42)))
    assert not np.array_equal(Generator(1).normal((8,)), Generator(2).normal((8,)))


def test_manual_seed_restarts_the_stream():
    generator = Generator(5)
    first = draws(generator)
    assert generator.manual_seed(5) is generator
    assert_same(first, draws(generator))
    assert generator.initial_seed() == 5


def test_get_state_and_set_state_round_trip_through_json():
    generator = Generator(7)
    generator.normal((10,))
    state = json.loads(json.dumps(generator.get_state()))
    expected = draws(generator)
    resumed = Generator(0).set_state(state)
    assert_same(expected, draws(resumed))
    assert resumed.initial_seed() == 7


def test_state_mid_stream_after_an_odd_number_of_32_bit_draws():
    generator = Generator(3)
    generator.integers(0, 2**31, (3,)).astype(np.int32)
    generator._numpy.integers(0, 10, dtype=np.int32)  # leaves a buffered half word
    state = generator.get_state()
    expected = generator._numpy.integers(0, 10, 5, dtype=np.int32)
    np.testing.assert_array_equal(
        Generator(0).set_state(state)._numpy.integers(0, 10, 5, dtype=np.int32), expected
    )


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True, None])
def test_invalid_seeds(seed):
    with pytest.raises(ValueError, match="Invalid seed"):
        Generator(seed)


def test_set_state_rejects_other_data():
    with pytest.raises(ValueError, match="get_state"):
        Generator(0).set_state({"bit_generator": "MT19937"})
    with pytest.raises(ValueError, match="get_state"):
        Generator(0).set_state([1, 2])


def test_manual_seed_resets_the_default_generator():
    assert mlplab.manual_seed(11) is mlplab.default_generator
    first = mlplab.randn(3, 2)
    mlplab.manual_seed(11)
    second = mlplab.randn(3, 2)
    np.testing.assert_array_equal(first._data, second._data)
    assert mlplab.random.default_generator is mlplab.default_generator


def test_random_tensors_take_an_explicit_generator_and_leave_the_default_alone():
    mlplab.manual_seed(0)
    state = mlplab.default_generator.get_state()
    a = mlplab.randn(4, generator=Generator(9))
    b = mlplab.rand((2, 3), generator=Generator(9))
    assert mlplab.default_generator.get_state() == state
    assert a.shape == (4,)
    assert b.shape == (2, 3)
    np.testing.assert_array_equal(a._data, Generator(9).normal((4,)))


def test_random_tensor_dtypes_ranges_and_grad():
    generator = Generator(0)
    x = mlplab.randn(100, generator=generator, requires_grad=True)
    assert x.dtype == np.float32
    assert x.requires_grad
    assert mlplab.randn(2, dtype=np.float64, generator=generator).dtype == np.float64
    u = mlplab.rand(1000, generator=generator)
    assert u.dtype == np.float32
    assert u._data.min() >= 0.0 and u._data.max() < 1.0
    i = mlplab.randint(3, 7, (1000,), generator=generator)
    assert i.dtype == np.int64
    assert set(np.unique(i._data)) == {3, 4, 5, 6}
    p = mlplab.randperm(10, generator=generator)
    assert p.dtype == np.int64
    np.testing.assert_array_equal(np.sort(p._data), np.arange(10))


def test_normal_and_uniform_have_the_requested_moments():
    generator = Generator(1)
    normal = generator.normal((20000,), mean=2.0, std=3.0, dtype=np.float64)
    assert abs(normal.mean() - 2.0) < 0.1
    assert abs(normal.std() - 3.0) < 0.1
    uniform = generator.uniform((20000,), -2.0, 2.0)
    assert uniform.min() >= -2.0 and uniform.max() < 2.0
