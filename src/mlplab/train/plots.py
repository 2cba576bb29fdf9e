"""PNG plots of a run: learning curves (train beside validation) and the confusion matrix.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no display needed) and written
atomically.
"""

import io

import numpy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mlplab.utils import atomic_write_bytes


def _save(figure, path):
    """Render ``figure`` as PNG and write it to ``path`` atomically."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    atomic_write_bytes(path, buffer.getvalue())


def plot_curves(records, metric, path, label=None):
    """Plot ``train_<metric>`` and ``val_<metric>`` per epoch side by side, as a PNG.

    Parameters
    ----------
    records : list of dict
        Epoch records of a :class:`mlplab.train.History`.
    metric : str
        ``"loss"``, ``"accuracy"``, ``"mse"``, ``"mae"`` or ``"r2"``.
    path : str or os.PathLike
        The PNG file to write.
    label : str, optional
        What the values are, for the axis (default: ``metric``), e.g. "MSE (in target units)".
    """
    figure = Figure(figsize=(10, 4), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    for ax, split in zip(axes, ("train", "val"), strict=True):
        points = [(r["epoch"], r[f"{split}_{metric}"]) for r in records if f"{split}_{metric}" in r]
        if points:
            epochs, values = zip(*points, strict=True)
            ax.plot(epochs, values, marker="o", markersize=3)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(f"{'training' if split == 'train' else 'validation'} {metric}")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(label or metric)
    if metric == "loss" and all(v > 0 for r in records for k, v in r.items() if k.endswith("loss")):
        axes[0].set_yscale("log")
    _save(figure, path)


def plot_confusion_matrix(matrix, path, labels=None, title="confusion matrix"):
    """Draw a confusion matrix (rows: true class, columns: predicted) with counts, as a PNG.

    Parameters
    ----------
    matrix : array of int, shape (C, C)
    path : str or os.PathLike
        The PNG file to write.
    labels : list of str, optional
        Class names (default 0..C-1).
    title : str
    """
    matrix = numpy.asarray(matrix)
    size = len(matrix)
    labels = [str(label) for label in (labels or range(size))]
    figure = Figure(figsize=(1.0 + 0.55 * size, 1.0 + 0.5 * size), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(size), labels, rotation=45 if max(map(len, labels)) > 2 else 0)
    ax.set_yticks(range(size), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    threshold = matrix.max(initial=0) / 2
    for (row, column), count in numpy.ndenumerate(matrix):
        color = "white" if count > threshold else "black"
        ax.text(column, row, str(count), ha="center", va="center", color=color, fontsize=7)
    _save(figure, path)
