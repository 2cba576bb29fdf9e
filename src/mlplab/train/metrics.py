"""Metrics of a trained model: accuracy, MSE, R², confusion matrix, and their running totals.

The functions take arrays (or tensors) of a whole set; :class:`ClassificationMetrics` and
:class:`RegressionMetrics` add up the same quantities batch by batch, so an epoch's figures come
out without keeping every output. Which one a run uses is its task's choice
(:mod:`mlplab.train.tasks`).
"""

import numpy

from mlplab.backend import to_numpy
from mlplab.tensor import Tensor

LOWER_IS_BETTER = ("loss", "mse", "mae")
"""Metrics for which a smaller value is better; the others (accuracy, r2) are better larger."""


def is_lower_better(metric):
    """Whether a smaller value of ``metric`` (loss, mse, mae) is the better one."""
    return metric in LOWER_IS_BETTER


def _array(values):
    """``values`` (Tensor, array or list) as a NumPy array in host memory."""
    if isinstance(values, Tensor):
        values = values._data
    return (
        to_numpy(values) if isinstance(values, numpy.ndarray) else numpy.asarray(to_numpy(values))
    )


def predicted_classes(outputs):
    """The predicted class of each row of scores.

    Parameters
    ----------
    outputs : array or Tensor, shape (N, C)
        Scores (logits or probabilities) per class.

    Returns
    -------
    ndarray of int64, shape (N,)
    """
    return _array(outputs).argmax(axis=1).astype(numpy.int64)


def accuracy(outputs, targets):
    """The fraction of rows whose highest score is the target class.

    Parameters
    ----------
    outputs : array or Tensor, shape (N, C)
        Scores per class.
    targets : array or Tensor of int, shape (N,)
        The true classes.

    Returns
    -------
    float in [0, 1]
    """
    targets = _array(targets)
    if len(targets) == 0:
        raise ValueError("accuracy of an empty set is undefined: pass at least one sample")
    return float((predicted_classes(outputs) == targets).mean())


def mean_squared_error(outputs, targets):
    """The mean of the squared differences over all samples and targets.

    Parameters
    ----------
    outputs, targets : array or Tensor, shape (N,) or (N, T)

    Returns
    -------
    float
    """
    return float((_errors(outputs, targets) ** 2).mean())


def mean_absolute_error(outputs, targets):
    """The mean of the absolute differences over all samples and targets.

    Parameters
    ----------
    outputs, targets : array or Tensor, shape (N,) or (N, T)

    Returns
    -------
    float
    """
    return float(numpy.abs(_errors(outputs, targets)).mean())


def _errors(outputs, targets):
    """``outputs - targets`` in float64, the targets taken in the outputs' shape."""
    outputs = _array(outputs).astype(numpy.float64)
    return outputs - _array(targets).reshape(outputs.shape)


def r2_score(outputs, targets):
    """The coefficient of determination 1 - SS_res / SS_tot, averaged over targets.

    A target with zero variance scores 1.0 when predicted exactly and 0.0 otherwise, as in
    scikit-learn's ``r2_score``.

    Parameters
    ----------
    outputs, targets : array or Tensor, shape (N,) or (N, T)

    Returns
    -------
    float (1.0 is a perfect fit; 0.0 is no better than predicting the mean)
    """
    outputs = _array(outputs).astype(numpy.float64)
    targets = _array(targets).astype(numpy.float64).reshape(outputs.shape)
    columns = outputs.reshape(len(outputs), -1), targets.reshape(len(targets), -1)
    residual = ((columns[1] - columns[0]) ** 2).sum(axis=0)
    total = ((columns[1] - columns[1].mean(axis=0)) ** 2).sum(axis=0)
    return _r2_from_sums(residual, total)


def _r2_from_sums(residual, total):
    """Mean over targets of 1 - residual/total, with scikit-learn's rule for constant targets."""
    residual, total = numpy.asarray(residual), numpy.asarray(total)
    safe_total = numpy.where(total > 0, total, 1.0)
    scores = numpy.where(total > 0, 1.0 - residual / safe_total, (residual == 0).astype(float))
    return float(scores.mean())


def confusion_matrix(targets, predictions, num_classes=None):
    """Counts of (true class, predicted class) pairs.

    Parameters
    ----------
    targets, predictions : array of int, shape (N,)
        True and predicted classes.
    num_classes : int, optional
        Number of classes C (default: one more than the largest class seen).

    Returns
    -------
    ndarray of int64, shape (C, C)
        ``matrix[i, j]`` counts samples of class ``i`` predicted as class ``j``.
    """
    targets = _array(targets).astype(numpy.int64).ravel()
    predictions = _array(predictions).astype(numpy.int64).ravel()
    if targets.shape != predictions.shape:
        raise ValueError(
            f"confusion_matrix needs as many predictions as targets, got {predictions.shape[0]} "
            f"predictions for {targets.shape[0]} targets"
        )
    if num_classes is None:
        num_classes = int(max(targets.max(initial=-1), predictions.max(initial=-1))) + 1
    for name, values in (("targets", targets), ("predictions", predictions)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} hold classes outside 0..{num_classes - 1}")
    flat = numpy.bincount(targets * num_classes + predictions, minlength=num_classes**2)
    return flat.reshape(num_classes, num_classes)


