"""``mlplab train``: train an MLP on a data set and save the run (config, history, plots, model)."""

import argparse
import sys
from pathlib import Path

import numpy

import mlplab
from mlplab.cli import config, runs
from mlplab.cli.config import UsageError
from mlplab.data import DataLoader
from mlplab.train import (
    Checkpoint,
    EarlyStopping,
    HistoryLogger,
    NonFiniteLossError,
    ProgressBar,
    confusion_matrix,
    evaluate,
    fit,
    format_confusion_matrix,
    predict,
)
from mlplab.train.checkpoint import CheckpointError, load_checkpoint

EXAMPLES = """\
examples:
  mlplab train                                  small MLP on the bundled digits (offline, seconds)
  mlplab train --preset course                  784-256-512-10 on MNIST, Adam 1e-3, 30 epochs
  mlplab train --dataset fashion-mnist --layers 784-256-512-10 --dropout 0.2 \\
      --optimizer sgd --lr 0.1 --momentum 0.9 --nesterov --weight-decay 1e-4 \\
      --schedule step:10:0.5 --epochs 30 --batch-size 100 --seed 0 --out runs/fashion
  mlplab train --out runs/fashion --resume      continue an interrupted run exactly
  mlplab train --task regression --dataset linear
  mlplab train --config run.toml                every option can be set in a TOML file

exit codes: 0 done, 1 training diverged (NaN/Inf), 2 bad input (nothing written),
130 interrupted by Ctrl-C (checkpoint saved; continue with --resume)
"""


