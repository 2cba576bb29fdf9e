"""Lab experiment ``learning-rate``: how the rate, its schedule and the optimizer decide whether
training works.

One task throughout: the bundled digits with a 64-32-10 tanh MLP, cross-entropy and mini-batches
of 32, every run built through the experiment layer with the same budget of epochs.

1. Plain SGD at fixed rates on a geometric grid: too small a rate hardly moves the loss, too
   large a one drives it above where it started. Bisection between the last stable rate of the
   grid and the next one measures the largest stable rate, and the best rate of the grid (the
   lowest mean training loss over the last epoch, refined halfway to its neighbours) is set
   beside it: Bengio's rule of thumb puts it within a factor 2.
2. Schedules (constant, step, cosine, warm-up then cosine) with the same budget, at the best rate
   and a little beyond the largest stable one: at a stable rate the decaying ones end close
   together; beyond it, warm-up is what lets training start.
3. Adagrad, RMSprop and Adam against SGD, at their registry defaults and tuned over a few
   multiples of them, each rate chosen by the accuracy on a validation fifth of the training
   set (the test set chooses nothing).
4. The learning-rate range test (:func:`mlplab.experiment.lr_find`) on the same task: the loss
   against the rate with its suggestion, and a run at the suggested rate against one 100× smaller.
"""

import math

import numpy
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mlplab import optim
from mlplab.data import DataLoader
from mlplab.experiment import Settings, load_data, lr_find, run
from mlplab.lab.registry import Experiment
from mlplab.train import NonFiniteLossError, evaluate

ADAM_LR = optim.OPTIMIZERS["adam"].default_lr  # the sweep starts here, so SGD meets Adam at it
LARGEST = 4.096  # the sweep's largest rate, 2^12 times its smallest: surely beyond the edge
OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam")
WARMUP_EPOCHS = 2
BEYOND = 1.25  # the schedules' second base rate, in multiples of the largest stable rate
SLOWER = 100  # the range test's suggestion is set against a rate this many times smaller

# The claims' thresholds.
TOO_SLOW = 0.5  # "too small": the loss falls less than half as far as at the best rate
BENGIO_FACTOR = 2  # Bengio (2012): the best rate is within a factor 2 of the largest stable one
TRAINS = 0.9  # test accuracy of a run that trained (chance is 0.1 on ten digits)
SAME_ACCURACY = 0.03  # "end close together": test accuracies within 3 points
ADAPTIVE_GAIN = 5  # at one rate, Adam's loss falls at least 5 times as far as SGD's
TUNING_SPLIT = 0.2  # the optimizers' runs hold out this share of the training set to tune on
RANGE_EDGE = 3  # the range test's loss minimum lies within a factor 3 of the largest stable rate


# ----------------------------------------------------------------------------- one run
class _TrainingSetLoss:
    """A training-loop callback measuring the loss over the whole training set before the first
    step and after the last, and keeping the loss of every step (a run that diverges to NaN
    returns no history)."""

    def __init__(self, loader):
        self.loader = loader
        self.before = self.after = math.nan
        self.steps = []

    def on_train_begin(self, run):
        """Measure the untrained network."""
        self.before = evaluate(run.model, run.loss_fn, self.loader, task=run.task)["loss"]

    def on_batch_end(self, run, loss):
        """Keep the step's loss."""
        self.steps.append(loss)

    def on_train_end(self, run):
        """Measure the trained network."""
        self.after = evaluate(run.model, run.loss_fn, self.loader, task=run.task)["loss"]


