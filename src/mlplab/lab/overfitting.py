"""Overfitting: why a wide network memorises a small training set, and what closes the gap.

Ninety training images of ``digits`` and a 64-512-10 network with some 38,000 weights: the network
can fit every training label, so its training loss falls towards 0 while the test loss stays far
above it, and the gap between the two grows as training goes on. Regularisers pull back. L2 adds
λ‖w‖² to the loss; its gradient is 2λw, which is exactly what SGD's ``weight_decay = 2λ`` adds to
each gradient, so the two give the same trajectory step for step. With Adam they part: Adam's
``weight_decay`` is L2, added to the gradient and then rescaled per parameter with it, while
AdamW shrinks every weight by the factor 1 - lr·λ per step, outside Adam's scaling. Dropout zeroes
each hidden unit with probability p in training and scales the rest by 1/(1 - p), which keeps
every unit's expected output, so evaluation (without dropout) needs no correction. The
experiment trains the network with and without each regulariser over several seeds through the
experiment layer, follows float64 trajectories step by step with mlplab's building blocks,
searches a small grid of learning rates and decays (Adam + L2 trained near its objective's
minimum, AdamW over a fixed budget of steps), and checks dropout's expectation by Monte Carlo.
"""

import math
from functools import partial
from statistics import NormalDist

import numpy
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

import mlplab
from mlplab import nn, optim
from mlplab.data import DataLoader
from mlplab.experiment import Settings, load_data, run
from mlplab.lab.registry import Experiment
from mlplab.train import evaluate

TEST_FRACTION = 0.95  # digits has 1797 images: 90 are left for training, 1707 for testing
WIDTH = 512  # hidden units: ~38,000 weights for 90 images
LR = 1e-3  # Adam's learning rate: the full form's regulariser runs and the trajectories
# The quick form covers the full form's course (600 epochs at LR) in a third of the epochs at three
# times the rate: Adam moves each weight by about lr a step and AdamW's decay shrinks it by
# exp(-lr·λ·t) after t steps, so both go with lr·t. 200 epochs at LR stop short: the unregularised
# gap of lab seed 9 has hardly grown since epoch 130, and AdamW's is still above it at every λ of
# the grid (it falls below after about 250 epochs at λ = 0.3, 330 at λ = 1, 470 at λ = 3). At
# QUICK_LR, seeds 0-9 give the full form's final gaps within 12% and its ‖w‖ within 2%.
QUICK_LR = 3e-3
FULL_BATCH = 90  # the whole training split: one full-batch step per epoch
L2 = 1e-3  # λ of the penalty λ‖w‖²; as Adam's weight_decay that is 2λ
# AdamW's λ: every step multiplies each weight by 1 - lr·λ. 1 is in the grid's best at lr 3e-3
# (0.3 to 2.4); 3, above it, closes the quick gap of lab seed 9 by 0.004 (one of its three seeds
# the other way), 1 by 0.010 with all three (and the full form's by 0.012, all five seeds).
ADAMW_DECAY = 1.0
DROPOUT = 0.5
FITS = 0.99  # "fits the training set": at least 99% of the training images right

# label: the settings that differ from the unregularised run (Adam, no decay, no dropout)
REGULARIZERS = {
    "none": {},
    "L2": {"weight_decay": 2 * L2},
    "weight decay": {"optimizer": "adamw", "weight_decay": ADAMW_DECAY},
    "dropout": {"dropout": DROPOUT},
}
NONE, L2_LABEL, DECAY_LABEL, DROPOUT_LABEL = REGULARIZERS
DESCRIPTIONS = {
    L2_LABEL: f"L2 in the loss, λ‖w‖² with λ = {L2:g} (Adam's weight_decay 2λ)",
    DECAY_LABEL: f"AdamW's decoupled weight decay (λ = {ADAMW_DECAY:g})",
    DROPOUT_LABEL: f"Dropout (p = {DROPOUT:g}) after the hidden layer",
}
COLORS = {NONE: "C3", L2_LABEL: "C0", DECAY_LABEL: "C2", DROPOUT_LABEL: "C1"}

# Step-by-step trajectories, in float64, all from the same initial weights and batches.
STEPS = 100
BATCH_SIZE = 30  # three mini-batches per pass over the training split
# Narrower than the trained network: the identities do not depend on the width, and a float64
# step of 38,000 parameters costs four times one of 10,000.
TRAJECTORY_WIDTH = 128
SGD_LR = 0.1
PENALTY = 5e-3  # λ of λ‖w‖² in the trajectory comparisons
EQUAL = 1e-12  # "the same trajectory": every parameter within 1e-12 at every step
APART = 0.1  # "measurably apart": 10% of the distance the weights travelled

