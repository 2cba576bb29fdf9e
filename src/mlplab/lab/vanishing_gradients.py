"""Vanishing gradients: why deep sigmoid networks stop learning, and ReLU with He init does not.

Backpropagation carries the gradient from hidden layer l down to layer l-1 through the Jacobian
of h_l = σ(W_l h_{l-1} + b_l), which is diag(σ'(z_l)) W_l. So ‖∂L/∂h_{l-1}‖ ≤ max σ' · ‖W_l‖₂ ·
‖∂L/∂h_l‖, and sigmoid's slope is at most 1/4: with weights of spectral norm below 4 every
sigmoid layer shrinks the gradient, and ten of them shrink it geometrically. ReLU's slope is 1
where a unit is active, and He's initialisation (variance 2 / fan_in) keeps the signal's size
from layer to layer, so the first layer's gradient stays near the last's. The experiment measures
per-layer gradient norms with mlplab's autograd for several activations and inits, checks the
chain-rule bound layer by layer, looks at how saturated the sigmoid units are, and counts the
ReLU units a too-high learning rate kills.
"""

import numpy
from matplotlib.figure import Figure

import mlplab
from mlplab import nn, optim
from mlplab.data import DataLoader
from mlplab.experiment import Settings, load_data
from mlplab.lab.registry import Experiment
from mlplab.nn import init
from mlplab.train import evaluate, fit

DEPTH = 10  # hidden layers, all of the same width
SIGMOID_SLOPE = 0.25  # max of σ'(z) = σ(z)(1 - σ(z)), reached at z = 0
SATURATED = 0.01  # a sigmoid output within this of 0 or 1 is saturated: its σ' is below 0.01
NOT_VANISHING = 10.0  # "does not vanish": the first layer's gradient within 10x of the last's
VANISHED = 0.01  # "vanishes": the first layer's gradient below 1/100 of the last's
MOMENTUM = 0.9


def _xavier(activation):
    """An initialiser: Glorot normal with the activation's gain, zero biases."""

    def initialise(linear, generator):
        gain = init.calculate_gain(activation)
        init.xavier_normal_(linear.weight, gain=gain, generator=generator)
        init.zeros_(linear.bias)

    return initialise


def _he(linear, generator):
    """He (Kaiming) normal for ReLU, N(0, 2 / fan_in), and zero biases."""
    init.kaiming_normal_(linear.weight, nonlinearity="relu", generator=generator)
    init.zeros_(linear.bias)


# label: (activation, initialiser); None keeps Linear's own init, U(±1/sqrt(fan_in)), whose
# variance 1 / (3 fan_in) is a sixth of He's.
NETWORKS = {
    "sigmoid, Xavier init": ("sigmoid", _xavier("sigmoid")),
    "tanh, Xavier init": ("tanh", _xavier("tanh")),
    "ReLU, default init": ("relu", None),
    "ReLU, He init": ("relu", _he),
}
SIGMOID, RELU_HE, RELU_DEFAULT = "sigmoid, Xavier init", "ReLU, He init", "ReLU, default init"


def _network(sizes, activation, initialise, generator):
    """An MLP of ``sizes`` with ``activation``, its Linear layers set by ``initialise``."""
    model = nn.MLP(sizes, activation=activation, generator=generator)
    if initialise is not None:
        for linear in _linears(model):
            initialise(linear, generator)
    return model


def _linears(model):
    """The Linear layers of ``model``, from the input side."""
    return [layer for layer in model if isinstance(layer, nn.Linear)]


def _forward(model, inputs):
    """The logits and every hidden layer's output h_1 ... h_DEPTH (after its activation)."""
    hidden = []
    output = inputs
    for layer in model:
        output = layer(output)
        if not isinstance(layer, nn.Linear):
            hidden.append(output)
    return output, hidden


