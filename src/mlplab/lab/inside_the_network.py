"""Inside the network: what the reference 784-256-512-10 MLP's layers do while it trains.

The course's reference network (ReLU, Adam at 1e-3, batches of 100) is trained on Fashion-MNIST,
and watched at every step. Five views of its inside, each a standard health check:

- **first-layer weights as images**: each first-layer unit has one weight per pixel, so its 784
  weights are a 28x28 picture of what it responds to; training draws image structure into them;
- **weight and activation histograms**, per layer, at initialisation and after training;
- **gradient flow**: the norm of each layer's weight gradient at every step (in a network this
  shallow it should not vanish on its way to the first layer);
- **update-to-weight ratio** ‖Δw‖/‖w‖ of each layer at every step, which the rule of thumb puts
  near 1e-3 (much smaller: the layer barely learns; much larger: the steps are too big);
- **dead units**: the share of ReLU units that output 0 for every image of a batch, so that no
  gradient flows through them.
"""

import numpy
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter

import mlplab
from mlplab import nn, optim
from mlplab.data import DataLoader, flatten_images, load_dataset, scale_to_unit
from mlplab.data.errors import DatasetNotFoundError
from mlplab.lab.registry import Experiment
from mlplab.train import evaluate, fit

SIZES = [784, 256, 512, 10]  # the course's reference network
LR, BATCH = 1e-3, 100
HEALTHY_RATIO = 1e-3  # the rule of thumb for ‖Δw‖/‖w‖ per step
ORDER = 10.0  # "within an order of magnitude": a factor 10 either way
NOT_VANISHING = 10.0  # the first layer's gradient within a factor 10 of the output layer's
PROBE_ROWS = 1000  # the fixed batch of training images the activations are measured on
TILES = 8  # the first-layer figure shows TILES x TILES units
SIDE = 28  # Fashion-MNIST images are 28x28


# ----------------------------------------------------------------------------- data
def _fashion_mnist():
    """Fashion-MNIST from Debian's package (or the cache); a clear error when it is missing."""
    try:
        return load_dataset("fashion-mnist", download=False)
    except DatasetNotFoundError as error:
        raise DatasetNotFoundError(
            "The inside-the-network experiment trains on Fashion-MNIST, which is not installed: "
            "install Debian's package (`apt-get install dataset-fashion-mnist`, which puts it in "
            "/usr/share/datasets/fashion-mnist), or place its four files in mlplab's data cache "
            f"as below. The lab never downloads.\n{error}"
        ) from None


def _images(data, rows, generator):
    """Pixels scaled to [0, 1], flat: ``rows`` training images drawn at random, all the test
    images, and their labels, as (x_train, y_train, x_test, y_test)."""
    picked = numpy.asarray(generator.permutation(len(data.x_train)))[:rows]
    return (scale_to_unit(flatten_images(data.x_train[picked])), data.y_train[picked],
            scale_to_unit(flatten_images(data.x_test)), data.y_test)  # fmt: skip


# ----------------------------------------------------------------------------- what is watched
def _linears(model):
    """The Linear layers of ``model``, from the input side."""
    return [layer for layer in model if isinstance(layer, nn.Linear)]


def _forward(model, inputs):
    """The logits and each hidden layer's output after its ReLU, as tensors (with their graph)."""
    hidden, signal = [], mlplab.tensor(inputs)
    for layer in model:
        signal = layer(signal)
        if not isinstance(layer, nn.Linear):
            hidden.append(signal)
    return signal, hidden


def _layer_outputs(model, inputs):
    """Each hidden layer's ReLU outputs, then the logits, as arrays."""
    with mlplab.no_grad():
        logits, hidden = _forward(model, inputs)
    return [h.numpy() for h in hidden] + [logits.numpy()]


def _dead_shares(hidden):
    """Per hidden ReLU layer, the share of units that output 0 for every probe image."""
    return [float(numpy.mean(numpy.all(h == 0, axis=0))) for h in hidden]