def add_parser(subparsers):
    """Register ``train`` and its options."""
    parser = subparsers.add_parser(
        "train",
        help="train an MLP and save the run",
        description="Train a multilayer perceptron on a data set. The run folder (--out) gets "
        "config.json, history.csv/.jsonl, loss and accuracy plots, checkpoint.safetensors "
        "(every epoch, and on Ctrl-C) and the final model.safetensors.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    config.add_arguments(parser)
    parser.add_argument(
        "--config", metavar="FILE", help="TOML file of settings (keys as the long options)"
    )
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
    given = {key: value for key, value in vars(args).items() if key in config.BY_KEY}
    toml = config.read_toml(args.config) if args.config else {}
    if args.resume is None:
        settings = config.resolve(given, toml)
        folder = Path(settings["out"]) if settings["out"] else None
        checkpoint = None
    else:
        settings, folder, checkpoint = _resume_settings(given, toml, args.resume)
    generator = mlplab.Generator(settings["seed"])
    data = runs.load_data(settings, generator)
    settings = config.complete(settings, data.description["task"])
    sizes = runs.layer_sizes(settings, data.description)
    model = runs.build_model(sizes, settings, generator)
    loss_fn = runs.build_loss(settings, data.description["task"])
    optimizer = runs.build_optimizer(settings, model.parameters())
    train_loader = DataLoader(
        data.x_train, data.y_train, settings["batch_size"], shuffle=True, generator=generator
    )
    scheduler, interval = runs.build_scheduler(settings, optimizer, len(train_loader))
    val_loader = None
    if data.x_val is not None:
        val_loader = DataLoader(data.x_val, data.y_val, max(settings["batch_size"], 1000))
    if args.resume is None:
        folder = folder or runs.default_folder(settings["dataset"])
        runs.check_new_folder(folder, settings)
        _create_folder(folder)
        runs.write_json(folder / runs.CONFIG, _run_document(settings, sizes, data))
    callbacks = _callbacks(settings, folder)
    quiet = settings["quiet"]
    if not quiet:
        print(f"Training {model_line(sizes, settings)} on {settings['dataset']} -> {folder}")
    try:
        # Overflow on the way to a NaN loss is reported once, by the loop, with what to change.
        with numpy.errstate(over="ignore", invalid="ignore", divide="ignore"):
            history = fit(
                model,
                loss_fn,
                optimizer,
                train_loader,
                val_loader,
                epochs=settings["epochs"],
                scheduler=scheduler,
                scheduler_interval=interval,
                task=data.description["task"],
                callbacks=callbacks,
                generators={"run": generator, "default": mlplab.random.default_generator},
                resume_from=checkpoint,
            )
    except NonFiniteLossError as error:
        checkpoint_path = folder / runs.CHECKPOINT
        kept = (
            f"The last good checkpoint stays in {checkpoint_path}."
            if checkpoint_path.exists()
            else "No checkpoint was written: the run diverged in its first epoch."
        )
        print(f"mlplab train: {error}\n{kept}", file=sys.stderr)
        return 1
    if history.stop_reason == "interrupted":
        print(
            f"\nInterrupted at epoch {len(history.records) + 1}: checkpoint saved to "
            f"{folder / runs.CHECKPOINT}; continue with: mlplab train --out {folder} --resume",
            file=sys.stderr,
        )
        return 130
    _finish(model, loss_fn, data, settings, folder, history)
    return 0


def _run_document(settings, sizes, data):
    """What ``config.json`` (and the saved model's metadata) records about the run."""
    return {
        "mlplab_version": mlplab.__version__,
        "settings": settings,
        "layers": sizes,
        "data": data.description,
        "preprocessing": data.preprocessing,
    }


def model_line(sizes, settings):
    """A one-line description of the network, e.g. ``MLP 64-128-10 (relu)``."""
    dropout = f", dropout {settings['dropout']}" if settings["dropout"] else ""
    return f"MLP {'-'.join(map(str, sizes))} ({settings['activation']}{dropout})"


def _resume_settings(given, toml, resume):
    """Settings, folder and checkpoint of a run to continue; UsageError if it cannot be."""
    path = Path(resume) if resume else None
    if path is None:
        if "out" not in given and "out" not in toml:
            raise UsageError("--resume needs the run folder: give --out DIR (or --resume DIR)")
        path = Path(given.get("out", toml.get("out")))
    if not path.exists():
        raise UsageError(f"--resume: {path} does not exist")
    folder = path if path.is_dir() else path.parent
    checkpoint = path / runs.CHECKPOINT if path.is_dir() else path
    saved = runs.read_run_config(folder)["settings"]
    requested = config.resolve(given, toml)
    explicit = set(given) | set(toml)
    changed = [
        key
        for key in explicit
        if key not in config.NOT_IDENTITY and requested[key] != saved.get(key)
    ]
    if changed:
        key = changed[0]
        raise UsageError(
            f"--{key.replace('_', '-')} {requested[key]!r} differs from the run's "
            f"{saved.get(key)!r}: a resumed run keeps its settings (only --epochs may change)"
        )
    settings = dict(saved)
    for key in ("epochs", "quiet", "data_dir", "download"):
        if key in explicit:
            settings[key] = requested[key]
    settings["out"] = str(folder)
    if not checkpoint.exists():
        if path.is_dir():
            return settings, folder, None  # stopped before its first checkpoint: start over
        raise UsageError(f"--resume: checkpoint {checkpoint} does not exist")
    try:
        load_checkpoint(checkpoint)
    except CheckpointError as error:
        raise UsageError(f"--resume: {error}") from None
    return settings, folder, checkpoint


def _create_folder(folder):
    """Create the run folder; UsageError if the file system refuses."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create run folder {folder}: {error.strerror}") from None


def _callbacks(settings, folder):
    """Early stopping (if asked), progress (unless quiet), history files, checkpoint (last)."""
    callbacks = []
    if settings["patience"]:
        callbacks.append(
            EarlyStopping(settings["monitor"], settings["patience"], restore_best_weights=True)
        )
    if not settings["quiet"]:
        callbacks.append(ProgressBar())
    callbacks += [HistoryLogger(folder), Checkpoint(Path(folder) / runs.CHECKPOINT)]
    return callbacks


def _finish(model, loss_fn, data, settings, folder, history):
    """Save the model, measure it on the test set, write results and plots, print a summary."""
    from mlplab.train import plots  # matplotlib loads only when a run has finished

    task = data.description["task"]
    mlplab.save(model, folder / runs.MODEL, metadata=runs.read_run_config(folder))
    test_loader = DataLoader(data.x_test, data.y_test, 1000)
    test = evaluate(model, loss_fn, test_loader, task=task)
    results = {
        "test": test,
        "epochs": len(history.records),
        "steps": len(history.step_losses),
        "stop_reason": history.stop_reason,
    }
    plots.plot_curves(history.records, "loss", folder / "loss.png")
    if task == "classification":
        plots.plot_curves(history.records, "accuracy", folder / "accuracy.png")
        matrix = confusion_matrix(
            data.y_test, predict(model, data.x_test).argmax(axis=1), data.description["num_outputs"]
        )
        plots.plot_confusion_matrix(
            matrix, folder / "confusion_matrix.png", data.description["class_names"]
        )
        results["confusion_matrix"] = matrix.tolist()
    else:
        plots.plot_curves(history.records, "r2", folder / "r2.png")
        results["test"].update(_regression_figures(model, data))
    parameters = learned_linear_parameters(model, data)
    if parameters is not None:
        results["learned_parameters"] = parameters
    runs.write_json(folder / runs.RESULTS, results)
    _print_summary(results, data, settings, folder, history)


def _regression_figures(model, data):
    """Test MSE and R² per target, in the data's own units."""
    outputs = runs.restore_targets(predict(model, data.x_test), data.preprocessing)
    truth = runs.restore_targets(data.y_test, data.preprocessing)
    names = data.description["target_names"] or [f"y{i + 1}" for i in range(truth.shape[1])]
    from mlplab.train.metrics import mean_squared_error, r2_score

    return {
        "per_target": {
            name: {
                "mse": mean_squared_error(outputs[:, i], truth[:, i]),
                "r2": r2_score(outputs[:, i], truth[:, i]),
            }
            for i, name in enumerate(names)
        }
    }


def learned_linear_parameters(model, data):
    """For a one-layer network on a set with known parameters: the learned ones, in data units.

    Undoes the standardisation: with x' = (x - mx)/sx and y = my + sy·y', the layer
    y' = W x' + b is y = (sy·W/sx) x + my + sy·(b - W·mx/sx).
    """
    true = data.description.get("true_parameters")
    weights = [p.data.astype(numpy.float64) for p in model.parameters()]
    if not true or len(weights) != 2 or weights[0].shape[0] != 1:
        return None
    (w,), (b,) = weights[0], weights[1]
    rule_x, rule_y = data.preprocessing["inputs"], data.preprocessing["targets"]
    mx, sx = numpy.asarray(rule_x["mean"]), numpy.asarray(rule_x["std"])
    my, sy = rule_y["mean"][0], rule_y["std"][0]
    learned = numpy.append(sy * w / sx, my + sy * (b - (w * mx / sx).sum()))
    return {name: float(value) for name, value in zip(true, learned, strict=True)}


def _print_summary(results, data, settings, folder, history):
    """Print the test figures (and learned parameters, confusion matrix) after training."""
    test = results["test"]
    figures = "  ".join(
        f"{key} {value:.4f}" for key, value in test.items() if isinstance(value, float)
    )
    stopped = " (early stopping)" if history.stop_reason == "early-stopping" else ""
    print(f"Test after {results['epochs']} epochs{stopped}: {figures}")
    if "learned_parameters" in results:
        true = data.description["true_parameters"]
        print("parameter   learned      true")
        for name, value in results["learned_parameters"].items():
            print(f"{name:>9}  {value:9.4f}  {true[name]:9.4f}")
    for name, scores in test.get("per_target", {}).items():
        print(f"  {name}: R² {scores['r2']:.3f}  MSE {scores['mse']:.4g}")
    if "confusion_matrix" in results and not settings["quiet"]:
        print(format_confusion_matrix(results["confusion_matrix"], data.description["class_names"]))
    print(f"Run saved in {folder} (model: {folder / runs.MODEL})")
