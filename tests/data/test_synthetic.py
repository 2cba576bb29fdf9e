"""Tests of mlplab.data.synthetic: fixed by their seed option, correct geometry, linear's truth."""

import numpy
import pytest

from mlplab import Generator, default_generator, manual_seed
from mlplab.data import synthetic

LOADERS = {
    "linear": synthetic.load_linear,
    "xor": synthetic.load_xor,
    "spirals": synthetic.load_spirals,
    "moons": synthetic.load_moons,
    "circles": synthetic.load_circles,
}


def arrays(data):
    return (data.x_train, data.y_train, data.x_test, data.y_test)


@pytest.mark.parametrize("name", LOADERS)
def test_same_seed_same_data_other_seed_other_data(name):
    first = LOADERS[name](seed=3)
    again = LOADERS[name](seed=3)
    other = LOADERS[name](seed=4)
    for a, b in zip(arrays(first), arrays(again), strict=True):
        numpy.testing.assert_array_equal(a, b)
    assert not numpy.array_equal(first.x_train, other.x_train)
    assert first.meta["seed"] == 3 and other.meta["seed"] == 4


@pytest.mark.parametrize("name", LOADERS)
def test_shapes_dtypes_and_split(name):
    data = LOADERS[name](seed=0, n_samples=250, test_fraction=0.2)
    assert len(data.x_train) == 200 and len(data.x_test) == 50
    assert data.x_train.dtype == numpy.float32
    if data.task == "classification":
        assert data.y_train.dtype == numpy.int64 and data.y_train.ndim == 1
        assert data.feature_shape == (2,)
        all_labels = numpy.concatenate([data.y_train, data.y_test])
        assert numpy.bincount(all_labels).min() >= 250 // data.num_classes
    else:
        assert data.y_train.shape == (200, 1) and data.y_train.dtype == numpy.float32


@pytest.mark.parametrize("name", LOADERS)
def test_the_default_generator_is_neither_used_nor_advanced(name):
    state = default_generator.get_state()
    try:
        manual_seed(11)
        first = LOADERS[name]()
        manual_seed(11)
        numpy.testing.assert_array_equal(first.x_train, LOADERS[name]().x_train)
        assert default_generator.get_state() == manual_seed(11).get_state()
        manual_seed(12)
        for a, b in zip(arrays(first), arrays(LOADERS[name](seed=0)), strict=True):
            numpy.testing.assert_array_equal(a, b)
    finally:
        default_generator.set_state(state)


def test_the_samples_do_not_depend_on_the_test_fraction():
    # The seed fixes the samples; test_fraction only decides how many of them are held out.
    small, large = synthetic.load_moons(test_fraction=0.1), synthetic.load_moons(test_fraction=0.5)
    rows = {row.tobytes() for row in numpy.concatenate([small.x_train, small.x_test])}
    assert rows == {row.tobytes() for row in numpy.concatenate([large.x_train, large.x_test])}


def test_linear_meta_holds_the_true_parameters_and_least_squares_recovers_them():
    data = synthetic.load_linear(seed=0)
    assert data.meta["true_parameters"] == {"a": 2.0, "b": -3.0, "c": 1.5, "d": 1.0}
    x = numpy.concatenate([data.x_train, data.x_test]).astype(numpy.float64)
    y = numpy.concatenate([data.y_train, data.y_test]).astype(numpy.float64)[:, 0]
    design = numpy.column_stack([x, numpy.ones(len(x))])
    fitted, *_ = numpy.linalg.lstsq(design, y, rcond=None)
    numpy.testing.assert_allclose(fitted, [2.0, -3.0, 1.5, 1.0], rtol=0.01)
    residual = y - design @ fitted
    assert 0.04 < residual.std() < 0.06  # the noise std asked for: 0.05


def test_linear_without_noise_is_exact_and_names_follow_the_features():
    data = synthetic.load_linear(seed=1, coefficients=[0.5], intercept=-2.0, noise=0.0)
    numpy.testing.assert_allclose(data.y_train[:, 0], 0.5 * data.x_train[:, 0] - 2.0, atol=1e-6)
    assert data.meta["true_parameters"] == {"a": 0.5, "b": -2.0}
    assert data.feature_shape == (1,) and data.num_targets == 1


def test_xor_labels_follow_the_quadrants():
    data = synthetic.load_xor(seed=0, noise=0.0)
    x, y = data.x_train, data.y_train
    numpy.testing.assert_array_equal(y, ((x[:, 0] > 0) != (x[:, 1] > 0)).astype(numpy.int64))


def test_circles_radii_and_moons_shapes_without_noise():
    circles = synthetic.load_circles(seed=0, noise=0.0, factor=0.3)
    radius = numpy.hypot(*circles.x_train.T)
    numpy.testing.assert_allclose(radius, numpy.where(circles.y_train == 0, 1.0, 0.3), atol=1e-6)
    moons = synthetic.load_moons(seed=0, noise=0.0)
    outer = moons.x_train[moons.y_train == 0]
    numpy.testing.assert_allclose(numpy.hypot(*outer.T), 1.0, atol=1e-6)
    assert (outer[:, 1] >= -1e-6).all()


def test_spirals_classes_and_radius():
    data = synthetic.load_spirals(seed=0, n_samples=300, num_classes=3, noise=0.0)
    labels = numpy.concatenate([data.y_train, data.y_test])
    assert numpy.bincount(labels).tolist() == [100, 100, 100]
    assert data.num_classes == 3 and len(data.class_names) == 3
    assert (numpy.hypot(*data.x_train.T) <= 1.0 + 1e-6).all()


@pytest.mark.parametrize(
    ("loader", "options", "message"),
    [
        (synthetic.load_xor, {"n_samples": 1}, "n_samples"),
        (synthetic.load_xor, {"n_samples": 10.5}, "n_samples"),
        (synthetic.load_moons, {"noise": -1}, "noise"),
        (synthetic.load_circles, {"factor": 1.5}, "factor"),
        (synthetic.load_spirals, {"num_classes": 1}, "num_classes"),
        (synthetic.load_linear, {"coefficients": []}, "coefficients"),
        (synthetic.load_linear, {"test_fraction": 1.0}, "test_fraction"),
        (synthetic.load_xor, {"seed": -1}, "Invalid seed: -1"),
        (synthetic.load_moons, {"seed": 1.5}, "Invalid seed: 1.5"),
        (synthetic.load_circles, {"seed": True}, "Invalid seed: True"),
        (synthetic.load_spirals, {"seed": "0"}, "Invalid seed: '0'"),
    ],
)
def test_invalid_options(loader, options, message):
    with pytest.raises(ValueError, match=message):
        loader(**options)


@pytest.mark.parametrize("name", LOADERS)
def test_a_generator_is_no_longer_accepted(name):
    with pytest.raises(TypeError):
        LOADERS[name](Generator(0))