# The learning-rate x decay grid: test loss after GRID_EPOCHS[optimizer] full-batch steps,
# averaged over the last WINDOW.
GRID_LRS = (1e-3, 3e-3)
# Adam + L2's claim is about its objective's minimum, so its runs go on near it: after 200 steps
# at lr 1e-3 the small decays are far from it, the early stop regularises too and pulls the best
# λ down (to the grid's edge for some seeds); after 1000 it is within a factor 1.3 of where 2000
# put it. AdamW's claim is about a fixed budget that ends before its decay settles: the point
# where the decay balances Adam's step does not depend on the rate either, and by 300 steps, twice
# the decay's time 1/(lr·λ) at lr 3e-3 and the best λ ≈ 2, the shift is under 0.25 decades for
# half the seeds. 150 steps is about that time.
GRID_EPOCHS = {"adam": 1000, "adamw": 150}
# The decays searched. Adam's L2 weight_decay: near the minimum its best is 4e-4 to 2e-3 over seeds
# 0-9, with a point either side. AdamW's λ: its best is 0.3 to 2.4 at lr 3e-3, and 0.7 or less at
# lr 1e-3, where half the seeds want the least decay of the grid so early (its shift is then a
# lower bound).
GRID_DECAYS = {"adam": (1e-4, 3e-4, 1e-3, 3e-3, 1e-2), "adamw": (0.1, 0.3, 1.0, 3.0, 10.0)}
WINDOW = 10
SHIFT = 0.25  # "the best decay moves": by at least half a grid step (a factor 10^0.25 = 1.8)

FALSE_ALARM = 1e-3  # Monte Carlo checks: the chance that a correct dropout fails them


def _settings(lab, seed, epochs, **changes):
    """The unregularised run (Adam on the small digits split), with ``changes``."""
    return Settings(
        dataset="digits",
        dataset_options={"test_fraction": TEST_FRACTION, "seed": lab.seed},
        layers=[64, WIDTH, 10],
        optimizer="adam",
        lr=LR,
        epochs=epochs,
        batch_size=FULL_BATCH,
        val_split=0,
        seed=seed,
    ).replace(**changes)


def _weight_norm(model):
    """‖w‖: the Euclidean norm of all Linear weights together (biases left out)."""
    linears = [layer for layer in model if isinstance(layer, nn.Linear)]
    return math.sqrt(sum(float((linear.weight.numpy() ** 2).sum()) for linear in linears))


class _Curves:
    """A run callback: at chosen epochs, loss and accuracy on the whole training and test splits
    (in eval mode, so without dropout) and the weights' norm."""

    def __init__(self, data, epochs, points):
        self.train = DataLoader(data.x_train, data.y_train, len(data.x_train))
        self.test = DataLoader(data.x_test, data.y_test, len(data.x_test))
        self.epochs = set(numpy.linspace(1, epochs, min(points, epochs)).round().astype(int))
        self.records = []

    def on_epoch_end(self, run, record):
        """Measure after the epochs chosen."""
        if record["epoch"] not in self.epochs:
            return
        train = evaluate(run.model, run.loss_fn, self.train)
        test = evaluate(run.model, run.loss_fn, self.test)
        self.records.append({
            "epoch": record["epoch"], "train_loss": train["loss"], "test_loss": test["loss"],
            "gap": test["loss"] - train["loss"], "train_accuracy": train["accuracy"],
            "test_accuracy": test["accuracy"], "weight_norm": _weight_norm(run.model),
        })  # fmt: skip


class _LastEpochs:
    """A run callback: the test loss over the last ``window`` epochs, for a steadier final value."""

    def __init__(self, data, window):
        self.test = DataLoader(data.x_test, data.y_test, len(data.x_test))
        self.window = window
        self.losses = []

    def on_epoch_end(self, run, record):
        """Measure in the last ``window`` epochs."""
        if record["epoch"] > run.epochs - self.window:
            self.losses.append(evaluate(run.model, run.loss_fn, self.test)["loss"])


# ----------------------------------------------------------------------------- regularisers
def _course(lab):
    """The regulariser runs' training seeds, learning rate, epochs and measured epochs."""
    seeds = [lab.seed * 100 + k for k in range(lab.choose(3, 5))]
    return seeds, lab.choose(QUICK_LR, LR), lab.choose(200, 600), lab.choose(12, 30)


def _train_regularizers(lab, data, seeds, lr, epochs, points):
    """Train every entry of REGULARIZERS once per seed at rate ``lr``, measuring ``points`` epochs
    of each; their curves and models, by label."""
    runs = {}
    for label, changes in REGULARIZERS.items():
        runs[label] = []
        for seed in seeds:
            curves = _Curves(data, epochs, points)
            result = run(_settings(lab, seed, epochs, lr=lr, **changes), callbacks=[curves],
                         progress=False)  # fmt: skip
            runs[label].append({"curves": curves.records, "model": result.model})
    return runs


def _final(runs, key):
    """``key`` of each seed's last measured epoch."""
    return [seed_run["curves"][-1][key] for seed_run in runs]


def _mean_curve(runs, key):
    """``key`` at each measured epoch, averaged over the seeds."""
    return numpy.mean([[row[key] for row in seed_run["curves"]] for seed_run in runs], axis=0)


def _summary(runs):
    """Per regulariser: mean and std over seeds of the final gap, losses, accuracies, norm."""
    keys = ("gap", "train_loss", "test_loss", "train_accuracy", "test_accuracy", "weight_norm")
    return {
        label: {key: (float(numpy.mean(_final(seed_runs, key))),
                      float(numpy.std(_final(seed_runs, key)))) for key in keys}
        for label, seed_runs in runs.items()
    }  # fmt: skip


