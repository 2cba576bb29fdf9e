"""Lab experiment: what softmax does, and why classification pairs it with cross-entropy.

Softmax turns scores (logits) into probabilities; a temperature makes them sharper or flatter;
shifting by the largest logit keeps it finite at any scale, where a naive exp/sum overflows.
Cross-entropy on those probabilities is then compared with squared error: the gradient each gives
a confidently wrong output, the training each gives the same network, and the loss at chance.
"""

import math

import numpy
from matplotlib.figure import Figure

import mlplab
import mlplab.functional as F
from mlplab import nn, optim
from mlplab.data import DataLoader, load_dataset, one_hot
from mlplab.lab.registry import Experiment
from mlplab.train import evaluate, fit

LOGITS = (1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0)
"""The course's example scores."""

EXPECTED = (0.024, 0.064, 0.175, 0.475, 0.024, 0.064, 0.175)
"""Their softmax, as the course prints it (three decimals)."""

SHOWN_TEMPERATURES = (0.1, 0.5, 1.0, 2.0, 10.0)
"""The temperatures whose distributions are drawn."""

HUGE_LOGITS = ((1000.0, -1000.0, 0.0), (-1000.0, 1000.0, 999.0))
"""Logits of ±1000: e^1000 overflows float64 (whose largest value is about e^709.8)."""

HUGE_LABELS = (1, 0)
"""True classes of the rows of HUGE_LOGITS: both confidently wrong."""

CONFIDENT_P_TRUE = 1e-4
"""The probability of the true class in the confidently wrong output."""

GRADIENT_CLASSES = 10
"""Classes of the output whose gradients are compared."""

TARGET_ACCURACY = 0.9
"""The test accuracy whose first epoch measures how fast a loss trains."""

SPIRALS_NETWORK = ([2, 32, 32, 3], "tanh")
"""Layer widths and activation of the network trained on 3-class spirals."""

LR, MOMENTUM, BATCH_SIZE = 0.1, 0.9, 32
"""The SGD settings of both trainings on spirals."""

DIGITS_NETWORK = ([64, 128, 10], "relu")
"""Layer widths and activation of the untrained network measured on digits."""


def _softmax64(logits):
    """mlplab's softmax of ``logits`` in float64, as an array."""
    return F.softmax(mlplab.tensor(numpy.asarray(logits, dtype=numpy.float64))).numpy()


def _entropy(logits):
    """The entropy -sum p log p (nats) of softmax(logits), with log p from log_softmax."""
    log_p = F.log_softmax(mlplab.tensor(numpy.asarray(logits, dtype=numpy.float64))).numpy()
    return float(-(numpy.exp(log_p) * log_p).sum())


# ----------------------------------------------------------------------------- the example
def _check_example(lab):
    """Claim the course's softmax values of LOGITS, and that a shift leaves softmax unchanged."""
    probabilities = _softmax64(LOGITS)
    error = float(numpy.abs(probabilities - numpy.asarray(EXPECTED)).max())
    shifted = _softmax64(numpy.asarray(LOGITS) + 1000.0)
    shift_change = float(numpy.abs(shifted - probabilities).max())
    lab.measure(example_softmax=probabilities, example_max_error=error, shift_change=shift_change)
    lab.claim(
        f"softmax({list(LOGITS)}) = {list(EXPECTED)}",
        error <= 1e-3,
        "each within 1e-3",
        softmax=[round(float(p), 6) for p in probabilities],
        max_error=error,
    )
    lab.at_most(
        "softmax is unchanged when every logit is shifted by the same constant (here + 1000)",
        "max_change",
        shift_change,
        1e-12,
    )
    return probabilities


