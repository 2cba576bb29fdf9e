"""A playground run in the forms that leave the page: ``mlplab train`` options, TOML, Python.

Each is built from the run's :class:`mlplab.experiment.Settings`, field by field, so that pasting
it trains the same network on the same data with the same seed.
"""

import dataclasses
import importlib.util
import json
import pprint
import shlex

from mlplab.cli.config import flag
from mlplab.experiment import Settings

CONFIG_FILE = "playground.toml"


def command_line(settings):
    """``mlplab train`` with an option for every setting that differs from its default.

    Data set options have no command-line form: they go into :func:`toml_text`, passed as
    ``--config playground.toml``.
    """
    words = ["mlplab", "train"]
    for spec in dataclasses.fields(Settings):
        value = getattr(settings, spec.name)
        default = spec.default if spec.default_factory is dataclasses.MISSING else None
        if spec.metadata["kind"] is dict or value == default:
            continue
        if isinstance(value, bool):
            words.append(flag(spec.name) if value else "--no-" + flag(spec.name)[2:])
            continue
        if spec.metadata["kind"] == "sizes":
            value = "-".join(map(str, value))
        elif isinstance(value, list):
            value = ",".join(value)
        words += [flag(spec.name), f"{value:g}" if isinstance(value, float) else str(value)]
    if settings.dataset_options:
        words += ["--config", CONFIG_FILE]
    return " ".join(shlex.quote(word) for word in words)


def toml_text(settings):
    """The run's data set options as a TOML file for ``mlplab train --config``."""
    lines = ["# mlplab train --config playground.toml: the data set's options", "[dataset_options]"]
    for key, value in settings.dataset_options.items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value):
    """A TOML literal for a number, a string, a bool or a list of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string
    return repr(value)


def python_snippet(settings):
    """Python that runs the same training with :func:`mlplab.experiment.run`."""
    values = pprint.pformat(settings.to_dict(), indent=4, sort_dicts=False, width=90)
    return (
        "from mlplab import experiment\n\n"
        f"settings = experiment.Settings.from_dict(\n{values}\n)\n"
        'result = experiment.run(settings, out="runs/playground")\n'
        "print(result.test)\n"
    )


def onnx_export():
    """``mlplab.onnx.export`` when the ONNX interop is installed and working, else None."""
    if importlib.util.find_spec("mlplab.onnx") is None:
        return None
    try:
        from mlplab import onnx as interop
    except ImportError:
        return None
    return getattr(interop, "export", None)
