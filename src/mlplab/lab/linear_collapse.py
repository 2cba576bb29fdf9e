"""Linear collapse: without a nonlinearity a deep network is one linear map, and learns no more.

W3 (W2 (W1 x + b1) + b2) + b3 = (W3 W2 W1) x + (W3 W2 b1 + W3 b2 + b3): however many layers
are stacked, a network without activations computes x ↦ W x + b, so its decision boundary is a
line, as a logistic regression's is. The experiment trains a deep linear network, a network with
leaky ReLU of slope 1 (which is the identity), a logistic regression (one Linear layer) and one
hidden layer of tanh with the same budget on spirals and XOR; folds each deep network into its
one matrix and bias and compares their predictions in float64; and draws the four decision
boundaries.
"""

import itertools

import numpy
from matplotlib.figure import Figure

from mlplab import nn, optim
from mlplab.data import DataLoader
from mlplab.experiment import Settings, load_data, run
from mlplab.lab.registry import Experiment
from mlplab.optim import lr_scheduler
from mlplab.train import evaluate, fit, predict

DATASETS = ("spirals", "xor")
HIDDEN = 64  # width of every hidden layer
COLLAPSE_TOLERANCE = 1e-10  # float64 rounding over three layers is ~1e-15; 1e-10 leaves room
LINEAR_GAP = 0.05  # "at a linear model's accuracy": within 5 points of logistic regression
LINEAR_CEILING = 0.8  # a linear model cannot pass this on spirals or XOR
SOLVED = 0.95  # the accuracy one hidden layer of tanh must reach
DIFFERS = 0.1  # a network with a real nonlinearity misses its folded map by at least this
SLOPE = 1.0  # leaky ReLU's negative slope: 1 makes it the identity
SAME_MAP = 0.1  # "the same map": margins within 10% of logistic regression's largest margin

LOGISTIC, DEEP_LINEAR, LEAKY, TANH = (
    "logistic regression (one Linear layer)",
    "deep linear network (no activation)",
    "deep network with leaky ReLU of slope 1",
    "one hidden layer of tanh",
)


def _settings(name, layers, setup, seed, activation="tanh"):
    """The Settings of a run on data set ``name`` with the shared budget of ``setup``."""
    return Settings(
        dataset=name,
        dataset_options={"n_samples": setup["n_samples"]},
        layers=layers,
        activation=activation,
        optimizer="adam",
        lr=setup["lr"],
        epochs=setup["epochs"],
        batch_size=setup["batch_size"],
        schedule=setup["schedule"],
        val_split=0,
        seed=seed,
    )


def _deep_linear(sizes, generator):
    """Linear layers of ``sizes`` in series with nothing between them, in float64."""
    return nn.MLP(sizes, activation=None, dtype="float64", generator=generator)


def _leaky_identity(sizes, generator):
    """Linear layers of ``sizes`` with leaky ReLU of slope SLOPE between them, in float64."""
    layers = []
    for width_in, width_out in itertools.pairwise(sizes):
        layers.append(nn.Linear(width_in, width_out, dtype="float64", generator=generator))
        layers.append(nn.LeakyReLU(SLOPE))
    return nn.Sequential(*layers[:-1])  # no activation after the output layer


def _train(model, data, setup, generator):
    """Train a float64 ``model`` as the runs are trained (Adam, cross-entropy, the same budget and
    schedule); returns its test loss and accuracy."""
    loader = DataLoader(
        data.x_train, data.y_train, setup["batch_size"], shuffle=True, generator=generator,
        dtype="float64",
    )  # fmt: skip
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=setup["lr"])
    scheduler = lr_scheduler.from_string(setup["schedule"], optimizer)
    fit(model, loss_fn, optimizer, loader, epochs=setup["epochs"], scheduler=scheduler)
    test = DataLoader(data.x_test, data.y_test, len(data.x_test), dtype="float64")
    return evaluate(model, loss_fn, test)