def format_confusion_matrix(matrix, labels=None):
    """The confusion matrix as aligned text: rows are true classes, columns predicted ones."""
    matrix = numpy.asarray(matrix)
    labels = [str(label) for label in (labels or range(len(matrix)))]
    width = max(max(len(label) for label in labels), len(str(matrix.max(initial=0))), 4)
    header = " " * (width + 1) + " ".join(label.rjust(width) for label in labels)
    lines = ["true \\ predicted", header]
    for label, row in zip(labels, matrix, strict=True):
        lines.append(label.rjust(width) + " " + " ".join(str(v).rjust(width) for v in row))
    return "\n".join(lines)


class _RunningMetrics:
    """Loss and task figures summed over the batches of one pass through a data set.

    Subclasses add their own sums in :meth:`_add` and turn them into figures in :meth:`_figures`.
    """

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget every batch added so far."""
        self.count = 0
        self.loss_sum = 0.0
        self._reset_sums()

    def update(self, loss, outputs, targets):
        """Add one batch: its mean loss (a float), outputs (N, ...) and targets (N, ...)."""
        outputs, targets = _array(outputs), _array(targets)
        self.count += len(targets)
        self.loss_sum += float(loss) * len(targets)
        self._add(outputs, targets)

    def compute(self):
        """The figures so far: ``loss`` and the task's metrics (empty before any batch)."""
        if self.count == 0:
            return {}
        return {"loss": self.loss_sum / self.count, **self._figures()}

    def state_dict(self):
        """The running totals, for a checkpoint taken in the middle of an epoch."""
        return {"count": self.count, "loss_sum": self.loss_sum, **self._sums_state()}

    def load_state_dict(self, state):
        """Continue from totals returned by :meth:`state_dict`."""
        self.count = int(state["count"])
        self.loss_sum = float(state["loss_sum"])
        self._load_sums(state)


class ClassificationMetrics(_RunningMetrics):
    """Running loss and accuracy of class scores (N, C) against integer labels (N,)."""

    names = ("accuracy",)

    def _reset_sums(self):
        self.correct = 0

    def _add(self, outputs, targets):
        self.correct += int((predicted_classes(outputs) == targets).sum())

    def _figures(self):
        return {"accuracy": self.correct / self.count}

    def _sums_state(self):
        return {"correct": self.correct}

    def _load_sums(self, state):
        self.correct = int(state["correct"])


class RegressionMetrics(_RunningMetrics):
    """Running loss, MSE, MAE and R² of real-valued outputs (N, T) against targets (N, T).

    Parameters
    ----------
    mean, std : array_like of shape (T,), optional
        How the targets were standardised for the network (``y' = (y - mean) / std``). Outputs
        and targets are mapped back with them, so MSE, MAE and R² come out in the targets' own
        units; the loss stays what the network minimised.
    """

    names = ("mse", "mae", "r2")

    def __init__(self, mean=None, std=None):
        self.mean = None if mean is None else numpy.asarray(mean, dtype=numpy.float64)
        self.std = None if std is None else numpy.asarray(std, dtype=numpy.float64)
        super().__init__()

    def _reset_sums(self):
        # Per target, in float64: squared error, absolute error, targets, squared targets.
        self.sums = None

    def _in_units(self, values):
        values = values.astype(numpy.float64).reshape(len(values), -1)
        if self.std is None:
            return values
        return values * self.std + self.mean

    def _add(self, outputs, targets):
        outputs, targets = self._in_units(outputs), self._in_units(targets)
        error = outputs - targets
        batch = numpy.stack(
            [(error**2).sum(axis=0), numpy.abs(error).sum(axis=0), targets.sum(axis=0),
             (targets**2).sum(axis=0)]
        )  # fmt: skip
        self.sums = batch if self.sums is None else self.sums + batch

    def _figures(self):
        squared_error, absolute_error, total, total_squares = self.sums
        values = self.count * len(squared_error)
        variance_sum = numpy.maximum(total_squares - total**2 / self.count, 0.0)
        return {
            "mse": float(squared_error.sum() / values),
            "mae": float(absolute_error.sum() / values),
            "r2": _r2_from_sums(squared_error, variance_sum),
        }

    def _sums_state(self):
        return {"sums": self.sums}

    def _load_sums(self, state):
        sums = state["sums"]
        self.sums = None if sums is None else numpy.array(sums, numpy.float64)
        if self.sums is not None and self.sums.shape[0] != 4:
            raise ValueError(
                f"running regression sums of shape {self.sums.shape} are not this version's "
                "(4, targets): the checkpoint was written by another mlplab"
            )
