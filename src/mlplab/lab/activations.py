"""Lab experiment: what each activation does to the signal going forward and the gradient back.

Each activation is one of mlplab's modules (``nn.get_activation``); its derivative is what
mlplab's autograd computes, checked here against central finite differences, never a formula
written out by hand. Standard-normal inputs then show how much of the signal's second moment
each one keeps, and how much of the gradient it passes back.
"""

import numpy
from matplotlib.figure import Figure

import mlplab
from mlplab import nn
from mlplab.lab.registry import Experiment

NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu")
"""The activations compared, as names of ``mlplab.nn.ACTIVATIONS`` (each with its defaults)."""

LIMIT = 5.0
"""The grid of the plots and of the derivative checks spans [-LIMIT, LIMIT]."""

STEP = 1e-6
"""The finite-difference step: in float64 its error (~STEP² f''' + 1e-16 / STEP) is ~1e-10."""

FD_TOLERANCE = 1e-6
"""How far autograd's derivative may be from the finite difference."""


def _grid(points_per_side):
    """A float64 grid on [-LIMIT, LIMIT] that holds x = 0 exactly (integers scaled)."""
    return numpy.arange(-points_per_side, points_per_side + 1) / points_per_side * LIMIT


def _values_and_slopes(activation, x):
    """f(x) and f'(x) elementwise, the derivative by mlplab's autograd.

    Parameters
    ----------
    activation : mlplab.nn.Module
        An elementwise activation.
    x : numpy.ndarray
        float64 inputs, any shape.

    Returns
    -------
    tuple of numpy.ndarray
        ``(f(x), f'(x))``, each of ``x``'s shape.
    """
    inputs = mlplab.tensor(x, requires_grad=True)
    outputs = activation(inputs)
    # The activation acts elementwise, so the gradient of the sum is f'(x) at every point.
    (slopes,) = mlplab.grad(outputs.sum(), inputs)
    return outputs.numpy(), slopes.numpy()


@mlplab.no_grad()
def _finite_difference(activation, x):
    """The central difference (f(x + h) - f(x - h)) / 2h of ``activation`` at ``x``."""
    above = activation(mlplab.tensor(x + STEP)).numpy()
    below = activation(mlplab.tensor(x - STEP)).numpy()
    return (above - below) / (2 * STEP)


def _largest_fd_error(activation, grid):
    """The largest |autograd - finite difference| over the grid, x = 0 left out (ReLU's kink)."""
    away = grid[grid != 0]
    _, slopes = _values_and_slopes(activation, away)
    return float(numpy.abs(slopes - _finite_difference(activation, away)).max())


def _signal_and_gradient(activation, samples):
    """What ``activation`` keeps of standard-normal ``samples`` forward and passes backward.

    Returns
    -------
    dict
        ``mean_output`` E[f(x)]; ``signal_kept`` E[f(x)²] / E[x²]; ``gradient_passed`` E[f'(x)²]
        (the factor by which a backward gradient's second moment is multiplied); ``open`` the
        fraction of inputs with f'(x) ≠ 0 (where any gradient gets through).
    """
    values, slopes = _values_and_slopes(activation, samples)
    return {
        "mean_output": float(values.mean()),
        "signal_kept": float((values**2).mean() / (samples**2).mean()),
        "gradient_passed": float((slopes**2).mean()),
        "open": float((slopes != 0).mean()),
    }


def _shapes_figure(grid, curves):
    """One panel per activation: f(x) and its autograd derivative f'(x) over the grid."""
    figure = Figure(figsize=(12, 7), layout="constrained")
    panels = figure.subplots(2, 3, sharex=True, sharey=True).ravel()
    for axes, (name, (values, slopes)) in zip(panels, curves.items(), strict=True):
        axes.plot(grid, grid, color="lightgrey", linestyle=":", label="identity x")
        axes.plot(grid, values, label="f(x)")
        axes.plot(grid, slopes, linestyle="--", label="f'(x) by autograd")
        axes.set(title=name, ylim=(-1.5, 2.5))
        axes.grid(alpha=0.3)
    panels[0].axhline(0.25, color="grey", linewidth=0.8)
    panels[0].annotate("0.25", (-LIMIT, 0.32), color="grey")
    for axes in panels[3:]:
        axes.set_xlabel("x")
    panels[0].legend(loc="upper left")
    figure.suptitle("Each activation and its derivative")
    return figure


def _moments_figure(rows):
    """Bars: the signal each activation keeps and the gradient it passes, for x ~ N(0, 1)."""
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axes = figure.subplots()
    positions = numpy.arange(len(rows))
    width = 0.38
    kept = [row["signal kept E[f(x)²]/E[x²]"] for row in rows]
    passed = [row["gradient passed E[f'(x)²]"] for row in rows]
    bars = axes.bar(positions - width / 2, kept, width, label="signal kept  E[f(x)²] / E[x²]")
    axes.bar_label(bars, fmt="%.2f")
    bars = axes.bar(positions + width / 2, passed, width, label="gradient passed  E[f'(x)²]")
    axes.bar_label(bars, fmt="%.2f")
    axes.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="identity (keeps all)")
    axes.set_xticks(positions, [row["activation"] for row in rows])
    axes.set(ylabel="fraction of the second moment", ylim=(0, 1.15))
    axes.set_title("One layer's activation applied to standard-normal inputs")
    axes.legend(loc="upper left")
    axes.grid(axis="y", alpha=0.3)
    return figure