def _collapse(model):
    """The one matrix W and bias b that ``model``'s Linear layers compose into, in float64.

    Layer by layer, W ← W_l W and b ← W_l b + b_l, starting from the identity and zero; whatever
    lies between the Linear layers is left out, which is exact only when it is the identity.
    """
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    weight = numpy.eye(linears[0].in_features)
    bias = numpy.zeros(linears[0].in_features)
    for linear in linears:
        layer_weight = linear.weight.numpy().astype(numpy.float64)
        weight = layer_weight @ weight
        bias = layer_weight @ bias + linear.bias.numpy()
    return weight, bias


def _collapse_gap(model, points):
    """The largest |model(x) - (W x + b)| over ``points``, W and b from :func:`_collapse`."""
    weight, bias = _collapse(model)
    dtype = model[0].weight.dtype
    outputs = predict(model, points.astype(dtype)).astype(numpy.float64)
    return float(numpy.max(numpy.abs(outputs - (points @ weight.T + bias))))


def _margin_gap(model, reference, x):
    """How far ``model``'s folded map is from ``reference``'s: the largest difference of their
    logit margins f1(x) - f0(x) over ``x``, relative to the reference's largest margin.

    The margin is what a two-class softmax depends on (adding a constant to both logits changes
    nothing), so two maps with the same margins make the same predictions with the same
    confidence.
    """
    margins = []
    for network in (model, reference):
        weight, bias = _collapse(network)
        logits = x @ weight.T + bias
        margins.append(logits[:, 1] - logits[:, 0])
    return float(numpy.max(numpy.abs(margins[0] - margins[1])) / numpy.max(numpy.abs(margins[1])))


def _grid(x, steps):
    """A steps x steps grid of points covering the inputs ``x`` with a margin, (steps², 2)."""
    low, high = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
    axes = [numpy.linspace(low[k], high[k], steps) for k in range(2)]
    first, second = numpy.meshgrid(*axes)
    return numpy.stack([first.ravel(), second.ravel()], axis=1)


def _class_one_share(model, points):
    """The model's probability of class 1 at each point (softmax of its two logits)."""
    logits = predict(model, points.astype(model[0].weight.dtype)).astype(numpy.float64)
    return 1 / (1 + numpy.exp(logits[:, 0] - logits[:, 1]))


# ----------------------------------------------------------------------------- one data set
def _models(lab, name, setup):
    """Train the four models on data set ``name``; returns the prepared data, the models and
    their test figures (loss and accuracy), both by label."""
    sizes = [2, HIDDEN, HIDDEN, 2]
    logistic = run(_settings(name, [2, 2], setup, lab.seed), progress=False)
    tanh = run(_settings(name, [2, HIDDEN, 2], setup, lab.seed, "tanh"), progress=False)
    # The same data as the runs saw: the same set, scaled by the runs' preprocessing.
    data = load_data(
        _settings(name, [2, 2], setup, lab.seed), lab.generator("data"), logistic.preprocessing
    )
    deep = _deep_linear(sizes, lab.generator(f"{name}-deep-linear"))
    leaky = _leaky_identity(sizes, lab.generator(f"{name}-leaky"))
    tests = {
        LOGISTIC: logistic.test,
        DEEP_LINEAR: _train(deep, data, setup, lab.generator(f"{name}-deep-linear-batches")),
        LEAKY: _train(leaky, data, setup, lab.generator(f"{name}-leaky-batches")),
        TANH: tanh.test,
    }
    models = {LOGISTIC: logistic.model, DEEP_LINEAR: deep, LEAKY: leaky, TANH: tanh.model}
    return data, models, tests