# ----------------------------------------------------------------------------- trajectories
def _batches(data, generator):
    """STEPS training batches in float64, in the order a shuffling loader gives them."""
    loader = DataLoader(data.x_train, data.y_train, BATCH_SIZE, shuffle=True, generator=generator)
    batches = []
    while len(batches) < STEPS:
        batches += [(mlplab.tensor(x.numpy().astype(numpy.float64)), y) for x, y in loader]
    return batches[:STEPS]


def _flat(model):
    """Every parameter of ``model`` in one float64 vector (a copy)."""
    return numpy.concatenate([parameter.numpy().ravel() for parameter in model.parameters()])


def _trajectory(lab, batches, make_optimizer, penalty):
    """θ_0 ... θ_STEPS of a float64 network trained on ``batches``, λ‖w‖² added when penalty > 0.

    Every call draws the same initial weights (a fresh generator of the same stream), so
    trajectories differ by their loss and optimizer only.
    """
    model = nn.MLP([64, TRAJECTORY_WIDTH, 10], dtype="float64",
                   generator=lab.generator("trajectory-init"))  # fmt: skip
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.CrossEntropyLoss()
    thetas = [_flat(model)]
    for inputs, labels in batches:
        loss = loss_fn(model(inputs), labels)
        if penalty:
            loss = loss + nn.l2_penalty(model.parameters(), penalty)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        thetas.append(_flat(model))
    return numpy.array(thetas)


def _trajectories(lab, data):
    """Each variant's trajectory: SGD and Adam, with λ‖w‖² in the loss or a decay setting."""
    batches = _batches(data, lab.generator("trajectory-batches"))
    sgd, adam, adamw = (partial(optim.SGD, lr=SGD_LR), partial(optim.Adam, lr=LR),
                        partial(optim.AdamW, lr=LR))  # fmt: skip
    variants = {
        "SGD, λ‖w‖² in the loss": (sgd, PENALTY),
        "SGD, weight_decay 2λ": (partial(sgd, weight_decay=2 * PENALTY), 0),
        "SGD, weight_decay λ": (partial(sgd, weight_decay=PENALTY), 0),
        "SGD, no decay": (sgd, 0),
        "Adam, λ‖w‖² in the loss": (adam, PENALTY),
        "Adam, weight_decay 2λ": (partial(adam, weight_decay=2 * PENALTY), 0),
        "AdamW, weight_decay 2λ": (partial(adamw, weight_decay=2 * PENALTY), 0),
    }
    return {label: _trajectory(lab, batches, *variant) for label, variant in variants.items()}


def _largest_difference(a, b):
    """Per step, the largest difference of any parameter between two trajectories."""
    return numpy.abs(a - b).max(axis=1)


def _penalty_gradient_error(lab):
    """max |∂(λ‖w‖²)/∂w - 2λw| for a random float64 weight matrix, by mlplab's autograd."""
    generator = lab.generator("penalty-gradient")
    weight = mlplab.randn(WIDTH, 64, generator=generator, dtype=numpy.float64, requires_grad=True)
    (gradient,) = mlplab.grad(nn.l2_penalty([weight], PENALTY), weight)
    return float(numpy.abs(gradient.numpy() - 2 * PENALTY * weight.numpy()).max())


# ----------------------------------------------------------------------------- the grid
def _grid(lab, data, decays, seeds):
    """Test loss (mean of the last WINDOW of GRID_EPOCHS epochs, then over seeds) per optimizer,
    lr and decay.

    Returns
    -------
    dict
        ``losses[optimizer]``: array (len(GRID_LRS), len(decays[optimizer])); ``best[optimizer]``:
        the best decay at each learning rate (:func:`_best_decay`).
    """
    losses = {}
    for name, values in decays.items():
        table = numpy.zeros((len(GRID_LRS), len(values)))
        for i, lr in enumerate(GRID_LRS):
            for j, decay in enumerate(values):
                table[i, j] = numpy.mean([
                    _window_loss(lab, data, seed, GRID_EPOCHS[name], optimizer=name, lr=lr,
                                 weight_decay=decay)
                    for seed in seeds
                ])  # fmt: skip
        losses[name] = table
    best = {name: [_best_decay(decays[name], row) for row in table]
            for name, table in losses.items()}  # fmt: skip
    return {"losses": losses, "best": best}


def _best_decay(decays, losses):
    """The decay of least test loss, read between the grid's points: the vertex, in log λ, of the
    parabola through the best point and its two neighbours (the grid's end when that is best).

    The grid is coarse (a factor of about 3 a step), and two neighbours often differ by less than
    the noise; the vertex weighs both, and lies between the best point's neighbours.
    """
    best = int(numpy.argmin(losses))
    if best in (0, len(decays) - 1):
        return float(decays[best])
    logs = numpy.log10(decays[best - 1 : best + 2])
    curvature, slope, _ = numpy.polyfit(logs, losses[best - 1 : best + 2], 2)
    if curvature <= 0:  # three equal losses: no parabola, keep the grid's point
        return float(decays[best])
    return float(10 ** (-slope / (2 * curvature)))


def _window_loss(lab, data, seed, epochs, **changes):
    """One grid run's test loss, averaged over the last WINDOW of its ``epochs``."""
    window = _LastEpochs(data, WINDOW)
    run(_settings(lab, seed, epochs, **changes), callbacks=[window], progress=False)
    return float(numpy.mean(window.losses))