def _check_derivatives(lab, activations, grid):
    """Claim that autograd's derivative of every activation matches finite differences."""
    errors = {
        f"{name}_max_error": _largest_fd_error(act, grid) for name, act in activations.items()
    }
    lab.measure(**errors)
    lab.claim(
        "autograd's derivative of every activation agrees with central finite differences "
        f"(float64, h = {STEP:g}, on the grid without x = 0, where ReLU has a kink)",
        max(errors.values()) <= FD_TOLERANCE,
        f"every max |autograd - finite difference| ≤ {FD_TOLERANCE:g}",
        **errors,
    )


def _check_slope_bounds(lab, grid, curves):
    """Claims on the largest slopes of sigmoid and tanh over the grid."""
    sigmoid_slopes = curves["sigmoid"][1]
    sigmoid_max, sigmoid_at = sigmoid_slopes.max(), grid[sigmoid_slopes.argmax()]
    tanh_max = curves["tanh"][1].max()
    lab.measure(
        sigmoid_max_slope=sigmoid_max, sigmoid_max_slope_at=sigmoid_at, tanh_max_slope=tanh_max
    )
    lab.at_most("sigmoid's derivative is at most 0.25", "sigmoid_max_slope", sigmoid_max, 0.25)
    lab.claim(
        "sigmoid's derivative reaches its maximum 0.25 at x = 0",
        sigmoid_at == 0 and abs(sigmoid_max - 0.25) <= 1e-12,
        "argmax on the grid = 0 and |max - 0.25| ≤ 1e-12",
        sigmoid_max_slope_at=sigmoid_at,
        sigmoid_max_slope=sigmoid_max,
    )
    lab.at_most("tanh's derivative is at most 1", "tanh_max_slope", tanh_max, 1.0)


def _check_identity(lab, grid, samples):
    """Claim that leaky ReLU with slope 1 is the identity, in value and in derivative."""
    identity = nn.LeakyReLU(negative_slope=1.0)
    x = numpy.concatenate([grid, samples])
    values, slopes = _values_and_slopes(identity, x)
    value_gap = float(numpy.abs(values - x).max())
    slope_gap = float(numpy.abs(slopes - 1).max())
    lab.measure(identity_value_gap=value_gap, identity_slope_gap=slope_gap)
    lab.claim(
        "leaky ReLU with slope 1 is the identity: f(x) = x and f'(x) = 1 exactly",
        value_gap == 0 and slope_gap == 0,
        "max |f(x) - x| = 0 and max |f'(x) - 1| = 0 (grid and samples)",
        max_value_gap=value_gap,
        max_slope_gap=slope_gap,
    )


def _run(lab):
    """Plot the activations and their derivatives, measure what they pass, check the claims."""
    points_per_side = lab.choose(2_000, 20_000)
    n_samples = lab.choose(200_000, 2_000_000)
    lab.setting(
        activations=list(NAMES),
        grid=f"[-{LIMIT:g}, {LIMIT:g}], {2 * points_per_side + 1} points (x = 0 included)",
        finite_difference_step=STEP,
        n_samples=n_samples,
        dtype="float64",
    )
    activations = {name: nn.get_activation(name) for name in NAMES}
    grid = _grid(points_per_side)
    samples = lab.generator("inputs").normal(n_samples, dtype=numpy.float64)

    curves = {name: _values_and_slopes(act, grid) for name, act in activations.items()}
    lab.figure(
        "activations",
        _shapes_figure(grid, curves),
        "Each activation f(x) (solid) and its derivative f'(x) as mlplab's autograd computes it "
        "(dashed); the dotted line is the identity.",
    )
    _check_derivatives(lab, activations, grid)
    _check_slope_bounds(lab, grid, curves)

    moments = {name: _signal_and_gradient(act, samples) for name, act in activations.items()}
    lab.measure(
        **{f"{name}_{key}": value for name, row in moments.items() for key, value in row.items()}
    )
    rows = [
        {
            "activation": name,
            "mean output E[f(x)]": row["mean_output"],
            "signal kept E[f(x)²]/E[x²]": row["signal_kept"],
            "gradient passed E[f'(x)²]": row["gradient_passed"],
            "fraction with f'(x) ≠ 0": row["open"],
        }
        for name, row in moments.items()
    ]
    lab.table("Standard-normal inputs: what each activation keeps and passes", rows)
    lab.figure(
        "signal-and-gradient",
        _moments_figure(rows),
        f"For x ~ N(0, 1) ({n_samples:,} samples): the share of the input's second moment each "
        "activation keeps forward, and the factor E[f'(x)²] by which it scales a gradient's.",
    )
    lab.close_to(
        "ReLU passes the gradient for about half of standard-normal inputs",
        "relu_fraction_open",
        moments["relu"]["open"],
        0.5,
        abs=0.01,
    )
    _check_identity(lab, grid, samples)

    sigmoid, tanh, relu = moments["sigmoid"], moments["tanh"], moments["relu"]
    lab.answer(
        f"Squashing activations shrink the gradient: sigmoid's slope is at most 0.25, so it "
        f"passes only E[f'²] = {sigmoid['gradient_passed']:.3f} of a gradient's second moment "
        f"per layer (and its outputs are not centred: mean {sigmoid['mean_output']:.2f}); "
        f"tanh's slope is at most 1 and passes {tanh['gradient_passed']:.2f}. ReLU keeps "
        f"{relu['signal_kept']:.2f} of the signal and passes the gradient unchanged for the "
        f"{relu['open']:.1%} of inputs above 0 and not at all below; leaky ReLU, ELU and GELU "
        "let some through below 0, and leaky ReLU with slope 1 is exactly the identity. "
        "Autograd's derivatives agree with finite differences."
    )


EXPERIMENT = Experiment(
    name="activations",
    question="What does each activation do to the signal and to the gradient?",
    run=_run,
)
