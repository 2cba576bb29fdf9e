"""Generated data sets, fixed by their own ``seed`` option: the same options give the same data.

``linear`` is a regression problem with known answers (its true coefficients are in
``Dataset.meta``); ``xor``, ``spirals``, ``moons``, ``circles`` and ``blobs`` are 2-D classification
problems (all but ``blobs`` beyond any linear model); ``sine`` (1-D) and ``ripple`` (2-D) are
regression curves and surfaces. The low-dimensional sets take ``features``, the input feature maps
of :mod:`mlplab.data.features` (x1², x1·x2, sin x1, ...), as TensorFlow Playground offers. Each
draws its samples and its training/test split from ``mlplab.random.Generator(seed)``, never from a
run's generator, so a run's seed cannot move test rows into training; the seed is recorded in
``Dataset.meta["seed"]``.
"""

import math

import numpy

from mlplab.backend import to_numpy
from mlplab.data.dataset import Dataset
from mlplab.data.features import map_features
from mlplab.data.transforms import train_val_split
from mlplab.random import Generator


def _check(n_samples, noise, test_fraction, minimum=2):
    """Validate the options every generated set shares."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < minimum:
        raise ValueError(f"Invalid n_samples {n_samples!r}: use an integer >= {minimum}")
    if not (isinstance(noise, int | float) and noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"Invalid noise {noise!r}: use a finite number >= 0")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"Invalid test_fraction {test_fraction!r}: use a number in (0, 1)")


def _class_sizes(n_samples, num_classes):
    """Split ``n_samples`` into near-equal class sizes."""
    return [n_samples // num_classes + (k < n_samples % num_classes) for k in range(num_classes)]


def _classification(name, x, y, test_fraction, generator, num_classes, meta, features=("x1", "x2")):
    """Map, split and wrap a 2-D classification set; ``meta`` gains the seed and the features."""
    x = map_features(x, features)
    meta = {**meta, "features": list(features)}
    x_train, y_train, x_test, y_test = train_val_split(x, y, test_fraction, generator)
    return Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        task="classification",
        num_classes=num_classes,
        feature_shape=(x.shape[1],),
        class_names=tuple(str(k) for k in range(num_classes)),
        meta={**meta, "seed": generator.initial_seed()},
    )


def _jitter(points, noise, generator):
    """Add Gaussian noise of std ``noise`` to every coordinate."""
    if noise:
        points = points + to_numpy(generator.normal(points.shape, std=noise, dtype=numpy.float64))
    return points.astype(numpy.float32)


def load_linear(
    *,
    n_samples=1000,
    coefficients=(2.0, -3.0, 1.5),
    intercept=1.0,
    noise=0.05,
    test_fraction=0.2,
    seed=0,
):
    """y = a·x1 + b·x2 + c·x3 + d + noise, with x ~ N(0, 1): regression with known parameters.

    Parameters
    ----------
    n_samples : int
    coefficients : sequence of float
        One per feature (a, b, c by default).
    intercept : float
        d.
    noise : float
        Standard deviation of the Gaussian noise added to y.
    test_fraction : float
        Share of the samples held out as the test split, in (0, 1).
    seed : int
        Non-negative; fixes the samples drawn and the test split (not the run's seed).

    Returns
    -------
    Dataset
        x float32 (N, len(coefficients)), y float32 (N, 1); ``meta["true_parameters"]`` maps
        a, b, c (the coefficients) and d (the intercept) to their true values; ``meta["seed"]`` is
        ``seed``.
    """
    _check(n_samples, noise, test_fraction)
    generator = Generator(seed)
    weights = numpy.asarray(coefficients, dtype=numpy.float64)
    if weights.ndim != 1 or weights.size == 0 or not numpy.isfinite(weights).all():
        raise ValueError(f"Invalid coefficients {coefficients!r}: use a list of finite numbers")
    x = to_numpy(generator.normal((n_samples, weights.size), dtype=numpy.float64))
    y = x @ weights + float(intercept)
    if noise:
        y = y + to_numpy(generator.normal(n_samples, std=noise, dtype=numpy.float64))
    x, y = x.astype(numpy.float32), y.astype(numpy.float32).reshape(-1, 1)
    x_train, y_train, x_test, y_test = train_val_split(x, y, test_fraction, generator)
    # a, b, c, ... for the coefficients and the next letter for the intercept (d for three
    # features, as in y = a·x1 + b·x2 + c·x3 + d); w1, w2, ... and "bias" past the alphabet.
    n = weights.size
    letters = n < 26
    names = [chr(ord("a") + i) if letters else f"w{i + 1}" for i in range(n)]
    true = dict(zip(names, weights.tolist(), strict=True))
    true[chr(ord("a") + n) if letters else "bias"] = float(intercept)
    return Dataset(
        name="linear",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        task="regression",
        num_classes=None,
        feature_shape=(weights.size,),
        target_names=("y",),
        meta={
            "true_parameters": true,
            "coefficients": weights.tolist(),
            "intercept": float(intercept),
            "noise": float(noise),
            "feature_names": [f"x{i + 1}" for i in range(weights.size)],
            "seed": generator.initial_seed(),
        },
    )


def load_xor(*, n_samples=400, noise=0.0, test_fraction=0.2, seed=0, features=("x1", "x2")):
    """Points uniform in [-1, 1]^2, class 1 where exactly one coordinate is positive (balanced).

    Parameters
    ----------
    n_samples : int
    noise : float
        Std of Gaussian jitter added to the points after labelling (blurs the boundary).
    test_fraction : float
        Share of the samples held out as the test split, in (0, 1).
    features : sequence of str
        Input feature maps of the coordinates (names of ``mlplab.data.features.FEATURES``).
    seed : int
        Non-negative; fixes the samples drawn and the test split (not the run's seed).

    Returns
    -------
    Dataset
        x float32 (N, len(features)), y int64 (N,) in {0, 1}.
    """
    _check(n_samples, noise, test_fraction)
    generator = Generator(seed)
    # Balanced by construction: class 0 in the quadrants where the signs agree, class 1 where
    # they differ, each point's first sign drawn at random.
    labels = numpy.repeat(numpy.arange(2), _class_sizes(n_samples, 2))
    magnitude = to_numpy(generator.uniform((n_samples, 2), dtype=numpy.float64))
    sign = numpy.where(to_numpy(generator.uniform(n_samples, dtype=numpy.float64)) < 0.5, -1.0, 1.0)
    points = numpy.stack([sign * magnitude[:, 0], sign * (1 - 2 * labels) * magnitude[:, 1]], 1)
    x = _jitter(points, noise, generator)
    return _classification(
        "xor", x, labels, test_fraction, generator, 2, {"noise": noise}, features
    )


def load_spirals(
    *,
    n_samples=600,
    num_classes=2,
    turns=1.0,
    noise=0.05,
    test_fraction=0.2,
    seed=0,
    features=("x1", "x2"),
):
    """Interleaved spiral arms, one per class, radius growing from 0 to 1.

    Parameters
    ----------
    n_samples : int
    num_classes : int
        Number of arms (classes), at least 2.
    turns : float
        Revolutions of each arm.
    noise : float
        Std of Gaussian jitter on the coordinates.
    test_fraction : float
        Share of the samples held out as the test split, in (0, 1).
    features : sequence of str
        Input feature maps of the coordinates (names of ``mlplab.data.features.FEATURES``).
    seed : int
        Non-negative; fixes the samples drawn and the test split (not the run's seed).

    Returns
    -------
    Dataset
        x float32 (N, len(features)), y int64 (N,).
    """
    _check(n_samples, noise, test_fraction)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"Invalid num_classes {num_classes!r}: use an integer >= 2")
    generator = Generator(seed)
    sizes = _class_sizes(n_samples, num_classes)
    labels = numpy.repeat(numpy.arange(num_classes), sizes)
    t = to_numpy(generator.uniform(n_samples, dtype=numpy.float64))
    angle = 2 * math.pi * (turns * t + labels / num_classes)
    points = numpy.stack([t * numpy.cos(angle), t * numpy.sin(angle)], axis=1)
    x = _jitter(points, noise, generator)
    meta = {"noise": noise, "turns": turns}
    return _classification(
        "spirals", x, labels, test_fraction, generator, num_classes, meta, features
    )


def load_moons(*, n_samples=500, noise=0.1, test_fraction=0.2, seed=0, features=("x1", "x2")):
    """Two interleaving half circles (as scikit-learn's ``make_moons``).

    Parameters
    ----------
    n_samples : int
    noise : float
        Std of Gaussian jitter on the coordinates.
    test_fraction : float
        Share of the samples held out as the test split, in (0, 1).
    features : sequence of str
        Input feature maps of the coordinates (names of ``mlplab.data.features.FEATURES``).
    seed : int
        Non-negative; fixes the samples drawn and the test split (not the run's seed).

    Returns
    -------
    Dataset
        x float32 (N, len(features)), y int64 (N,) in {0, 1}.
    """
    _check(n_samples, noise, test_fraction)
    generator = Generator(seed)
    labels = numpy.repeat(numpy.arange(2), _class_sizes(n_samples, 2))
    angle = math.pi * to_numpy(generator.uniform(n_samples, dtype=numpy.float64))
    outer = numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    inner = numpy.stack([1 - numpy.cos(angle), 0.5 - numpy.sin(angle)], axis=1)
    points = numpy.where(labels[:, None] == 0, outer, inner)
    x = _jitter(points, noise, generator)
    return _classification(
        "moons", x, labels, test_fraction, generator, 2, {"noise": noise}, features
    )


def load_circles(
    *, n_samples=500, noise=0.05, factor=0.5, test_fraction=0.2, seed=0, features=("x1", "x2")
):
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1).

    Parameters
    ----------
    n_samples : int
    noise : float
        Std of Gaussian jitter on the coordinates.
    factor : float
        Inner radius, in (0, 1).
    test_fraction : float
        Share of the samples held out as the test split, in (0, 1).
    features : sequence of str
        Input feature maps of the coordinates (names of ``mlplab.data.features.FEATURES``).
    seed : int
        Non-negative; fixes the samples drawn and the test split (not the run's seed).

    Returns
    -------
    Dataset
        x float32 (N, len(features)), y int64 (N,) in {0, 1}.
    """
    _check(n_samples, noise, test_fraction)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"Invalid factor {factor!r}: the inner radius must lie in (0, 1)")
    generator = Generator(seed)
    labels = numpy.repeat(numpy.arange(2), _class_sizes(n_samples, 2))
    angle = 2 * math.pi * to_numpy(generator.uniform(n_samples, dtype=numpy.float64))
    radius = numpy.where(labels == 0, 1.0, factor)
    points = radius[:, None] * numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    x = _jitter(points, noise, generator)
    meta = {"noise": noise, "factor": factor}
    return _classification("circles", x, labels, test_fraction, generator, 2, meta, features)


def load_blobs(
    *, n_samples=500, num_classes=3, noise=0.3, test_fraction=0.2, seed=0, features=("x1", "x2")
):
    """Gaussian clusters, one per class, centred evenly on the unit circle (as ``make_blobs``).

    Parameters
    ----------
    n_samples : int
    num_classes : int
        Number of clusters (classes), at least 2.
    noise : float
        Standard deviation of each cluster.
    test_fraction : float
        Share of the samples held out as the test split, in (0, 1).
    seed : int
        Non-negative; fixes the samples drawn and the test split (not the run's seed).
    features : sequence of str
        Input feature maps of the coordinates (names of ``mlplab.data.features.FEATURES``).

    Returns
    -------
    Dataset
        x float32 (N, len(features)), y int64 (N,).
    """
    _check(n_samples, noise, test_fraction)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"Invalid num_classes {num_classes!r}: use an integer >= 2")
    generator = Generator(seed)
    labels = numpy.repeat(numpy.arange(num_classes), _class_sizes(n_samples, num_classes))
    angle = 2 * math.pi * labels / num_classes
    centres = numpy.stack([numpy.cos(angle), numpy.sin(angle)], axis=1)
    x = _jitter(centres, noise, generator)
    meta = {"noise": noise}
    return _classification(
        "blobs", x, labels, test_fraction, generator, num_classes, meta, features
    )


def _regression(name, x, y, test_fraction, generator, features, meta):
    """Map, split and wrap a low-dimensional regression set (one target, ``y``)."""
    x = map_features(x, features)
    y = y.astype(numpy.float32).reshape(-1, 1)
    x_train, y_train, x_test, y_test = train_val_split(x, y, test_fraction, generator)
    return Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        task="regression",
        num_classes=None,
        feature_shape=(x.shape[1],),
        target_names=("y",),
        meta={**meta, "features": list(features), "seed": generator.initial_seed()},
    )


def load_sine(*, n_samples=300, noise=0.1, test_fraction=0.2, seed=0, features=("x1",)):
    """y = sin(2·x1) + noise with x1 uniform in [-π, π]: a 1-D regression curve.

    Parameters
    ----------
    n_samples : int
    noise : float
        Standard deviation of the Gaussian noise added to y.
    test_fraction : float
        Share of the samples held out as the test split, in (0, 1).
    seed : int
        Non-negative; fixes the samples drawn and the test split (not the run's seed).
    features : sequence of str
        Input feature maps of x1 (``x1``, ``x1^2``, ``sin(x1)``).

    Returns
    -------
    Dataset
        x float32 (N, len(features)), y float32 (N, 1).
    """
    _check(n_samples, noise, test_fraction)
    generator = Generator(seed)
    x = to_numpy(generator.uniform((n_samples, 1), -math.pi, math.pi, dtype=numpy.float64))
    y = numpy.sin(2 * x[:, 0])
    if noise:
        y = y + to_numpy(generator.normal(n_samples, std=noise, dtype=numpy.float64))
    return _regression("sine", x, y, test_fraction, generator, features, {"noise": noise})


def load_ripple(*, n_samples=500, noise=0.05, test_fraction=0.2, seed=0, features=("x1", "x2")):
    """y = sin(π·x1)·cos(π·x2) + noise with x uniform in [-1, 1]²: a 2-D regression surface.

    Parameters
    ----------
    n_samples : int
    noise : float
        Standard deviation of the Gaussian noise added to y.
    test_fraction : float
        Share of the samples held out as the test split, in (0, 1).
    seed : int
        Non-negative; fixes the samples drawn and the test split (not the run's seed).
    features : sequence of str
        Input feature maps of the coordinates (names of ``mlplab.data.features.FEATURES``).

    Returns
    -------
    Dataset
        x float32 (N, len(features)), y float32 (N, 1).
    """
    _check(n_samples, noise, test_fraction)
    generator = Generator(seed)
    x = to_numpy(generator.uniform((n_samples, 2), -1.0, 1.0, dtype=numpy.float64))
    y = numpy.sin(math.pi * x[:, 0]) * numpy.cos(math.pi * x[:, 1])
    if noise:
        y = y + to_numpy(generator.normal(n_samples, std=noise, dtype=numpy.float64))
    return _regression("ripple", x, y, test_fraction, generator, features, {"noise": noise})