class _Task:
    """The one task of the experiment: its runs' settings, and training them.

    Parameters
    ----------
    setup : dict
        The budget and data options (epochs, batch_size, test_fraction).
    seed : int
        The seed of every run: the same initial network and batches at every rate.
    generator : mlplab.Generator
        Passed to the data's loading (which draws nothing without a validation split).
    """

    def __init__(self, setup, seed, generator):
        self.setup, self.seed = setup, seed
        data = load_data(self.settings(), generator)
        self.training_set = DataLoader(data.x_train, data.y_train, 1000)

    def settings(self, **changes):
        """The Settings of one run: plain SGD with the setup's budget, unless ``changes``."""
        values = {
            "dataset": "digits",
            "dataset_options": {"test_fraction": self.setup["test_fraction"]},
            "layers": [64, 32, 10],
            "activation": "tanh",
            "optimizer": "sgd",
            "batch_size": self.setup["batch_size"],
            "epochs": self.setup["epochs"],
            "val_split": 0,
            "seed": self.seed,
        }
        return Settings(**{**values, **changes})

    def train(self, **changes):
        """Train one run (``changes`` to the settings); what the claims and figures need of it.

        ``before`` and ``final`` are the loss over the whole training set before and after
        training. ``stable`` says whether every epoch's mean training loss stayed below
        ``before`` (about ln 10 ≈ 2.3, chance on ten classes): a run whose loss rose above where
        it started diverged, even if it came back later. ``progress`` is how far the loss fell.
        """
        measured = _TrainingSetLoss(self.training_set)
        try:
            result = run(self.settings(**changes), callbacks=[measured], progress=False)
        except NonFiniteLossError:
            return {"steps": measured.steps, "epochs": [], "lrs": [], "test": None,
                    "before": measured.before, "final": math.inf, "progress": -math.inf,
                    "stable": False, "validation": 0.0}  # fmt: skip
        epochs = result.history.metric("train_loss")
        held_out = result.history.metric("val_accuracy") if "val_split" in changes else []
        return {
            "steps": result.history.step_losses,
            "epochs": epochs,
            "lrs": result.history.metric("lr"),
            "test": result.test,
            "before": measured.before,
            "final": measured.after,
            "progress": measured.before - measured.after,
            "stable": max(epochs) < measured.before,
            "validation": held_out[-1] if held_out else None,
        }


def _accuracy(trained):
    """A run's test accuracy (0 when it diverged to NaN)."""
    return trained["test"]["accuracy"] if trained["test"] else 0.0


def _spread(accuracies):
    """The largest test accuracy of ``accuracies`` (name -> value) less the smallest."""
    return max(accuracies.values()) - min(accuracies.values())


def _highest(trained):
    """A run's highest mean training loss of an epoch (inf when it diverged to NaN)."""
    return max(trained["epochs"], default=math.inf)


def _settled(trained):
    """A run's mean training loss over its last epoch (inf when it diverged to NaN)."""
    return trained["epochs"][-1] if trained["epochs"] else math.inf


# ----------------------------------------------------------------------------- 1. fixed rates
def _sweep(task):
    """Plain SGD at each rate of the grid; the best rate, refined between the grid's rates; the
    largest stable rate by bisection.

    "Best" is the lowest mean training loss over the last epoch: the level constant-rate SGD has
    settled at. The loss after the last step is one draw of SGD's noise, which grows with the
    rate, and a rough one here: each epoch ends on a batch of 3 examples (899 = 28 × 32 + 3),
    whose step near the edge can lift the training-set loss tenfold (0.031 to 0.40 at rate
    1.024, quick, seed 8); chosen by it, the best rate fell 8 times below the edge there.
    """
    factor = task.setup["grid_factor"]
    rates = [ADAM_LR * factor**k for k in range(round(math.log(LARGEST / ADAM_LR, factor)) + 1)]
    runs = {rate: task.train(lr=rate) for rate in rates}
    stable = [rate for rate in rates if runs[rate]["stable"]]
    coarse = min(stable, key=lambda rate: _settled(runs[rate]))
    # The grid is too coarse to place the best rate within a factor 2: try halfway on either side.
    refined = {rate: task.train(lr=rate) for rate in (coarse / math.sqrt(factor),
                                                      coarse * math.sqrt(factor))}  # fmt: skip
    candidates = {coarse: runs[coarse], **refined}
    best = min((rate for rate in candidates if candidates[rate]["stable"]),
               key=lambda rate: _settled(candidates[rate]))  # fmt: skip
    boundary, trials = _bisect(task, stable[-1], stable[-1] * factor, task.setup["halvings"])
    return {"rates": rates, "runs": runs, "candidates": candidates, "best": best,
            "best_run": candidates[best], "boundary": boundary, "trials": trials}  # fmt: skip


