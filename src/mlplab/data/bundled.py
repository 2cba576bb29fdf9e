"""Small data sets shipped with scikit-learn: ``digits`` and ``linnerud`` (no download needed).

Neither comes with a test split, so a seeded random one is made. scikit-learn is imported only
when one of them is loaded.
"""

import numpy

from mlplab.data.dataset import Dataset
from mlplab.data.transforms import train_val_split
from mlplab.random import generator_or_default


def load_digits(generator=None, *, test_fraction=0.2):
    """The UCI handwritten digits: 1797 images of 8x8 pixels, values 0-16, 10 classes.

    Parameters
    ----------
    generator : mlplab.random.Generator, optional
        Draws the training/test split.
    test_fraction : float

    Returns
    -------
    Dataset
        x float64 (N, 64) as scikit-learn gives it (values 0-16; ``meta["image_shape"]`` is
        (8, 8)), y int64 (N,).
    """
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    x, y = numpy.asarray(bunch.data), numpy.asarray(bunch.target, dtype=numpy.int64)
    x_train, y_train, x_test, y_test = train_val_split(
        x, y, test_fraction, generator_or_default(generator)
    )
    return Dataset(
        name="digits",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        task="classification",
        num_classes=10,
        feature_shape=(64,),
        class_names=tuple(str(digit) for digit in range(10)),
        meta={"image_shape": (8, 8), "max_value": 16, "source": "sklearn.datasets.load_digits"},
    )


def load_linnerud(generator=None, *, test_fraction=0.2):
    """Linnerud: 3 exercise counts -> 3 physiological measurements of 20 men (multi-target).

    Parameters
    ----------
    generator : mlplab.random.Generator, optional
        Draws the training/test split.
    test_fraction : float

    Returns
    -------
    Dataset
        x float64 (N, 3) (Chins, Situps, Jumps), y float64 (N, 3) (Weight, Waist, Pulse).
    """
    from sklearn.datasets import load_linnerud as sklearn_linnerud

    bunch = sklearn_linnerud()
    x, y = (
        numpy.asarray(bunch.data, dtype=numpy.float64),
        numpy.asarray(bunch.target, numpy.float64),
    )
    x_train, y_train, x_test, y_test = train_val_split(
        x, y, test_fraction, generator_or_default(generator)
    )
    return Dataset(
        name="linnerud",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        task="regression",
        num_classes=None,
        feature_shape=(3,),
        target_names=tuple(bunch.target_names),
        meta={
            "feature_names": list(bunch.feature_names),
            "source": "sklearn.datasets.load_linnerud",
        },
    )
