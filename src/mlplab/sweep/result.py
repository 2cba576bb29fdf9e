"""What a sweep found: one row per trial, one per configuration (mean ± std over seeds), sorted.

The rows are plain data (dicts), written as CSV and as a Markdown summary that also says, axis by
axis, what each setting did and warns when the best value of an axis sits at the edge of its
range ("extend the grid").
"""

import csv
import dataclasses
import io
import json
import math
from pathlib import Path

import numpy

from mlplab.experiment import CONFIG, RESULTS
from mlplab.sweep.grid import Range, axis_minimum
from mlplab.train.callbacks import read_history
from mlplab.train.metrics import is_lower_better
from mlplab.utils import atomic_write_bytes

SUMMARY_CSV, TRIALS_CSV, SUMMARY_MD = "summary.csv", "trials.csv", "summary.md"
# A sampled axis's best value "sits at the edge" within this share of its range.
EDGE_SHARE = 0.1


@dataclasses.dataclass
class SweepResult:
    """The trials of a sweep and what they measured.

    Attributes
    ----------
    axes : dict
        Axis name -> its values (a list) or its sampled :class:`~mlplab.sweep.grid.Range`.
    metric : str
        The test figure configurations are ranked by (``accuracy``; ``mse`` for regression).
    trials : list of dict
        One row per trial: ``trial`` (its name), the axis values, ``run``, ``seed``, ``status``
        (``done`` or ``failed``), ``test_<figure>`` for each test figure, ``epochs``,
        ``parameters``, ``train_seconds``, ``error`` and ``folder``.
    histories : dict
        Trial name -> its epoch records (for the learning curves).
    folder : pathlib.Path or None
        The sweep's folder.
    """

    axes: dict
    metric: str
    trials: list
    histories: dict
    folder: Path | None = None

    @classmethod
    def read(cls, trials, axes, sweep_folder, keep_folders=True):
        """The result of ``trials`` from their folders in ``sweep_folder`` (a SweepFolder)."""
        rows, histories = [], {}
        for trial in trials:
            row, history = _trial_row(trial, sweep_folder)
            if not keep_folders:
                row["folder"] = None
            rows.append(row)
            if history is not None:
                histories[trial.name] = history
        metric = trials[0].settings.task_object.metric_names[0] if trials else "loss"
        folder = sweep_folder.path if keep_folders else None
        return cls(dict(axes), metric, rows, histories, folder)

    @property
    def lower_is_better(self):
        """Whether the smallest value of :attr:`metric` is the best."""
        return is_lower_better(self.metric)

    @property
    def figures(self):
        """The test figures the trials report, e.g. ``["accuracy", "loss"]`` (the metric first)."""
        names = dict.fromkeys(
            [self.metric, *(key[5:] for row in self.trials for key in row if key[:5] == "test_")]
        )
        return sorted(names, key=lambda name: (name != self.metric, name != "loss", name))

    @property
    def configurations(self):
        """One row per configuration, the best first: the axis values, ``seeds`` (trials done),
        ``failed``, and ``<figure>_mean``/``<figure>_std`` over the seeds for each test figure,
        ``train_seconds`` and ``parameters``. std is None with fewer than two seeds."""
        groups = {}
        for row in self.trials:
            groups.setdefault(_key({axis: row[axis] for axis in self.axes}), []).append(row)
        table = [self._aggregate(rows) for rows in groups.values()]
        return sorted(table, key=self._rank)

    def _aggregate(self, rows):
        """The configuration row of one configuration's trials."""
        done = [row for row in rows if row["status"] == "done"]
        row = {axis: rows[0][axis] for axis in self.axes}
        row.update(seeds=len(done), failed=len(rows) - len(done))
        for name in [f"test_{figure}" for figure in self.figures] + ["train_seconds"]:
            mean, std = _mean_std([trial[name] for trial in done if trial.get(name) is not None])
            short = name.removeprefix("test_")
            row[f"{short}_mean"], row[f"{short}_std"] = mean, std
        row["parameters"] = done[0]["parameters"] if done else None
        return row

    def _rank(self, row):
        """Sort key: configurations with results first, best mean first."""
        value = row.get(f"{self.metric}_mean")
        if value is None:
            return (1, 0.0)
        return (0, value if self.lower_is_better else -value)

    @property
    def best(self):
        """The best configuration's row (None when no trial finished)."""
        table = self.configurations
        return table[0] if table and table[0]["seeds"] else None

    # ------------------------------------------------------------------ axis by axis
    def marginal(self, axis):
        """For each value of a listed axis: (value, mean, std, trials) of the metric over every
        finished trial with that value (whatever the other axes)."""
        values = self.axes[axis]
        if isinstance(values, Range):
            raise ValueError(f"{axis} was sampled from a range: it has no fixed values")
        key = f"test_{self.metric}"
        summary = []
        for value in values:
            scores = [
                row[key] for row in self.trials
                if row["status"] == "done" and _same(row[axis], value) and row.get(key) is not None
            ]  # fmt: skip
            summary.append((value, *_mean_std(scores), len(scores)))
        return summary

    def seed_spread(self):
        """The typical std of the metric over seeds within a configuration (None if unknown)."""
        stds = [row[f"{self.metric}_std"] for row in self.configurations]
        stds = [std for std in stds if std is not None]
        return float(numpy.mean(stds)) if stds else None

    def edge_warnings(self):
        """One line per numeric axis whose best value is at the edge of its range.

        A listed axis needs three or more numbers (with two, every value is an edge); its best
        value is the one with the best mean over all trials. The edge an axis cannot pass (a
        dropout of 0, no weight decay) is no warning. A sampled axis warns when the best
        configuration's value lies within a tenth of the range from one end.
        """
        warnings = []
        best = self.best
        for axis, values in self.axes.items():
            if isinstance(values, Range):
                if best is not None:
                    warnings += _range_edge(axis, values, best[axis])
                continue
            numbers = [v for v in values if _is_number(v)]
            if len(numbers) < 3 or len(numbers) != len(values):
                continue
            scored = [(v, mean) for v, mean, _, _ in self.marginal(axis) if mean is not None]
            if not scored:
                continue
            pick = min if self.lower_is_better else max
            value = pick(scored, key=lambda item: item[1])[0]
            low, high = min(numbers), max(numbers)
            if value == low and value != axis_minimum(axis):
                warnings.append(_edge_line(axis, value, "lower", low, high))
            elif value == high:
                warnings.append(_edge_line(axis, value, "upper", low, high))
        return warnings

    def findings(self):
        """What each axis did, one sentence per axis (means over the other axes and seeds)."""
        lines = []
        spread = self.seed_spread()
        noise = f"; seeds alone move it by about ±{spread:.3g}" if spread else ""
        for axis, values in self.axes.items():
            if isinstance(values, Range):
                lines.append(f"{axis}: sampled from {values}; see the plots for its effect.")
                continue
            scored = [(v, m, s) for v, m, s, _ in self.marginal(axis) if m is not None]
            if len(scored) < 2:
                continue
            parts = ", ".join(f"{m:.4g} at {_text(v)}" for v, m, _ in scored)
            means = [m for _, m, _ in scored]
            pick = min if self.lower_is_better else max
            best = pick(scored, key=lambda item: item[1])[0]
            effect = max(means) - min(means)
            unclear = spread is not None and effect < 2 * spread
            lines.append(
                f"{axis}: test {self.metric} {parts}{_trend(values, means)}; best at "
                f"{_text(best)} (a range of {effect:.3g}{noise})"
                + (": no clear effect, within twice the seeds' spread." if unclear else ".")
            )
        return lines

    # ------------------------------------------------------------------ writing
    def to_csv(self, per="configuration"):
        """The configurations (``per="configuration"``) or trials (``per="trial"``) as CSV text."""
        if per not in ("configuration", "trial"):
            raise ValueError(f"per must be 'configuration' or 'trial', not {per!r}")
        rows = self.configurations if per == "configuration" else self.trials
        columns = list(dict.fromkeys(key for row in rows for key in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _text(value) for key, value in row.items()})
        return text.getvalue()

    def to_markdown(self, limit=None):
        """The summary: the configurations table (its ``limit`` best rows; None: all), the
        findings axis by axis, the warnings and the failed trials."""
        figures = self.figures
        header = [*self.axes, *[f"test {f}" for f in figures], "time (s)", "parameters", "seeds"]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        table = self.configurations
        for row in table[:limit]:
            cells = [_text(row[axis]) for axis in self.axes]
            cells += [_plus_minus(row[f"{f}_mean"], row[f"{f}_std"]) for f in figures]
            cells += [_plus_minus(row["train_seconds_mean"], row["train_seconds_std"], ".2f")]
            cells += [_text(row["parameters"]), f"{row['seeds']}" + _failed(row["failed"])]
            lines.append("| " + " | ".join(cells) + " |")
        if limit is not None and len(table) > limit:
            lines.append(f"\n({len(table) - limit} more configurations in {SUMMARY_MD})")
        done = sum(row["status"] == "done" for row in self.trials)
        text = (
            f"# Sweep: {len(table)} configurations, {len(self.trials)} trials ({done} done)\n\n"
            f"Sorted by test {self.metric}, best first; mean ± std over the seeds; time is the "
            "training time of one trial.\n\n" + "\n".join(lines) + "\n"
        )
        findings = self.findings()
        if findings:
            text += "\n## What each setting did\n\n" + "".join(f"- {f}\n" for f in findings)
        warnings = self.edge_warnings()
        if warnings:
            text += "\n## Warnings\n\n" + "".join(f"- {w}\n" for w in warnings)
        failures = [row for row in self.trials if row["status"] == "failed"]
        if failures:
            text += "\n## Failed trials\n\n" + "".join(
                f"- {row['trial']}: {row['error']}\n" for row in failures
            )
        return text

    def save(self, folder):
        """Write summary.csv, trials.csv, summary.md and the plots into ``folder``."""
        from mlplab.sweep import plots  # matplotlib loads only when a sweep is written

        folder = Path(folder)
        atomic_write_bytes(folder / SUMMARY_CSV, self.to_csv("configuration").encode())
        atomic_write_bytes(folder / TRIALS_CSV, self.to_csv("trial").encode())
        atomic_write_bytes(folder / SUMMARY_MD, self.to_markdown().encode())
        return plots.plot_all(self, folder)