# ----------------------------------------------------------------------------- dropout
def _dropout_draws(lab, draws):
    """A float64 input x and ``draws`` outputs of nn.Dropout(DROPOUT) for it, in training mode,
    plus its output in eval mode."""
    x = lab.generator("dropout-input").normal((64,), dtype=numpy.float64)
    layer = nn.Dropout(DROPOUT, generator=lab.generator("dropout-masks"))
    outputs = layer(mlplab.tensor(numpy.tile(x, (draws, 1)))).numpy()
    layer.eval()
    return x, outputs, layer(mlplab.tensor(x)).numpy()


def _dropout_statistics(x, outputs):
    """z-scores of the mean output against x, and of the share of zeros against p.

    One output element is x/(1-p) with probability 1-p, else 0: its mean is x and its variance
    x²·p/(1-p), so the mean of K draws has standard error |x|·sqrt(p / ((1-p) K)).
    """
    draws, p = len(outputs), DROPOUT
    standard_error = numpy.abs(x) * math.sqrt(p / ((1 - p) * draws))
    mean_z = (outputs.mean(axis=0) - x) / standard_error
    share = float(numpy.mean(outputs == 0))
    share_z = (share - p) / math.sqrt(p * (1 - p) / outputs.size)
    kept = outputs != 0
    scale_error = float(numpy.abs(outputs[kept] - numpy.broadcast_to(x, outputs.shape)[kept]
                                  / (1 - p)).max() / numpy.abs(x).max())  # fmt: skip
    return {"mean_z": mean_z, "share": share, "share_z": share_z, "scale_error": scale_error,
            "relative_se": math.sqrt(p / ((1 - p) * draws))}  # fmt: skip


def _bonferroni_z(tests):
    """The |z| that any of ``tests`` standard normal statistics exceeds with chance FALSE_ALARM."""
    return NormalDist().inv_cdf(1 - FALSE_ALARM / (2 * tests))