def _snapshot(model, inputs, labels):
    """Gradient norms of the full-batch loss: of each weight, of each hidden output; ‖W_l‖₂.

    Returns
    -------
    dict
        ``weight``: ‖∂L/∂W_l‖ per Linear layer (DEPTH + 1 values, the output layer last);
        ``hidden``: ‖∂L/∂h_l‖ per hidden layer (Frobenius norm over the batch); ``spectral``:
        the spectral norm ‖W_l‖₂ of each Linear layer's weight.
    """
    logits, hidden = _forward(model, inputs)
    loss = nn.CrossEntropyLoss()(logits, labels)
    hidden_grads = mlplab.grad(loss, hidden, retain_graph=True)
    model.zero_grad()
    loss.backward()
    linears = _linears(model)
    return {
        "weight": [float(numpy.linalg.norm(linear.weight.grad.numpy())) for linear in linears],
        "hidden": [float(numpy.linalg.norm(grad.numpy())) for grad in hidden_grads],
        "spectral": [float(numpy.linalg.norm(linear.weight.numpy(), 2)) for linear in linears],
    }


def _hidden_outputs(model, inputs):
    """Each hidden layer's outputs for ``inputs``, as arrays (N, width)."""
    with mlplab.no_grad():
        return [h.numpy() for h in _forward(model, inputs)[1]]


def _saturation(hidden):
    """Per layer, the share of sigmoid outputs below 0.01 or above 0.99."""
    return [float(numpy.mean((h < SATURATED) | (h > 1 - SATURATED))) for h in hidden]


def _dead_share(model, inputs):
    """The share of hidden ReLU units that output 0 for every sample of ``inputs``."""
    dead = [numpy.all(h == 0, axis=0) for h in _hidden_outputs(model, inputs)]
    return float(numpy.mean(numpy.concatenate(dead)))


class _EveryEpoch:
    """A fit callback: ``measure(model)`` before training and after every epoch, kept in order."""

    def __init__(self, measure):
        self.measure = measure
        self.values = []

    def on_train_begin(self, run):
        """Measure the initial network."""
        self.values.append(self.measure(run.model))

    def on_epoch_end(self, run, record):
        """Measure after the epoch's updates."""
        self.values.append(self.measure(run.model))


def _train(model, data, optimizer, epochs, batch_size, generator, probe):
    """Train with ``optimizer``, ``probe`` watching; returns (history, test accuracy)."""
    loader = DataLoader(data.x_train, data.y_train, batch_size, shuffle=True, generator=generator)
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, loss_fn, optimizer, loader, epochs=epochs, callbacks=[probe])
    test = DataLoader(data.x_test, data.y_test, len(data.x_test))
    return history, evaluate(model, loss_fn, test)["accuracy"]


def _chain_rule(snapshot):
    """Per hidden layer l = 2..DEPTH: ‖∂L/∂h_{l-1}‖ / ‖∂L/∂h_l‖ and its bound 0.25 ‖W_l‖₂."""
    hidden, spectral = snapshot["hidden"], snapshot["spectral"]
    ratios = [hidden[i] / hidden[i + 1] for i in range(DEPTH - 1)]
    # h_{i+1} (0-based hidden[i]) receives its gradient through W_{i+2}, i.e. linears[i + 1].
    bounds = [SIGMOID_SLOPE * spectral[i + 1] for i in range(DEPTH - 1)]
    return ratios, bounds


def _first_over_last(snapshot):
    """‖∂L/∂W_1‖ / ‖∂L/∂W_out‖: how much of the output layer's gradient reaches the first."""
    return snapshot["weight"][0] / snapshot["weight"][-1]


# ----------------------------------------------------------------------------- figures
def _norms_figure(runs, epochs):
    """Gradient norm of each Linear layer's weight, at init and after training, log scale."""
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    for ax, moment, title in ((axes[0], 0, "at initialisation"),
                              (axes[1], -1, f"after {epochs} epochs of SGD")):  # fmt: skip
        for label, run in runs.items():
            norms = run["snapshots"][moment]["weight"]
            ax.semilogy(range(1, len(norms) + 1), norms, marker="o", label=label)
        ax.set_title(f"Gradient norm per layer, {title}")
        ax.set_xlabel(f"Linear layer (1 = input side, {DEPTH + 1} = output)")
        ax.set_xticks(range(1, DEPTH + 2))
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("‖∂L/∂W_l‖ (full training batch)")
    axes[0].legend()
    return figure


