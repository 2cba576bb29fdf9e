"""``mlplab sweep``: the shared settings, the axes and the seeds -> ``mlplab.sweep.run`` -> a table.

The shared settings are read exactly as ``mlplab train`` reads a run's (options, ``--config``
file, ``--preset``); ``--grid`` and ``--grid-file`` give the axes; a sweep preset
(``--preset structure``) gives settings, axes and seeds at once, each overridable.
"""

import argparse
import sys

from mlplab import sweep
from mlplab.cli import config
from mlplab.cli.config import UsageError
from mlplab.experiment import PRESETS
from mlplab.experiment.folder import default_folder

TABLE_ROWS = 10  # configurations printed; summary.md holds them all

EXAMPLES = """\
examples:
  mlplab sweep --grid "hidden=[16,64,256]" --grid "lr=[1e-3,1e-2]" --seeds 3 --epochs 10
                                   6 configurations x 3 seeds on the bundled digits
  mlplab sweep --dataset fashion-mnist --grid "hidden=[64,256,1024]" --grid "depth=[1,2,3]" \\
      --grid "dropout=[0,0.25]" --grid "lr=[1e-3,1e-2]" --seeds 3 --epochs 10 --out sweeps/fm
  mlplab sweep --grid "lr=1e-4..1e-1" --grid "dropout=0..0.5" --samples 20
                                   random search: lr log-uniform, dropout uniform
  mlplab sweep --grid-file grid.toml --config run.toml --backend ray --address 10.0.0.5:6379
  mlplab sweep --preset structure --quick
                                   width, depth, dropout and lr on the reference network

An axis is any training option (layers, activation, optimizer, schedule, lr, dropout, ...) or
hidden / depth, which build --layers as INPUTS-HIDDEN-...-HIDDEN-OUTPUTS (depth hidden layers of
width hidden). Each trial is a run folder under OUT/trials; run the same command again after an
interruption and the complete trials are skipped.

exit codes: 0 done (failed trials are listed in the summary), 2 bad input (nothing written),
130 interrupted by Ctrl-C (run the same command again to continue)
"""


def add_parser(subparsers):
    """Register ``sweep`` and its options."""
    parser = subparsers.add_parser(
        "sweep",
        help="train many networks that differ in a few settings and compare them",
        description="Train every configuration of a grid (or random samples of it) over several "
        "seeds, in parallel worker processes or on a Ray cluster, and summarise: a table of "
        "mean ± std over seeds (summary.md, summary.csv), plots, what each setting did, and a "
        "warning when the best value of an axis is at the edge of the grid.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        conflict_handler="resolve",  # --preset below takes sweep presets too
    )
    config.add_arguments(parser)
    presets = {
        **{name: "settings" for name in PRESETS},
        **{n: "sweep" for n in sweep.SWEEP_PRESETS},
    }
    parser.add_argument(
        "--preset",
        default=argparse.SUPPRESS,
        metavar="NAME",
        help=f"start from a preset {{{', '.join(presets)}}}: settings presets as in 'mlplab "
        "train'; sweep presets give settings, axes and seeds: "
        + "; ".join(f"{name} = {p.description}" for name, p in sweep.SWEEP_PRESETS.items()),
    )
    parser.add_argument(
        "--out",
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="sweep folder: trials/, summary.md, summary.csv, plots (default: "
        "sweeps/DATASET-DATE-TIME); an interrupted sweep continues in it",
    )
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="AXIS",
        help='an axis: NAME=[V1,V2,...] (e.g. "lr=[1e-3,1e-2]"), or NAME=LOW..HIGH with '
        "--samples; repeat for more axes",
    )
    parser.add_argument(
        "--grid-file", metavar="FILE", help='TOML file of axes: NAME = [V1, V2] or "LOW..HIGH"'
    )
    parser.add_argument(
        "--seeds",
        type=int,
        metavar="N",
        help="trials per configuration (default 1, or the preset's)",
    )
    parser.add_argument(
        "--samples",
        type=int,
        metavar="N",
        help="random search: N configurations drawn from the axes",
    )
    parser.add_argument(
        "--backend", choices=tuple(sweep.BACKENDS), default="local",
        help="where trials run: worker processes here, or Ray tasks (default local)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, metavar="N",
        help="worker processes (local) or CPUs of the local Ray instance (default: one per core)",
    )  # fmt: skip
    parser.add_argument(
        "--address", metavar="HOST:PORT", help="join this Ray cluster (with --backend ray)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="the reduced form of a sweep preset (seconds to minutes)",
    )
    parser.set_defaults(handler=run)


def run(args):
    """Run the sweep ``args`` describe; returns the exit code."""
    given, toml, command = config.settings_sources(args)
    study = _study(given, toml, args.quick)
    axes = dict(study.grid) if study else {}
    if args.grid_file:
        axes.update(sweep.read_grid_toml(args.grid_file))
    axes.update(sweep.parse_axis(text) for text in args.grid)
    if study is not None:  # the preset's settings, under the file's and the command line's
        toml = {**study.settings, **toml}
    settings = config.settings_from(given, toml, args.config)
    seeds = args.seeds if args.seeds is not None else (study.seeds if study else 1)
    out = command.get("out") or default_folder(settings.dataset, root="sweeps")
    progress = not command.get("quiet", False)
    try:
        result = sweep.run(
            settings, axes, seeds, samples=args.samples, backend=args.backend,
            workers=args.workers, address=args.address, out=out, progress=progress,
        )  # fmt: skip
    except KeyboardInterrupt:
        print(
            f"\nmlplab sweep: interrupted; the complete trials stay in {out}: run the same "
            "command again to continue",
            file=sys.stderr,
        )
        return 130
    print(result.to_markdown(limit=TABLE_ROWS))
    print(f"Sweep saved in {result.folder} (summary.md, summary.csv, trials.csv, plots, trials/)")
    return 0


def _study(given, toml, quick):
    """The sweep preset's study when --preset names one (taken out of ``given``/``toml``)."""
    name = given.get("preset", toml.get("preset"))
    if name is not None and name not in {**PRESETS, **sweep.SWEEP_PRESETS}:
        raise UsageError(
            f"--preset: unknown preset {name!r}; choose one of "
            f"{', '.join([*PRESETS, *sweep.SWEEP_PRESETS])}"
        )
    if name not in sweep.SWEEP_PRESETS:
        if quick:
            raise UsageError(
                f"--quick: the reduced form of a sweep preset; add --preset "
                f"{' or --preset '.join(sweep.SWEEP_PRESETS)}"
            )
        return None
    given.pop("preset", None)
    toml.pop("preset", None)
    return sweep.get_study(name, quick)
