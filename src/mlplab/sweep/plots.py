"""A sweep's plots: the metric against each axis, learning curves grouped by an axis, and a
parallel-coordinates plot of every trial.

As in :mod:`mlplab.train.plots`, each plot has a ``*_figure`` function building the Figure and is
written as a PNG (atomically) by :func:`plot_all`.
"""

import math

import numpy
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

from mlplab.sweep.grid import Range
from mlplab.sweep.result import _is_number, _same, _text
from mlplab.train.plots import save_figure

BY_AXIS = "metric_by_axis.png"
PARALLEL = "parallel_coordinates.png"
COLUMNS = 3  # subplots per row of the metric-by-axis figure
MAX_TICKS = 6  # a parallel-coordinates column labels each value up to this many, else its ends


def _log_scale(values):
    """Whether numeric values spread over at least a decade (rates): drawn on a log axis."""
    numbers = [v for v in values if _is_number(v)]
    return bool(numbers) and min(numbers) > 0 and max(numbers) >= 10 * min(numbers)


def _positions(values):
    """Where a listed axis's values sit along x: the numbers themselves, else 0, 1, 2, ..."""
    if all(map(_is_number, values)):
        return [float(v) for v in values], False
    return list(range(len(values))), True


def by_axis_figure(result):
    """The metric against each axis: mean ± std over all trials with each value (error bars),
    and each configuration's mean as a dot."""
    axes = list(result.axes)
    columns = 2 if len(axes) == 4 else (min(len(axes), COLUMNS) or 1)  # four: two by two
    rows = math.ceil(len(axes) / columns) if axes else 1
    figure = Figure(figsize=(4.2 * columns, 3.4 * rows), layout="constrained")
    panels = figure.subplots(rows, columns, squeeze=False).ravel()
    table = [row for row in result.configurations if row["seeds"]]
    metric = result.metric
    for panel, axis in zip(panels, axes, strict=False):
        values = result.axes[axis]
        if isinstance(values, Range):
            xs = [row[axis] for row in table]
            ys = [row[f"{metric}_mean"] for row in table]
            errors = [row[f"{metric}_std"] or 0.0 for row in table]
            panel.errorbar(xs, ys, yerr=errors, fmt="o", capsize=3)
            if values.log:
                panel.set_xscale("log")
        else:
            xs, categorical = _positions(values)
            marginal = result.marginal(axis)
            means = [numpy.nan if m is None else m for _, m, _, _ in marginal]
            stds = [0.0 if s is None else s for _, _, s, _ in marginal]
            for row in table:
                index = next(i for i, v in enumerate(values) if _same(v, row[axis]))
                panel.plot(xs[index], row[f"{metric}_mean"], ".", color="0.7")
            panel.errorbar(xs, means, yerr=stds, fmt="o-", capsize=4, label="mean ± std")
            if categorical:
                panel.set_xticks(xs, [_text(v) for v in values])
            else:
                if _log_scale(values):
                    panel.set_xscale("log")
                    panel.xaxis.set_minor_formatter(NullFormatter())  # the values label the axis
                panel.set_xticks(xs, [_text(v) for v in values])
        panel.set_xlabel(axis)
        panel.set_ylabel(f"test {metric}")
        panel.grid(alpha=0.3)
    for panel in panels[len(axes) :]:
        panel.set_visible(False)
    figure.suptitle(f"test {metric} by axis (grey: each configuration's mean over seeds)")
    return figure


def _curve_key(result):
    """The history column the learning curves show: validation metric, else training metric."""
    records = next(iter(result.histories.values()), [])
    for key in (f"val_{result.metric}", f"train_{result.metric}", "train_loss"):
        if records and key in records[0]:
            return key
    return "train_loss"


