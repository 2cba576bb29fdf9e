"""The learning tasks, classification and regression: what a network's outputs and targets are.

A task owns what differs between the two, as scikit-learn's classifier and regressor mixins do:
the kind of target (class labels or real values) and so which losses suit it, the defaults of a
run (loss, optimizer, hidden layers), how targets are scaled for the network and mapped back, and
which metrics are reported. The training loop, the experiment layer and the front ends ask the
task; none of them tests a task's name. Adding a task means a class here and a line in
:data:`TASKS`.
"""

import numpy

from mlplab.data.transforms import standardization
from mlplab.train.metrics import ClassificationMetrics, RegressionMetrics


class Task:
    """Base class of the tasks; a task object is immutable.

    Attributes
    ----------
    name : str
        The task's key in :data:`TASKS`.
    targets : {"classes", "values"}
        What the network's outputs are compared with; a loss suits the task when its
        ``mlplab.nn.LOSSES`` entry has the same ``targets``.
    default_loss, default_optimizer : str
        What a run uses when the settings name none (keys of ``mlplab.nn.LOSSES`` and
        ``mlplab.optim.OPTIMIZERS``).
    default_hidden : tuple of int
        Hidden-layer widths of a run whose settings give no layers.
    metric_names : tuple of str
        The metrics the task reports beside the loss (``"accuracy"``; ``"mse"``, ...).
    """

    name = None
    targets = None
    default_loss = None
    default_optimizer = None
    default_hidden = ()

    @property
    def metric_names(self):
        """The metrics reported beside the loss, e.g. ``("accuracy",)``."""
        return self.metrics().names

    def fitted(self, y_train):
        """This task with its target scaling fitted to the training targets (a new task)."""
        return self

    def encode(self, y):
        """Targets (N, ...) as the network learns them."""
        raise NotImplementedError

    def decode(self, outputs):
        """Network outputs (N, C or T) in the targets' own terms."""
        raise NotImplementedError

    def metrics(self):
        """A fresh accumulator of the loss and this task's metrics over batches."""
        raise NotImplementedError

    @property
    def scaling(self):
        """How targets are scaled for the network, as JSON-ready data (None: not at all)."""
        return None

    def __eq__(self, other):
        return type(self) is type(other) and self.scaling == other.scaling

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Classification(Task):
    """Pick one of C classes: outputs are C logits, targets integer labels, metric accuracy."""

    name = "classification"
    targets = "classes"
    default_loss = "cross-entropy"
    default_optimizer = "adam"
    default_hidden = (256,)  # ample for digits, fast everywhere

    def encode(self, y):
        """Labels as int64 (N,)."""
        return numpy.asarray(y).astype(numpy.int64)

    def decode(self, outputs):
        """The predicted class of each row of logits, int64 (N,)."""
        return numpy.asarray(outputs).argmax(axis=1).astype(numpy.int64)

    def metrics(self):
        """Running loss and accuracy."""
        return ClassificationMetrics()


class Regression(Task):
    """Predict T real values: the network learns standardised targets, metrics are in units.

    Parameters
    ----------
    mean, std : sequence of float, optional
        Per-target statistics of the training targets: the network learns
        ``(y - mean) / std``. None for targets used as they are (see :meth:`fitted`).
    """

    name = "regression"
    targets = "values"
    default_loss = "mse"
    default_optimizer = "sgd"
    default_hidden = ()  # no hidden layer: linear regression by gradient descent

    def __init__(self, mean=None, std=None):
        if (mean is None) != (std is None):
            raise ValueError("Regression needs both mean and std of the targets, or neither")
        self._mean = None if mean is None else numpy.asarray(mean, numpy.float64).reshape(-1)
        self._std = None if std is None else numpy.asarray(std, numpy.float64).reshape(-1)
        if self._std is not None and not (self._std > 0).all():
            raise ValueError(f"Regression target std must be positive, got {self._std.tolist()}")

    def fitted(self, y_train):
        """A Regression standardising targets with the training targets' mean and std."""
        y = numpy.asarray(y_train, dtype=numpy.float64).reshape(len(y_train), -1)
        return Regression(*standardization(y))

    def encode(self, y):
        """Targets as float32 (N, T), standardised when the task has a scaling."""
        y = numpy.asarray(y, dtype=numpy.float64).reshape(len(y), -1)
        if self._std is not None:
            y = (y - self._mean) / self._std
        return y.astype(numpy.float32)

    def decode(self, outputs):
        """Outputs in the targets' own units, float64 (N, T)."""
        outputs = numpy.asarray(outputs, dtype=numpy.float64).reshape(len(outputs), -1)
        if self._std is None:
            return outputs
        return outputs * self._std + self._mean

    def metrics(self):
        """Running loss (on what the network learns), and MSE, MAE, R² in target units."""
        return RegressionMetrics(self._mean, self._std)

    @property
    def scaling(self):
        """``{"kind": "standardize", "mean": [...], "std": [...]}``, or None."""
        if self._std is None:
            return None
        return {"kind": "standardize", "mean": self._mean.tolist(), "std": self._std.tolist()}

    def __repr__(self):
        return "Regression()" if self._std is None else "Regression(standardised targets)"


TASKS = {"classification": Classification, "regression": Regression}
"""The task classes by name."""


def get_task(task, scaling=None):
    """The task object for ``task``: a :class:`Task` (returned as it is) or a name of :data:`TASKS`.

    ``scaling`` (a task's :attr:`Task.scaling`, as saved in a run's config) restores a fitted
    regression task.
    """
    if isinstance(task, Task):
        return task
    if task not in TASKS:
        raise ValueError(f"Unknown task {task!r}: use one of {', '.join(TASKS)}")
    if scaling is None:
        return TASKS[task]()
    return TASKS[task](scaling["mean"], scaling["std"])