def _bisect(task, low, high, halvings):
    """The largest stable rate between ``low`` (stable) and ``high`` (not), halving the ratio of
    the bracket ``halvings`` times; returns it and the trials as (rate, stable) pairs."""
    trials = []
    for _ in range(halvings):
        middle = math.sqrt(low * high)  # the bracket is a ratio: bisect the logarithm
        stable = task.train(lr=middle)["stable"]
        trials.append((middle, stable))
        low, high = (middle, high) if stable else (low, middle)
    return low, trials


def _check_sweep(lab, sweep):
    """The claims of the fixed-rate sweep."""
    rates, runs, best = sweep["rates"], sweep["runs"], sweep["best"]
    small, large = rates[0], rates[-1]
    lab.at_most(
        f"Too small a rate learns slowly: at {small:g}, after the same budget, plain SGD's "
        f"training loss has fallen less than {TOO_SLOW:g} times as far as at the best rate "
        f"({best:.3g})",
        "progress_ratio_small_to_best", runs[small]["progress"] / sweep["best_run"]["progress"],
        TOO_SLOW,
    )  # fmt: skip
    lab.claim(
        f"Too large a rate diverges: at {large:g} the training loss rises above where it started",
        not runs[large]["stable"],
        "highest epoch loss > loss before training",
        loss_before_training=runs[large]["before"], highest_epoch_loss=_highest(runs[large]),
    )  # fmt: skip
    lab.at_most(
        f"The best fixed rate lies close to the edge of stability (Bengio, 2012): the rate "
        f"with the lowest mean training loss over the last epoch (the sweep's, refined halfway "
        f"to its neighbours) is within a factor {BENGIO_FACTOR:g} of the largest stable rate "
        f"found by bisection",
        "factor_between_best_and_largest_stable_rate", _factor(best, sweep["boundary"]),
        BENGIO_FACTOR,
    )  # fmt: skip


def _factor(a, b):
    """How many times the larger of two rates is the smaller (1 when they are equal)."""
    return max(a / b, b / a)


# ----------------------------------------------------------------------------- 2. schedules
def _schedule_specs(epochs):
    """The schedules compared, by name, as spec strings over ``epochs`` epochs."""
    return {
        "constant": "constant",
        "step": f"step:{(epochs + 1) // 2}:0.1",
        "cosine": f"cosine:{epochs}",
        "warm-up + cosine": f"warmup:{WARMUP_EPOCHS}+cosine:{epochs - WARMUP_EPOCHS}",
    }


def _schedules(task, sweep):
    """Every schedule at the best rate of the sweep and at BEYOND times the largest stable one."""
    specs = _schedule_specs(task.setup["epochs"])
    bases = {"best": sweep["best"], "beyond": BEYOND * sweep["boundary"]}
    runs = {
        (base, name): task.train(lr=rate, schedule=spec)
        for base, rate in bases.items()
        for name, spec in specs.items()
    }
    return {"specs": specs, "bases": bases, "runs": runs}