def _training_figure(runs):
    """First-over-last gradient ratio and training loss, per epoch, for each network."""
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    ratio_ax, loss_ax = figure.subplots(1, 2)
    for label, run in runs.items():
        ratios = [_first_over_last(snapshot) for snapshot in run["snapshots"]]
        ratio_ax.semilogy(range(len(ratios)), ratios, marker=".", label=label)
        losses = [record["train_loss"] for record in run["history"].records]
        loss_ax.plot(range(1, len(losses) + 1), losses, marker=".", label=label)
    for bound in (1 / NOT_VANISHING, NOT_VANISHING):
        ratio_ax.axhline(bound, color="grey", linestyle="--", linewidth=1)
    ratio_ax.set_title("First layer's gradient over the output layer's")
    ratio_ax.set_xlabel("epoch (0 = initialisation)")
    ratio_ax.set_ylabel("‖∂L/∂W_1‖ / ‖∂L/∂W_out‖ (dashed: 1/10 and 10)")
    loss_ax.set_title("Training loss")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("cross-entropy (mean over the epoch)")
    loss_ax.axhline(numpy.log(10), color="grey", linestyle=":", linewidth=1, label="chance, ln 10")
    loss_ax.legend()
    for ax in (ratio_ax, loss_ax):
        ax.grid(True, alpha=0.3)
    return figure


def _bound_figure(checks):
    """Sigmoid: each layer's measured gradient ratio beside its chain-rule bound 0.25 ‖W_l‖₂."""
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    ax = figure.subplots()
    layers = range(2, DEPTH + 1)
    for (moment, (ratios, bounds)), color in zip(checks.items(), ("C0", "C3"), strict=True):
        ax.plot(layers, bounds, color=color, linestyle="--", label=f"bound 0.25‖W_l‖₂, {moment}")
        ax.plot(layers, ratios, color=color, marker="o", linestyle="none",
                label=f"measured ‖∂L/∂h_(l-1)‖ / ‖∂L/∂h_l‖, {moment}")  # fmt: skip
    ax.axhline(1, color="grey", linewidth=1)
    ax.set_ylim(0, None)
    ax.set_title("Sigmoid network: how much of the gradient each layer passes down")
    ax.set_xlabel("hidden layer l (the gradient goes from h_l to h_(l-1))")
    ax.set_ylabel("norm ratio (below 1: the gradient shrinks)")
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return figure


def _histogram_figure(outputs, saturation):
    """Per layer, the histogram of the sigmoid outputs, at init and after training."""
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    axes = figure.subplots(1, len(outputs), sharey=True)
    edges = numpy.linspace(0, 1, 51)
    for ax, (moment, hidden) in zip(axes, outputs.items(), strict=True):
        shares = numpy.array([numpy.histogram(h, edges)[0] / h.size for h in hidden])
        image = ax.imshow(shares, aspect="auto", origin="lower", cmap="viridis",
                          extent=(0, 1, 0.5, DEPTH + 0.5))  # fmt: skip
        for layer, share in enumerate(saturation[moment], start=1):
            ax.text(1.01, layer, f"{share:.1%}", va="center", fontsize="small",
                    transform=ax.get_yaxis_transform())  # fmt: skip
        for edge in (SATURATED, 1 - SATURATED):
            ax.axvline(edge, color="white", linestyle=":", linewidth=1)
        ax.set_title(f"Sigmoid outputs, {moment}\n(right: share saturated, < 0.01 or > 0.99)")
        ax.set_xlabel("output σ(z)")
        ax.set_yticks(range(1, DEPTH + 1))
    axes[0].set_ylabel("hidden layer")
    figure.colorbar(image, ax=axes, label="share of the layer's outputs in the bin")
    return figure


def _dead_figure(dead):
    """The share of dead ReLU units per epoch, at each learning rate."""
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    ax = figure.subplots()
    for label, run in dead.items():
        ax.plot(range(len(run["shares"])), run["shares"], marker="o",
                label=f"{label} (test accuracy {run['accuracy']:.2f})")  # fmt: skip
    ax.set_ylim(0, 1)
    ax.set_title("Dead ReLU units (He init, Adam): output 0 for every training sample")
    ax.set_xlabel("epoch (0 = initialisation)")
    ax.set_ylabel("share of the hidden units that are dead")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return figure


