"""PNG plots of a run: learning curves, the confusion matrix, and predicted against true values.

Each plot has a ``*_figure`` function that builds the matplotlib Figure (what the tests inspect,
and what a notebook can show) and a ``plot_*`` function that writes it as a PNG. Figures are drawn
on matplotlib's Agg canvas directly (no pyplot, no display needed) and written atomically.
"""

import io
import math

import numpy
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from mlplab.train.metrics import is_lower_better, r2_score
from mlplab.utils import atomic_write_bytes

# Past this many classes the cells are too small for numbers: the colours alone carry the matrix.
MAX_CLASSES_WITH_CELL_TEXT = 30


def save_figure(figure, path):
    """Render ``figure`` as PNG and write it to ``path`` atomically."""
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    atomic_write_bytes(path, buffer.getvalue())


# ----------------------------------------------------------------------------- learning curves
def _plain_log_scale(axis, low, high):
    """Put ``axis`` on a log scale labelled 0.3, 1, 2 rather than 3x10^-1, 10^0, 2x10^0."""
    axis.axes.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    axis.set_major_formatter(plain)
    axis.set_minor_locator(LogLocator(subs=(2, 3, 5)))
    # Within about a decade there are too few powers of ten to read values from: label 2, 3, 5.
    axis.set_minor_formatter(plain if high < 30 * low else NullFormatter())


def curves_figure(records, metric, label=None, title=None):
    """Build the learning-curve figure: ``train_<metric>`` and ``val_<metric>`` on one axes.

    Parameters are those of :func:`plot_curves`, without the path.

    Returns
    -------
    matplotlib.figure.Figure
    """
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    ax = figure.subplots()
    finals, last_epochs = [], []
    for split, name in (("train", "training"), ("val", "validation")):
        key = f"{split}_{metric}"
        points = [(r["epoch"], r[key]) for r in records if r.get(key) is not None]
        if not points:
            continue
        epochs, values = zip(*points, strict=True)
        (line,) = ax.plot(epochs, values, marker="o", markersize=3, label=name)
        finals.append(f"{name} {values[-1]:.4g}")
        last_epochs.append(epochs[-1])
        if split == "val" and len(points) > 1:
            pick = min if is_lower_better(metric) else max
            best_epoch, best = pick(points, key=lambda point: point[1])
            ax.plot(
                best_epoch,
                best,
                marker="*",
                markersize=12,
                color=line.get_color(),
                linestyle="none",
                label=f"best validation {best:.4g} (epoch {best_epoch})",
            )
    if finals:
        ax.legend()
        ax.grid(alpha=0.3)
    else:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
    # Epochs are whole numbers: without this, 3 epochs get ticks at 1.0, 1.5, 2.0, ...
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(label or metric)
    losses = [v for r in records for k, v in r.items() if k.endswith("loss") and v is not None]
    if metric == "loss" and losses and all(v > 0 for v in losses):
        _plain_log_scale(ax.yaxis, min(losses), max(losses))
    heading = f"{title}: {label or metric}" if title else (label or metric)
    if finals:
        heading += f"\nafter epoch {max(last_epochs)}: " + ", ".join(finals)
    ax.set_title(heading)
    return figure


def plot_curves(records, metric, path, label=None, title=None):
    """Plot ``train_<metric>`` and ``val_<metric>`` per epoch on one axes, as a PNG.

    Both curves share the axes because the gap between them (overfitting) is what the plot is
    for; the best validation epoch is starred and the title gives the final values.

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
    title : str, optional
        What was trained, e.g. the data set's name, put before the metric in the title.
    """
    save_figure(curves_figure(records, metric, label, title), path)


# ----------------------------------------------------------------------------- confusion matrix
def _contrasting_text_color(rgb):
    """Black or white, whichever is more legible on the colour ``rgb`` (WCAG luminance)."""
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]
    # Contrast ratios with black and white are equal where luminance is about 0.179.
    return "black" if luminance > 0.179 else "white"


def _confusion_panel(figure, ax, values, labels, title, fraction, side):
    """Draw one confusion-matrix panel (counts, or row fractions when ``fraction``) on ``ax``.

    ``side`` is the panel's size in inches.
    """
    size = len(values)
    cmap = colormaps["Blues"]
    norm = Normalize(0.0, 1.0) if fraction else Normalize(0.0, max(float(values.max()), 1.0))
    image = ax.imshow(values, cmap=cmap, norm=norm)
    figure.colorbar(image, ax=ax, shrink=0.8, label="fraction of the row" if fraction else "count")
    # Fonts follow the size of a cell (the panel is about 1.8 inch smaller than the figure's side,
    # for the labels and colour bar): legible without spilling over the neighbouring cells.
    cell_points = max(side - 1.8, 1.0) * 72 / size
    font = min(10.0, max(6.0, 0.5 * cell_points))
    cell_font = min(14.0, max(5.0, 0.33 * cell_points))
    rotation = 0 if max(map(len, labels)) <= 2 else (45 if size <= 20 else 90)
    slanted = rotation == 45
    ax.set_xticks(
        range(size),
        labels,
        rotation=rotation,
        ha="right" if slanted else "center",
        rotation_mode="anchor" if slanted else "default",
        fontsize=font,
    )
    ax.set_yticks(range(size), labels, fontsize=font)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    if size > MAX_CLASSES_WITH_CELL_TEXT:
        return
    for (row, column), value in numpy.ndenumerate(values):
        text = f"{value:.2f}" if fraction else str(int(value))
        color = _contrasting_text_color(cmap(norm(value)))
        ax.text(column, row, text, ha="center", va="center", color=color, fontsize=cell_font)


