"""Tests of mlplab.data.datasets: the registry and load_dataset."""

import numpy
import pytest

import mlplab
from mlplab import Generator
from mlplab.data import available_datasets, load_dataset

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
]


def test_available_datasets():
    available = available_datasets()
    assert list(available) == NAMES
    assert all(isinstance(text, str) and text for text in available.values())


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"Unknown data set 'cifar'.*fashion-mnist"):
        load_dataset("cifar")


def test_unknown_option_lists_the_accepted_ones():
    with pytest.raises(ValueError, match=r"bogus.*'xor'.*n_samples, noise, test_fraction"):
        load_dataset("xor", bogus=1)
    with pytest.raises(ValueError, match=r"n_samples.*'mnist'.*splits"):
        load_dataset("mnist", n_samples=3)


@pytest.mark.parametrize(
    "name", ["digits", "linnerud", "linear", "xor", "spirals", "moons", "circles"]
)
def test_offline_sets_load_reproducibly(name):
    first = load_dataset(name, generator=Generator(7))
    again = load_dataset(name, generator=Generator(7))
    assert first.name == name
    numpy.testing.assert_array_equal(first.x_test, again.x_test)
    numpy.testing.assert_array_equal(first.y_train, again.y_train)


def test_options_pass_through():
    data = load_dataset("moons", generator=Generator(0), n_samples=100, test_fraction=0.5)
    assert len(data.x_train) == len(data.x_test) == 50


def test_mnist_test_split_by_name(shared_mnist):
    data = load_dataset("mnist", data_dir=shared_mnist, download=False, splits=("test",))
    assert data.x_test.shape == (10000, 28, 28)


def test_fashion_mnist_by_name():
    data = load_dataset("fashion-mnist", download=False, generator=Generator(0))
    assert len(data.x_train) == 60000 and len(data.x_test) == 10000
    assert data.num_targets == 10 and data.num_features == 784


def test_package_exports():
    assert mlplab.data.load_dataset is load_dataset
