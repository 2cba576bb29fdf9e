"""Small data sets shipped with scikit-learn: ``digits`` and ``linnerud`` (no download needed).

Neither comes with a test split, so one is drawn from the data set's own ``seed`` option: the
same seed gives the same test rows in every run, whatever the run's seed. scikit-learn is
imported only when one of them is loaded.
"""

import numpy

from mlplab.data.dataset import Dataset
from mlplab.data.transforms import train_val_split
from mlplab.random import Generator


def load_digits(*, test_fraction=0.2, seed=0):
    """The UCI handwritten digits: 1797 images of 8x8 pixels, values 0-16, 10 classes.

    Parameters
    ----------
    test_fraction : float
        Share of the images held out as the test split, in (0, 1).
    seed : int
        Non-negative; fixes which images form the test split (not the run's seed).

    Returns
    -------
    Dataset
        x float64 (N, 64) as scikit-learn gives it (values 0-16; ``meta["image_shape"]`` is
        (8, 8)), y int64 (N,); ``meta["seed"]`` is ``seed``.
    """
    # Built first so that a bad seed is refused before scikit-learn reads its files.
    generator = Generator(seed)
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    x, y = numpy.asarray(bunch.data), numpy.asarray(bunch.target, dtype=numpy.int64)
    x_train, y_train, x_test, y_test = train_val_split(x, y, test_fraction, generator)
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
        meta={
            "image_shape": (8, 8),
            "max_value": 16,
            "source": "sklearn.datasets.load_digits",
            "seed": generator.initial_seed(),
        },
    )


def load_linnerud(*, test_fraction=0.2, seed=0):
    """Linnerud: 3 exercise counts -> 3 physiological measurements of 20 men (multi-target).

    Parameters
    ----------
    test_fraction : float
        Share of the men held out as the test split, in (0, 1).
    seed : int
        Non-negative; fixes which rows form the test split (not the run's seed).

    Returns
    -------
    Dataset
        x float64 (N, 3) (Chins, Situps, Jumps), y float64 (N, 3) (Weight, Waist, Pulse);
        ``meta["seed"]`` is ``seed``.
    """
    # Built first so that a bad seed is refused before scikit-learn reads its files.
    generator = Generator(seed)
    from sklearn.datasets import load_linnerud as sklearn_linnerud

    bunch = sklearn_linnerud()
    x, y = (
        numpy.asarray(bunch.data, dtype=numpy.float64),
        numpy.asarray(bunch.target, numpy.float64),
    )
    x_train, y_train, x_test, y_test = train_val_split(x, y, test_fraction, generator)
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
            "seed": generator.initial_seed(),
        },
    )