def _dead_unit_gradients(model, inputs, labels):
    """On one batch, per hidden layer: the largest |gradient| reaching a dead unit's weights and
    bias, and the share of live units whose weights get some gradient."""
    logits, hidden = _forward(model, inputs)
    model.zero_grad()
    nn.CrossEntropyLoss()(logits, mlplab.tensor(labels)).backward()
    largest, live_learning = [], []
    for linear, outputs in zip(_linears(model)[:-1], hidden, strict=True):
        dead = numpy.all(outputs.numpy() == 0, axis=0)
        rows = numpy.concatenate(
            [linear.weight.grad.numpy(), linear.bias.grad.numpy()[:, None]], axis=1
        )
        largest.append(float(numpy.abs(rows[dead]).max()) if dead.any() else 0.0)
        live_learning.append(float(numpy.mean(numpy.any(rows[~dead] != 0, axis=1))))
    return largest, live_learning


def _snapshot(model, probe):
    """Copies of the weights, and each layer's outputs on the probe images."""
    return {"weights": [linear.weight.numpy().copy() for linear in _linears(model)],
            "outputs": _layer_outputs(model, probe)}  # fmt: skip


class _Watch:
    """A fit callback: per step each layer's ‖∂L/∂W‖ and ‖Δw‖/‖w‖; every ``every`` steps the
    share of dead units; snapshots of weights and activations at the start and the end."""

    def __init__(self, probe, every):
        self.probe, self.every = probe, every
        self.gradient_norms, self.update_ratios, self.dead, self.dead_steps = [], [], [], []
        self.first_step_nonzero = None  # per layer: weights with a nonzero gradient at step 1
        self.start = self.end = None
        self._previous = None

    def on_train_begin(self, run):
        """Snapshot the initial network."""
        self.start = _snapshot(run.model, self.probe)
        self._previous = self.start["weights"]
        self._count_dead(run.model, 0)

    def on_batch_end(self, run, loss):
        """Read the step's gradients (still on the weights) and the update it made."""
        linears = _linears(run.model)
        self.gradient_norms.append(
            [float(numpy.linalg.norm(w.weight.grad.numpy())) for w in linears]
        )
        if run.step == 1:
            self.first_step_nonzero = [
                int(numpy.count_nonzero(w.weight.grad.numpy())) for w in linears
            ]
        now = [linear.weight.numpy().copy() for linear in linears]
        self.update_ratios.append([
            float(numpy.linalg.norm(new - old) / numpy.linalg.norm(old))
            for new, old in zip(now, self._previous, strict=True)
        ])  # fmt: skip
        self._previous = now
        if run.step % self.every == 0:
            self._count_dead(run.model, run.step)

    def on_train_end(self, run):
        """Snapshot the trained network."""
        self.end = _snapshot(run.model, self.probe)

    def _count_dead(self, model, step):
        """Record the dead shares at ``step``."""
        self.dead.append(_dead_shares(_layer_outputs(model, self.probe)[:-1]))
        self.dead_steps.append(step)


def _train(images, epochs, every, generator):
    """Train the reference network, watched; returns (model, watch, test accuracy)."""
    x_train, y_train, x_test, y_test = images
    model = nn.MLP(SIZES, activation="relu", generator=generator)
    watch = _Watch(x_train[:PROBE_ROWS], every)
    loader = DataLoader(x_train, y_train, BATCH, shuffle=True, generator=generator)
    loss_fn = nn.CrossEntropyLoss()
    fit(model, loss_fn, optim.Adam(model.parameters(), lr=LR), loader, epochs=epochs,
        callbacks=[watch])  # fmt: skip
    accuracy = evaluate(model, loss_fn, DataLoader(x_test, y_test, 1000))["accuracy"]
    return model, watch, accuracy


def _neighbour_correlation(weights):
    """The correlation between the first-layer weights of horizontally and vertically adjacent
    pixels, over all units: near 0 for random weights, near 1 for smooth images."""
    tiles = weights.reshape(-1, SIDE, SIDE)
    pairs = [(tiles[:, :, :-1], tiles[:, :, 1:]), (tiles[:, :-1, :], tiles[:, 1:, :])]
    left = numpy.concatenate([a.ravel() for a, _ in pairs])
    right = numpy.concatenate([b.ravel() for _, b in pairs])
    return float(numpy.corrcoef(left, right)[0, 1])


# ----------------------------------------------------------------------------- figures
LAYER_NAMES = ("layer 1 (784→256)", "layer 2 (256→512)", "output layer (512→10)")