# ----------------------------------------------------------------------------- temperature
def _temperature_figure(temperatures, entropies):
    """Bars of softmax(z / T) for SHOWN_TEMPERATURES, and the entropy against T."""
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    bars, curve = figure.subplots(1, 2, width_ratios=(3, 2))
    positions = numpy.arange(len(LOGITS))
    width = 0.8 / len(SHOWN_TEMPERATURES)
    for index, temperature in enumerate(SHOWN_TEMPERATURES):
        offset = (index - (len(SHOWN_TEMPERATURES) - 1) / 2) * width
        probabilities = _softmax64(numpy.asarray(LOGITS) / temperature)
        bars.bar(positions + offset, probabilities, width, label=f"T = {temperature:g}")
    bars.axhline(1 / len(LOGITS), color="grey", linestyle="--", linewidth=1, label="uniform 1/7")
    bars.set_xticks(positions, [f"z{i + 1} = {z:g}" for i, z in enumerate(LOGITS)])
    bars.set(ylabel="softmax(z / T)", title="Probabilities at each temperature T", ylim=(0, 1.05))
    bars.legend(loc="upper left")
    curve.semilogx(temperatures, entropies, label="entropy of softmax(z / T)")
    curve.axhline(math.log(len(LOGITS)), color="grey", linestyle="--", label="ln 7 (uniform)")
    curve.axhline(0, color="grey", linestyle=":", label="0 (one-hot)")
    curve.set(
        xlabel="temperature T", ylabel="entropy (nats)", title="Sharp as T → 0, flat as T → ∞"
    )
    curve.legend(loc="center right")
    for axes in (bars, curve):
        axes.grid(alpha=0.3)
    return figure


def _check_temperature(lab, temperatures):
    """Measure softmax(z / T) over ``temperatures``; claim one-hot as T → 0, uniform as T → ∞."""
    logits = numpy.asarray(LOGITS)
    entropies = numpy.array([_entropy(logits / t) for t in temperatures])
    coldest = float(_softmax64(logits / temperatures[0]).max())
    smallest_step = float(numpy.diff(entropies).min())
    lab.measure(temperatures=temperatures, entropies=entropies, coldest_largest_probability=coldest)
    lab.table(
        "Entropy of softmax(z / T)",
        [
            {
                "T": t,
                "entropy (nats)": _entropy(logits / t),
                "largest p": _softmax64(logits / t).max(),
            }
            for t in (temperatures[0], *SHOWN_TEMPERATURES, temperatures[-1])
        ],
    )
    lab.figure(
        "temperature",
        _temperature_figure(temperatures, entropies),
        f"softmax(z / T) for z = {list(LOGITS)}: as T falls it concentrates on the largest logit, "
        "as T grows it flattens to the uniform distribution (entropy ln 7).",
    )
    lab.at_least(
        f"as T → 0 softmax(z / T) becomes one-hot at the largest logit (T = {temperatures[0]:g})",
        "largest_probability",
        coldest,
        0.999,
    )
    lab.close_to(
        f"as T → ∞ softmax(z / T) becomes uniform: entropy → ln 7 (T = {temperatures[-1]:g})",
        "entropy",
        entropies[-1],
        math.log(len(LOGITS)),
        rel=1e-3,
    )
    lab.at_least(
        "the entropy of softmax(z / T) never decreases as the temperature grows",
        "smallest_entropy_step",
        smallest_step,
        0.0,
    )


# ----------------------------------------------------------------------------- stability
def _stable_results():
    """Softmax, log-softmax and cross-entropy of HUGE_LOGITS and their gradients, as arrays.

    Computed under ``numpy.errstate(all="raise")``: any overflow, invalid operation or division
    by zero inside mlplab would raise FloatingPointError here.
    """
    weights = mlplab.tensor(numpy.arange(6.0).reshape(2, 3))  # a loss that uses every output
    results = {}
    with numpy.errstate(all="raise"):
        for name, function in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
            logits = mlplab.tensor(numpy.asarray(HUGE_LOGITS), requires_grad=True)
            outputs = function(logits, axis=1)
            (gradient,) = mlplab.grad((outputs * weights).sum(), logits)
            results[name] = (outputs.numpy(), gradient.numpy())
        logits = mlplab.tensor(numpy.asarray(HUGE_LOGITS), requires_grad=True)
        loss = F.cross_entropy(logits, mlplab.tensor(numpy.asarray(HUGE_LABELS)))
        (gradient,) = mlplab.grad(loss, logits)
        results["cross_entropy"] = (loss.numpy(), gradient.numpy())
    return results