# ----------------------------------------------------------------------------- figures
def _plain_log(axis):
    """Label a log-scaled ``axis`` with plain numbers (0.1, 0.003) instead of powers of ten."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


def _gap_figure(runs, lr):
    """Training and test loss of each regulariser over the epochs, and their gap."""
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    loss_ax, gap_ax = figure.subplots(1, 2)
    for label, seed_runs in runs.items():
        measured = [row["epoch"] for row in seed_runs[0]["curves"]]
        color = COLORS[label]
        loss_ax.plot(measured, _mean_curve(seed_runs, "train_loss"), color=color,
                     linestyle="--", label=f"{label}, training")  # fmt: skip
        loss_ax.plot(measured, _mean_curve(seed_runs, "test_loss"), color=color,
                     label=f"{label}, test")  # fmt: skip
        gap_ax.plot(measured, _mean_curve(seed_runs, "gap"), color=color, marker=".", label=label)
    loss_ax.set_yscale("log")
    _plain_log(loss_ax.yaxis)
    loss_ax.set_title("Cross-entropy on the training and the test split")
    loss_ax.set_ylabel("loss (eval mode, mean over seeds; log scale)")
    gap_ax.set_title("The gap: test loss minus training loss")
    gap_ax.set_ylabel("test loss - training loss (mean over seeds)")
    for ax in (loss_ax, gap_ax):
        ax.set_xlabel(f"epoch (full-batch Adam, lr {lr:g})")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small", ncols=2 if ax is loss_ax else 1)
    return figure


def _summary_figure(summary):
    """Per regulariser, the final gap and test loss, mean ± std over seeds."""
    figure = Figure(figsize=(9, 4), layout="constrained")
    axes = figure.subplots(1, 2)
    labels = list(summary)
    for ax, key, title in ((axes[0], "gap", "Final gap (test - training loss)"),
                           (axes[1], "test_loss", "Final test loss")):  # fmt: skip
        means = numpy.array([summary[label][key][0] for label in labels])
        stds = numpy.array([summary[label][key][1] for label in labels])
        ax.bar(labels, means, yerr=stds, color=[COLORS[label] for label in labels], capsize=4)
        low, high = (means - stds).min(), (means + stds).max()
        ax.set_ylim(low - 0.5 * (high - low), high + 0.2 * (high - low))
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
    axes[0].set_ylabel("mean ± std over seeds (the axis does not start at 0)")
    return figure


def _weights_figure(runs):
    """The weights' norm over the epochs, and the histogram of the first layer's weights."""
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    norm_ax, hist_ax = figure.subplots(1, 2)
    edges = numpy.linspace(-0.3, 0.3, 121)
    for label, seed_runs in runs.items():
        measured = [row["epoch"] for row in seed_runs[0]["curves"]]
        norm_ax.plot(measured, _mean_curve(seed_runs, "weight_norm"), color=COLORS[label],
                     marker=".", label=label)  # fmt: skip
        weights = seed_runs[0]["model"][0].weight.numpy().ravel()
        hist_ax.hist(numpy.clip(weights, edges[0], edges[-1]), edges, histtype="step",
                     color=COLORS[label], linewidth=1.5,
                     label=f"{label} (std {weights.std():.3f})")  # fmt: skip
    norm_ax.set_title("Norm of all the weights, ‖w‖")
    norm_ax.set_xlabel("epoch")
    norm_ax.set_ylabel("‖w‖ (mean over seeds)")
    hist_ax.set_yscale("log")
    _plain_log(hist_ax.yaxis)
    hist_ax.set_title("First layer's weights after training (first seed)")
    hist_ax.set_xlabel("weight (clipped to ±0.3)")
    hist_ax.set_ylabel("count (log scale)")
    for ax in (norm_ax, hist_ax):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    return figure


def _trajectory_figure(differences, floor):
    """Per step, the largest parameter difference between pairs of trajectories, log scale."""
    figure = Figure(figsize=(9, 5), layout="constrained")
    ax = figure.subplots()
    markers = iter(("o", "x", "+", "."))  # exact pairs all lie on the floor: tell them apart
    for label, values in differences.items():
        exact = not numpy.any(values)
        ax.semilogy(range(len(values)), numpy.maximum(values, floor),
                    marker=next(markers) if exact else "", markevery=5, fillstyle="none",
                    label=f"{label}{' (0 at every step)' if exact else ''}")  # fmt: skip
    ax.axhline(EQUAL, color="grey", linestyle="--", linewidth=1, label=f"tolerance {EQUAL:g}")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
    ax.set_title(f"Float64 trajectories from the same weights and batches, λ = {PENALTY:g}")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel(f"largest parameter difference (0 drawn at {floor:g})")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def _grid_figure(grid, decays):
    """Test loss against the decay at each learning rate, Adam + L2 beside AdamW."""
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    axes = figure.subplots(1, 2)
    titles = {"adam": "Adam + L2 (weight_decay added to the gradient)",
              "adamw": "AdamW (decoupled weight decay)"}  # fmt: skip
    for ax, (name, table) in zip(axes, grid["losses"].items(), strict=True):
        for i, lr in enumerate(GRID_LRS):
            line = ax.plot(decays[name], table[i], marker="o", label=f"lr {lr:g}")[0]
            ax.axvline(grid["best"][name][i], color=line.get_color(), linestyle=":")
        ax.set_xscale("log")
        ax.set_xticks(decays[name], [f"{decay:g}" for decay in decays[name]])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"{titles[name]}, {GRID_EPOCHS[name]} epochs")
        ax.set_xlabel("weight_decay λ (log scale)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(title="dotted: best λ (interpolated)")
    axes[0].set_ylabel(f"test loss (mean of the last {WINDOW} epochs and the seeds)")
    return figure


def _dropout_figure(x, outputs, statistics, bound):
    """Mean dropout output against the input, and the z-scores of the differences."""
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    mean_ax, z_ax = figure.subplots(1, 2)
    mean_ax.plot(x, outputs.mean(axis=0), "o", markersize=4, label="mean over the draws")
    mean_ax.plot(x, outputs[0], ".", color="grey", alpha=0.6, label="one draw: 0 or x/(1-p)")
    span = numpy.array([x.min(), x.max()])
    mean_ax.plot(span, span, color="black", linewidth=1, label="identity")
    mean_ax.set_title(f"nn.Dropout({DROPOUT:g}) in training mode, {len(outputs):,} draws")
    mean_ax.set_xlabel("input x")
    mean_ax.set_ylabel("output")
    mean_ax.legend(fontsize="small")
    z = statistics["mean_z"]
    z_ax.hist(z, bins=16, density=True, alpha=0.6, label="(mean - x) / standard error")
    grid = numpy.linspace(-bound, bound, 200)
    z_ax.plot(grid, numpy.exp(-grid**2 / 2) / math.sqrt(2 * math.pi), color="black",
              label="standard normal")  # fmt: skip
    for edge in (-bound, bound):
        z_ax.axvline(edge, color="C3", linestyle="--", linewidth=1)
    z_ax.set_title(f"Each input's error in standard errors (dashed: ±{bound:.2f})")
    z_ax.set_xlabel("z")
    z_ax.set_ylabel("density")
    z_ax.legend(fontsize="small")
    for ax in (mean_ax, z_ax):
        ax.grid(True, alpha=0.3)
    return figure


# ----------------------------------------------------------------------------- claims
def _check_overfitting(lab, runs, rows):
    """The network fits its ``rows`` training images, and the gap grows over the epochs;
    returns the gaps after the first and the last epoch."""
    none = runs[NONE]
    weights = none[0]["model"].parameter_count().total
    gaps = _mean_curve(none, "gap")
    first, half, last = gaps[0], gaps[len(gaps) // 2], gaps[-1]
    lab.at_least(
        f"A network of {weights:,} parameters fits its {rows} training images: "
        f"at least {FITS:.0%} of them right with every seed, without regularisation",
        "lowest_train_accuracy", min(_final(none, "train_accuracy")), FITS,
    )  # fmt: skip
    lab.claim(
        "Without regularisation the train/test gap grows over the epochs: the test loss minus "
        "the training loss is larger half-way than after the first epoch, and larger still at "
        "the end",
        first < half < last,
        "gap_first_epoch < gap_half_way < gap_last_epoch (means over seeds)",
        gap_first_epoch=first,
        gap_half_way=half,
        gap_last_epoch=last,
    )
    return first, last


def _check_regularizers(lab, summary):
    """Each regulariser's mean final gap is below the unregularised one's; so is decay's ‖w‖."""
    none_mean, none_std = summary[NONE]["gap"]
    for label in (L2_LABEL, DECAY_LABEL, DROPOUT_LABEL):
        mean, std = summary[label]["gap"]
        lab.claim(
            f"{DESCRIPTIONS[label]} closes part of the gap: its mean final gap over the seeds "
            f"is below the unregularised network's",
            mean < none_mean,
            "mean_gap < unregularised_mean_gap",
            mean_gap=mean, std_gap=std, unregularised_mean_gap=none_mean,
            unregularised_std_gap=none_std,
        )  # fmt: skip
    norms = {label: summary[label]["weight_norm"][0] for label in (NONE, L2_LABEL, DECAY_LABEL)}
    lab.claim(
        "L2 and weight decay keep the weights small: the mean final ‖w‖ of each is below the "
        "unregularised network's",
        max(norms[L2_LABEL], norms[DECAY_LABEL]) < norms[NONE],
        "weight_norm_l2 and weight_norm_decay < weight_norm_none",
        weight_norm_none=norms[NONE], weight_norm_l2=norms[L2_LABEL],
        weight_norm_decay=norms[DECAY_LABEL],
    )  # fmt: skip