def load_plotting():
    """Import what :meth:`SweepResult.save` draws with (matplotlib: some 0.3 s) ahead of time."""
    from mlplab.sweep import plots  # noqa: F401


# ----------------------------------------------------------------------------- helpers
def _trial_row(trial, sweep_folder):
    """A trial's row and epoch records, from its folder (a failed or missing trial: no figures)."""
    folder = sweep_folder.trial_folder(trial)
    summary = sweep_folder.read_summary(trial) or {}
    row = {"trial": trial.name, **trial.configuration, "run": trial.run,
           "seed": trial.settings.seed}  # fmt: skip
    history = None
    if (folder / RESULTS).exists():
        results = json.loads((folder / RESULTS).read_text(encoding="utf-8"))
        row["status"] = "done"
        for name, value in results["test"].items():
            if isinstance(value, int | float):
                row[f"test_{name}"] = value
        row["epochs"] = results["epochs"]
        history = read_history(folder)
    else:
        row["status"] = "failed"
    row["parameters"] = summary.get("parameters")
    row["train_seconds"] = summary.get("train_seconds")
    row["error"] = summary.get("error") if row["status"] == "failed" else None
    row["folder"] = str(folder) if (folder / CONFIG).exists() or summary else None
    return row, history


def _key(configuration):
    """A hashable key of a configuration."""
    return json.dumps(configuration, sort_keys=True, default=str)