def _naive_softmax(logits):
    """e^z / sum e^z written out with mlplab's exp: what the shift by the maximum avoids."""
    exponentials = F.exp(logits)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def _naive_failure():
    """The error the naive softmax raises at HUGE_LOGITS, and its NaNs when errors are ignored."""
    logits = mlplab.tensor(numpy.asarray(HUGE_LOGITS))
    try:
        with numpy.errstate(all="raise"):
            _naive_softmax(logits)
        error = ""
    except FloatingPointError as raised:
        error = str(raised)
    with numpy.errstate(all="ignore"):
        quiet = _naive_softmax(logits).numpy()
    return error, int(numpy.isnan(quiet).sum())


def _all_finite(*arrays):
    """Whether every element of every array is finite."""
    return all(bool(numpy.isfinite(array).all()) for array in arrays)


def _check_stability(lab):
    """Claim finite results of the stable functions at ±1000, and the naive softmax's failure."""
    try:
        results, raised = _stable_results(), ""
    except FloatingPointError as error:  # reported as a failed claim, not a crash
        results, raised = {}, str(error)
    finite = {
        f"{name}_finite": name in results and _all_finite(*results[name])
        for name in ("softmax", "log_softmax", "cross_entropy")
    }
    error, nans = _naive_failure()
    lab.measure(**finite, naive_error=error, naive_nans_when_ignored=nans)
    lab.claim(
        "softmax, log_softmax and cross-entropy give finite values and gradients at logits of "
        "±1000 with every floating-point error raised",
        all(finite.values()) and not raised,
        "all finite, no FloatingPointError",
        **finite,
        error_raised=raised or "none",
    )
    lab.claim(
        "a naive exp / sum softmax overflows at logits of ±1000",
        bool(error),
        "FloatingPointError raised (and NaN outputs when errors are ignored)",
        naive_error=error or "none",
        nans_when_ignored=nans,
    )


# ----------------------------------------------------------------------------- gradients
def _confidently_wrong(p_true, classes):
    """Logits (1, classes) giving the true class 0 the probability ``p_true``.

    The true logit is 0 and the other ``classes - 1`` share the rest: each is
    ln((1 - p_true) / (p_true (classes - 1))).
    """
    logits = numpy.full((1, classes), math.log((1 - p_true) / (p_true * (classes - 1))))
    logits[0, 0] = 0.0
    return logits


def _squared_error(logits, labels):
    """Per-example squared error sum_c (p_c - y_c)² of softmax probabilities against one-hot."""
    targets = mlplab.tensor(one_hot(labels.numpy(), logits.shape[1], dtype=logits.dtype))
    return F.mse_loss(F.softmax(logits, axis=1), targets, reduction="sum") / logits.shape[0]


def _true_logit_gradients(p_true, classes):
    """d loss / d (true class's logit) for cross-entropy and squared error, by autograd."""
    labels = mlplab.tensor(numpy.array([0]))
    gradients = {}
    for name, loss_fn in (("cross_entropy", F.cross_entropy), ("squared_error", _squared_error)):
        logits = mlplab.tensor(_confidently_wrong(p_true, classes), requires_grad=True)
        (gradient,) = mlplab.grad(loss_fn(logits, labels), logits)
        gradients[name] = float(gradient.numpy()[0, 0])
    return gradients


