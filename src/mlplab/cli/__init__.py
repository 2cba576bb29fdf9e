"""The ``mlplab`` command: one module per sub-command, dispatched from here.

Bad input (an unknown option value, a layer string that does not fit the data, an unreadable
file, a run folder holding another run) is reported as one line on standard error with exit code
2, before anything is written.
"""

import argparse
import difflib
import os
import sys

import mlplab
from mlplab.cli import evaluate, export, info, lab, lr_find, predict, serve, sweep, train
from mlplab.cli.config import UsageError, flag
from mlplab.experiment import RunFolderError
from mlplab.utils import SettingError

COMMANDS = (train, lr_find, sweep, evaluate, predict, export, info, lab, serve)


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a bad argument as one line (exit code 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _PipeSafeOutput:
    """Standard output that goes quiet, instead of failing, when its reader goes away.

    ``mlplab train | head -2`` closes the pipe after two lines; the run must still finish and
    save its model, so later output is sent to the null device instead of raising
    BrokenPipeError (and a traceback at exit).
    """

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        """Write ``text``, or drop it once the reader is gone."""
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._silence()
            return len(text)

    def flush(self):
        """Flush, or drop what is pending once the reader is gone."""
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._silence()

    def _silence(self):
        """Point the stream's file descriptor at the null device."""
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name):
        return getattr(self._stream, name)


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
    if argv is None:
        argv = sys.argv[1:]
        sys.stdout = _PipeSafeOutput(sys.stdout)
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
    except SystemExit as exit_request:  # --help, --version, or a bad argument (code 2)
        return exit_request.code
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if unknown:
        return _unrecognized(parser, args.command, unknown)
    try:
        return args.handler(args)
    except SettingError as error:
        where = "" if error.setting is None else f"{flag(error.setting)}: "
        print(f"mlplab {args.command}: error: {where}{_one_line(error.detail)}", file=sys.stderr)
        return 2
    except (UsageError, RunFolderError) as error:
        print(f"mlplab {args.command}: error: {_one_line(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside training (which saves a checkpoint itself)
        print(f"\nmlplab {args.command}: interrupted", file=sys.stderr)
        return 130


def _one_line(message):
    """A message listing several problems on several lines, as one line for the terminal."""
    text = ""
    for line in filter(None, (line.strip() for line in message.splitlines())):
        text += (" " if not text or text.endswith(":") else "; ") + line
    return text.strip()


def _unrecognized(parser, command, unknown):
    """Report arguments the command does not take, suggesting the nearest option; exit code 2."""
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = [name for name in subparsers.choices[command]._option_string_actions if "--" in name]
    message = f"unrecognized arguments: {' '.join(unknown)}"
    for argument in unknown:
        near = difflib.get_close_matches(argument.split("=")[0], options, n=1, cutoff=0.6)
        if argument.startswith("--") and near:
            message += f"; did you mean {near[0]}?"
            break
    print(f"mlplab {command}: error: {message} (see mlplab {command} --help)", file=sys.stderr)
    return 2