def _check_trajectories(lab, thetas):
    """L2 equals SGD's decay 2λ (and Adam's), the factor 2 counts, Adam + L2 is not AdamW."""
    pairs = {
        "SGD: λ‖w‖² in the loss vs weight_decay 2λ":
            ("SGD, λ‖w‖² in the loss", "SGD, weight_decay 2λ"),
        "SGD: λ‖w‖² in the loss vs weight_decay λ":
            ("SGD, λ‖w‖² in the loss", "SGD, weight_decay λ"),
        "Adam: λ‖w‖² in the loss vs weight_decay 2λ":
            ("Adam, λ‖w‖² in the loss", "Adam, weight_decay 2λ"),
        "Adam, weight_decay 2λ vs AdamW, weight_decay 2λ":
            ("Adam, weight_decay 2λ", "AdamW, weight_decay 2λ"),
    }  # fmt: skip
    differences = {label: _largest_difference(thetas[a], thetas[b])
                   for label, (a, b) in pairs.items()}  # fmt: skip
    sgd_l2, sgd_half, sgd_none = (thetas[k][-1] for k in ("SGD, λ‖w‖² in the loss",
                                  "SGD, weight_decay λ", "SGD, no decay"))  # fmt: skip
    half_share = float(numpy.linalg.norm(sgd_half - sgd_l2) / numpy.linalg.norm(sgd_none - sgd_l2))
    adam, adamw = thetas["Adam, weight_decay 2λ"], thetas["AdamW, weight_decay 2λ"]
    apart = float(numpy.linalg.norm(adam[-1] - adamw[-1]) / numpy.linalg.norm(adamw[-1] - adamw[0]))
    gradient_error = _penalty_gradient_error(lab)
    lab.measure(**{f"trajectory_difference: {label}": values
                   for label, values in differences.items()})  # fmt: skip
    lab.measure(penalty_gradient_error=gradient_error, half_decay_share=half_share,
                adam_adamw_relative_distance=apart)  # fmt: skip
    lab.at_most(
        f"The gradient of λ‖w‖² is 2λw: mlplab's autograd gives it within {EQUAL:g} (float64)",
        "max_abs_error", gradient_error, EQUAL,
    )  # fmt: skip
    lab.at_most(
        f"So SGD on the loss + λ‖w‖² and SGD with weight_decay 2λ follow the same trajectory: "
        f"every parameter within {EQUAL:g} at each of {STEPS} steps (float64, same initial "
        f"weights and batches)",
        "largest_difference", differences["SGD: λ‖w‖² in the loss vs weight_decay 2λ"].max(),
        EQUAL,
    )  # fmt: skip
    lab.close_to(
        "The factor 2 matters: weight_decay λ (not 2λ) decays half as much, ending about half-way "
        "between the L2 trajectory and the undecayed one (distance to L2 over distance from "
        "undecayed to L2)",
        "half_decay_share", half_share, 0.5, rel=0.1,
    )  # fmt: skip
    lab.at_most(
        f"Adam's weight_decay is L2 too: Adam on the loss + λ‖w‖² and Adam with weight_decay "
        f"2λ follow the same trajectory, every parameter within {EQUAL:g} at each of {STEPS} "
        f"steps",
        "largest_difference", differences["Adam: λ‖w‖² in the loss vs weight_decay 2λ"].max(),
        EQUAL,
    )  # fmt: skip
    lab.at_least(
        f"Adam + L2 and AdamW with the same decay are different optimizers: after {STEPS} steps "
        f"their weights are apart by at least {APART:.0%} of the distance AdamW's travelled",
        "relative_distance", apart, APART,
    )  # fmt: skip
    return differences, apart