def _check(lab, name, gaps, accuracies, same_map):
    """State the claims of data set ``name``."""
    linear = accuracies[LOGISTIC]
    lab.at_most(
        f"On {name}, the trained deep linear network 2-{HIDDEN}-{HIDDEN}-2 is one matrix "
        f"W3·W2·W1 and one bias: its predictions and the collapsed map's agree to "
        f"{COLLAPSE_TOLERANCE:g} (float64)",
        f"{name}_deep_linear_max_abs_difference", gaps[DEEP_LINEAR], COLLAPSE_TOLERANCE,
    )  # fmt: skip
    lab.at_most(
        f"On {name}, leaky ReLU of slope 1 is the identity: that network collapses to one "
        f"matrix too, to {COLLAPSE_TOLERANCE:g}",
        f"{name}_leaky_slope_1_max_abs_difference", gaps[LEAKY], COLLAPSE_TOLERANCE,
    )  # fmt: skip
    lab.at_least(
        f"On {name}, a real nonlinearity does not collapse: folding the tanh network's Linear "
        f"layers misses its outputs by at least {DIFFERS:g}",
        f"{name}_tanh_max_abs_difference", gaps[TANH], DIFFERS,
    )  # fmt: skip
    linear_models = {"logistic": LOGISTIC, "deep_linear": DEEP_LINEAR, "leaky_slope_1": LEAKY}
    lab.claim(
        f"On {name}, no linear model separates the classes: logistic regression, the deep linear "
        f"network and the slope-1 network all stay below {LINEAR_CEILING:g} test accuracy",
        all(accuracies[label] < LINEAR_CEILING for label in linear_models.values()),
        f"all three < {LINEAR_CEILING:g}",
        **{f"{name}_{key}_accuracy": accuracies[label] for key, label in linear_models.items()},
    )
    for label, key in ((DEEP_LINEAR, "deep_linear"), (LEAKY, "leaky_slope_1")):
        lab.close_to(
            f"On {name}, the {label} stays at a linear model's accuracy: within "
            f"{LINEAR_GAP * 100:g} points of logistic regression's, with the same budget",
            f"{name}_{key}_accuracy", accuracies[label], linear, abs=LINEAR_GAP,
        )  # fmt: skip
    lab.claim(
        f"On {name}, trained to the end of the same cosine schedule, the deep linear and the "
        f"slope-1 networks land on logistic regression's own linear map: their logit margins "
        f"f1 - f0 on the test set differ from its by at most {SAME_MAP:.0%} of its largest",
        max(same_map.values()) <= SAME_MAP,
        f"both ≤ {SAME_MAP:g}",
        **{
            f"{name}_deep_linear_margin_gap": same_map[DEEP_LINEAR],
            f"{name}_leaky_slope_1_margin_gap": same_map[LEAKY],
        },
    )
    lab.at_least(
        f"On {name}, one hidden layer with a nonlinearity (tanh, {HIDDEN} units) solves it: "
        f"test accuracy at least {SOLVED:g}",
        f"{name}_tanh_accuracy", accuracies[TANH], SOLVED,
    )  # fmt: skip


def _study(lab, name, setup):
    """Train, fold, measure and check everything on data set ``name``; returns what to draw."""
    data, models, tests = _models(lab, name, setup)
    accuracies = {label: test["accuracy"] for label, test in tests.items()}
    losses = {label: test["loss"] for label, test in tests.items()}
    grid = _grid(data.x_train, setup["grid_steps"])
    x_test = data.x_test.astype(numpy.float64)
    points = numpy.concatenate([x_test, grid])
    gaps = {label: _collapse_gap(model, points) for label, model in models.items()}
    deep_weight, deep_bias = _collapse(models[DEEP_LINEAR])
    same_map = {label: _margin_gap(models[label], models[LOGISTIC], x_test)
                for label in (DEEP_LINEAR, LEAKY)}  # fmt: skip
    lab.measure(**{
        f"{name}_test_accuracy": accuracies,
        f"{name}_test_loss": losses,
        f"{name}_collapse_max_abs_difference": gaps,
        f"{name}_deep_linear_collapsed_weight": deep_weight,
        f"{name}_deep_linear_collapsed_bias": deep_bias,
        f"{name}_margin_gap_to_logistic": same_map,
    })  # fmt: skip
    lab.table(f"{name}: test accuracy and distance to the folded one-matrix map", [
        {"model": label, "test accuracy": accuracies[label], "test loss": losses[label],
         "max |f(x) - (W x + b)|": gaps[label]}
        for label in models
    ])  # fmt: skip
    _check(lab, name, gaps, accuracies, same_map)
    shares = {label: _class_one_share(model, grid) for label, model in models.items()}
    return {"data": data, "grid": grid, "shares": shares, "accuracies": accuracies}