def curves_figure(result, axis):
    """Learning curves grouped by ``axis``: per value, the mean over its trials per epoch, with a
    band of ± one std."""
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    panel = figure.subplots()
    key = _curve_key(result)
    values = result.axes[axis]
    groups = [[v] for v in values] if not isinstance(values, Range) else []
    if isinstance(values, Range):  # sampled: lower and upper half of the range
        middle = (
            math.sqrt(values.low * values.high) if values.log else (values.low + values.high) / 2
        )
        groups = [("below", middle), ("above", middle)]
    for group in groups:
        curves = []
        for row in result.trials:
            history = result.histories.get(row["trial"])
            if history is None or not _in_group(row[axis], group):
                continue
            curves.append([record.get(key) for record in history])
        if not curves:
            continue
        length = min(map(len, curves))
        stack = numpy.array([curve[:length] for curve in curves], dtype=float)
        mean, std = stack.mean(axis=0), stack.std(axis=0)
        epochs = numpy.arange(1, length + 1)
        label = f"{axis} {_group_label(group)} ({len(curves)} trials)"
        (line,) = panel.plot(epochs, mean, marker="o", markersize=3, label=label)
        panel.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    panel.xaxis.set_major_locator(MaxNLocator(integer=True))
    panel.set_xlabel("epoch")
    panel.set_ylabel(key)
    panel.set_title(f"{key} by {axis}: mean over trials, band ± std")
    panel.grid(alpha=0.3)
    if panel.lines:
        panel.legend(fontsize=8)
    return figure


def _in_group(value, group):
    """Whether a trial's value of the axis belongs to a group of the curves."""
    if group and group[0] in ("below", "above"):
        return (value < group[1]) == (group[0] == "below")
    return _same(value, group[0])


def _group_label(group):
    """How a group of curves is named in the legend."""
    if group[0] in ("below", "above"):
        return f"{group[0]} {group[1]:.3g}"
    return _text(group[0])


def parallel_figure(result):
    """All finished trials as lines through one vertical axis per sweep axis and the metric,
    coloured by the metric."""
    columns = [*result.axes, f"test_{result.metric}"]
    trials = [row for row in result.trials if row["status"] == "done"]
    figure = Figure(figsize=(max(6.0, 1.8 * len(columns)), 4.8), layout="constrained")
    panel = figure.subplots()
    scales = [_column_scale(result, column, trials) for column in columns]
    scores = [row[columns[-1]] for row in trials]
    norm = Normalize(min(scores, default=0.0), max(scores, default=1.0))
    cmap = colormaps["viridis_r" if result.lower_is_better else "viridis"]
    for row, score in zip(trials, scores, strict=True):
        ys = [scale(row[column]) for column, (scale, _) in zip(columns, scales, strict=True)]
        panel.plot(range(len(columns)), ys, color=cmap(norm(score)), alpha=0.7, linewidth=1.2)
    for x, (_, ticks) in enumerate(scales):
        panel.axvline(x, color="0.3", linewidth=0.8)
        for position, label in ticks:
            panel.text(x + 0.03, position, label, fontsize=7, va="center")
    panel.set_xticks(range(len(columns)), columns)
    panel.set_yticks([])
    panel.set_xlim(-0.1, len(columns) - 0.6)
    panel.set_title(f"every trial, coloured by test {result.metric}")
    figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=panel, label=f"test {result.metric}")
    return figure


def _column_scale(result, column, trials):
    """A function putting a column's values on [0, 1], and (position, label) ticks for it."""
    values = result.axes.get(column)
    if values is not None and not isinstance(values, Range) and not all(map(_is_number, values)):
        spots = {_text(v): i / max(len(values) - 1, 1) for i, v in enumerate(values)}
        return (lambda value: spots[_text(value)]), [(p, label) for label, p in spots.items()]
    numbers = [row[column] for row in trials if row.get(column) is not None]
    if not numbers:
        return (lambda value: 0.5), []
    log = min(numbers) > 0 and max(numbers) >= 10 * min(numbers)
    transform = math.log if log else float
    low, high = transform(min(numbers)), transform(max(numbers))
    span = (high - low) or 1.0

    def scale(value):
        return (transform(value) - low) / span

    distinct = sorted(set(numbers))
    shown = distinct if len(distinct) <= MAX_TICKS else [distinct[0], distinct[-1]]
    return scale, [(scale(v), _text(v)) for v in shown]


def plot_all(result, folder):
    """Write the sweep's plots into ``folder``; returns the files written."""
    written = []
    if not any(row["status"] == "done" for row in result.trials):
        return written
    save_figure(by_axis_figure(result), folder / BY_AXIS)
    written.append(folder / BY_AXIS)
    for axis in result.axes:
        path = folder / f"curves_by_{axis}.png"
        save_figure(curves_figure(result, axis), path)
        written.append(path)
    save_figure(parallel_figure(result), folder / PARALLEL)
    written.append(folder / PARALLEL)
    return written