def _gradients_figure(p_values, sweep):
    """|d loss / d z_true| against p_true for both losses, log-log."""
    figure = Figure(figsize=(7.5, 4.5), layout="constrained")
    axes = figure.subplots()
    for name, label in (("cross_entropy", "cross-entropy"), ("squared_error", "squared error")):
        axes.loglog(p_values, [abs(row[name]) for row in sweep], label=label)
    axes.axvline(CONFIDENT_P_TRUE, color="grey", linestyle="--", linewidth=1)
    axes.annotate(f"p_true = {CONFIDENT_P_TRUE:g}", (CONFIDENT_P_TRUE * 1.3, 1e-5), color="grey")
    axes.set(
        xlabel="probability the network gives the true class, p_true",
        ylabel="|d loss / d z_true|",
        title=f"Gradient on the true class's logit ({GRADIENT_CLASSES} classes, by autograd)",
    )
    axes.grid(alpha=0.3, which="both")
    axes.legend(loc="lower left")
    return figure


def _check_gradients(lab, points):
    """Claim cross-entropy's gradient p - 1 and squared error's vanishing one when confidently
    wrong; draw both against p_true."""
    p_values = numpy.logspace(-6, math.log10(0.99), points)
    sweep = [_true_logit_gradients(p, GRADIENT_CLASSES) for p in p_values]
    lab.figure(
        "gradient-on-true-logit",
        _gradients_figure(p_values, sweep),
        "The more wrong the output, the harder cross-entropy pushes the true logit up "
        "(p - 1 → -1); squared error on the probabilities pushes less and less (its gradient "
        "carries a factor p_true).",
    )
    gradients = _true_logit_gradients(CONFIDENT_P_TRUE, GRADIENT_CLASSES)
    p_true = float(_softmax64(_confidently_wrong(CONFIDENT_P_TRUE, GRADIENT_CLASSES))[0, 0])
    ratio = abs(gradients["cross_entropy"]) / abs(gradients["squared_error"])
    lab.measure(
        confident_p_true=p_true,
        confident_ce_gradient=gradients["cross_entropy"],
        confident_se_gradient=gradients["squared_error"],
        confident_gradient_ratio=ratio,
    )
    lab.close_to(
        f"when confidently wrong (p_true = {p_true:.3g}) cross-entropy's gradient on the true "
        "logit is p_true - 1, close to -1",
        "ce_gradient",
        gradients["cross_entropy"],
        p_true - 1,
        abs=1e-12,
    )
    lab.claim(
        "when confidently wrong, squared error's gradient on the true logit vanishes: "
        "cross-entropy's is at least 100 times larger",
        ratio >= 100,
        "|CE gradient| / |SE gradient| ≥ 100",
        ce_gradient=gradients["cross_entropy"],
        se_gradient=gradients["squared_error"],
        ratio=ratio,
    )
    return ratio


# ----------------------------------------------------------------------------- chance level
def _untrained_loss(x, y, sizes, activation, generator):
    """The cross-entropy of a freshly initialised MLP on (x, y)."""
    model = nn.MLP(sizes, activation=activation, generator=generator)
    return evaluate(model, nn.CrossEntropyLoss(), DataLoader(x, y, batch_size=len(x)))["loss"]


def _check_uniform_logits(lab):
    """Claim that cross-entropy at uniform logits is ln K, in float64."""
    errors = {}
    for classes in (2, 10, 100):
        logits = mlplab.tensor(numpy.zeros((1, classes)))  # float64
        loss = F.cross_entropy(logits, mlplab.tensor(numpy.array([0]))).item()
        errors[f"K{classes}_error"] = abs(loss - math.log(classes))
    lab.measure(**{f"uniform_logits_{name}": value for name, value in errors.items()})
    lab.claim(
        "at uniform logits (chance) cross-entropy is ln K, for K = 2, 10 and 100",
        max(errors.values()) <= 1e-12,
        "|loss - ln K| ≤ 1e-12 (float64) for each K",
        **errors,
    )


