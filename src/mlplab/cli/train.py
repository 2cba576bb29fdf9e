"""``mlplab train``: settings from the command line -> ``mlplab.experiment.run`` -> a summary."""

import argparse
import sys
from pathlib import Path

from mlplab import experiment
from mlplab.cli import config
from mlplab.cli.config import UsageError
from mlplab.experiment import CHECKPOINT
from mlplab.experiment.folder import SameRunError, default_folder
from mlplab.experiment.settings import preset_values
from mlplab.train import NonFiniteLossError, format_confusion_matrix

EXAMPLES = """\
examples:
  mlplab train                                  small MLP on the bundled digits (offline, seconds)
  mlplab train --preset course                  784-256-512-10 on MNIST, Adam 1e-3, 30 epochs
  mlplab train --dataset fashion-mnist --layers 784-256-512-10 --dropout 0.2 \\
      --optimizer sgd --lr 0.1 --momentum 0.9 --nesterov --weight-decay 1e-4 \\
      --schedule step:10:0.5 --epochs 30 --batch-size 100 --seed 0 --out runs/fashion
  mlplab train --out runs/fashion --resume      continue an interrupted run exactly
  mlplab train --dataset linear                 linear regression by gradient descent
  mlplab train --config run.toml                every option can be set in a TOML file

exit codes: 0 done, 1 training failed (diverged to NaN/Inf, or a file could not be written;
the last checkpoint stays), 2 bad input (nothing written), 130 interrupted by Ctrl-C
(checkpoint saved; continue with --resume)
"""


def add_parser(subparsers):
    """Register ``train`` and its options."""
    parser = subparsers.add_parser(
        "train",
        help="train an MLP and save the run",
        description="Train a multilayer perceptron on a data set. The run folder (--out) gets "
        "config.json, history.csv/.jsonl, learning-curve plots, checkpoint.safetensors "
        "(every epoch, and on Ctrl-C), the final model.safetensors and results.json.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    config.add_arguments(parser)
    parser.add_argument(
        "--resume",
        nargs="?",
        const="",
        metavar="PATH",
        help="continue the run in --out (or in the run folder / checkpoint PATH) from its last "
        "checkpoint; only --epochs may change",
    )
    parser.set_defaults(handler=run)


def run(args):
    """Train as ``args`` say; returns the exit code."""
    given, toml, command = config.settings_sources(args)
    progress = not command.get("quiet", False)
    if args.resume is None:
        settings = config.settings_from(given, toml, args.config)
        folder = Path(command["out"]) if "out" in command else default_folder(settings.dataset)
    else:
        folder = _resume_folder(args.resume, command.get("out"))
        changes = {**preset_values(given.get("preset", toml.get("preset"))), **toml, **given}
        changes.pop("preset", None)
    callbacks = [_Announce(folder)] if progress else []
    try:
        if args.resume is None:
            result = experiment.run(settings, out=folder, callbacks=callbacks, progress=progress)
        else:
            if not (folder / CHECKPOINT).exists():
                print(
                    f"mlplab train: {folder} has no checkpoint yet (the run stopped in its first "
                    "epoch): it starts over from epoch 1",
                    file=sys.stderr,
                )
            result = experiment.resume(folder, callbacks=callbacks, progress=progress, **changes)
    except SameRunError:
        raise UsageError(
            f"{folder} already holds this run; add --resume to continue it, or choose another --out"
        ) from None
    except NonFiniteLossError as error:
        print(f"mlplab train: {error}\n{_kept(folder, 'the run diverged')}", file=sys.stderr)
        return 1
    except OSError as error:  # a full disk, a quota, a folder made read-only
        print(
            f"mlplab train: error: cannot write {error.filename or 'the run folder'}: "
            f"{error.strerror}. "
            f"{_kept(folder, 'nothing could be saved')}",
            file=sys.stderr,
        )
        return 1
    if result.stop_reason == "interrupted":
        print(
            f"\nInterrupted at epoch {result.epochs + 1}: checkpoint saved to "
            f"{folder / CHECKPOINT}; continue with: mlplab train --out {folder} --resume",
            file=sys.stderr,
        )
        return 130
    _print_summary(result, progress)
    return 0


def _kept(folder, what):
    """What is left to resume from after a failure: the last checkpoint, or nothing."""
    if (folder / CHECKPOINT).exists():
        return f"The last good checkpoint stays in {folder / CHECKPOINT}."
    return f"No checkpoint was written: {what} in its first epoch."


def _resume_folder(resume, out):
    """The run folder ``--resume [PATH]`` names: PATH (a folder or its checkpoint) or ``--out``."""
    if not resume:
        if out is None:
            raise UsageError("--resume needs the run folder: give --out DIR (or --resume DIR)")
        resume = out
    path = Path(resume)
    if not path.exists():
        raise UsageError(f"--resume: {path} does not exist")
    if path.is_dir():
        return path
    if path.name != CHECKPOINT:
        raise UsageError(f"--resume: give a run folder or the {CHECKPOINT} in one, not {path}")
    return path.parent


class _Announce:
    """A callback printing what is trained where, once the network is built."""

    def __init__(self, folder):
        self.folder = folder

    def on_train_begin(self, run):
        """Print the one-line description of the network and the run folder."""
        print(f"Training {model_line(run.model)} -> {self.folder}", flush=True)


def model_line(model):
    """A one-line description of an MLP, e.g. ``MLP 64-128-10 (relu, dropout 0.2, init zeros)``
    (the initialization only when it is not the default)."""
    model_config = model.get_config()
    activation = model_config["activation"]
    if isinstance(activation, list):
        activation = ",".join(str(name) for name in activation)
    dropout = f", dropout {model_config['dropout']}" if model_config["dropout"] else ""
    init = f", init {model_config['init']}" if "init" in model_config else ""
    return f"MLP {'-'.join(map(str, model_config['sizes']))} ({activation}{dropout}{init})"


def _print_summary(result, progress):
    """Print the test figures (and learned parameters, confusion matrix) after training."""
    test = result.test
    stopped = " (early stopping)" if result.stop_reason == "early-stopping" else ""
    tested = ""
    if result.restored_epoch is not None and result.restored_epoch != result.epochs:
        tested = f" with the weights of epoch {result.restored_epoch}, the best"
    print(f"Test after {result.epochs} epochs{stopped}{tested}: {format_test(test)}")
    if result.learned_parameters is not None:
        true = result.data["true_parameters"]
        print("parameter   learned      true")
        for name, value in result.learned_parameters.items():
            print(f"{name:>9}  {value:9.4f}  {true[name]:9.4f}")
    for name, scores in test.get("per_target", {}).items():
        print(f"  {name}: R² {scores['r2']:.3f}  MSE {scores['mse']:.4g}  MAE {scores['mae']:.4g}")
    if result.confusion_matrix is not None and progress:
        print(format_confusion_matrix(result.confusion_matrix, result.data["class_names"]))
    print(f"Run saved in {result.folder} (model: {result.folder / experiment.MODEL})")


def format_test(test):
    """Test figures as one labelled line; regression says which figures are in target units."""
    if "accuracy" in test:
        return f"loss {test['loss']:.4f}  accuracy {test['accuracy']:.4f}"
    return (
        f"MSE {test['mse']:.4g}  MAE {test['mae']:.4g}  R² {test['r2']:.4f} (in the targets' "
        f"units); loss {test['loss']:.4g} (on standardised targets)"
    )