def confusion_matrix_figure(matrix, labels=None, title="confusion matrix", normalize=False):
    """Build the confusion-matrix figure; the arguments are those of :func:`plot_confusion_matrix`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    matrix = numpy.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0:
        raise ValueError(
            f"A confusion matrix must be square (C, C) with C >= 1, got shape {matrix.shape}"
        )
    if normalize not in (False, True, "both"):
        raise ValueError(f"Invalid normalize {normalize!r}: use False, True or 'both'")
    size = len(matrix)
    labels = [str(label) for label in (range(size) if labels is None else labels)]
    if len(labels) != size:
        raise ValueError(f"{len(labels)} labels for a confusion matrix of {size} classes")
    totals = matrix.sum(axis=1, keepdims=True)
    # A class absent from the true labels has an empty row: show it as zeros rather than NaN.
    recall = matrix / numpy.where(totals > 0, totals, 1)
    panels = {
        False: [(matrix, "counts", False)],
        True: [(recall, "recall: each row sums to 1", True)],
        "both": [(matrix, "counts", False), (recall, "recall: each row sums to 1", True)],
    }[normalize]
    # Grows with the class count (about 0.3 inch per class) between legible and sane sizes.
    side = min(max(3.0 + 0.3 * size, 4.5), 14.0)
    figure = Figure(figsize=(side * len(panels) + 1.0, side), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (values, name, fraction) in zip(axes, panels, strict=True):
        _confusion_panel(figure, ax, values, labels, name, fraction, side)
    total = int(matrix.sum())
    accuracy = f", accuracy {numpy.trace(matrix) / total:.2%}" if total else ""
    figure.suptitle(f"{title} ({total} samples{accuracy})")
    return figure


def plot_confusion_matrix(matrix, path, labels=None, title="confusion matrix", normalize=False):
    """Draw a confusion matrix (rows: true class, columns: predicted) as a PNG.

    The figure grows with the number of classes; each cell's number is printed in black or white,
    whichever contrasts with the cell, in a font that shrinks with the class count, and is left
    out past :data:`MAX_CLASSES_WITH_CELL_TEXT` classes.

    Parameters
    ----------
    matrix : array of int, shape (C, C)
        ``matrix[i, j]``: samples of true class i predicted as class j.
    path : str or os.PathLike
        The PNG file to write.
    labels : list of str, optional
        Class names (default 0..C-1).
    title : str
        The figure's title (the sample count and accuracy are added).
    normalize : bool or "both"
        False: counts; True: each row divided by its sum (the recall of each class);
        "both": the two side by side.
    """
    save_figure(confusion_matrix_figure(matrix, labels, title, normalize), path)


# ----------------------------------------------------------------------------- regression
def predictions_figure(truth, predicted, names=None, title=None):
    """Build the predicted-against-true figure; the arguments are those of :func:`plot_predictions`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    truth, predicted = numpy.asarray(truth, dtype=float), numpy.asarray(predicted, dtype=float)
    if truth.ndim == 1:
        truth = truth[:, None]
    if predicted.ndim == 1:
        predicted = predicted[:, None]
    if truth.ndim != 2 or truth.shape != predicted.shape or len(truth) == 0:
        raise ValueError(
            f"truth and predicted must have the same shape (N, T) with N > 0, got {truth.shape} "
            f"and {predicted.shape}"
        )
    count = truth.shape[1]
    names = [f"y{i + 1}" for i in range(count)] if names is None else [str(n) for n in names]
    if len(names) != count:
        raise ValueError(f"{len(names)} names for {count} targets: give one name per column")
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    figure = Figure(figsize=(4.2 * columns, 4.2 * rows + 0.4), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    # Dense clouds (tens of thousands of points) would be solid blobs at full opacity.
    alpha = min(1.0, max(0.05, 200 / len(truth)))
    for ax, name, t, p in zip(axes, names, truth.T, predicted.T, strict=False):
        ax.scatter(t, p, s=8, alpha=alpha, edgecolors="none", rasterized=True)
        low, high = min(t.min(), p.min()), max(t.max(), p.max())
        ax.plot([low, high], [low, high], color="black", linewidth=1, label="y = x")
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel(f"true {name}")
        ax.set_ylabel(f"predicted {name}")
        ax.set_title(f"{name}: R² = {r2_score(p, t):.3f}")
        ax.legend(loc="upper left", fontsize="small")
        ax.grid(alpha=0.3)
    for ax in axes[count:]:
        ax.set_visible(False)
    if title:
        figure.suptitle(title)
    return figure


def plot_predictions(truth, predicted, path, names=None, title=None):
    """Plot each target's predictions against its true values, one panel per target, as a PNG.

    Points on the y = x line are exact; each panel's title gives its R².

    Parameters
    ----------
    truth, predicted : array, shape (N, T) or (N,)
        True and predicted values, in the same units.
    path : str or os.PathLike
        The PNG file to write.
    names : list of str, optional
        The targets' names (default y1, y2, ...).
    title : str, optional
        The figure's title, e.g. the data set and split.
    """
    save_figure(predictions_figure(truth, predicted, names, title), path)
