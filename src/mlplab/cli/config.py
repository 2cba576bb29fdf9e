"""The command-line form of a run's settings: one option per field of ``experiment.Settings``.

A run's settings come from four layers, each overriding the one before: the defaults of
``Settings`` (a small network on the bundled ``digits`` set, so that ``mlplab train`` alone works
offline), a preset (``--preset course``), a TOML file (``--config run.toml``, keys as the long
options with ``_`` or ``-``) and the options given on the command line. The options, their help
and their choices are read from ``Settings`` and the registries it names; nothing is listed here.
"""

import argparse
import dataclasses

from mlplab.experiment import PRESETS, Settings, SettingsError
from mlplab.experiment.settings import read_toml

# Options of the command that are not settings of the run: where it goes and how it prints.
COMMAND_OPTIONS = ("out", "quiet")
# Longer spellings people type for an option (``--learning-rate`` for ``--lr``).
ALIASES = {"lr": ("--learning-rate",), "batch_size": ("--batch",)}


class UsageError(Exception):
    """Bad input to a command: reported as one line with exit code 2, and nothing is written."""


def flag(name):
    """The command-line spelling of a setting, e.g. ``--weight-decay``."""
    return "--" + name.replace("_", "-")


def add_arguments(parser):
    """Add an option for every field of Settings (values absent unless given), plus a TOML file
    (``--config``), presets, the run folder and quiet output."""
    for spec in dataclasses.fields(Settings):
        meta = spec.metadata
        if meta["kind"] is dict:
            continue  # tables of options are for TOML files and Python
        if meta["kind"] is bool:
            parser.add_argument(
                flag(spec.name),
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=f"{meta['help']} (default: {'on' if spec.default else 'off'})",
            )
            continue
        default = "" if spec.default is None else f" (default: {spec.default})"
        choices = f" {{{', '.join(meta['offered']())}}}" if meta["offered"] else ""
        parser.add_argument(
            flag(spec.name),
            *ALIASES.get(spec.name, ()),
            dest=spec.name,
            type=_parser_type(meta["kind"]),
            default=argparse.SUPPRESS,
            metavar=meta["metavar"] or spec.name.upper(),
            help=f"{meta['help']}{choices}{default}",
        )
    parser.add_argument(
        "--config", metavar="FILE", help="TOML file of settings (keys as the long options)"
    )
    parser.add_argument(
        "--preset",
        default=argparse.SUPPRESS,
        metavar="NAME",
        help=f"start from named settings {{{', '.join(PRESETS)}}}: course = 784-256-512-10 ReLU "
        "MLP on mnist, cross-entropy, Adam lr 1e-3, batch 100, 30 epochs",
    )
    parser.add_argument(
        "--out",
        default=argparse.SUPPRESS,
        metavar="DIR",
        help="run folder for config, history, plots, checkpoint and model "
        "(default: runs/DATASET-DATE-TIME)",
    )
    parser.add_argument(
        "--quiet",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="print only the final results (no progress bar, no epoch lines) (default: off)",
    )


def _parser_type(kind):
    """A converter for argparse: numbers as ``kind``, with its message on failure; text as is."""
    if kind not in (int, float):
        return str

    def convert(text):
        try:
            return kind(text)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None

    convert.__name__ = kind.__name__
    return convert


def settings_sources(args):
    """What the command line and its ``--config`` file give: (settings dict, TOML dict, command
    options), each holding only what was given explicitly."""
    given = dict(vars(args))
    toml = read_toml(given.pop("config")) if given.get("config") else {}
    toml = {key.replace("-", "_"): value for key, value in toml.items()}
    known = {spec.name for spec in dataclasses.fields(Settings)} | {"preset"}
    command = {key: toml.pop(key) for key in COMMAND_OPTIONS if key in toml}
    command.update({key: given[key] for key in COMMAND_OPTIONS if key in given})
    return {key: value for key, value in given.items() if key in known}, toml, command


def settings_from(given, toml, path):
    """The run's Settings: TOML file, then command line; a TOML value at fault names the file."""
    try:
        return Settings.from_dict({**toml, **given})
    except SettingsError as error:
        if error.setting in toml and error.setting not in given:
            raise SettingsError(error.setting, f"{error.detail} (in config file {path})") from None
        raise