# ----------------------------------------------------------------------------- figure
def _boundary_figure(studies, steps):
    """Per data set (rows) and model (columns): P(class 1) over the plane, and the test set."""
    labels = list(next(iter(studies.values()))["shares"])
    figure = Figure(figsize=(16, 4 * len(studies) + 0.6), layout="constrained")
    axes = figure.subplots(len(studies), len(labels), squeeze=False)
    for row, (name, study) in zip(axes, studies.items(), strict=True):
        data, grid = study["data"], study["grid"]
        first = grid[:, 0].reshape(steps, steps)
        second = grid[:, 1].reshape(steps, steps)
        for ax, label in zip(row, labels, strict=True):
            share = study["shares"][label].reshape(steps, steps)
            image = ax.contourf(first, second, share, levels=numpy.linspace(0, 1, 11),
                                cmap="coolwarm", alpha=0.8)  # fmt: skip
            ax.contour(first, second, share, levels=[0.5], colors="black", linewidths=1)
            ax.scatter(*data.x_test.T, c=data.y_test, cmap="coolwarm", edgecolors="black",
                       linewidths=0.5, s=18)  # fmt: skip
            ax.set_title(f"{name}: {label}\ntest accuracy {study['accuracies'][label]:.2f}",
                         fontsize="medium")  # fmt: skip
            ax.set_xlabel("x1 (standardised)")
            ax.set_aspect("equal")
        row[0].set_ylabel("x2 (standardised)")
    figure.colorbar(
        image, ax=axes, shrink=0.8, label="P(class 1); black line: the decision boundary"
    )
    return figure


def _run(lab):
    """Collapse, accuracies and decision boundaries on each data set of DATASETS."""
    setup = {
        "n_samples": lab.choose(600, 2000),
        "lr": 0.01,
        "epochs": lab.choose(60, 200),
        "batch_size": 32,
        "schedule": f"cosine:{lab.choose(60, 200)}",
        "grid_steps": lab.choose(120, 200),
    }
    lab.setting(
        datasets=list(DATASETS), hidden_width=HIDDEN, deep_sizes=[2, HIDDEN, HIDDEN, 2],
        optimizer="adam", loss="cross-entropy", leaky_relu_slope=SLOPE, **setup,
        deep_networks_dtype="float64",
    )  # fmt: skip
    studies = {name: _study(lab, name, setup) for name in DATASETS}
    lab.figure("decision-boundaries", _boundary_figure(studies, setup["grid_steps"]),
               "Decision boundaries with the same training budget: the deep linear network and "
               "the slope-1 leaky ReLU network draw a straight line, as logistic regression "
               "does; one hidden layer of tanh follows the spirals and the XOR quadrants. Dots: "
               "the test set.")  # fmt: skip
    spirals = studies["spirals"]["accuracies"]
    lab.answer(
        f"Yes. Folded into one matrix W3·W2·W1 and one bias, the trained deep linear network "
        f"gives the same outputs to float64 rounding, and so does the network with leaky ReLU of "
        f"slope 1. Both therefore draw a straight boundary: on spirals they reach "
        f"{spirals[DEEP_LINEAR]:.2f} and {spirals[LEAKY]:.2f} test accuracy against logistic "
        f"regression's {spirals[LOGISTIC]:.2f}, while one hidden layer of tanh, trained the "
        f"same way, reaches {spirals[TANH]:.2f}. Depth adds nothing without a nonlinearity."
    )


EXPERIMENT = Experiment(
    name="linear-collapse",
    question="Is a deep network without nonlinearities still just one linear map?",
    run=_run,
)
