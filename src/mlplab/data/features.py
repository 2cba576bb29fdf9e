"""Input feature maps of low-dimensional points: x1, x2, x1², x2², x1·x2, sin x1, sin x2.

TensorFlow Playground lets a learner feed a network products and sines of the coordinates
instead of (or beside) the coordinates themselves: with x1² and x2² a single linear layer
separates two concentric circles. Each map here is a function of the raw coordinates; the
generated data sets take a ``features`` option naming the ones to use, in order.
"""

import numpy

FEATURES = {
    "x1": (1, lambda x: x[:, 0]),
    "x2": (2, lambda x: x[:, 1]),
    "x1^2": (1, lambda x: x[:, 0] ** 2),
    "x2^2": (2, lambda x: x[:, 1] ** 2),
    "x1*x2": (2, lambda x: x[:, 0] * x[:, 1]),
    "sin(x1)": (1, lambda x: numpy.sin(x[:, 0])),
    "sin(x2)": (2, lambda x: numpy.sin(x[:, 1])),
}
"""Feature maps by name: (coordinates the map needs, the map from (N, d) points to (N,))."""


def check_features(features, dimensions):
    """``features`` as a tuple of names of :data:`FEATURES` that points of ``dimensions`` allow.

    Raises
    ------
    ValueError
        Naming the unknown feature, or the one that needs a coordinate the points lack.
    """
    if isinstance(features, str) or not all(isinstance(name, str) for name in features):
        raise ValueError(f"Invalid features {features!r}: use a list of names, e.g. ['x1', 'x2']")
    names = tuple(features)
    allowed = [name for name, (needs, _) in FEATURES.items() if needs <= dimensions]
    if not names:
        raise ValueError(f"Invalid features []: choose at least one of {', '.join(allowed)}")
    if len(set(names)) != len(names):
        raise ValueError(f"Invalid features {list(names)!r}: each feature may appear only once")
    for name in names:
        if name not in allowed:
            raise ValueError(
                f"Invalid feature {name!r} for {dimensions}-D points: choose from "
                f"{', '.join(allowed)}"
            )
    return names


def map_features(points, features):
    """The named features of ``points`` (N, d), as float32 (N, len(features)).

    Parameters
    ----------
    points : array, shape (N, d)
        Raw coordinates x1, x2, ...
    features : sequence of str
        Names of :data:`FEATURES`, e.g. ``["x1", "x2", "x1*x2"]``.

    Returns
    -------
    ndarray, float32 (N, len(features))
    """
    points = numpy.asarray(points, dtype=numpy.float64)
    names = check_features(features, points.shape[1])
    return numpy.stack([FEATURES[name][1](points) for name in names], axis=1).astype(numpy.float32)
