"""The ``mlplab`` command: one module per sub-command, dispatched from here."""

import argparse
import sys

import mlplab


def build_parser():
    """The argument parser of the ``mlplab`` command."""
    parser = argparse.ArgumentParser(
        prog="mlplab",
        description="mlplab: classic neural networks from first principles on NumPy.",
    )
    parser.add_argument("--version", action="version", version=f"mlplab {mlplab.__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv=None):
    """Run the ``mlplab`` command with ``argv`` (default: the process arguments)."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
    return 0
