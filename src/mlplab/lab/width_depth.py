"""Lab experiment ``width-depth``: what networks of growing width and depth learn on 2-D sets.

Every size is trained through the experiment layer on ``spirals``, ``circles`` and ``xor``, once
per seed. The first seed's model is drawn as its decision boundary (the predicted class over a
dense grid of the input plane, the points on top), the picture of the interactive playgrounds;
the seeds together give the spread of the final training loss.
"""

import numpy
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mlplab.data import load_dataset
from mlplab.experiment import Settings, run, scale_inputs
from mlplab.lab.registry import Experiment
from mlplab.train import accuracy, predict, predicted_classes

DATASETS = ("spirals", "circles", "xor")

# From a linear classifier up; the wide 2-40-2 and the deep 2-8-8-8-2 have about the same number
# of parameters (202 and 186), so that they compare width with depth at equal cost.
QUICK_SIZES = ([2, 2], [2, 2, 2], [2, 8, 2], [2, 40, 2], [2, 8, 8, 8, 2])
FULL_SIZES = (
    [2, 2],
    [2, 2, 2],
    [2, 4, 2],
    [2, 8, 2],
    [2, 40, 2],
    [2, 8, 8, 2],
    [2, 8, 8, 8, 2],
    [2, 16, 16, 16, 2],
)
WIDE, DEEP = [2, 40, 2], [2, 8, 8, 8, 2]

# The claims' thresholds.
FITS = 0.95  # train accuracy at which a network "fits" a set
UNDERFITS = 0.9  # "cannot fit": at least a tenth of its own training points stay misclassified
GAIN = 0.2  # "a clear margin" of test accuracy, on two balanced classes (chance is 0.5)
CONVEX_SPREAD = 0.001  # a convex loss has one minimum: seeds differ by init and shuffles only

CLASS_COLOURS = ("#1f77b4", "#ff7f0e")
REGION_COLOURS = ListedColormap(["#c6dbef", "#fdd0a2"])


# ----------------------------------------------------------------------------- training
def _name(layers):
    """A size as people write it: ``2-8-8-2``."""
    return "-".join(map(str, layers))


def _settings(dataset, layers, seed, config):
    """The run of one size on one data set with one seed."""
    return Settings(
        dataset=dataset,
        dataset_options=config["data"],
        layers=list(layers),
        activation="tanh",
        optimizer="adam",
        lr=config["lr"],
        epochs=config["epochs"],
        schedule=config["schedule"],
        batch_size=config["batch_size"],
        seed=seed,
        val_split=0,
    )


def _train_accuracy(result, data):
    """The trained model's accuracy on the whole training split (in eval mode, after training)."""
    inputs = scale_inputs(data.x_train, result.preprocessing["inputs"])
    return accuracy(predict(result.model, inputs), data.y_train)


def _plane(data, steps):
    """A ``steps`` x ``steps`` grid over the data's bounding box, with a margin.

    Returns
    -------
    xs, ys : ndarray, shape (steps,)
        The grid's coordinates along each axis.
    points : ndarray, shape (steps * steps, 2)
        Every grid point, row by row (y outer, x inner).
    """
    every = numpy.concatenate([data.x_train, data.x_test]).astype(numpy.float64)
    low, high = every.min(axis=0), every.max(axis=0)
    margin = 0.1 * (high - low)
    xs = numpy.linspace(low[0] - margin[0], high[0] + margin[0], steps)
    ys = numpy.linspace(low[1] - margin[1], high[1] + margin[1], steps)
    gx, gy = numpy.meshgrid(xs, ys)
    return xs, ys, numpy.stack([gx.ravel(), gy.ravel()], axis=1)


def _grid_classes(result, points, steps):
    """The predicted class at every grid point, shape (steps, steps).

    The run standardised its inputs, so the raw grid points are scaled the same way first.
    """
    outputs = predict(result.model, scale_inputs(points, result.preprocessing["inputs"]))
    return predicted_classes(outputs).reshape(steps, steps)


