"""Tests of mlplab.data.datasets: the registry and load_dataset."""

import re

import numpy
import pytest

import mlplab
from mlplab import Generator
from mlplab.data import available_datasets, datasets, load_dataset

NAMES = [
    "mnist",
    "fashion-mnist",
    "kmnist",
    "digits",
    "linnerud",
    "linear",
    "xor",
    "spirals",
    "moons",
    "circles",
    "blobs",
    "sine",
    "ripple",
    "csv",
    "csv-regression",
]

# Every registered set that is not read from files: each has a seed that fixes its test split.
# (The CSV sets read the user's file, named by their path option: tests/data/test_tables.py.)
SEEDED = [
    name
    for name, entry in datasets._REGISTRY.items()
    if not entry.from_files and "path" not in datasets.dataset_options(name)
]


def arrays(data):
    return (data.x_train, data.y_train, data.x_test, data.y_test)


@pytest.fixture
def default_generator_restored():
    """Put the global default generator back as it was, whatever the test seeds it to."""
    state = mlplab.default_generator.get_state()
    yield mlplab.default_generator
    mlplab.default_generator.set_state(state)


def test_available_datasets():
    available = available_datasets()
    assert list(available) == NAMES
    assert all(isinstance(text, str) and text for text in available.values())
    assert SEEDED == [
        "digits", "linnerud", "linear", "xor", "spirals", "moons", "circles", "blobs", "sine",
        "ripple",
    ]  # fmt: skip


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"Unknown data set 'cifar'.*fashion-mnist"):
        load_dataset("cifar")


def test_unknown_option_lists_the_accepted_ones():
    with pytest.raises(ValueError, match=r"bogus.*'xor'.*n_samples, noise, test_fraction, seed"):
        load_dataset("xor", bogus=1)
    with pytest.raises(ValueError, match=r"n_samples.*'mnist'.*splits"):
        load_dataset("mnist", n_samples=3)


@pytest.mark.parametrize("name", ["digits", "linear", "mnist"])
def test_a_generator_is_refused_not_ignored(name):
    with pytest.raises(ValueError, match=rf"Unknown option\(s\) generator for data set '{name}'"):
        load_dataset(name, generator=Generator(0))


def test_the_mnist_family_has_no_seed():
    # Its test split is the official one: a seed could only pretend to change it.
    with pytest.raises(ValueError, match=r"Unknown option\(s\) seed for data set 'kmnist'"):
        load_dataset("kmnist", seed=0)


@pytest.mark.parametrize("name", SEEDED)
def test_offline_sets_load_reproducibly(name):
    first = load_dataset(name, seed=7)
    again = load_dataset(name, seed=7)
    assert first.name == name
    assert first.meta["seed"] == again.meta["seed"] == 7
    numpy.testing.assert_array_equal(first.x_test, again.x_test)
    numpy.testing.assert_array_equal(first.y_train, again.y_train)
    for a, b in zip(arrays(first), arrays(again), strict=True):
        numpy.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", SEEDED)
def test_two_calls_give_equal_and_fresh_arrays(name):
    first = load_dataset(name)
    expected = [array.copy() for array in arrays(first)]
    for array in arrays(first):
        array[...] = 0  # a caller scaling in place must not change the next call's data
    again = load_dataset(name)
    assert again.meta["seed"] == 0
    for a, b in zip(expected, arrays(again), strict=True):
        numpy.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", SEEDED)
def test_the_test_split_ignores_the_default_generator(name, default_generator_restored):
    mlplab.manual_seed(1)
    first = load_dataset(name)
    state = default_generator_restored.get_state()
    mlplab.manual_seed(2)
    again = load_dataset(name)
    for a, b in zip(arrays(first), arrays(again), strict=True):
        numpy.testing.assert_array_equal(a, b)
    # Loading draws nothing from it either, so it leaves a run's initialisation alone.
    mlplab.manual_seed(1)
    load_dataset(name)
    assert default_generator_restored.get_state() == state


@pytest.mark.parametrize("name", SEEDED)
def test_another_seed_gives_another_split(name):
    zero, one = load_dataset(name, seed=0), load_dataset(name, seed=1)
    assert one.meta["seed"] == 1
    assert not numpy.array_equal(zero.x_test, one.x_test)
    assert len(zero.x_test) == len(one.x_test) and len(zero.x_train) == len(one.x_train)


@pytest.mark.parametrize("name", SEEDED)
@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None])
def test_invalid_seed_is_refused_naming_the_option(name, seed):
    with pytest.raises(
        ValueError, match=re.escape(f"Invalid seed: {seed!r}; use a non-negative integer")
    ):
        load_dataset(name, seed=seed)


def test_options_pass_through():
    data = load_dataset("moons", seed=0, n_samples=100, test_fraction=0.5)
    assert len(data.x_train) == len(data.x_test) == 50


def test_mnist_test_split_by_name(mnist_files):
    data = load_dataset("mnist", data_dir=mnist_files, download=False, splits=("test",))
    assert data.x_test.shape == (10000, 28, 28)
    assert "seed" not in data.meta


@pytest.mark.debian_data("dataset-fashion-mnist")
def test_fashion_mnist_by_name():
    data = load_dataset("fashion-mnist", download=False)
    assert len(data.x_train) == 60000 and len(data.x_test) == 10000
    assert data.num_targets == 10 and data.num_features == 784


def test_package_exports():
    assert mlplab.data.load_dataset is load_dataset
