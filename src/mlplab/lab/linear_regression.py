"""Lab experiment: gradient descent on y = a·x1 + b·x2 + c·x3 + d, beside least squares.

A one-layer network trained by ``mlplab.experiment.run`` on the ``linear`` data set should recover
the parameters the data were made with, and land where the closed-form least-squares solution
lies. The loss is a quadratic bowl whose curvature is the Hessian H = 2/N·XᵀX (X with a bias
column): plain gradient descent is stable exactly while the learning rate is below 2/λ_max(H),
which the experiment measures by bisection and sets beside the formula.
"""

import numpy
from matplotlib.figure import Figure

import mlplab
from mlplab import nn, optim
from mlplab.data import load_dataset
from mlplab.experiment import Settings, run
from mlplab.lab.registry import Experiment

LEARNING_RATE = 0.1
BATCH_SIZE = 32
START_RATE = 0.01  # surely stable: the bisection's bracket is found by doubling from here
PATH_STEPS = 40
PATH_RATES = (0.3, None)  # the smooth path's rate, and None for 0.9 × 2/λ_max (the zigzag one)
CURVE_FACTORS = (0.5, 0.9, 0.99, 1.01, 1.1)  # rates drawn, as multiples of 2/λ_max


def _run(lab):
    """Train, compare with least squares, draw the loss surface, measure the stability boundary."""
    epochs = lab.choose(20, 100)
    trial_steps = lab.choose(300, 2000)
    halvings = lab.choose(12, 20)
    options = {"n_samples": 1000, "noise": 0.05, "seed": lab.seed}
    settings = _settings(options, epochs, lab.seed)
    lab.setting(**settings.to_dict(), trial_steps=trial_steps, halvings=halvings,
                path_steps=PATH_STEPS)  # fmt: skip
    result = run(settings, progress=False)
    data = load_dataset("linear", **options)  # the run's training rows (val_split=0)
    x, y = _with_bias(data.x_train), data.y_train.astype(numpy.float64)
    names = list(result.data["true_parameters"])
    true = numpy.array([result.data["true_parameters"][name] for name in names])
    learned = numpy.array([result.learned_parameters[name] for name in names])
    exact = _least_squares(x, y)
    _report_parameters(lab, names, true, learned, exact)
    lab.figure(
        "loss-curve",
        _loss_curve_figure(result, _mse(x, y, exact)),
        "Training MSE of the run in the data's units, per mini-batch step and per epoch, falling "
        "to the least-squares minimum (about the noise's variance, 0.05² = 0.0025).",
    )
    eigenvalues = numpy.linalg.eigvalsh(_hessian(x))
    limit = 2.0 / eigenvalues[-1]
    lab.measure(hessian_eigenvalues=eigenvalues, lambda_max=eigenvalues[-1], two_over_lambda=limit)
    _report_surface(lab, x, y, exact, limit)
    boundary = _report_boundary(lab, x, y, limit, trial_steps, halvings)
    recovered = _max_relative_error(learned, true) <= 0.01
    gap = _max_relative_error(learned, exact)
    remainder = (
        "what is left is the noise's error, not the optimiser's"
        if gap <= 0.001
        else "the optimiser has not reached the minimum yet"
    )
    lab.answer(
        f"{'Yes' if recovered else 'Not to 1%'}. SGD through mlplab.experiment.run gives a, b, c, "
        f"d = {', '.join(f'{v:.4f}' for v in learned)} (true "
        f"{', '.join(f'{v:g}' for v in true)}): within "
        f"{100 * _max_relative_error(learned, true):.2f}% of the truth, and within "
        f"{100 * gap:.3f}% of numpy.linalg.lstsq on the same rows, so {remainder}. The loss "
        f"surface is a bowl whose curvature is the Hessian 2/N·XᵀX (λ_max = "
        f"{eigenvalues[-1]:.4f}); plain gradient descent stays stable up to a measured rate of "
        f"{boundary:.4f}, {100 * (boundary / limit - 1):+.2f}% from 2/λ_max = {limit:.4f}, and "
        f"diverges above."
    )


def _settings(options, epochs, seed):
    """The run of the one-layer network trained by SGD on ``linear`` (the experiment layer's)."""
    return Settings(
        dataset="linear",
        dataset_options=options,
        layers=[3, 1],
        optimizer="sgd",
        lr=LEARNING_RATE,
        schedule="cosine",
        epochs=epochs,
        batch_size=BATCH_SIZE,
        val_split=0,
        seed=seed,
    )