def _fit_size(dataset, data, layers, seeds, config, points):
    """Train one size on one data set once per seed: what the table, claims and figures need."""
    runs = [run(_settings(dataset, layers, seed, config), progress=False) for seed in seeds]
    return {
        "parameters": runs[0].model.parameter_count().total,
        "train_accuracy": [_train_accuracy(result, data) for result in runs],
        "test_accuracy": [result.test["accuracy"] for result in runs],
        "final_loss": [result.history.records[-1]["train_loss"] for result in runs],
        "grid": _grid_classes(runs[0], points, config["grid_steps"]),
    }


# ----------------------------------------------------------------------------- figures
def _boundary_panel(ax, fit, data, plane):
    """One panel: the first seed's predicted regions with the training and test points."""
    xs, ys, _ = plane
    ax.pcolormesh(
        xs, ys, fit["grid"], cmap=REGION_COLOURS, vmin=0, vmax=1, shading="auto", rasterized=True
    )
    for label, colour in enumerate(CLASS_COLOURS):
        train, test = data.x_train[data.y_train == label], data.x_test[data.y_test == label]
        ax.scatter(train[:, 0], train[:, 1], s=7, color=colour, edgecolors="none")
        ax.scatter(
            test[:, 0],
            test[:, 1],
            s=16,
            facecolors="white",
            edgecolors=colour,
            linewidths=1.1,
            marker="^",
        )
    ax.set_title(
        f"train {fit['train_accuracy'][0]:.2f}  test {fit['test_accuracy'][0]:.2f}", fontsize=9
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")


def _boundary_figure(fits, sizes, datas, planes):
    """Rows = sizes, columns = data sets: each panel the predicted class over the input plane."""
    figure = Figure(
        figsize=(3.0 * len(DATASETS) + 1.2, 2.75 * len(sizes) + 0.8), layout="constrained"
    )
    axes = figure.subplots(len(sizes), len(DATASETS), squeeze=False)
    for row, layers in enumerate(sizes):
        for column, dataset in enumerate(DATASETS):
            ax = axes[row, column]
            fit = fits[dataset, _name(layers)]
            _boundary_panel(ax, fit, datas[dataset], planes[dataset])
            if row == 0:
                ax.annotate(
                    dataset,
                    (0.5, 1.22),
                    xycoords="axes fraction",
                    ha="center",
                    fontsize=12,
                    fontweight="bold",
                )
            if column == 0:
                ax.set_ylabel(f"{_name(layers)}\n{fit['parameters']} parameters", fontsize=10)
    handles = [
        Line2D(
            [], [], marker="o", markersize=4, linestyle="", color="grey", label="training points"
        ),
        Line2D(
            [],
            [],
            marker="^",
            markersize=5,
            linestyle="",
            markerfacecolor="white",
            markeredgecolor="grey",
            label="test points",
        ),
    ]
    figure.legend(handles=handles, loc="outside lower center", ncol=2, frameon=False)
    figure.suptitle(
        "Decision boundaries (first seed): rows = network sizes, shading = predicted class",
        fontsize=12,
    )
    return figure


def _accuracy_panel(ax, rows, positions):
    """Train and test accuracy, mean ± std over seeds, size by size."""
    for key, marker in (("train_accuracy", "o"), ("test_accuracy", "s")):
        means = [numpy.mean(fit[key]) for fit in rows]
        spread = [numpy.std(fit[key]) for fit in rows]
        ax.errorbar(
            positions, means, yerr=spread, marker=marker, capsize=3, label=key.replace("_", " ")
        )
    ax.axhline(FITS, color="grey", linestyle=":", linewidth=1, label=f"{FITS:g} (fits)")
    ax.set_ylabel("accuracy (mean ± std over seeds)")
    ax.set_ylim(0.3, 1.03)
    ax.legend(loc="lower right", fontsize=8)


def _loss_panel(ax, rows, positions):
    """Every seed's final training loss (one dot each) and their mean, size by size."""
    for position, fit in zip(positions, rows, strict=True):
        losses = fit["final_loss"]
        ax.scatter(numpy.full(len(losses), position), losses, s=18, color="tab:red", alpha=0.7)
    means = [numpy.mean(fit["final_loss"]) for fit in rows]
    ax.plot(positions, means, color="black", linewidth=1, label="mean over seeds")
    ax.set_ylabel("final training loss\n(one dot per seed)")
    ax.legend(loc="upper right", fontsize=8)


def _spread_panel(ax, rows, positions, labels):
    """The standard deviation over seeds of the final training loss, size by size."""
    ax.bar(positions, [numpy.std(fit["final_loss"]) for fit in rows], color="tab:purple")
    ax.set_ylabel("std of the final loss\nover seeds")
    ax.set_xticks(positions, labels, rotation=40, ha="right", fontsize=8)
    ax.set_xlabel("network (parameters)")


def _capacity_figure(fits, sizes):
    """Per data set: accuracies, every seed's final loss, and that loss's spread, size by size."""
    figure = Figure(figsize=(4.4 * len(DATASETS), 9.5), layout="constrained")
    axes = figure.subplots(3, len(DATASETS), sharex=True, squeeze=False)
    positions = numpy.arange(len(sizes))
    parameters = [fits[DATASETS[0], _name(layers)]["parameters"] for layers in sizes]
    labels = [f"{_name(layers)} ({count})" for layers, count in zip(sizes, parameters, strict=True)]
    for column, dataset in enumerate(DATASETS):
        rows = [fits[dataset, _name(layers)] for layers in sizes]
        _accuracy_panel(axes[0, column], rows, positions)
        axes[0, column].set_title(dataset)
        _loss_panel(axes[1, column], rows, positions)
        _spread_panel(axes[2, column], rows, positions, labels)
    figure.suptitle("Capacity: accuracy, final loss and its spread over seeds, as networks grow")
    return figure


# ----------------------------------------------------------------------------- claims
def _mean(fits, dataset, layers, key):
    """The mean over seeds of ``key`` for one size on one data set."""
    return float(numpy.mean(fits[dataset, _name(layers)][key]))


def _std(fits, dataset, layers, key):
    """The standard deviation over seeds of ``key`` for one size on one data set."""
    return float(numpy.std(fits[dataset, _name(layers)][key]))


def _first_fit(fits, dataset, sizes):
    """The first of ``sizes`` whose mean train accuracy reaches FITS (None if none does)."""
    fitting = [s for s in sizes if _mean(fits, dataset, s, "train_accuracy") >= FITS]
    return _name(fitting[0]) if fitting else None


def _capacity_claims(lab, fits, sizes):
    """Who can fit spirals and how test accuracy grows; returns the spirals accuracies by size."""
    linear, smallest = _name(sizes[0]), _name(sizes[1])
    train = {_name(s): _mean(fits, "spirals", s, "train_accuracy") for s in sizes}
    test = {_name(s): _mean(fits, "spirals", s, "test_accuracy") for s in sizes}
    best_train, best_test = max(train, key=train.get), max(test, key=test.get)
    lab.at_most(
        "A linear classifier (no hidden layer) cannot fit spirals",
        f"spirals train accuracy, {linear}",
        train[linear],
        UNDERFITS,
    )
    lab.at_most(
        f"The smallest network with a hidden layer ({smallest}) cannot fit spirals",
        f"spirals train accuracy, {smallest}",
        train[smallest],
        UNDERFITS,
    )
    lab.at_least(
        "A wide or deep enough network fits spirals",
        f"spirals train accuracy, best size ({best_train})",
        train[best_train],
        FITS,
    )
    gain = test[best_test] - test[linear]
    lab.claim(
        f"Test accuracy on spirals rises with capacity: the best size beats the linear "
        f"classifier by at least {GAIN:g}",
        bool(gain >= GAIN),
        f"best - linear ≥ {GAIN:g}",
        best_size=best_test,
        best=test[best_test],
        linear=test[linear],
        gain=gain,
    )
    return {"train": train, "test": test, "best_train": best_train, "best_test": best_test}


def _depth_claim(lab, fits):
    """Depth against width at about the same parameter count; returns the two median losses."""
    # The median over seeds: the typical run, not one seed that happened to start slowly.
    wide, deep = (
        float(numpy.median(fits["spirals", _name(s)]["final_loss"])) for s in (WIDE, DEEP)
    )
    lab.claim(
        f"At about the same parameter count, the deeper {_name(DEEP)} fits spirals better "
        f"(lower median final training loss over seeds) than the wider {_name(WIDE)}",
        bool(deep < wide),
        "deep < wide",
        deep=deep,
        wide=wide,
        deep_parameters=fits["spirals", _name(DEEP)]["parameters"],
        wide_parameters=fits["spirals", _name(WIDE)]["parameters"],
    )
    return {"deep": deep, "wide": wide}


def _spread_claims(lab, fits, sizes):
    """How much the final loss varies over seeds; returns that spread by size and the largest."""
    linear, smallest = sizes[0], sizes[1]
    largest = max(sizes, key=lambda layers: fits["spirals", _name(layers)]["parameters"])
    spread = {
        _name(s): float(numpy.mean([_std(fits, d, s, "final_loss") for d in DATASETS]))
        for s in (linear, smallest, largest)
    }
    small, large = spread[_name(smallest)], spread[_name(largest)]
    lab.claim(
        f"The final loss varies more from seed to seed for the smallest network "
        f"({_name(smallest)}) than for the largest ({_name(largest)})",
        bool(small > large),
        "std smallest > std largest (each the mean over the three data sets)",
        std_smallest=small,
        std_largest=large,
    )
    lab.at_most(
        "A linear classifier's loss is convex: every seed ends at about the same final loss",
        "largest std of the linear classifier's final loss",
        max(_std(fits, d, linear, "final_loss") for d in DATASETS),
        CONVEX_SPREAD,
    )
    return {"spread": spread, "largest": _name(largest)}


def _claims(lab, fits, sizes):
    """State every claim on the measured numbers; returns what the answer quotes."""
    return {
        **_capacity_claims(lab, fits, sizes),
        **_depth_claim(lab, fits),
        **_spread_claims(lab, fits, sizes),
        "first_fit": {d: _first_fit(fits, d, sizes) for d in ("circles", "xor")},
    }


def _answer(found, sizes):
    """The answer the measured numbers support, in words chosen by the comparisons."""
    linear, smallest, largest = _name(sizes[0]), _name(sizes[1]), found["largest"]
    train, test, spread, first = found["train"], found["test"], found["spread"], found["first_fit"]
    deeper = "fits spirals better" if found["deep"] < found["wide"] else "fits them no better"
    varies = "more" if spread[smallest] > spread[largest] else "no more"
    return (
        f"Capacity decides which boundaries a network can draw. On spirals a linear classifier "
        f"reaches {train[linear]:.2f} train accuracy and {smallest} {train[smallest]:.2f}, while "
        f"{found['best_train']} reaches {train[found['best_train']]:.2f}; test accuracy goes from "
        f"{test[linear]:.2f} (linear) to {test[found['best_test']]:.2f} ({found['best_test']}). "
        f"Circles and xor are easier: the first size to reach {FITS:g} train accuracy is "
        f"{first['circles']} on circles and {first['xor']} on xor. At about the same cost, the "
        f"deeper {_name(DEEP)} {deeper} than the wider {_name(WIDE)} (median final loss "
        f"{found['deep']:.3f} against {found['wide']:.3f}). The final loss of {smallest} varies "
        f"{varies} from seed to seed than that of {largest} (std {spread[smallest]:.3f} against "
        f"{spread[largest]:.3f}, mean over the data sets); for the linear classifier, whose loss "
        f"is convex, it is {spread[linear]:.2g}."
    )


# ----------------------------------------------------------------------------- the experiment
def _measure(lab, fits, sizes):
    """Record every measured number, by data set, one entry per size (and per seed for losses)."""
    lab.measure(
        sizes=[_name(layers) for layers in sizes],
        parameters=[fits[DATASETS[0], _name(layers)]["parameters"] for layers in sizes],
    )
    for dataset in DATASETS:
        rows = [fits[dataset, _name(layers)] for layers in sizes]
        lab.measure(
            **{
                f"{dataset}_train_accuracy": [numpy.mean(fit["train_accuracy"]) for fit in rows],
                f"{dataset}_test_accuracy": [numpy.mean(fit["test_accuracy"]) for fit in rows],
                f"{dataset}_final_loss": [fit["final_loss"] for fit in rows],
                f"{dataset}_final_loss_std": [numpy.std(fit["final_loss"]) for fit in rows],
            }
        )


def _table_rows(fits, sizes):
    """One row per size and data set: parameters, accuracies and the final loss's spread."""
    return [
        {
            "data set": dataset,
            "network": _name(layers),
            "hidden layers": len(layers) - 2,
            "parameters": fit["parameters"],
            "train accuracy": float(numpy.mean(fit["train_accuracy"])),
            "test accuracy": float(numpy.mean(fit["test_accuracy"])),
            "final loss mean": float(numpy.mean(fit["final_loss"])),
            "final loss std": float(numpy.std(fit["final_loss"])),
        }
        for dataset in DATASETS
        for layers in sizes
        for fit in [fits[dataset, _name(layers)]]
    ]


def _config(lab):
    """The data and training settings every run shares, sized for a quick or a full lab."""
    epochs = lab.choose(100, 300)
    return {
        # The data set's own seed (its points and test split) follows the lab's seed too.
        "data": {"n_samples": lab.choose(240, 600), "seed": lab.seed},
        "epochs": epochs,
        # Decaying to zero, each run settles in the minimum it found: its final loss then says
        # what the network learned, not how much a constant step still shakes it.
        "schedule": f"cosine:{epochs}",
        "batch_size": 64,
        "lr": 0.06,
        "grid_steps": lab.choose(100, 200),
    }


def _run(lab):
    """Train every size on every data set with every seed; draw, tabulate and check the claims."""
    sizes = lab.choose(QUICK_SIZES, FULL_SIZES)
    config = _config(lab)
    seeds = [lab.seed * 100 + k for k in range(lab.choose(3, 5))]
    lab.setting(
        datasets=list(DATASETS),
        sizes=[_name(s) for s in sizes],
        activation="tanh",
        optimizer="adam",
        lr=config["lr"],
        schedule=config["schedule"],
        epochs=config["epochs"],
        batch_size=config["batch_size"],
        n_samples=config["data"]["n_samples"],
        dataset_seed=lab.seed,
        seeds=seeds,
        grid_steps=config["grid_steps"],
    )
    datas = {name: load_dataset(name, **config["data"]) for name in DATASETS}
    planes = {name: _plane(datas[name], config["grid_steps"]) for name in DATASETS}
    fits = {
        (dataset, _name(layers)): _fit_size(
            dataset, datas[dataset], layers, seeds, config, planes[dataset][2]
        )
        for dataset in DATASETS
        for layers in sizes
    }
    _measure(lab, fits, sizes)
    lab.table(
        "Accuracy, parameters and the spread of the final loss over seeds", _table_rows(fits, sizes)
    )
    lab.figure(
        "boundaries",
        _boundary_figure(fits, sizes, datas, planes),
        "Decision boundaries of each network size (rows) on each data set (columns), "
        "first seed: the shading is the predicted class, dots the training points, "
        "hollow triangles the test points; the panel title gives that run's accuracies.",
    )
    lab.figure(
        "capacity",
        _capacity_figure(fits, sizes),
        "Top: train and test accuracy (mean ± std over seeds) as the network grows. Middle: "
        "every seed's final training loss. Bottom: the standard deviation of that loss over "
        "the seeds.",
    )
    found = _claims(lab, fits, sizes)
    lab.answer(_answer(found, sizes))


EXPERIMENT = Experiment(
    name="width-depth",
    question="How do width and depth change what a network can learn?",
    run=_run,
)