def _check_grid(lab, grid):
    """Adam + L2's best decay stays where it is when the rate changes; AdamW's moves.

    Returns each optimizer's shift, in decades, from the smallest rate to the largest."""
    best = grid["best"]
    shifts = {name: abs(math.log10(values[-1] / values[0])) for name, values in best.items()}
    lab.measure(grid_best_decay=best, grid_best_decay_shift=shifts,
                **{f"grid_test_loss_{name}": table
                   for name, table in grid["losses"].items()})  # fmt: skip
    rates = f"from lr {GRID_LRS[0]:g} to lr {GRID_LRS[-1]:g}"
    lab.claim(
        f"Adam + L2 descends one fixed objective, the loss + (λ/2)‖w‖², whatever the learning "
        f"rate, so near that objective's minimum (after {GRID_EPOCHS['adam']} full-batch steps) "
        f"its best λ stays put: {rates} it moves by less than a factor {10**SHIFT:.1f} (half a "
        f"step of the grid)",
        shifts["adam"] < SHIFT,
        f"|log10(best λ at lr {GRID_LRS[-1]:g} / best λ at lr {GRID_LRS[0]:g})| < {SHIFT:g}",
        best_decay_per_lr=best["adam"],
        shift_in_decades=shifts["adam"],
    )
    lab.claim(
        f"AdamW's decay is no term of the loss: each step multiplies the weights by 1 - lr·λ, "
        f"so over a fixed number of steps ({GRID_EPOCHS['adamw']}) the learning rate sets how "
        f"much they decay as much as λ does, and its best λ shifts with the rate: {rates} it "
        f"moves by at least a factor {10**SHIFT:.1f}",
        shifts["adamw"] >= SHIFT,
        f"|log10(best λ at lr {GRID_LRS[-1]:g} / best λ at lr {GRID_LRS[0]:g})| ≥ {SHIFT:g}",
        best_decay_per_lr=best["adamw"],
        shift_in_decades=shifts["adamw"],
    )
    return shifts


def _check_dropout(lab, x, outputs, evaluated):
    """Dropout's Monte Carlo mean is the input; its share of zeros is p; eval is the identity."""
    statistics = _dropout_statistics(x, outputs)
    bound = _bonferroni_z(len(x))
    identity_error = float(numpy.abs(evaluated - x).max())
    lab.measure(dropout_mean_z=statistics["mean_z"], dropout_zero_share=statistics["share"],
                dropout_scale_error=statistics["scale_error"],
                dropout_eval_error=identity_error)  # fmt: skip
    lab.claim(
        f"Inverted dropout keeps the expectation: over {len(outputs):,} draws the mean output "
        f"of every one of {len(x)} inputs is within {bound:.2f} standard errors of the input "
        f"(the bound a correct dropout exceeds with chance {FALSE_ALARM:g})",
        bool(numpy.abs(statistics["mean_z"]).max() <= bound),
        f"max |z| ≤ {bound:.2f}; one standard error is {statistics['relative_se']:.2%} of |x|",
        largest_abs_z=float(numpy.abs(statistics["mean_z"]).max()),
    )
    lab.claim(
        f"... because it drops a share p = {DROPOUT:g} of the units and multiplies the kept "
        f"ones by exactly 1/(1 - p)",
        abs(statistics["share_z"]) <= _bonferroni_z(1) and statistics["scale_error"] <= EQUAL,
        f"|z| of the share of zeros ≤ {_bonferroni_z(1):.2f}; kept outputs x/(1-p) within "
        f"{EQUAL:g} of max |x|",
        zero_share=statistics["share"], zero_share_z=statistics["share_z"],
        scale_error=statistics["scale_error"],
    )  # fmt: skip
    lab.at_most(
        "In eval mode dropout is the identity: the output equals the input exactly",
        "largest_difference", identity_error, 0.0,
    )  # fmt: skip
    return statistics, bound


# ----------------------------------------------------------------------------- the experiment
def _record_regularizers(lab, runs, summary, lr):
    """Measure, tabulate and draw the regularised and unregularised runs (trained at ``lr``)."""
    lab.measure(**{
        f"{key}: {label}": _final(seed_runs, key)
        for label, seed_runs in runs.items()
        for key in ("gap", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                    "weight_norm")
    })  # fmt: skip
    lab.measure(gap_curve_none=_mean_curve(runs[NONE], "gap"))
    lab.table("Final figures per regulariser, mean ± std over seeds", [
        {"regulariser": label, **{key: f"{mean:.4f} ± {std:.4f}"
                                  for key, (mean, std) in row.items()}}
        for label, row in summary.items()
    ])  # fmt: skip
    lab.figure("gap", _gap_figure(runs, lr),
               "Left: training (dashed) and test (solid) loss of each regulariser, on the whole "
               "splits in eval mode. Right: the gap between them, epoch by epoch.")  # fmt: skip
    lab.figure("regularizers", _summary_figure(summary),
               "Final gap and test loss per regulariser, mean ± std over the seeds (the axes do "
               "not start at 0).")  # fmt: skip
    lab.figure("weights", _weights_figure(runs),
               "Left: the norm of all the weights during training. Right: the first layer's "
               "weights after training; the inputs of digits' always-blank pixels get no "
               "gradient, so only the regulariser moves their weights.")  # fmt: skip


def _record_trajectories(lab, differences):
    """Draw the trajectory differences."""
    lab.figure("trajectories", _trajectory_figure(differences, floor=1e-18),
               "Largest parameter difference between two float64 trajectories, step by step. "
               "λ‖w‖² in the loss and weight_decay 2λ give identical trajectories with SGD and "
               "with Adam; weight_decay λ (without the 2) and AdamW do not.")  # fmt: skip