def _tile_grid(ax, weights, title):
    """The first TILES² units' weights as 28x28 tiles, each scaled to its own largest |w|."""
    grid = numpy.ones((TILES * (SIDE + 1) - 1, TILES * (SIDE + 1) - 1)) * numpy.nan
    for unit in range(TILES * TILES):
        tile = weights[unit].reshape(SIDE, SIDE)
        row, column = divmod(unit, TILES)
        top, left = row * (SIDE + 1), column * (SIDE + 1)
        grid[top : top + SIDE, left : left + SIDE] = tile / numpy.max(numpy.abs(tile))
    ax.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_title(title)
    ax.set_axis_off()


def _first_layer_change(watch):
    """Mean ‖Δw‖ of a first-layer unit's weights over training: of the units dead at the end on
    the probe images, and of the live ones."""
    change = numpy.linalg.norm(watch.end["weights"][0] - watch.start["weights"][0], axis=1)
    dead = numpy.all(watch.end["outputs"][0] == 0, axis=0)
    return {"dead": float(change[dead].mean()) if dead.any() else 0.0,
            "live": float(change[~dead].mean())}  # fmt: skip


def _filters_figure(watch, correlation):
    """First-layer weights of the first 64 units as images: at initialisation and trained."""
    figure = Figure(figsize=(10, 5.6), layout="constrained")
    axes = figure.subplots(1, 2)
    for ax, moment, key in zip(axes, ("at initialisation", "after training"),
                               ("start", "end"), strict=True):  # fmt: skip
        _tile_grid(ax, getattr(watch, key)["weights"][0],
                   f"First-layer weights {moment}\n(neighbouring pixels' correlation "
                   f"{correlation[key]:.2f})")  # fmt: skip
    return figure


OUTPUT_NAMES = ("ReLU of layer 1", "ReLU of layer 2", "output logits")


def _histogram(ax, watch, key, layer, hidden):
    """The histogram of one layer's ``key`` ("weights" or "outputs"), at init and trained; for a
    hidden layer's ReLU outputs, only the positive ones, with the share of zeros in the legend."""
    for moment, snapshot, color in (("at init", watch.start, "C0"),
                                    ("trained", watch.end, "C3")):  # fmt: skip
        values = snapshot[key][layer].ravel()
        label = moment
        if hidden:
            label = f"{moment}: {numpy.mean(values == 0):.0%} are 0 (not drawn)"
            values = values[values > 0]
        ax.hist(values, bins=60, histtype="step", color=color, density=True, label=label)
    ax.legend(fontsize="small")


def _histograms_figure(watch):
    """Per layer, the histograms of its weights (top) and of its outputs (bottom)."""
    figure = Figure(figsize=(12, 7), layout="constrained")
    axes = figure.subplots(2, len(LAYER_NAMES))
    for layer in range(len(LAYER_NAMES)):
        weights_ax, outputs_ax = axes[0, layer], axes[1, layer]
        _histogram(weights_ax, watch, "weights", layer, hidden=False)
        weights_ax.set_title(f"Weights of {LAYER_NAMES[layer]}")
        weights_ax.set_xlabel("weight")
        _histogram(outputs_ax, watch, "outputs", layer, hidden=layer < len(LAYER_NAMES) - 1)
        outputs_ax.set_title(f"{OUTPUT_NAMES[layer]}, {PROBE_ROWS} images")
        outputs_ax.set_xlabel("output")
        outputs_ax.set_yscale("log")
    axes[0, 0].set_ylabel("density")
    axes[1, 0].set_ylabel("density (log scale)")
    return figure


def _per_step_figure(series, ylabel, title, band=None):
    """One line per layer of a per-step series (log scale), raw and smoothed over 20 steps."""
    figure = Figure(figsize=(9, 4.5), layout="constrained")
    ax = figure.subplots()
    values = numpy.array(series)
    steps = numpy.arange(1, len(values) + 1)
    window = min(20, len(values))
    for layer, name in enumerate(LAYER_NAMES):
        color = f"C{layer}"
        ax.plot(steps, values[:, layer], color=color, alpha=0.25, linewidth=0.8)
        smooth = numpy.convolve(values[:, layer], numpy.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1 :], smooth, color=color, label=name)
    if band is not None:
        ax.axhline(
            band, color="black", linestyle="--", linewidth=1, label=f"rule of thumb, {band:g}"
        )
        ax.axhspan(band / ORDER, band * ORDER, color="grey", alpha=0.12,
                   label="within an order of magnitude")  # fmt: skip
    ax.set_yscale("log")
    for axis_formatter in (ax.yaxis.set_major_formatter, ax.yaxis.set_minor_formatter):
        axis_formatter(LogFormatter(labelOnlyBase=False))
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return figure