def _check_untrained_networks(lab, spirals):
    """Claim that an untrained network's loss on a K-class set is about ln K."""
    digits = load_dataset("digits")
    pixels = digits.x_train / digits.meta["max_value"]  # scaled to [0, 1] as a run scales them
    cases = (
        ("digits", pixels, digits.y_train, DIGITS_NETWORK),
        ("spirals", spirals.x_train, spirals.y_train, SPIRALS_NETWORK),
    )
    for name, x, y, (sizes, activation) in cases:
        loss = _untrained_loss(x, y, sizes, activation, lab.generator(f"untrained-{name}"))
        classes = sizes[-1]
        lab.measure(**{f"untrained_{name}_loss": loss, f"untrained_{name}_ln_k": math.log(classes)})
        lab.close_to(
            f"an untrained network's loss on {name} (K = {classes}) is close to ln K",
            "initial_loss",
            loss,
            math.log(classes),
            rel=0.05,
        )


# ----------------------------------------------------------------------------- training
def _test_accuracies(spirals, loss_fn, epochs, seed_index, lab):
    """Train the comparison network with ``loss_fn``; its test accuracy after every epoch.

    Every loss gets the same initial weights and the same batches: each generator is made afresh
    from the same named stream.
    """
    sizes, activation = SPIRALS_NETWORK
    model = nn.MLP(sizes, activation=activation, generator=lab.generator(f"init-{seed_index}"))
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    shuffle = lab.generator(f"shuffle-{seed_index}")
    train = DataLoader(
        spirals.x_train, spirals.y_train, BATCH_SIZE, shuffle=True, generator=shuffle
    )
    test = DataLoader(spirals.x_test, spirals.y_test, len(spirals.x_test))
    history = fit(model, loss_fn, optimizer, train, test, epochs=epochs)
    return history.metric("val_accuracy")


def _epochs_to_target(accuracies):
    """The first epoch whose test accuracy reaches TARGET_ACCURACY (epochs + 1 if none does)."""
    reached = [epoch for epoch, value in enumerate(accuracies, 1) if value >= TARGET_ACCURACY]
    return reached[0] if reached else len(accuracies) + 1


def _training_figure(curves):
    """Test accuracy per epoch of each loss, every seed thin and their mean thick."""
    figure = Figure(figsize=(7.5, 4.5), layout="constrained")
    axes = figure.subplots()
    for (name, runs), colour in zip(curves.items(), ("C0", "C1"), strict=True):
        runs = numpy.asarray(runs)
        epochs = numpy.arange(1, runs.shape[1] + 1)
        for run in runs:
            axes.plot(epochs, run, color=colour, alpha=0.25, linewidth=0.8)
        axes.plot(epochs, runs.mean(axis=0), color=colour, linewidth=2, label=f"{name} (mean)")
    axes.axhline(
        TARGET_ACCURACY,
        color="grey",
        linestyle="--",
        linewidth=1,
        label=f"target {TARGET_ACCURACY:.0%}",
    )
    axes.set(
        xlabel="epoch",
        ylabel="test accuracy",
        ylim=(0, 1.02),
        title="The same network on 3-class spirals, SGD with momentum",
    )
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    return figure


def _compare_training(lab, spirals, epochs, seeds):
    """Train with cross-entropy and with squared error; claim cross-entropy gets there sooner.

    Returns, for each loss, its mean epochs to TARGET_ACCURACY and its mean final test accuracy.
    """
    losses = {"cross-entropy": nn.CrossEntropyLoss(), "squared error": _squared_error}
    curves = {name: [] for name in losses}
    for seed_index in range(seeds):
        for name, loss_fn in losses.items():
            curves[name].append(_test_accuracies(spirals, loss_fn, epochs, seed_index, lab))
    reach = {name: [_epochs_to_target(run) for run in runs] for name, runs in curves.items()}
    final = {name: [run[-1] for run in runs] for name, runs in curves.items()}
    means = {
        name: (float(numpy.mean(reach[name])), float(numpy.mean(final[name]))) for name in losses
    }
    (mean_ce, _), (mean_se, _) = means.values()
    lab.measure(
        ce_epochs_to_target=reach["cross-entropy"],
        se_epochs_to_target=reach["squared error"],
        ce_final_test_accuracy=final["cross-entropy"],
        se_final_test_accuracy=final["squared error"],
    )
    lab.table(
        f"Epochs to {TARGET_ACCURACY:.0%} test accuracy on spirals, per initialisation",
        [
            {
                "seed": index,
                "cross-entropy: epochs": reach["cross-entropy"][index],
                "squared error: epochs": reach["squared error"][index],
                "cross-entropy: final accuracy": final["cross-entropy"][index],
                "squared error: final accuracy": final["squared error"][index],
            }
            for index in range(seeds)
        ],
    )
    lab.figure(
        "training",
        _training_figure(curves),
        f"Test accuracy per epoch, {seeds} initialisations each: cross-entropy against squared "
        "error on the softmax probabilities, same weights, batches and optimizer.",
    )
    lab.claim(
        f"the same network reaches {TARGET_ACCURACY:.0%} test accuracy in fewer epochs with "
        "cross-entropy than with squared error",
        mean_ce < mean_se,
        "mean epochs (cross-entropy) < mean epochs (squared error)",
        ce_mean_epochs=mean_ce,
        se_mean_epochs=mean_se,
    )
    return means