def _run(lab):
    """Overfitting, regularisers, L2 versus weight decay, and dropout, on a small digits split."""
    seeds, lr, epochs, points = _course(lab)
    grid_seeds = seeds[: lab.choose(1, 3)]
    draws = lab.choose(20_000, 100_000)
    lab.setting(
        dataset="digits", test_fraction=TEST_FRACTION, dataset_seed=lab.seed,
        layers=[64, WIDTH, 10], activation="relu", optimizer="adam", lr=lr,
        batch_size=FULL_BATCH, epochs=epochs, curve_points=points, seeds=seeds, l2_lambda=L2,
        adam_weight_decay_for_l2=2 * L2, adamw_weight_decay=ADAMW_DECAY, dropout=DROPOUT,
        gap="test loss - training loss, both on the whole split in eval mode",
        trajectory_layers=[64, TRAJECTORY_WIDTH, 10], trajectory_steps=STEPS,
        trajectory_batch_size=BATCH_SIZE, trajectory_sgd_lr=SGD_LR,
        trajectory_adam_lr=LR,
        trajectory_lambda=PENALTY, grid_learning_rates=list(GRID_LRS), grid_decays=GRID_DECAYS,
        grid_epochs=GRID_EPOCHS, grid_seeds=grid_seeds, grid_window=WINDOW,
        dropout_draws=draws, false_alarm=FALSE_ALARM,
    )  # fmt: skip
    data = load_data(_settings(lab, lab.seed, epochs), lab.generator("data"))
    runs = _train_regularizers(lab, data, seeds, lr, epochs, points)
    summary = _summary(runs)
    _record_regularizers(lab, runs, summary, lr)
    first, last = _check_overfitting(lab, runs, len(data.x_train))
    _check_regularizers(lab, summary)
    differences, apart = _check_trajectories(lab, _trajectories(lab, data))
    _record_trajectories(lab, differences)
    grid = _grid(lab, data, GRID_DECAYS, grid_seeds)
    shifts = _check_grid(lab, grid)
    lab.figure("decay-grid", _grid_figure(grid, GRID_DECAYS),
               f"Test loss against the decay at each learning rate, after "
               f"{GRID_EPOCHS['adam']} full-batch epochs of Adam + L2 (near its objective's "
               f"minimum) and {GRID_EPOCHS['adamw']} of AdamW (a fixed budget); the dotted "
               f"lines mark the best decay at each rate, interpolated between the grid's "
               f"points.")  # fmt: skip
    x, outputs, evaluated = _dropout_draws(lab, draws)
    statistics, bound = _check_dropout(lab, x, outputs, evaluated)
    lab.figure(
        "dropout",
        _dropout_figure(x, outputs, statistics, bound),
        "Left: dropout's output for each input, one draw and the mean of all draws. "
        "Right: the mean's error in standard errors, against a standard normal.",
    )
    lab.answer(_answer(summary, (first, last), differences, apart, shifts, statistics))


def _answer(summary, gaps, differences, apart, shifts, statistics):
    """The answer, in the measured numbers: ``gaps`` after the first and the last epoch."""
    final = {label: row["gap"][0] for label, row in summary.items()}
    none = summary[NONE]
    lowest = min(summary, key=lambda label: summary[label]["test_loss"][0])
    exact = max(differences["SGD: λ‖w‖² in the loss vs weight_decay 2λ"].max(),
                differences["Adam: λ‖w‖² in the loss vs weight_decay 2λ"].max())  # fmt: skip
    return (
        f"A 64-{WIDTH}-10 network fits {FULL_BATCH} training images (training accuracy "
        f"{none['train_accuracy'][0]:.2f}, loss {none['train_loss'][0]:.4f}) but not the test "
        f"set (test loss {none['test_loss'][0]:.3f}): it memorises, and the gap between the two "
        f"losses grows from {gaps[0]:.3f} after the first epoch to {gaps[1]:.3f}. The final gap "
        f"is {final[L2_LABEL]:.3f} with L2, {final[DECAY_LABEL]:.3f} with AdamW's weight decay "
        f"and {final[DROPOUT_LABEL]:.3f} with dropout, against {final[NONE]:.3f} without; the "
        f"lowest test loss is {lowest}'s ({summary[lowest]['test_loss'][0]:.3f}). λ‖w‖² in "
        f"the loss is weight_decay 2λ, for SGD and for Adam's own weight_decay: the "
        f"trajectories differ by at most {exact:g} over {STEPS} steps. AdamW is another "
        f"optimizer: {apart:.0%} apart after {STEPS} steps, and from lr {GRID_LRS[0]:g} to "
        f"{GRID_LRS[-1]:g} its best decay moved by a factor {10 ** shifts['adamw']:.1f}, Adam + "
        f"L2's by a factor {10 ** shifts['adam']:.2f}. Dropout keeps each unit's expected "
        f"output (largest error {numpy.abs(statistics['mean_z']).max():.1f} standard errors "
        f"over {len(statistics['mean_z'])} inputs) and is the identity in eval mode."
    )


EXPERIMENT = Experiment(
    name="overfitting",
    question="Why does a big network overfit a small training set, and what closes the gap?",
    run=_run,
)