def _check_schedules(lab, schedules):
    """The claims of the schedules."""
    runs, bases = schedules["runs"], schedules["bases"]
    decaying = {
        name: _accuracy(runs["best", name]) for name in schedules["specs"] if name != "constant"
    }
    lab.claim(
        f"At a stable rate ({bases['best']:.3g}) the shape of the decay is a refinement: with "
        f"the same budget, the decaying schedules ({', '.join(decaying)}) end with test "
        f"accuracies within {SAME_ACCURACY:g} of each other",
        _spread(decaying) <= SAME_ACCURACY,
        f"max - min ≤ {SAME_ACCURACY:g}",
        **{f"test_accuracy_{name}": value for name, value in decaying.items()},
        test_accuracy_constant=_accuracy(runs["best", "constant"]),
    )
    constant, warm = runs["beyond", "constant"], runs["beyond", "warm-up + cosine"]
    cosine = runs["beyond", "cosine"]
    lab.claim(
        f"Warm-up lets a rate train that diverges without it: at {BEYOND:g} times the largest "
        f"stable rate ({bases['beyond']:.3g}) the constant rate diverges, while warm-up over "
        f"{WARMUP_EPOCHS} epochs then cosine reaches test accuracy {TRAINS:g} or more",
        not constant["stable"] and _accuracy(warm) >= TRAINS,
        f"constant: highest epoch loss > loss before training; warm-up + cosine ≥ {TRAINS:g}",
        loss_before_training=constant["before"], highest_epoch_loss_constant=_highest(constant),
        test_accuracy_warmup_cosine=_accuracy(warm),
    )  # fmt: skip
    lab.claim(
        f"Warm-up is what does it: at {bases['beyond']:.3g}, warm-up then cosine ends with a "
        "lower training loss than the same cosine decay without warm-up",
        warm["final"] < cosine["final"],
        "warm-up + cosine < cosine",
        final_loss_warmup_cosine=warm["final"], final_loss_cosine=cosine["final"],
    )  # fmt: skip


# ----------------------------------------------------------------------------- 3. optimizers
def _optimizers(task):
    """Each optimizer at each multiple of its registry default rate the setup's ``tuning``
    lists, and SGD at Adam's rate, every run holding out the same validation share; the tuned
    multiple of each optimizer is the one with the highest validation accuracy (of equals, the
    one with the lower final training loss)."""
    factors = task.setup["tuning"]

    def train(name, lr):
        return task.train(optimizer=name, lr=lr, val_split=TUNING_SPLIT)

    runs = {
        (name, factor): train(name, optim.OPTIMIZERS[name].default_lr * factor)
        for name in OPTIMIZERS
        for factor in factors
    }
    tuned = {
        name: max(factors, key=lambda f, n=name: (runs[n, f]["validation"], -runs[n, f]["final"]))
        for name in OPTIMIZERS
    }
    return {
        "factors": factors,
        "runs": runs,
        "tuned": tuned,
        "sgd_at_adam_lr": train("sgd", ADAM_LR),
    }


def _multiples(factors):
    """Multiples of a rate as people write them: ``×1, ×10``."""
    return ", ".join(f"×{factor:g}" for factor in factors)


def _check_optimizers(lab, optimizers):
    """The claims of the optimizers."""
    runs = optimizers["runs"]
    adam, sgd = runs["adam", 1], optimizers["sgd_at_adam_lr"]
    lab.at_least(
        f"Adam scales each parameter's step by the size of its own gradients: at the same rate "
        f"{ADAM_LR:g} (Adam's default), its training loss falls at least {ADAPTIVE_GAIN:g} times "
        "as far as plain SGD's in the same budget",
        "progress_ratio_adam_to_sgd", adam["progress"] / sgd["progress"], ADAPTIVE_GAIN,
    )  # fmt: skip
    accuracies = {
        name: _accuracy(runs[name, factor]) for name, factor in optimizers["tuned"].items()
    }
    lab.claim(
        f"Tuned, no optimizer is far ahead on this task (Wilson et al., 2017): with each rate "
        f"chosen from {_multiples(optimizers['factors'])} its default by validation accuracy, SGD, "
        f"Adagrad, RMSprop and Adam reach test accuracies within {SAME_ACCURACY:g} of each other",
        _spread(accuracies) <= SAME_ACCURACY,
        f"max - min ≤ {SAME_ACCURACY:g}",
        **{f"tuned_test_accuracy_{name}": value for name, value in accuracies.items()},
    )


# ----------------------------------------------------------------------------- 4. range test
def _range_test(task):
    """The range test of the task, and runs at its suggestion and at one SLOWER times smaller."""
    found = lr_find(
        task.settings(), start_lr=task.setup["range_start"], steps=task.setup["range_steps"]
    )
    suggested = task.train(lr=found.suggested_lr)
    slower = task.train(lr=found.suggested_lr / SLOWER)
    return {"found": found, "suggested": suggested, "slower": slower}


