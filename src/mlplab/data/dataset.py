"""Dataset: the arrays of one data set, split, with what a model needs to know about them."""

import math
from dataclasses import dataclass, field

TASKS = ("classification", "regression")


@dataclass
class Dataset:
    """A data set split into training and test parts, as NumPy arrays.

    Inputs keep their native form: MNIST-style images are uint8 of shape (N, 28, 28) with values
    0-255 (scale with :func:`mlplab.data.scale_to_unit`, flatten with
    :func:`mlplab.data.flatten_images`); ``digits`` is float64 (N, 64) with values 0-16;
    generated sets are float32 (N, features). Class labels are int64 of shape (N,); regression
    targets are float of shape (N, targets).

    Attributes
    ----------
    name : str
        The registry name, e.g. ``"fashion-mnist"``.
    x_train, y_train, x_test, y_test : numpy.ndarray or None
        The splits (a split not asked for is None).
    task : {"classification", "regression"}
    num_classes : int or None
        Number of classes (None for regression).
    feature_shape : tuple of int
        Shape of one input, e.g. (28, 28).
    class_names : tuple of str or None
        Name of each class, indexed by label.
    target_names : tuple of str or None
        Name of each regression target (column of y).
    meta : dict
        Everything else: sources and checksums, true parameters of generated sets, the
        ``seed`` that fixed the samples and test split of sets without an official split, ...
    """

    name: str
    x_train: object
    y_train: object
    x_test: object
    y_test: object
    task: str
    num_classes: int | None
    feature_shape: tuple
    class_names: tuple | None = None
    target_names: tuple | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"Invalid task {self.task!r}: use one of {', '.join(TASKS)}")

    @property
    def num_features(self):
        """Number of input values per sample (the product of ``feature_shape``)."""
        return math.prod(self.feature_shape)

    @property
    def num_targets(self):
        """Number of outputs a model needs: classes, or regression targets."""
        if self.task == "classification":
            return self.num_classes
        y = self.y_train if self.y_train is not None else self.y_test
        return 1 if y.ndim == 1 else y.shape[1]

    def __repr__(self):
        def shape(array):
            return None if array is None else tuple(array.shape)

        return (
            f"Dataset({self.name!r}, task={self.task!r}, train={shape(self.x_train)}, "
            f"test={shape(self.x_test)}, feature_shape={self.feature_shape}, "
            f"num_classes={self.num_classes})"
        )