def _dead_figure(watch):
    """The share of dead units of each hidden layer, over training."""
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    ax = figure.subplots()
    shares = numpy.array(watch.dead)
    for layer, name in enumerate(LAYER_NAMES[:-1]):
        ax.plot(watch.dead_steps, shares[:, layer], marker=".", label=name)
    ax.set_ylim(0, max(0.1, float(shares.max()) * 1.2))
    ax.set_xlabel("training step")
    ax.set_ylabel("share of the layer's ReLU units")
    ax.set_title(f"Dead units: output 0 for all {PROBE_ROWS} probe images")
    ax.grid(True, alpha=0.3)
    ax.legend()
    return figure


# ----------------------------------------------------------------------------- findings
def _record(lab, watch, accuracy, correlation):
    """Measure and tabulate what the watch saw."""
    ratios, norms = numpy.array(watch.update_ratios), numpy.array(watch.gradient_norms)
    lab.measure(
        test_accuracy=accuracy,
        steps=len(ratios),
        update_ratio_median=numpy.median(ratios, axis=0),
        update_ratio_first_step=ratios[0],
        update_ratio_last_step=ratios[-1],
        gradient_norm_median=numpy.median(norms, axis=0),
        gradient_norm_first_step=norms[0],
        gradient_norm_last_step=norms[-1],
        dead_share_steps=watch.dead_steps,
        dead_share=watch.dead,
        first_layer_neighbour_correlation=correlation,
        weight_std={moment: [float(w.std()) for w in getattr(watch, moment)["weights"]]
                    for moment in ("start", "end")},
    )  # fmt: skip
    lab.table("Per layer: update ratio ‖Δw‖/‖w‖, gradient norm ‖∂L/∂W‖ and dead units", [
        {"layer": name, "median ‖Δw‖/‖w‖": float(numpy.median(ratios[:, layer])),
         "first step": float(ratios[0, layer]), "last step": float(ratios[-1, layer]),
         "median ‖∂L/∂W‖": float(numpy.median(norms[:, layer])),
         "weight std at init": float(watch.start["weights"][layer].std()),
         "weight std trained": float(watch.end["weights"][layer].std()),
         "dead at the end": watch.dead[-1][layer] if layer < len(watch.dead[-1]) else ""}
        for layer, name in enumerate(LAYER_NAMES)
    ])  # fmt: skip
    change = _first_layer_change(watch)
    lab.measure(first_layer_weight_change=change)
    lab.figure("first-layer-weights", _filters_figure(watch, correlation),
               "The first 64 first-layer units' weights, each as a 28x28 image (red positive, "
               "blue negative, each tile scaled to its own largest |w|): random at "
               "initialisation, image-like after training (the correlation of neighbouring "
               "pixels' weights says how smooth they are). A tile that stays noisy is a unit "
               f"that died early: the weights of the units dead at the end moved by "
               f"‖Δw‖ = {change['dead']:.2f} on average, the live units' by "
               f"{change['live']:.2f}.")  # fmt: skip
    lab.figure("histograms", _histograms_figure(watch),
               "Top: each layer's weights, from the uniform initialisation U(±1/sqrt(fan_in)) "
               "to the trained weights. Bottom: each layer's outputs on the probe images: the "
               "hidden layers' ReLU outputs (the positive ones; the legend gives the share that "
               "is exactly 0) and the logits.")  # fmt: skip
    lab.figure("gradient-flow",
               _per_step_figure(norms, "‖∂L/∂W‖ of the step's batch",
                                "Gradient flow: each layer's weight-gradient norm per step"),
               "The norm of each layer's weight gradient at every step (faint) and over 20 "
               "steps (bold), from the first layer to the output layer.")  # fmt: skip
    lab.figure("update-ratio",
               _per_step_figure(ratios, "‖Δw‖ / ‖w‖ of the step",
                                "Update size over weight size, per layer and step",
                                band=HEALTHY_RATIO),
               "‖Δw‖/‖w‖ of each layer's weights at every step (faint) and over 20 steps "
               "(bold), against the rule of thumb 1e-3 and the band within an order of "
               "magnitude of it.")  # fmt: skip
    lab.figure("dead-units", _dead_figure(watch),
               f"Share of each hidden layer's ReLU units that output 0 for all {PROBE_ROWS} "
               "probe images: no gradient reaches their weights from those "
               "images.")  # fmt: skip
    return numpy.median(ratios, axis=0), norms


