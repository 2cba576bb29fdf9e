"""The ``mlplab`` command: one module per sub-command, dispatched from here.

Bad input (an unknown option value, a layer string that does not fit the data, an unreadable
file, a run folder holding another run) is reported as one line on standard error with exit code
2, before anything is written.
"""

import argparse
import sys

import mlplab
from mlplab.cli import evaluate, info, predict, train
from mlplab.cli.config import UsageError, flag
from mlplab.experiment import RunFolderError
from mlplab.utils import SettingError

COMMANDS = (train, evaluate, predict, info)


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a bad argument as one line (exit code 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    """The argument parser of the ``mlplab`` command."""
    parser = _Parser(
        prog="mlplab",
        description="mlplab: classic neural networks from first principles on NumPy.",
        epilog="Run 'mlplab COMMAND --help' for a command's options. "
        "'mlplab train' alone trains a small network on the bundled digits.",
    )
    parser.add_argument("--version", action="version", version=f"mlplab {mlplab.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv=None):
    """Run the ``mlplab`` command with ``argv`` (default: the process arguments); exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exit_request:  # --help, --version, or a bad argument (code 2)
        return exit_request.code
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except SettingError as error:
        where = "" if error.setting is None else f"{flag(error.setting)}: "
        print(f"mlplab {args.command}: error: {where}{error.detail}", file=sys.stderr)
        return 2
    except (UsageError, RunFolderError) as error:
        print(f"mlplab {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside training (which saves a checkpoint itself)
        print(f"\nmlplab {args.command}: interrupted", file=sys.stderr)
        return 130