# ----------------------------------------------------------------------------- the experiment
def _compare_activations(lab, setup, data, sizes, inputs, labels):
    """Train each network of NETWORKS, watching its gradient norms; returns them by label."""
    runs = {}
    for label, (activation, initialise) in NETWORKS.items():
        generator = lab.generator(label)
        model = _network(sizes, activation, initialise, generator)
        probe = _EveryEpoch(lambda network: _snapshot(network, inputs, labels))
        start = _hidden_outputs(model, inputs) if activation == "sigmoid" else None
        optimizer = optim.SGD(model.parameters(), lr=setup["lr"], momentum=MOMENTUM)
        history, accuracy = _train(
            model, data, optimizer, setup["epochs"], setup["batch_size"], generator, probe
        )
        runs[label] = {"snapshots": probe.values, "history": history, "accuracy": accuracy,
                       "model": model, "start": start}  # fmt: skip
    return runs


def _dead_units(lab, setup, data, sizes, inputs):
    """He-initialised ReLU networks trained by Adam at a good and a too-high rate: dead shares."""
    dead = {}
    for name in ("dead_lr", "dead_high_lr"):
        lr = setup[name]
        # The same stream for both: the same initial weights and batches, only the rate differs.
        generator = lab.generator("dead-relu")
        model = _network(sizes, "relu", _he, generator)
        probe = _EveryEpoch(lambda network: _dead_share(network, inputs))
        optimizer = optim.Adam(model.parameters(), lr=lr)
        _, accuracy = _train(
            model, data, optimizer, setup["epochs"], setup["batch_size"], generator, probe
        )
        dead[f"lr {lr:g}"] = {"lr": lr, "shares": probe.values, "accuracy": accuracy}
    return dead


def _record_gradients(lab, runs, epochs):
    """Measure, tabulate and draw the gradient norms of every network."""
    for label, run in runs.items():
        key = label.replace(", ", "_").replace(" ", "_")
        lab.measure(**{
            f"{key}_weight_grad_norms_init": run["snapshots"][0]["weight"],
            f"{key}_weight_grad_norms_trained": run["snapshots"][-1]["weight"],
            f"{key}_first_over_last": [_first_over_last(s) for s in run["snapshots"]],
            f"{key}_test_accuracy": run["accuracy"],
        })  # fmt: skip
    lab.table("Gradient norm ‖∂L/∂W_l‖ per Linear layer at initialisation", [
        {"layer": layer + 1, **{label: run["snapshots"][0]["weight"][layer]
                               for label, run in runs.items()}}
        for layer in range(DEPTH + 1)
    ])  # fmt: skip
    lab.table("Each network: first layer's gradient over the output layer's, and accuracy", [
        {"network": label, "init": _first_over_last(run["snapshots"][0]),
         "trained": _first_over_last(run["snapshots"][-1]),
         "lowest during training": min(map(_first_over_last, run["snapshots"])),
         "final train loss": run["history"].records[-1]["train_loss"],
         "test accuracy": run["accuracy"]}
        for label, run in runs.items()
    ])  # fmt: skip
    lab.figure("gradient-norms", _norms_figure(runs, epochs),
               "Gradient norm of each layer's weights on a log scale: with sigmoid it falls by a "
               "roughly constant factor per layer; ReLU with He init keeps it level.")  # fmt: skip
    lab.figure("training", _training_figure(runs),
               "Left: how much of the output layer's gradient reaches the first layer, epoch by "
               "epoch. Right: the training loss: the networks whose gradient vanishes stay at "
               "chance.")  # fmt: skip