def _run(lab):
    """Softmax's values, temperature and stability; cross-entropy against squared error."""
    temperatures = numpy.logspace(-2, 2, lab.choose(41, 161))
    gradient_points = lab.choose(61, 241)
    epochs, seeds = lab.choose(80, 150), lab.choose(2, 8)
    spirals_options = {"num_classes": 3}
    lab.setting(
        logits=list(LOGITS),
        temperatures=f"{len(temperatures)} from {temperatures[0]:g} to {temperatures[-1]:g}",
        huge_logits=[list(row) for row in HUGE_LOGITS],
        confident_p_true=CONFIDENT_P_TRUE,
        gradient_classes=GRADIENT_CLASSES,
        gradient_points=gradient_points,
        dataset="spirals",
        dataset_options=spirals_options,
        network={"sizes": SPIRALS_NETWORK[0], "activation": SPIRALS_NETWORK[1]},
        untrained_digits_network={"sizes": DIGITS_NETWORK[0], "activation": DIGITS_NETWORK[1]},
        optimizer="sgd",
        lr=LR,
        momentum=MOMENTUM,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        initialisations=seeds,
        target_accuracy=TARGET_ACCURACY,
        squared_error="sum over classes of (softmax - one-hot)², mean over the batch",
    )
    spirals = load_dataset("spirals", **spirals_options)
    probabilities = _check_example(lab)
    _check_temperature(lab, temperatures)
    _check_stability(lab)
    ratio = _check_gradients(lab, gradient_points)
    _check_uniform_logits(lab)
    _check_untrained_networks(lab, spirals)
    training = _compare_training(lab, spirals, epochs, seeds)
    (ce_epochs, ce_final), (se_epochs, se_final) = training.values()
    lab.answer(
        f"Softmax turns scores into probabilities that keep their order ({list(LOGITS)} → "
        f"largest {probabilities.max():.3f}); dividing by a temperature sharpens them towards "
        "one-hot (T → 0) or flattens them to uniform (T → ∞). Shifted by the largest logit, "
        "its values and gradients stay finite at ±1000, where a naive exp/sum overflows. "
        "Cross-entropy suits it because its gradient on the true logit is p - 1: a confidently "
        f"wrong output is pushed hardest, {ratio:.0f} times harder than by squared error, whose "
        f"gradient vanishes there. The same network reached {TARGET_ACCURACY:.0%} test accuracy "
        f"in {ce_epochs:.1f} epochs on average with cross-entropy against {se_epochs:.1f} with "
        f"squared error; after {epochs} epochs their mean test accuracies were {ce_final:.3f} "
        f"and {se_final:.3f}: cross-entropy gets there sooner, not necessarily further. At "
        "chance the loss is ln K, which is where an untrained network starts."
    )


EXPERIMENT = Experiment(
    name="softmax",
    question="What does softmax do, and why does classification pair it with cross-entropy?",
    run=_run,
)