def _with_bias(x):
    """The inputs (N, 3) as float64 with a column of ones for d: X of shape (N, 4)."""
    return numpy.column_stack([x.astype(numpy.float64), numpy.ones(len(x))])


def _least_squares(x, y):
    """The closed-form minimiser of the MSE: numpy.linalg.lstsq, as a (4,) vector [a, b, c, d]."""
    return numpy.linalg.lstsq(x, y[:, 0], rcond=None)[0]


def _mse(x, y, parameters):
    """The mean squared error of parameters [a, b, c, d] on X, y."""
    return float(numpy.mean((x @ parameters - y[:, 0]) ** 2))


def _hessian(x):
    """The Hessian of the MSE over [a, b, c, d]: 2/N·XᵀX (constant: the loss is quadratic)."""
    return 2.0 / len(x) * x.T @ x


def _max_relative_error(values, reference):
    """The largest |value - reference| / |reference| over the parameters."""
    return float(numpy.max(numpy.abs(values - reference) / numpy.abs(reference)))


def _report_parameters(lab, names, true, learned, exact):
    """Record the learned, least-squares and true parameters, their table and the two claims."""
    lab.measure(
        true_parameters=dict(zip(names, true, strict=True)),
        learned_parameters=dict(zip(names, learned, strict=True)),
        least_squares_parameters=dict(zip(names, exact, strict=True)),
        max_relative_error=_max_relative_error(learned, true),
        least_squares_max_relative_error=_max_relative_error(exact, true),
        max_relative_gap_to_least_squares=_max_relative_error(learned, exact),
    )
    lab.table(
        "Parameters: true, learned by SGD, and least squares",
        [
            {
                "parameter": name,
                "true": t,
                "SGD (run)": g,
                "lstsq": e,
                "SGD error %": 100 * (g - t) / abs(t),
                "lstsq error %": 100 * (e - t) / abs(t),
            }
            for name, t, g, e in zip(names, true, learned, exact, strict=True)
        ],
    )
    lab.at_most(
        "Gradient descent recovers the parameters of a linear model: a, b, c and d learned by "
        "SGD are each within 1% of the true ones",
        "max_relative_error",
        _max_relative_error(learned, true),
        0.01,
    )
    lab.at_most(
        "Gradient descent reaches the closed-form least-squares solution (numpy.linalg.lstsq on "
        "the same training rows): each parameter within 0.1% of it, ten times tighter than the "
        "recovery claim",
        "max_relative_gap_to_least_squares",
        _max_relative_error(learned, exact),
        0.001,
    )