def _check_sigmoid(lab, run, inputs):
    """Claims on the sigmoid network (chain-rule bound, shrinking, saturation); returns the share
    of saturated outputs per layer at initialisation."""
    snapshots = run["snapshots"]
    checks = {"at init": _chain_rule(snapshots[0]), "after training": _chain_rule(snapshots[-1])}
    slack = [max(r / b for r, b in zip(*check, strict=True)) for check in checks.values()]
    weight = snapshots[0]["weight"]
    step_ratios = [weight[i] / weight[i + 1] for i in range(DEPTH)]
    outputs = {"at init": run["start"], "after training": _hidden_outputs(run["model"], inputs)}
    saturation = {moment: _saturation(hidden) for moment, hidden in outputs.items()}
    lab.measure(
        sigmoid_hidden_grad_ratios_init=checks["at init"][0],
        sigmoid_bounds_init=checks["at init"][1],
        sigmoid_hidden_grad_ratios_trained=checks["after training"][0],
        sigmoid_bounds_trained=checks["after training"][1],
        sigmoid_weight_grad_ratios_init=step_ratios,
        sigmoid_saturation_init=saturation["at init"],
        sigmoid_saturation_trained=saturation["after training"],
    )
    lab.table("Sigmoid: chain-rule bound per layer (gradient from h_l down to h_(l-1))", [
        {"layer l": layer + 2, "ratio at init": checks["at init"][0][layer],
         "bound at init": checks["at init"][1][layer],
         "ratio after training": checks["after training"][0][layer],
         "bound after training": checks["after training"][1][layer],
         "saturated at init": saturation["at init"][layer + 1],
         "saturated after training": saturation["after training"][layer + 1]}
        for layer in range(DEPTH - 1)
    ])  # fmt: skip
    lab.figure("chain-rule-bound", _bound_figure(checks),
               "Sigmoid network: each layer passes down at most 0.25‖W_l‖₂ of the gradient it "
               "receives (dashed), and the measured share (dots) stays below it.")  # fmt: skip
    lab.figure("sigmoid-activations", _histogram_figure(outputs, saturation),
               "Histogram of each sigmoid layer's outputs over the training set, and the share "
               "of saturated outputs per layer (dotted: 0.01 and 0.99). No layer saturates, yet "
               "the gradient vanishes.")  # fmt: skip
    lab.claim(
        "Backpropagating through a sigmoid layer multiplies the gradient's norm by at most "
        "max σ' · ‖W_l‖₂ = 0.25 ‖W_l‖₂ (chain rule), at every layer, before and after training",
        all(value <= 1 for value in slack),
        "largest measured ratio / bound ≤ 1, at init and after training",
        worst_ratio_over_bound_init=slack[0],
        worst_ratio_over_bound_trained=slack[1],
    )
    lab.at_most(
        "With Xavier-initialised weights 0.25 ‖W_l‖₂ < 1 at every sigmoid layer, so the bound "
        "forces the gradient to shrink layer after layer",
        "largest_bound_init", max(checks["at init"][1]), 1.0,
    )  # fmt: skip
    lab.at_most(
        "With sigmoid the weight gradient shrinks layer by layer: ‖∂L/∂W_l‖ < ‖∂L/∂W_(l+1)‖ for "
        "every layer at initialisation",
        "largest_step_ratio_init", max(step_ratios), 1.0,
    )  # fmt: skip
    lab.at_most(
        f"Through {DEPTH} sigmoid layers the gradient vanishes: the first layer's is below "
        "1/100 of the output layer's at initialisation",
        "sigmoid_first_over_last_init", _first_over_last(snapshots[0]), VANISHED,
    )  # fmt: skip
    lab.at_most(
        "The gradient vanishes without saturation: σ' ≤ 1/4 is enough, and at initialisation at "
        "most 1% of the outputs of any sigmoid layer are saturated (below 0.01 or above 0.99)",
        "largest_saturated_share_init", max(saturation["at init"]), 0.01,
    )  # fmt: skip
    return saturation["at init"]


def _check_relu(lab, runs):
    """He init keeps ReLU gradients level; Linear's default init does not."""
    he = [_first_over_last(snapshot) for snapshot in runs[RELU_HE]["snapshots"]]
    lab.claim(
        f"With ReLU and He initialisation the gradient does not vanish: the first layer's is "
        f"within {NOT_VANISHING:g}x of the output layer's at initialisation",
        1 / NOT_VANISHING <= he[0] <= NOT_VANISHING,
        f"1/{NOT_VANISHING:g} ≤ relu_he_first_over_last_init ≤ {NOT_VANISHING:g}",
        relu_he_first_over_last_init=he[0],
    )
    lab.at_least(
        f"... and it does not vanish during training either: at every epoch the first layer's "
        f"gradient is at least 1/{NOT_VANISHING:g} of the output layer's",
        "relu_he_lowest_first_over_last", min(he), 1 / NOT_VANISHING,
    )  # fmt: skip
    lab.at_most(
        "The initialisation matters: ReLU with Linear's default init, variance 1/(3 fan_in) "
        "instead of He's 2/fan_in, loses the gradient too (first layer's below 1/10 of the "
        "output layer's at initialisation)",
        "relu_default_first_over_last_init",
        _first_over_last(runs[RELU_DEFAULT]["snapshots"][0]), 1 / NOT_VANISHING,
    )  # fmt: skip


