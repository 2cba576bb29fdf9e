"""Metrics of a trained model: accuracy, MSE, R², confusion matrix, and their running totals.

The functions take arrays (or tensors) of a whole set; :class:`RunningMetrics` adds up the same
quantities batch by batch, so an epoch's figures come out without keeping every output.
"""

import numpy

from mlplab.backend import to_numpy
from mlplab.tensor import Tensor


def _array(values):
    """``values`` (Tensor, array or list) as a NumPy array in host memory."""
    if isinstance(values, Tensor):
        values = values.data
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
    difference = _array(outputs).astype(numpy.float64) - _array(targets).reshape(
        _array(outputs).shape
    )
    return float((difference**2).mean())


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


class RunningMetrics:
    """Loss and task metrics summed over the batches of one pass through a data set.

    Parameters
    ----------
    task : {"classification", "regression"}
        Classification tracks accuracy; regression tracks MSE and R² per target.
    """

    def __init__(self, task):
        if task not in ("classification", "regression"):
            raise ValueError(f"Unknown task {task!r}: use 'classification' or 'regression'")
        self.task = task
        self.reset()

    def reset(self):
        """Forget every batch added so far."""
        self.count = 0
        self.loss_sum = 0.0
        self.correct = 0
        # Regression sums per target, in float64: squared error, targets, squared targets.
        self.sums = None

    def update(self, loss, outputs, targets):
        """Add one batch: its mean loss (a float), outputs (N, ...) and targets (N, ...)."""
        outputs, targets = _array(outputs), _array(targets)
        n = len(targets)
        self.count += n
        self.loss_sum += float(loss) * n
        if self.task == "classification":
            self.correct += int((predicted_classes(outputs) == targets).sum())
            return
        outputs = outputs.astype(numpy.float64).reshape(n, -1)
        targets = targets.astype(numpy.float64).reshape(n, -1)
        batch = numpy.stack(
            [((outputs - targets) ** 2).sum(axis=0), targets.sum(axis=0), (targets**2).sum(axis=0)]
        )
        self.sums = batch if self.sums is None else self.sums + batch

    def compute(self):
        """The figures so far: ``loss`` and ``accuracy``, or ``loss``, ``mse`` and ``r2``."""
        if self.count == 0:
            return {}
        results = {"loss": self.loss_sum / self.count}
        if self.task == "classification":
            results["accuracy"] = self.correct / self.count
        else:
            squared_error, total, total_squares = self.sums
            results["mse"] = float(squared_error.sum() / (self.count * len(squared_error)))
            variance_sum = total_squares - total**2 / self.count
            results["r2"] = _r2_from_sums(squared_error, numpy.maximum(variance_sum, 0.0))
        return results

    def state_dict(self):
        """The running totals, for a checkpoint taken in the middle of an epoch."""
        return {
            "count": self.count,
            "loss_sum": self.loss_sum,
            "correct": self.correct,
            "sums": self.sums,
        }

    def load_state_dict(self, state):
        """Continue from totals returned by :meth:`state_dict`."""
        self.count = int(state["count"])
        self.loss_sum = float(state["loss_sum"])
        self.correct = int(state["correct"])
        self.sums = None if state["sums"] is None else numpy.array(state["sums"], numpy.float64)
