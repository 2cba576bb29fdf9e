"""Tests of mlplab.data.features and of the generated sets that take ``features``."""

import numpy
import pytest

from mlplab.data import load_dataset
from mlplab.data.features import FEATURES, check_features, map_features


def test_each_feature_is_its_formula_of_the_coordinates():
    points = numpy.array([[0.5, -2.0], [1.5, 3.0]])
    mapped = map_features(points, list(FEATURES))
    x1, x2 = points[:, 0], points[:, 1]
    expected = numpy.stack([x1, x2, x1**2, x2**2, x1 * x2, numpy.sin(x1), numpy.sin(x2)], axis=1)
    assert mapped.dtype == numpy.float32
    numpy.testing.assert_allclose(mapped, expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("features", "dimensions", "message"),
    [
        (["x2"], 1, r"'x2' for 1-D points: choose from x1, x1\^2, sin\(x1\)"),
        (["x1", "cos(x1)"], 2, r"Invalid feature 'cos\(x1\)'"),
        ([], 2, "at least one"),
        (["x1", "x1"], 2, "only once"),
        ("x1", 2, "a list of names"),
    ],
)
def test_bad_features_are_refused_by_name(features, dimensions, message):
    with pytest.raises(ValueError, match=message):
        check_features(features, dimensions)


@pytest.mark.parametrize("name", ["xor", "spirals", "moons", "circles", "blobs", "ripple"])
def test_features_of_a_2d_set_keep_its_rows(name):
    plain = load_dataset(name, n_samples=60)
    mapped = load_dataset(name, n_samples=60, features=["x1*x2", "x2^2"])
    x1, x2 = plain.x_train[:, 0].astype(numpy.float64), plain.x_train[:, 1].astype(numpy.float64)
    numpy.testing.assert_allclose(mapped.x_train, numpy.stack([x1 * x2, x2**2], 1), rtol=1e-6)
    numpy.testing.assert_array_equal(mapped.y_train, plain.y_train)
    assert mapped.feature_shape == (2,) and mapped.meta["features"] == ["x1*x2", "x2^2"]


def test_squared_features_make_the_circles_linearly_separable():
    data = load_dataset("circles", noise=0.0, features=["x1^2", "x2^2"])
    radius2 = data.x_train.sum(axis=1)
    assert radius2[data.y_train == 0].min() > 0.9 and radius2[data.y_train == 1].max() < 0.3


def test_blobs_are_gaussian_clusters_around_the_unit_circle():
    data = load_dataset("blobs", n_samples=3000, num_classes=4, noise=0.1)
    x = numpy.concatenate([data.x_train, data.x_test])
    y = numpy.concatenate([data.y_train, data.y_test])
    for k in range(4):
        angle = 2 * numpy.pi * k / 4
        centre = x[y == k].mean(axis=0)
        numpy.testing.assert_allclose(centre, [numpy.cos(angle), numpy.sin(angle)], atol=0.02)
        assert x[y == k].std(axis=0) == pytest.approx([0.1, 0.1], rel=0.1)


def test_sine_and_ripple_targets_follow_their_formulas_without_noise():
    sine = load_dataset("sine", noise=0.0)
    assert sine.task == "regression" and sine.feature_shape == (1,)
    numpy.testing.assert_allclose(sine.y_train[:, 0], numpy.sin(2 * sine.x_train[:, 0]), atol=1e-6)
    ripple = load_dataset("ripple", noise=0.0)
    x1, x2 = ripple.x_train[:, 0], ripple.x_train[:, 1]
    expected = numpy.sin(numpy.pi * x1) * numpy.cos(numpy.pi * x2)
    numpy.testing.assert_allclose(ripple.y_train[:, 0], expected, atol=1e-5)
    assert numpy.abs(ripple.x_train).max() <= 1.0


def test_the_new_sets_are_fixed_by_their_seed():
    for name in ("blobs", "sine", "ripple"):
        first, again = load_dataset(name, seed=3), load_dataset(name, seed=3)
        numpy.testing.assert_array_equal(first.x_test, again.x_test)
        assert not numpy.array_equal(first.x_test, load_dataset(name, seed=4).x_test)