def _check_dead(lab, dead):
    """The claim that more ReLU units die at the too-high rate; returns both final dead shares."""
    (good, good_run), (high, high_run) = dead.items()
    lab.measure(**{f"dead_share_{name.replace(' ', '_')}": run["shares"]
                   for name, run in dead.items()})  # fmt: skip
    lab.measure(dead_test_accuracy={name: run["accuracy"] for name, run in dead.items()})
    lab.table("Dead ReLU units (He init), by learning rate", [
        {"learning rate": run["lr"], "dead at init": run["shares"][0],
         "dead after training": run["shares"][-1], "most dead": max(run["shares"]),
         "test accuracy": run["accuracy"]}
        for run in dead.values()
    ])  # fmt: skip
    lab.figure("dead-relu", _dead_figure(dead),
               "Share of hidden ReLU units that output 0 for every training sample: a too-high "
               "learning rate pushes many where they fire for no input; their weights then get "
               "no gradient, and only changes in the layers below can revive them.")  # fmt: skip
    good_share, high_share = good_run["shares"][-1], high_run["shares"][-1]
    lab.claim(
        f"A too-high learning rate kills ReLU units: after training, at least twice as many are "
        f"dead at {high} as at {good}",
        high_share >= 2 * good_share and high_share > 0,
        "dead_high_lr ≥ 2 × dead_good_lr (and > 0)",
        dead_good_lr=good_share,
        dead_high_lr=high_share,
    )
    return good_share, high_share


def _run(lab):
    """Gradient norms, chain-rule bound, saturation and dead units, on digits."""
    width = lab.choose(32, 64)
    setup = {"lr": 0.01, "epochs": lab.choose(10, 40), "batch_size": 64,
             "dead_lr": 0.001, "dead_high_lr": 0.05}  # fmt: skip
    lab.setting(
        dataset="digits", depth=DEPTH, width=width, optimizer="sgd", momentum=MOMENTUM, **setup,
        dead_units_optimizer="adam",
        networks={label: activation for label, (activation, _) in NETWORKS.items()},
        gradients_measured_on="the whole training set as one batch",
    )  # fmt: skip
    data = load_data(Settings(dataset="digits", val_split=0), lab.generator("data"))
    sizes = [data.x_train.shape[1], *[width] * DEPTH, int(data.y_train.max()) + 1]
    inputs, labels = mlplab.tensor(data.x_train), mlplab.tensor(data.y_train)
    runs = _compare_activations(lab, setup, data, sizes, inputs, labels)
    _record_gradients(lab, runs, setup["epochs"])
    saturated = _check_sigmoid(lab, runs[SIGMOID], inputs)
    _check_relu(lab, runs)
    dead_good, dead_high = _check_dead(lab, _dead_units(lab, setup, data, sizes, inputs))
    sigmoid, he = runs[SIGMOID]["snapshots"][0], runs[RELU_HE]["snapshots"][0]
    lab.answer(
        f"Each sigmoid layer passes down at most 0.25‖W_l‖₂ of the gradient it receives (the "
        f"largest bound here is {max(_chain_rule(sigmoid)[1]):.2f}), so through {DEPTH} layers "
        f"the first layer gets {_first_over_last(sigmoid):.1e} of the output layer's gradient, "
        f"and SGD leaves it at chance (test accuracy {runs[SIGMOID]['accuracy']:.2f}). ReLU's "
        f"slope is 1 where a unit fires and He's init keeps the signal's scale, so the first "
        f"layer gets {_first_over_last(he):.2f} of it and the network learns (test accuracy "
        f"{runs[RELU_HE]['accuracy']:.2f}). Saturation is not needed for the sigmoid's "
        f"gradient to vanish: at most {max(saturated):.1%} of any layer's outputs are "
        f"saturated here. ReLU's own risk is a too-high learning rate, which kills units: "
        f"{dead_high:.0%} of them end dead, against {dead_good:.0%} at a good rate."
    )


EXPERIMENT = Experiment(
    name="vanishing-gradients",
    question="Why do deep sigmoid networks stop learning, and why does ReLU with He "
    "initialization not?",
    run=_run,
)
