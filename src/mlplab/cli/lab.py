"""``mlplab lab``: list, run and report the lab's experiments (``mlplab.lab``)."""

import argparse
from pathlib import Path

from mlplab import lab
from mlplab.cli.config import UsageError

EXAMPLES = """\
examples:
  mlplab lab list                                each experiment and the question it answers
  mlplab lab run activations --quick             one experiment in seconds -> lab/activations/
  mlplab lab run all --quick --out lab           every experiment, one folder each
  mlplab lab report lab/activations              rebuild the report from its saved numbers

exit codes: 0 every claim held, 1 a claim failed (the report says which), 2 bad input
"""


def add_parser(subparsers):
    """Register ``lab`` and its sub-commands."""
    parser = subparsers.add_parser(
        "lab",
        help="run the lab's experiments: every claim measured, drawn and checked",
        description="The lab: each experiment answers one question of a neural-network course "
        "with measured numbers, figures and claims checked against thresholds, and writes "
        "report.md, a self-contained report.html and result.json.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="each experiment's name and question").set_defaults(
        handler=_list
    )
    runner = actions.add_parser("run", help="run an experiment (or all) and write its report")
    runner.add_argument("name", metavar="NAME", help="an experiment of 'mlplab lab list', or all")
    runner.add_argument("--quick", action="store_true", help="seconds instead of minutes")
    runner.add_argument(
        "--out", metavar="DIR", default="lab", help="folder of the reports (default: lab/)"
    )
    runner.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of every random draw (default 0)"
    )
    runner.set_defaults(handler=_run)
    reporter = actions.add_parser("report", help="rebuild reports from their saved numbers")
    reporter.add_argument("folder", metavar="DIR", help="a report folder, or a folder of them")
    reporter.set_defaults(handler=_report)


def _list(args):
    """Print each experiment's name and question."""
    width = max(map(len, lab.EXPERIMENTS), default=0)
    for name, experiment in lab.EXPERIMENTS.items():
        print(f"{name:<{width}}  {experiment.question}")
    return 0


def _run(args):
    """Run one experiment or all of them; print what held."""
    if args.seed < 0:
        raise UsageError(f"--seed: {args.seed} is below the minimum 0")
    if args.name != "all":
        try:
            lab.experiment_named(args.name)
        except ValueError as error:
            raise UsageError(str(error)) from None
    out = Path(args.out)
    if args.name == "all":
        results = lab.run_all(quick=args.quick, out=out, seed=args.seed)
    else:
        results = [lab.run(args.name, quick=args.quick, out=out / args.name, seed=args.seed)]
    return _summarise(results)


def _report(args):
    """Rebuild the reports in a folder (or in each of its sub-folders)."""
    folder = Path(args.folder)
    folders = [folder] if (folder / "result.json").exists() else sorted(
        path.parent for path in folder.glob("*/result.json")
    )  # fmt: skip
    if not folders:
        raise UsageError(f"{folder} holds no lab results (no result.json in it or below it)")
    try:
        results = [lab.rebuild_report(path) for path in folders]
    except ValueError as error:
        raise UsageError(str(error)) from None
    return _summarise(results)


def _summarise(results):
    """One line per experiment, each failed claim under it; exit code 1 if any failed."""
    for result in results:
        held = sum(claim.held for claim in result.claims)
        print(
            f"{result.name}: {held}/{len(result.claims)} claims held "
            f"({result.setup.get('seconds', '?')} s) -> {Path(result.folder) / 'report.html'}"
        )
        for claim in result.failed:
            print(f"  FAILED: {claim.statement} ({claim.threshold}; measured {claim.values})")
    return 0 if all(result.held for result in results) else 1