def _same(a, b):
    """Whether two axis values are the same (lists and tuples alike)."""
    return _key(a) == _key(b)


def _mean_std(values):
    """(mean, sample std) of ``values``; std None below two values, both None for none."""
    if not values:
        return None, None
    mean = float(numpy.mean(values))
    return mean, (float(numpy.std(values, ddof=1)) if len(values) > 1 else None)


def _is_number(value):
    """Whether ``value`` is an int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value):
    """An axis value or figure as table text: lists joined by ``-``, floats to 4 digits."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "-".join(map(_text, value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _plus_minus(mean, std, form=".4f"):
    """``mean ± std`` (just the mean with one seed; a dash without any)."""
    if mean is None:
        return "–"
    return f"{mean:{form}}" if std is None else f"{mean:{form}} ± {std:{form}}"


def _failed(count):
    """`` (N failed)`` when some seeds of a configuration failed."""
    return f" ({count} failed)" if count else ""


def _trend(values, means):
    """How the metric moves along a numeric axis: rises, falls, or peaks in between."""
    if len(means) < 3 or not all(map(_is_number, values)):
        return ""
    steps = numpy.diff(means)
    if (steps > 0).all():
        return ", rising all the way"
    if (steps < 0).all():
        return ", falling all the way"
    return ""


def _edge_line(axis, value, side, low, high):
    """The warning that ``axis``'s best value is at one edge of the grid."""
    direction = "below" if side == "lower" else "above"
    return (
        f"{axis}: the best value {_text(value)} is at the {side} edge of the grid "
        f"({_text(low)} to {_text(high)}): extend the grid {direction} {_text(value)}"
    )


def _range_edge(axis, values, best):
    """A warning when the best sampled value of ``axis`` is within a tenth of an end."""
    scale = math.log if values.log else float
    low, high, at = scale(values.low), scale(values.high), scale(best)
    share = (at - low) / (high - low)
    if share <= EDGE_SHARE and values.low != axis_minimum(axis):
        return [_edge_line(axis, best, "lower", values.low, values.high)]
    if share >= 1 - EDGE_SHARE:
        return [_edge_line(axis, best, "upper", values.low, values.high)]
    return []
