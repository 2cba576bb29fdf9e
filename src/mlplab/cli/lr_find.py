"""``mlplab lr-find``: a run's settings -> ``mlplab.experiment.lr_find`` -> the suggested rate."""

import argparse
import sys
from pathlib import Path

import numpy
from matplotlib.figure import Figure

from mlplab import experiment
from mlplab.cli import config
from mlplab.cli.config import UsageError

# Private for now: how 'mlplab train' builds Settings from the command line and a TOML file
# (naming the file when a value of it is at fault), which lr-find must do the same way.
from mlplab.train.plots import save_figure

TABLE_ROWS = 10  # rows of the printed curve, spread evenly over the steps taken

EXAMPLES = """\
examples:
  mlplab lr-find                                the default run (digits), one pass of its data
  mlplab lr-find --optimizer sgd --steps 200 --png lr.png
                                                200 steps of SGD, the curve drawn in lr.png
  mlplab lr-find --config run.toml --start-lr 1e-5 --end-lr 1
                                                the run of a TOML file, over a narrower range
  mlplab train --config run.toml --lr RATE      then train at the suggested rate

The rate rises exponentially from --start-lr to --end-lr, one step per batch, until the smoothed
loss passes 4 times its minimum; the suggestion is a tenth of the rate at that minimum. The
run's own --lr, --schedule and --epochs are not used.

exit codes: 0 done, 1 the figure could not be written, 2 bad input (nothing written)
"""


def add_parser(subparsers):
    """Register ``lr-find`` and its options."""
    parser = subparsers.add_parser(
        "lr-find",
        help="find a learning rate: the range test of a run",
        description="The learning-rate range test: build the run the options describe, as "
        "'mlplab train' would, raise its learning rate step by step and record the loss; print "
        "the rate to train with and the curve. Writes nothing but the --png figure.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    config.add_arguments(parser)
    parser.add_argument(
        "--start-lr", type=float, default=1e-7, metavar="RATE", help="first rate (default 1e-07)"
    )
    parser.add_argument(
        "--end-lr", type=float, default=10.0, metavar="RATE", help="last rate (default 10)"
    )
    parser.add_argument(
        "--steps",
        type=int,
        metavar="N",
        help="batches the rate takes to rise (default: one pass over the training data)",
    )
    parser.add_argument(
        "--png", metavar="FILE", help="draw the loss against the rate, the suggestion marked"
    )
    parser.set_defaults(handler=run)


def run(args):
    """Run the range test as ``args`` say; returns the exit code."""
    given, toml, command = config.settings_sources(args)
    if "out" in vars(args):  # from the command line; a TOML file's ``out`` is for training
        raise UsageError("--out: lr-find keeps no run folder; draw its curve with --png FILE")
    if args.png is not None:
        _check_png(Path(args.png))
    settings = config.settings_from(given, toml, args.config)
    found = experiment.lr_find(
        settings,
        start_lr=args.start_lr,
        end_lr=args.end_lr,
        steps=args.steps,
        progress=not command.get("quiet", False),
    )
    _print_result(found)
    if args.png is not None:
        try:
            _save_png(found, args.png)
        except OSError as error:  # a full disk, a folder made read-only meanwhile
            print(f"mlplab lr-find: error: cannot write {args.png}: {error.strerror}",
                  file=sys.stderr)  # fmt: skip
            return 1
        print(f"Curve drawn in {args.png}")
    return 0


def _check_png(path):
    """UsageError unless a file can be made at ``path``: before the test, not after it."""
    if path.is_dir():
        raise UsageError(f"--png: {path} is a folder; give a file name, e.g. {path / 'lr.png'}")
    if not path.resolve().parent.is_dir():
        raise UsageError(f"--png: folder {path.parent} does not exist")


def _print_result(found):
    """Print what was tested, the curve at TABLE_ROWS rates and the suggested rate."""
    settings = found.settings
    ended = {
        None: "took every step",
        "diverged": "stopped when the loss diverged",
        "non-finite": "stopped when the loss became NaN or Inf",
    }[found.stop_reason]
    print(
        f"Range test of {settings.optimizer} on {settings.dataset} (batch {settings.batch_size}): "
        f"{len(found.lrs)} steps from lr {found.lrs[0]:.3g} to {found.lrs[-1]:.3g}; it {ended}"
    )
    lowest = int(numpy.argmin(found.smoothed))
    rows = sorted({*numpy.linspace(0, len(found.lrs) - 1, TABLE_ROWS).round().astype(int), lowest})
    print(f"{'lr':>10}  {'loss':>10}  {'smoothed':>10}")
    for row in rows:
        mark = "  <- lowest" if row == lowest else ""
        print(
            f"{found.lrs[row]:10.3g}  {found.losses[row]:10.4g}  {found.smoothed[row]:10.4g}{mark}"
        )
    print(f"Suggested learning rate: {found.suggested_lr:.3g} (a tenth of {found.min_lr:.3g})")


def _save_png(found, path):
    """Draw the range test's curve into the PNG file ``path``."""
    figure = Figure(figsize=(8, 5), layout="constrained")
    found.plot(figure.subplots())
    save_figure(figure, path)