def _adam_first_step(watch):
    """Measured and predicted ‖Δw‖/‖w‖ of Adam's first step, per layer.

    At step 1 Adam's bias-corrected moments are m̂ = g and v̂ = g², so every weight with a
    nonzero gradient moves by lr·g/(|g| + eps) ≈ ±lr, whatever the gradient's size:
    ‖Δw‖ = lr·sqrt(number of nonzero gradients), and the ratio is that over ‖w_0‖.
    """
    norms = [float(numpy.linalg.norm(w)) for w in watch.start["weights"]]
    predicted = [LR * numpy.sqrt(n) / norm
                 for n, norm in zip(watch.first_step_nonzero, norms, strict=True)]  # fmt: skip
    return watch.update_ratios[0], predicted


def _claims(lab, medians, norms, watch, correlation, dead_gradients):
    """The claims: update ratios near 1e-3 (and Adam's first step), the gradient reaches layer 1,
    dead units get no gradient, image-like first-layer weights."""
    low, high = HEALTHY_RATIO / ORDER, HEALTHY_RATIO * ORDER
    lab.claim(
        f"The update-to-weight ratio ‖Δw‖/‖w‖ sits near the healthy {HEALTHY_RATIO:g}: every "
        f"layer's median over the training steps lies within an order of magnitude of it",
        all(low <= value <= high for value in medians),
        f"{low:g} ≤ median ratio ≤ {high:g}, for every layer",
        **{f"median_ratio_layer_{layer + 1}": value for layer, value in enumerate(medians)},
    )
    measured, predicted = _adam_first_step(watch)
    worst = max(abs(m / p - 1) for m, p in zip(measured, predicted, strict=True))
    lab.at_most(
        "Adam's first step moves every weight with a nonzero gradient by the full learning rate, "
        "whatever the gradient's size: its ‖Δw‖/‖w‖ is lr·sqrt(nonzero gradients)/‖w_0‖ in "
        "every layer (within 1%)",
        "largest_relative_error", worst, 0.01,
    )  # fmt: skip
    first_over_last = norms[:, 0] / norms[:, -1]
    lab.claim(
        f"In the three-layer ReLU network the gradient does not vanish: at every step the first "
        f"layer's weight gradient is within a factor {NOT_VANISHING:g} of the output layer's",
        all(1 / NOT_VANISHING <= value <= NOT_VANISHING for value in first_over_last),
        f"1/{NOT_VANISHING:g} ≤ ‖∂L/∂W_1‖ / ‖∂L/∂W_3‖ ≤ {NOT_VANISHING:g} at every step",
        lowest_first_over_last=float(first_over_last.min()),
        highest_first_over_last=float(first_over_last.max()),
    )
    largest, live_learning = dead_gradients
    lab.claim(
        f"A dead ReLU unit gets no gradient: on the {PROBE_ROWS} probe images, after training, "
        "the weights and bias of every unit dead on them get exactly zero gradient, and every "
        "live unit's weights get some",
        max(largest) == 0 and min(live_learning) == 1,
        "largest |gradient| of a dead unit = 0, share of live units with a gradient = 1",
        largest_dead_unit_gradient=max(largest),
        live_units_with_gradient=min(live_learning),
    )
    pairs = watch.start["weights"][0].shape[0] * 2 * SIDE * (SIDE - 1)
    noise = 3 / numpy.sqrt(pairs)  # three standard errors of r between independent weights
    lab.claim(
        "Training draws image structure into the first layer: the weights of neighbouring "
        "pixels, independent at initialisation (|r| within three standard errors of 0), "
        "correlate after training (r beyond them)",
        abs(correlation["start"]) <= noise < correlation["end"],
        f"|r_init| ≤ 3/sqrt(pairs) = {noise:.4f} < r_trained",
        r_init=correlation["start"],
        r_trained=correlation["end"],
    )