def _check_range_test(lab, test, sweep):
    """The claims of the range test."""
    found = test["found"]
    lab.claim(
        f"The range test's suggestion trains well: with the same budget, a run at the suggested "
        f"rate ({found.suggested_lr:.3g}) ends with a lower training loss than one at a rate "
        f"{SLOWER} times smaller",
        test["suggested"]["final"] < test["slower"]["final"],
        f"suggested < {SLOWER}× smaller",
        final_loss_suggested=test["suggested"]["final"],
        final_loss_100x_smaller=test["slower"]["final"],
    )  # fmt: skip
    lab.at_most(
        "The suggestion is safe: it lies below the largest stable rate found by bisection",
        "suggested_lr", found.suggested_lr, sweep["boundary"],
    )  # fmt: skip
    lab.at_most(
        f"The range test sees the edge of stability: the rate at which its smoothed loss is "
        f"lowest is within a factor {RANGE_EDGE:g} of the largest stable rate found by bisection",
        "factor_between_range_test_minimum_and_largest_stable_rate",
        _factor(found.min_lr, sweep["boundary"]), RANGE_EDGE,
    )  # fmt: skip


# ----------------------------------------------------------------------------- figures
def _smooth(values, window):
    """The running mean of ``values`` over ``window`` steps (over fewer at the start)."""
    sums = numpy.cumsum(numpy.insert(numpy.asarray(values, dtype=float), 0, 0.0))
    ends = numpy.arange(1, len(values) + 1)
    starts = numpy.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)