def _descend(x, y, lr, steps, generator):
    """Plain full-batch gradient descent on the MSE, with a float64 ``nn.Linear`` and SGD.

    Returns
    -------
    tuple of numpy.ndarray
        The loss at each point visited, (steps + 1,), and the points, (steps + 1, 4) [a, b, c, d].
    """
    layer = nn.Linear(3, 1, dtype="float64", generator=generator)
    optimizer = optim.SGD(layer.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    inputs = mlplab.tensor(x[:, :3], dtype="float64")
    targets = mlplab.tensor(y, dtype="float64")
    losses, path = [], []
    # A diverging rate overflows to inf and then NaN: that is the measured outcome, not an error.
    with numpy.errstate(over="ignore", invalid="ignore"):
        for step in range(steps + 1):
            loss = loss_fn(layer(inputs), targets)
            losses.append(loss.item())
            path.append(numpy.append(layer.weight.numpy()[0], layer.bias.numpy()))
            if step < steps:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return numpy.array(losses), numpy.array(path)


def _stability_boundary(x, y, steps, halvings, lab):
    """The largest stable rate, by doubling from START_RATE then bisection; and every trial.

    A rate is stable when the loss after ``steps`` steps is below the loss at the start: on a
    quadratic, every component of the error shrinks below 2/λ_max, and the top one grows above.

    Returns
    -------
    tuple
        The largest rate found stable, and the trials as (rate, final loss / first loss) pairs.
    """
    trials = []

    def stable(rate):
        losses, _ = _descend(x, y, rate, steps, lab.generator("descent"))
        trials.append((rate, losses[-1] / losses[0]))
        return bool(losses[-1] < losses[0])

    low = START_RATE
    while stable(2 * low):
        low *= 2
    high = 2 * low
    for _ in range(halvings):
        middle = (low + high) / 2
        low, high = (middle, high) if stable(middle) else (low, middle)
    return low, trials


def _report_boundary(lab, x, y, limit, steps, halvings):
    """Measure the largest stable rate, draw the descent around it, claim it is 2/λ_max."""
    boundary, trials = _stability_boundary(x, y, steps, halvings, lab)
    lab.measure(measured_boundary=boundary, boundary_over_formula=boundary / limit)
    curves = {
        factor: _descend(x, y, factor * limit, steps, lab.generator("descent"))[0]
        for factor in CURVE_FACTORS
    }
    lab.figure(
        "learning-rate-boundary",
        _boundary_figure(curves, trials, limit, boundary),
        "Plain full-batch gradient descent on the training MSE. Left: the loss at rates around "
        "2/λ_max. Right: the rates the bisection tried within ±5% of 2/λ_max (the doubling "
        "steps far from it are off the axes), each with the loss after the last step over the "
        "loss at the start (above 1: diverged).",
    )
    lab.close_to(
        "Plain gradient descent converges below 2/λ_max of the loss's Hessian (2/N·XᵀX) and "
        "diverges above it: the largest stable rate found by bisection is within 2% of 2/λ_max",
        "measured_boundary",
        boundary,
        limit,
        rel=0.02,
    )
    return boundary


def _report_surface(lab, x, y, exact, limit):
    """Draw the loss surface over (a, b) with two descent paths, and record where they end."""
    rates = [rate if rate is not None else 0.9 * limit for rate in PATH_RATES]
    # The same stream for every path (and trial): they all start from the same initial layer.
    paths = {rate: _descend(x, y, rate, PATH_STEPS, lab.generator("descent"))[1] for rate in rates}
    lab.measure(
        path_rates=rates,
        path_end_distance={
            f"{rate:.4g}": float(numpy.linalg.norm(p[-1] - exact)) for rate, p in paths.items()
        },
    )
    lab.figure(
        "loss-surface",
        _surface_figure(x, y, exact, paths, limit),
        f"The training MSE over a and b, with c and d at their least-squares values, and "
        f"{PATH_STEPS} steps of plain gradient descent on all four parameters from nn.Linear's "
        "initial values (the paths are projected onto a, b).",
    )


def _surface_grid(x, y, exact, paths):
    """a, b grids about the minimum covering the paths; the MSE there, c and d at least squares."""
    points = numpy.concatenate(list(paths.values()))
    half = 1.15 * numpy.abs(points[:, :2] - exact[:2]).max() + 0.1
    a, b = numpy.meshgrid(
        numpy.linspace(exact[0] - half, exact[0] + half, 121),
        numpy.linspace(exact[1] - half, exact[1] + half, 121),
    )
    grid = numpy.stack([a.ravel(), b.ravel(), *(numpy.full(a.size, v) for v in exact[2:])], 1)
    # The MSE expanded, mean(y²) - 2 wᵀXᵀy/N + wᵀXᵀXw/N: exact, and no (N, grid) array.
    n = len(x)
    loss = (
        numpy.mean(y[:, 0] ** 2)
        - 2 * grid @ (x.T @ y[:, 0]) / n
        + numpy.einsum("gi,ij,gj->g", grid, x.T @ x / n, grid)
    )
    return a, b, loss.reshape(a.shape)


def _surface_figure(x, y, exact, paths, limit):
    """Contours of the MSE over (a, b) and the descent paths on it."""
    a, b, loss = _surface_grid(x, y, exact, paths)
    figure = Figure(figsize=(7, 6), layout="constrained")
    ax = figure.subplots()
    levels = numpy.geomspace(max(loss.min(), 1e-3), loss.max(), 14)
    contours = ax.contour(a, b, loss, levels=levels, cmap="viridis", linewidths=0.8)
    ax.clabel(contours, fmt="%.2g", fontsize=7)
    colors = ("tab:blue", "tab:red")
    for (rate, path), color in zip(paths.items(), colors, strict=True):
        label = f"lr = {rate:.3g} ({rate / limit:.2f} × 2/λ_max)"
        ax.plot(path[:, 0], path[:, 1], "o-", color=color, markersize=3, linewidth=1, label=label)
    start = next(iter(paths.values()))[0]
    ax.plot(*start[:2], "ks", markersize=7, label="start (nn.Linear's init)")
    ax.plot(*exact[:2], "k*", markersize=14, label="least squares (lstsq)")
    ax.set_xlabel("a (weight of x1)")
    ax.set_ylabel("b (weight of x2)")
    ax.set_aspect("equal")  # a round bowl looks round: the Hessian is close to 2·I here
    ax.set_title("Training MSE over (a, b), c and d at least squares, with descent paths")
    ax.legend(loc="best", fontsize=8)
    return figure


def _loss_curve_figure(result, least_squares_mse):
    """The run's training MSE in data units, per step and per epoch, beside the lstsq minimum."""
    std = result.preprocessing["targets"]["std"][0]
    records = result.history.records
    steps_per_epoch = len(result.history.step_losses) / len(records)
    # The loss the network sees is on standardised targets: times std² it is the MSE in y's units.
    step_mse = numpy.asarray(result.history.step_losses) * std**2
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    ax = figure.subplots()
    ax.plot(
        numpy.arange(1, len(step_mse) + 1),
        step_mse,
        color="tab:blue",
        alpha=0.4,
        linewidth=0.8,
        label="mini-batch MSE (each step)",
    )
    ax.plot(
        [r["epoch"] * steps_per_epoch for r in records],
        [r["train_mse"] for r in records],
        "o-",
        color="tab:blue",
        markersize=3,
        label="epoch mean of the training MSE",
    )
    ax.axhline(
        least_squares_mse,
        color="black",
        linestyle="--",
        label=f"least-squares minimum ({least_squares_mse:.4f})",
    )
    ax.set_xscale("log")  # the descent takes a few dozen steps; the rest is noise about the floor
    ax.set_yscale("log")
    ax.set_xlabel("step (mini-batch of 32)")
    ax.set_ylabel("training MSE (y's units²)")
    ax.set_title("SGD on y = a·x1 + b·x2 + c·x3 + d: loss curve")
    ax.legend()
    return figure


def _boundary_figure(curves, trials, limit, boundary):
    """Loss curves at rates around 2/λ_max, and the bisection's trials near the boundary."""
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    top = 1e4 * next(iter(curves.values()))[0]
    for factor, losses in curves.items():
        # A diverging curve leaves through the top; past it (up to inf) it is not drawn at all.
        shown = numpy.where(losses < 10 * top, losses, numpy.nan)
        left.plot(shown, label=f"lr = {factor:g} × 2/λ_max")
    left.set_yscale("log")
    left.set_ylim(top=top)
    left.set_xlabel("step (full batch)")
    left.set_ylabel("training MSE")
    left.set_title("Plain gradient descent near 2/λ_max")
    left.legend()
    rates = numpy.array([rate for rate, _ in trials]) / limit
    ratios = numpy.array([ratio for _, ratio in trials])
    stable = ratios < 1
    # Diverged trials far above the boundary reach 1e100 or overflow: draw them at the top.
    shown = numpy.where(numpy.isfinite(ratios), numpy.minimum(ratios, 1e12), 1e12)
    right.plot(rates[stable], shown[stable], "o", color="tab:green", label="converged")
    right.plot(rates[~stable], shown[~stable], "x", color="tab:red", label="diverged")
    right.axvline(1.0, color="black", linestyle="--", label="2/λ_max (formula)")
    right.axvline(
        boundary / limit,
        color="tab:purple",
        linestyle=":",
        label=f"measured boundary ({boundary / limit:.4f} × 2/λ_max)",
    )
    right.axhline(1.0, color="gray", linewidth=0.8)
    right.set_xlim(0.95, 1.05)
    right.set_yscale("log")
    right.set_xlabel("learning rate / (2/λ_max)")
    right.set_ylabel("final loss / initial loss (capped at 1e12)")
    right.set_title("Bisection for the largest stable rate (zoomed to ±5%)")
    right.legend(fontsize=8, loc="upper left")
    return figure


EXPERIMENT = Experiment(
    name="linear-regression",
    question="Does gradient descent recover the parameters of a linear model?",
    run=_run,
)