def _answer(numbers):
    """The answer the numbers support."""
    n = numbers
    medians = ", ".join(f"{value:.1e}" for value in n["update_ratio_median"])
    dead = numpy.array(n["dead_share"])
    early = n["dead_share_steps"].index(10) if 10 in n["dead_share_steps"] else 1
    low, high = HEALTHY_RATIO / ORDER, HEALTHY_RATIO * ORDER
    near = all(low <= value <= high for value in n["update_ratio_median"])
    where = (
        "within an order of magnitude of 1e-3, on its high side"
        if near
        else "more than an order of magnitude from 1e-3"
    )
    stds = zip(n["weight_std"]["start"], n["weight_std"]["end"], strict=True)
    spread = ", ".join(f"{start:.3f} → {end:.3f}" for start, end in stds)
    silent = max(n["dead_unit_largest_gradient"]) == 0
    return (
        f"In {n['steps']} steps (test accuracy {n['test_accuracy']:.3f}) the first layer's "
        f"weights turn from noise into smooth, image-like patterns (neighbouring pixels' "
        f"correlation {n['first_layer_neighbour_correlation']['start']:.3f} → "
        f"{n['first_layer_neighbour_correlation']['end']:.2f}; the images' own is "
        f"{n['image_neighbour_correlation']:.2f}); the weights' standard deviations go "
        f"{spread}. The gradient does not vanish on its way to the first layer (the first "
        f"layer's over the output layer's stays between {n['first_over_last_range'][0]:.2f} "
        f"and {n['first_over_last_range'][1]:.2f}). The median update-to-weight ratios, "
        f"{medians} for the three layers, lie {where}: Adam's steps scale with the learning "
        f"rate, not the gradient, and its first step moves every weight by exactly lr, a ratio "
        f"of up to {max(n['update_ratio_first_step']):.2f}. Dead units appear during those "
        f"first, largest steps: {dead[0, 0]:.0%} of layer 1's and {dead[0, 1]:.0%} of layer "
        f"2's units are dead on the probe images at initialisation, {dead[early, 0]:.0%} and "
        f"{dead[early, 1]:.0%} after {n['dead_share_steps'][early]} steps, {dead[-1, 0]:.0%} "
        f"and {dead[-1, 1]:.0%} at the end; a dead unit gets "
        f"{'exactly no' if silent else 'some'} gradient from those images."
    )


def _run(lab):
    """Train the reference network on Fashion-MNIST and look inside it at every step."""
    rows = lab.choose(10000, 60000)
    epochs = lab.choose(2, 5)
    every = lab.choose(10, 50)
    lab.setting(
        dataset="fashion-mnist", training_images=rows, layers=SIZES, activation="relu",
        optimizer="adam", lr=LR, batch_size=BATCH, epochs=epochs,
        probe_images=f"the first {PROBE_ROWS} training images", dead_units_every_steps=every,
        measured_weights="the Linear layers' weight matrices",
    )  # fmt: skip
    images = _images(_fashion_mnist(), rows, lab.generator("subset"))
    model, watch, accuracy = _train(images, epochs, every, lab.generator("network"))
    correlation = {moment: _neighbour_correlation(getattr(watch, moment)["weights"][0])
                   for moment in ("start", "end")}  # fmt: skip
    medians, norms = _record(lab, watch, accuracy, correlation)
    probe = images[0][:PROBE_ROWS], images[1][:PROBE_ROWS]
    dead_gradients = _dead_unit_gradients(model, *probe)
    first_over_last = norms[:, 0] / norms[:, -1]
    lab.measure(
        image_neighbour_correlation=_neighbour_correlation(probe[0]),
        first_over_last_range=[first_over_last.min(), first_over_last.max()],
        adam_first_step_ratio_predicted=_adam_first_step(watch)[1],
        dead_unit_largest_gradient=dead_gradients[0],
        live_units_with_gradient=dead_gradients[1],
    )
    _claims(lab, medians, norms, watch, correlation, dead_gradients)
    lab.answer(_answer(lab.numbers))


EXPERIMENT = Experiment(
    name="inside-the-network",
    question="What happens inside the reference network while it trains?",
    run=_run,
)