def _steps_panel(ax, curves, window):
    """Training loss per step (running mean over ``window`` steps), one line per labelled run."""
    for label, trained in curves.items():
        ax.plot(_smooth(trained["steps"], window), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(f"training loss (running mean of {window} steps, log scale)")
    ax.legend(fontsize=8)


def _sweep_figure(sweep, window):
    """Loss curves at a too small, the best and a too large rate; the last epoch's loss and the
    loss after the last step against the rate."""
    figure = Figure(figsize=(13, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2)
    rates, runs, best = sweep["rates"], sweep["runs"], sweep["best"]
    curves = {f"too small ({rates[0]:g})": runs[rates[0]],
              f"best ({best:.3g})": sweep["best_run"],
              f"too large ({rates[-1]:g})": runs[rates[-1]]}  # fmt: skip
    _steps_panel(left, curves, window)
    left.set_title("Plain SGD at three fixed rates, the same budget")
    settled = numpy.array([_settled(runs[rate]) for rate in rates])
    stable = numpy.array([runs[rate]["stable"] for rate in rates])
    grid = numpy.array(rates)
    right.plot(grid, settled, color="grey", linewidth=1)
    right.plot(grid[stable], settled[stable], "o", color="tab:green",
               label="last epoch's mean, stable (every epoch below the loss before "
                     "training)")  # fmt: skip
    right.plot(grid[~stable], settled[~stable], "x", color="tab:red", markersize=8,
               label="last epoch's mean, diverged")  # fmt: skip
    right.plot(grid, [runs[rate]["final"] for rate in rates], ".", color="tab:purple",
               label="training-set loss after the last step")  # fmt: skip
    refined = [rate for rate in sweep["candidates"] if rate not in runs]
    right.plot(refined, [_settled(sweep["candidates"][rate]) for rate in refined], "D",
               color="tab:olive", label="refinement around the best rate")  # fmt: skip
    right.axvline(sweep["boundary"], color="black", linestyle="--",
                  label=f"largest stable rate by bisection: {sweep['boundary']:.3g}")  # fmt: skip
    right.axhline(runs[rates[0]]["before"], color="grey", linestyle=":",
                  label="loss before training")  # fmt: skip
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("learning rate (log scale)")
    right.set_ylabel("training loss (log scale)")
    right.set_title("The loss reached against the rate")
    right.legend(fontsize=8)
    return figure


_BASE_NAMES = {"best": "the best rate of the sweep",
               "beyond": f"{BEYOND:g} × the largest stable rate"}  # fmt: skip


def _schedules_figure(schedules):
    """The rate of each schedule by epoch, and the training loss at either base rate."""
    figure = Figure(figsize=(16, 4.6), layout="constrained")
    axes = figure.subplots(1, 3)
    runs, bases = schedules["runs"], schedules["bases"]
    for name, spec in schedules["specs"].items():
        shape = numpy.array(runs["best", name]["lrs"]) / bases["best"]
        label = name if spec == name else f"{name} ({spec})"
        axes[0].plot(numpy.arange(1, len(shape) + 1), shape, marker="o", label=label)
        for ax, base in zip(axes[1:], bases, strict=True):
            losses = runs[base, name]["epochs"]
            ax.plot(numpy.arange(1, len(losses) + 1), losses, marker="o", label=name)
    axes[0].set_ylabel("rate / base rate")
    axes[0].set_title("The schedules: the rate of each epoch")
    for ax, base in zip(axes[1:], bases, strict=True):
        ax.set_yscale("log")
        ax.set_ylabel("mean training loss of the epoch (log scale)")
        ax.set_title(f"Base rate {bases[base]:.3g}: {_BASE_NAMES[base]}")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize=8)
    return figure


def _optimizers_figure(optimizers, window):
    """Training loss per step of each optimizer at its default rate and at its tuned rate."""
    figure = Figure(figsize=(13, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True)
    runs = optimizers["runs"]
    default = {f"{name}, lr {optim.OPTIMIZERS[name].default_lr:g}": runs[name, 1]
               for name in OPTIMIZERS}  # fmt: skip
    default[f"sgd at Adam's rate, lr {ADAM_LR:g}"] = optimizers["sgd_at_adam_lr"]
    _steps_panel(left, default, window)
    left.set_title("At the registry's default rate")
    tuned = {f"{name}, lr {optim.OPTIMIZERS[name].default_lr * factor:g}": runs[name, factor]
             for name, factor in optimizers["tuned"].items()}  # fmt: skip
    _steps_panel(right, tuned, window)
    right.set_title(f"Tuned: the best of {_multiples(optimizers['factors'])} the default")
    return figure


def _range_test_figure(test, sweep, window):
    """The range test's curve with its suggestion; runs at the suggestion and 100× below it."""
    figure = Figure(figsize=(13, 4.8), layout="constrained")
    left, right = figure.subplots(1, 2)
    found = test["found"]
    found.plot(left)
    left.axvline(sweep["boundary"], color="black", linestyle="--",
                 label=f"largest stable rate by bisection: {sweep['boundary']:.3g}")  # fmt: skip
    left.legend(fontsize=8)
    slower = found.suggested_lr / SLOWER
    curves = {f"suggested rate {found.suggested_lr:.3g}": test["suggested"],
              f"{SLOWER}× smaller: {slower:.3g}": test["slower"]}  # fmt: skip
    _steps_panel(right, curves, window)
    right.set_title("Training at the suggested rate and 100× below it, the same budget")
    return figure


def _figures(lab, sweep, schedules, optimizers, test, window):
    """Draw the four figures."""
    lab.figure("fixed-rates", _sweep_figure(sweep, window),
               "Left: plain SGD's training loss step by step at the smallest rate of the sweep, "
               "its best and its largest. Right: at every rate of the sweep, the mean training "
               "loss of the last epoch, which chooses the best rate (diamonds: the refinement "
               "around it), and the training-set loss after the last step, one draw of SGD's "
               "noise; the dashed line is the largest stable rate, found by "
               "bisection.")  # fmt: skip
    lab.figure("schedules", _schedules_figure(schedules),
               "Left: the rate each schedule sets, epoch by epoch. Middle: the training loss at "
               "the best rate of the sweep, where the schedules end close together. Right: a "
               "little beyond the largest stable rate, where warm-up is what trains "
               "well.")  # fmt: skip
    lab.figure("optimizers", _optimizers_figure(optimizers, window),
               "Training loss step by step of SGD, Adagrad, RMSprop and Adam: left at each "
               "one's registry default rate (with SGD at Adam's rate too), right at the "
               "multiple of it that ended lowest.")  # fmt: skip
    lab.figure("range-test", _range_test_figure(test, sweep, window),
               "Left: the learning-rate range test, the rate rising exponentially step by step; "
               "the suggestion is a tenth of the rate at the smoothed loss's minimum. Right: "
               "training at the suggested rate and at a rate 100 times smaller.")  # fmt: skip


# ----------------------------------------------------------------------------- the experiment
def _measure(lab, sweep, schedules, optimizers, test):
    """Record every number the claims and figures rest on."""
    runs, found = sweep["runs"], test["found"]
    lab.measure(
        sweep_rates=sweep["rates"],
        sweep_final_loss=[runs[rate]["final"] for rate in sweep["rates"]],
        sweep_last_epoch_loss=[_settled(runs[rate]) for rate in sweep["rates"]],
        sweep_stable=[runs[rate]["stable"] for rate in sweep["rates"]],
        sweep_test_accuracy=[_accuracy(runs[rate]) for rate in sweep["rates"]],
        best_rate=sweep["best"],
        best_rate_candidates_last_epoch_loss={f"{rate:.4g}": _settled(trained)
                                              for rate, trained in sweep["candidates"].items()},
        largest_stable_rate=sweep["boundary"],
        bisection_trials=sweep["trials"],
        schedule_base_rates=schedules["bases"],
        schedule_final_loss={f"{base}: {name}": trained["final"]
                             for (base, name), trained in schedules["runs"].items()},
        schedule_test_accuracy={f"{base}: {name}": _accuracy(trained)
                                for (base, name), trained in schedules["runs"].items()},
        optimizer_final_loss={f"{name} ×{factor:g}": trained["final"]
                              for (name, factor), trained in optimizers["runs"].items()},
        optimizer_test_accuracy={f"{name} ×{factor:g}": _accuracy(trained)
                                 for (name, factor), trained in optimizers["runs"].items()},
        optimizer_validation_accuracy={f"{name} ×{factor:g}": trained["validation"]
                                       for (name, factor), trained in optimizers["runs"].items()},
        tuned_multiple=optimizers["tuned"],
        range_test_lrs=found.lrs,
        range_test_loss=found.losses,
        range_test_smoothed_loss=found.smoothed,
        range_test_stop_reason=found.stop_reason,
        range_test_minimum_lr=found.min_lr,
        suggested_lr=found.suggested_lr,
        final_loss_suggested=test["suggested"]["final"],
        final_loss_100x_smaller=test["slower"]["final"],
    )  # fmt: skip


def _tables(lab, sweep, schedules, optimizers):
    """The sweep's, the schedules' and the optimizers' final figures."""
    lab.table("Plain SGD at fixed rates, the same budget", [
        {"rate": rate, "last-epoch training loss": _settled(sweep["runs"][rate]),
         "final training loss": sweep["runs"][rate]["final"],
         "stable": sweep["runs"][rate]["stable"],
         "test accuracy": _accuracy(sweep["runs"][rate])}
        for rate in sweep["rates"]
    ])  # fmt: skip
    lab.table("Schedules with the same budget", [
        {"base rate": f"{schedules['bases'][base]:.3g} ({_BASE_NAMES[base]})", "schedule": name,
         "spec": schedules["specs"][name], "final training loss": trained["final"],
         "test accuracy": _accuracy(trained)}
        for (base, name), trained in schedules["runs"].items()
    ])  # fmt: skip
    lab.table("Optimizers at multiples of their registry default rate", [
        {"optimizer": name, "rate": optim.OPTIMIZERS[name].default_lr * factor,
         "× default": factor, "final training loss": trained["final"],
         "test accuracy": _accuracy(trained)}
        for (name, factor), trained in optimizers["runs"].items()
    ])  # fmt: skip


def _answer(sweep, schedules, optimizers, test):
    """The answer, in the measured numbers."""
    rates, runs, best, edge = sweep["rates"], sweep["runs"], sweep["best"], sweep["boundary"]
    at_best = {name: _accuracy(schedules["runs"]["best", name]) for name in schedules["specs"]}
    decaying = [value for name, value in at_best.items() if name != "constant"]
    beyond = {name: _accuracy(schedules["runs"]["beyond", name]) for name in schedules["specs"]}
    tuned = [_accuracy(optimizers["runs"][item]) for item in optimizers["tuned"].items()]
    gain = optimizers["runs"]["adam", 1]["progress"] / optimizers["sgd_at_adam_lr"]["progress"]
    found = test["found"]
    return (
        f"The rate decides first. Plain SGD barely moves at {rates[0]:g} (training loss "
        f"{runs[rates[0]]['final']:.2f} after the budget), trains best at {best:.3g} (mean "
        f"training loss {_settled(sweep['best_run']):.3f} over the last epoch, test accuracy "
        f"{_accuracy(sweep['best_run']):.3f}) and diverges beyond {edge:.3g}, the "
        f"largest stable rate measured by bisection, a factor {_factor(best, edge):.2g} above "
        f"the best. At that rate the shape of the decay is a refinement (the decaying schedules "
        f"end between {min(decaying):.3f} and {max(decaying):.3f}, the constant rate at "
        f"{at_best['constant']:.3f}), but the schedule decides at the edge: at "
        f"{schedules['bases']['beyond']:.3g} the constant rate ends at {beyond['constant']:.3f}, "
        f"cosine alone at "
        f"{beyond['cosine']:.3f}, warm-up then cosine at {beyond['warm-up + cosine']:.3f}. The "
        f"optimizer changes which rate works: at {ADAM_LR:g} Adam's loss falls {gain:.0f} times "
        f"as far as SGD's, yet with their rates tuned the four optimizers end between "
        f"{min(tuned):.3f} and {max(tuned):.3f}. The range test finds a working rate in one "
        f"short sweep: its suggestion {found.suggested_lr:.3g} trains to a loss of "
        f"{test['suggested']['final']:.3f}, against {test['slower']['final']:.3f} at a rate "
        f"{SLOWER} times smaller; being a tenth of the rate at the loss's minimum, it is safe "
        f"but {best / found.suggested_lr:.1f} times below the best fixed rate."
    )


def _run(lab):
    """Sweep and bisect the rate, compare schedules and optimizers, run the range test."""
    setup = {
        "epochs": lab.choose(12, 20),
        "test_fraction": 0.5,  # half of digits for testing: accuracies within ±1.5 points
        "batch_size": 32,
        "grid_factor": lab.choose(2, math.sqrt(2)),  # between neighbouring rates of the sweep
        "halvings": lab.choose(3, 6),
        "tuning": lab.choose((1, 3, 10), (1, 3, 10, 30)),  # multiples of each default rate tried
        "range_start": 1e-4,  # a tenth of the sweep's smallest rate: below it SGD hardly moves
        "range_steps": lab.choose(100, 300),
        "smoothing_window": 15,  # steps averaged in the drawn loss curves
    }
    lab.setting(dataset="digits", layers="64-32-10", activation="tanh", loss="cross-entropy",
                sweep_optimizer="sgd (no momentum)", sweep_rates=f"{ADAM_LR:g} to {LARGEST:g}",
                val_split=0, warmup_epochs=WARMUP_EPOCHS, beyond_factor=BEYOND,
                **setup)  # fmt: skip
    task = _Task(setup, lab.seed, lab.generator("data"))
    sweep = _sweep(task)
    schedules = _schedules(task, sweep)
    optimizers = _optimizers(task)
    test = _range_test(task)
    _measure(lab, sweep, schedules, optimizers, test)
    _tables(lab, sweep, schedules, optimizers)
    _figures(lab, sweep, schedules, optimizers, test, setup["smoothing_window"])
    _check_sweep(lab, sweep)
    _check_schedules(lab, schedules)
    _check_optimizers(lab, optimizers)
    _check_range_test(lab, test, sweep)
    lab.answer(_answer(sweep, schedules, optimizers, test))


EXPERIMENT = Experiment(
    name="learning-rate",
    question="How does the learning rate, and its schedule and optimizer, decide whether "
    "training works?",
    run=_run,
)
