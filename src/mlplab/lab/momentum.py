"""Lab experiment: what momentum does, and whether it is just a larger learning rate.

Heavy-ball momentum (``optim.SGD(momentum=β)``: b ← βb + g, θ ← θ − αb) sums past gradients, so
along a direction where the gradient keeps its sign the step grows towards α/(1−β)·g: in that
limit momentum *is* SGD at the learning rate α/(1−β). The experiment follows SGD, momentum,
Nesterov and SGD at α/(1−β) on an ill-conditioned quadratic and on Rosenbrock's valley, each a
2-element float64 tensor descending a loss written with mlplab tensors. It then measures where
the equivalence holds and where it fails. On a quadratic of largest curvature λ_max gradient descent
diverges past α·λ_max = 2 but heavy ball only past 2 + 2β: a band where SGD at α/(1−β) blows up
and momentum at α converges. Tuned momentum needs ~√κ steps where tuned gradient descent needs
~κ. With noisy gradients the two settle to different loss spreads.
"""

from typing import NamedTuple

import numpy
from matplotlib.figure import Figure

import mlplab
from mlplab import optim
from mlplab.lab.registry import Experiment

BETA = 0.9
BOWL = (1.0, 20.0)  # curvatures of the ill-conditioned quadratic ½(λ1·w1² + λ2·w2²): κ = 20
BOWL_START = (-4.0, 1.0)
BOWL_STEP = 0.15  # α·λ_max of the drawn paths: SGD at α/(1−β) is then stable too (1.5 < 2)
ROSENBROCK_START = (-1.2, 1.0)  # the classic start, on the far side of the banana-shaped valley
ROSENBROCK_RATE = 1e-3  # α·λ_max ≈ 1 at the minimum: inside the band 2(1−β) < α·λ_max < 2 + 2β
TARGET_LOSS = 1e-4  # "reached": the loss at or below this
DIVERGED = 1e6  # a loss this many times the initial one has surely diverged: stop there
STABILITY_BETAS = {True: (0.5, 0.9), False: (0.25, 0.5, 0.75, 0.9)}  # by lab.quick
START_STEP = 0.1  # α·λ_max stable for every method (β ≤ 0.9): the bisection doubles from here
CONVERGED = 1e-12  # a loss this many times the first one has surely converged: stop there
CHECK_STEPS = 3  # the checks either side of a limit run this many times the bisection's steps
MARGIN = 0.01  # "just above" and "just below" the measured limit: ±1%
LIMIT_TOLERANCE = 0.03  # "within a few %" of the theory
SLOPE_TOLERANCE = 0.1  # fitted log-log slopes within ±0.1 of 1 and of 0.5
SMOOTH_BOWL = (1.0, 2.0)  # a nearly round bowl, for the regime where the equivalence holds
SMOOTH_START = (-2.0, 1.5)
SMOOTH_STEP = 0.02  # α·λ_max/(1−β): small steps
SMOOTH_STEPS = 400  # the loss falls about 3000 times in that many steps
COINCIDE = 0.05  # paths "nearly coincide": no point farther than 5% of the start's distance
EDGE_STEP = 1.0  # α·λ_max on the bowl near the edge: α·λ_max/(1−β) = 10 > 2, and 1 < 2 + 2β
EDGE_STEPS = 300
NOISE_STD = 1.0  # standard deviation of the noise added to each gradient component
NOISE_STEPS = 300  # from the minimum: long enough for the loss to reach its stationary spread
NOISE_EFFECTIVE = {True: (0.5, 1.5), False: (0.25, 0.5, 1.0, 1.5, 1.8)}  # α·λ_max/(1−β), by quick
NOISE_EDGE = 1.5  # the effective step at which the spreads are compared
NOISE_TOLERANCE = 0.15  # measured spreads within 15% of the stationary-variance formula
SPEED_UP = 2.0  # "momentum is faster": at least twice fewer steps than SGD at the same α
METHODS = ("SGD", "momentum", "Nesterov", "SGD at lr/(1−β)")
COLORS = dict(zip(METHODS, ("tab:blue", "tab:orange", "tab:green", "tab:red"), strict=True))


class Surface(NamedTuple):
    """A 2-D loss surface: its loss f(x, y), start, learning rate and minimum."""

    name: str
    loss: object
    start: tuple
    lr: float
    minimum: tuple


def _run(lab):
    """Trajectories, stability limits, rates against κ, and where momentum = a larger rate."""
    caps = lab.choose(2000, 20000)
    lab.setting(
        beta=BETA,
        bowl_curvatures=BOWL,
        bowl_start=BOWL_START,
        bowl_lr=BOWL_STEP / BOWL[1],
        rosenbrock="(1 − x)² + 100(y − x²)²",
        rosenbrock_start=ROSENBROCK_START,
        rosenbrock_lr=ROSENBROCK_RATE,
        target_loss=TARGET_LOSS,
        max_steps=caps,
        parameters="one float64 tensor of 2 elements, optim.SGD",
    )
    bowl = Surface("quadratic κ = 20", _quadratic(BOWL), BOWL_START, BOWL_STEP / BOWL[1], (0, 0))
    rosenbrock = Surface("Rosenbrock", _rosenbrock, ROSENBROCK_START, ROSENBROCK_RATE, (1, 1))
    runs = _report_trajectories(lab, (bowl, rosenbrock), caps)
    limits = _report_stability(lab)
    _report_condition_number(lab)
    _report_equivalence(lab, rosenbrock, runs[rosenbrock.name])
    _report_answer(lab, limits)


# ----------------------------------------------------------------------------- the surfaces
# Each loss is a function f(x, y) of two tensors of one shape, elementwise: x, y are the two
# elements of the parameter tensor, or a grid of points to draw, or many runs at once.
def _quadratic(curvatures):
    """The loss f(x, y) = ½(λ1·x² + λ2·y²), minimum 0 at (0, 0)."""
    first, second = curvatures
    return lambda x, y: 0.5 * (first * x * x + second * y * y)


def _rosenbrock(x, y):
    """Rosenbrock's valley f(x, y) = (1 − x)² + 100(y − x²)², minimum 0 at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _loss(loss_fn, w):
    """The scalar loss of the parameter tensor ``w``, (2,) or (2, runs): summed over runs."""
    return loss_fn(w[0], w[1]).sum()


def _gradient(loss_fn, point):
    """The gradient of ``loss_fn`` at ``point``, by mlplab's autograd, as a (2,) array."""
    w = mlplab.tensor(numpy.asarray(point, dtype=numpy.float64), requires_grad=True)
    (gradient,) = mlplab.grad(_loss(loss_fn, w), w)
    return gradient.numpy()


def _lambda_max(loss_fn, point, eps=1e-5):
    """The largest eigenvalue of the Hessian at ``point``: central differences of the gradient."""
    point = numpy.asarray(point, dtype=numpy.float64)
    columns = [
        (_gradient(loss_fn, point + eps * e) - _gradient(loss_fn, point - eps * e)) / (2 * eps)
        for e in numpy.eye(2)
    ]
    hessian = numpy.stack(columns, axis=1)
    return float(numpy.linalg.eigvalsh((hessian + hessian.T) / 2)[-1])


def _settings(method, lr, beta):
    """Keyword arguments of ``optim.SGD`` for ``method`` at learning rate α = ``lr``."""
    return {
        "SGD": {"lr": lr},
        "momentum": {"lr": lr, "momentum": beta},
        "Nesterov": {"lr": lr, "momentum": beta, "nesterov": True},
        "SGD at lr/(1−β)": {"lr": lr / (1 - beta)},
    }[method]


# ----------------------------------------------------------------------------- descending
def _descend(loss_fn, start, steps, target=None, noise=None, **settings):
    """Descend ``loss_fn`` from ``start`` with ``optim.SGD(**settings)`` on one float64 tensor.

    Stops after ``steps`` steps, at the first loss at or below ``target``, or once the loss is
    not finite or DIVERGED times the first one. ``noise`` is None or a Generator: then
    NOISE_STD·N(0, 1) is added to every gradient component, as a mini-batch would.

    Returns
    -------
    tuple of numpy.ndarray
        The loss at each point visited, (n,), and the points, (n, 2) or (n, 2, runs).
    """
    w = mlplab.tensor(numpy.array(start, dtype=numpy.float64), requires_grad=True)
    optimizer = optim.SGD([w], **settings)
    losses, path = [], []
    # A diverging run overflows to inf and then NaN: that is the measured outcome, not an error.
    with numpy.errstate(over="ignore", invalid="ignore"):
        for step in range(steps + 1):
            loss = _loss(loss_fn, w)
            losses.append(loss.item())
            path.append(w.numpy().copy())
            if step == steps or _stopped(losses, target):
                break
            optimizer.zero_grad()
            loss.backward()
            if noise is not None:
                w.grad = w.grad + noise.normal(w.shape, std=NOISE_STD, dtype=numpy.float64)
            optimizer.step()
    return numpy.array(losses), numpy.array(path)


def _stopped(losses, target):
    """Whether a descent is over: the target reached, or the loss diverged."""
    last, first = losses[-1], losses[0]
    # From the minimum (a first loss of 0, the noisy runs) only an overflow counts.
    diverged = not numpy.isfinite(last) or (first > 0 and last > DIVERGED * first)
    return diverged or (target is not None and last <= target)


def _steps_to(losses, target):
    """The first step at which the loss is at or below ``target``; None if never."""
    reached = numpy.flatnonzero(losses <= target)
    return int(reached[0]) if reached.size else None


def _diverged(losses):
    """Whether a descent ended with a loss above its first one (or not finite)."""
    return bool(not numpy.isfinite(losses[-1]) or losses[-1] > losses[0])


# ----------------------------------------------------------------------------- trajectories
def _report_trajectories(lab, surfaces, caps):
    """Run the four methods on each surface; table the steps to the target; draw the paths."""
    runs = {
        surface.name: {
            method: _descend(
                surface.loss,
                surface.start,
                caps,
                TARGET_LOSS,
                **_settings(method, surface.lr, BETA),
            )
            for method in METHODS
        }
        for surface in surfaces
    }
    steps = {
        name: {method: _steps_to(losses, TARGET_LOSS) for method, (losses, _) in by.items()}
        for name, by in runs.items()
    }
    lab.measure(steps_to_target=steps)
    lab.table(
        f"Steps to reach loss ≤ {TARGET_LOSS:g} (β = {BETA:g}; None: not within {caps} steps)",
        [
            {"surface": s.name, "α": s.lr, "α·λ_max": s.lr * _lambda_max(s.loss, s.minimum)}
            | {method: steps[s.name][method] for method in METHODS}
            | {"diverged": ", ".join(m for m in METHODS if _diverged(runs[s.name][m][0])) or "-"}
            for s in surfaces
        ],
    )
    lab.figure(
        "trajectories",
        _trajectories_figure(surfaces, runs, steps),
        f"Each method descends from the square to the star on one float64 tensor of 2 elements, "
        f"β = {BETA:g}, until the loss is ≤ {TARGET_LOSS:g} (at most {caps} steps). Left: the "
        f"quadratic ½(w1² + 20·w2²). Right: Rosenbrock's valley, where SGD at lr/(1−β) leaves "
        f"the picture within a few steps.",
    )
    # Not reached within the cap counts as the cap: then the speed-up is a lower bound.
    speed_up = {
        name: (by["SGD"] if by["SGD"] is not None else caps) / by["momentum"]
        for name, by in steps.items()
        if by["momentum"] is not None
    }
    lab.measure(momentum_speed_up=speed_up)
    lab.at_least(
        f"Momentum speeds up descent along the low-curvature directions: heavy ball at the same "
        f"learning rate reaches the target loss in at most 1/{SPEED_UP:g} of SGD's steps, "
        f"on the quadratic and in the Rosenbrock valley",
        "smallest_speed_up",
        min(speed_up.values()) if len(speed_up) == len(surfaces) else 0.0,
        SPEED_UP,
    )
    return runs


def _grid(surface, paths):
    """x, y grids covering the start, the minimum and the finite parts of the paths."""
    points = numpy.concatenate([surface.start, surface.minimum]).reshape(-1, 2)
    if surface.name == "Rosenbrock":  # the valley, whatever the diverging path does
        low, high = numpy.array([-1.6, -0.6]), numpy.array([1.6, 2.2])
    else:
        finite = [p[numpy.all(numpy.abs(p) < 10, axis=1)] for p in paths]
        points = numpy.concatenate([points, *finite])
        pad = 0.15 * (points.max(0) - points.min(0)) + 0.2
        low, high = points.min(0) - pad, points.max(0) + pad
    x, y = numpy.meshgrid(
        numpy.linspace(low[0], high[0], 241), numpy.linspace(low[1], high[1], 241)
    )
    return x, y


def _loss_on_grid(surface, x, y):
    """The surface's loss at every (x, y) of the grids, by its mlplab loss function."""
    return surface.loss(mlplab.tensor(x), mlplab.tensor(y)).numpy()


def _path_label(method, losses, count):
    """A legend entry: the steps to the target, or where the run stopped short of it."""
    if count is not None:
        return f"{method}: {count} steps"
    if _diverged(losses):
        return f"{method}: diverged (step {len(losses) - 1})"
    return f"{method}: not reached in {len(losses) - 1} steps (× its end)"


def _trajectories_figure(surfaces, runs, steps):
    """Contours of each surface with the four methods' paths on it: one panel per surface."""
    figure = Figure(figsize=(15, 6), layout="constrained")
    for ax, surface in zip(figure.subplots(1, len(surfaces)), surfaces, strict=True):
        paths = [path for _, path in runs[surface.name].values()]
        x, y = _grid(surface, paths)
        loss = _loss_on_grid(surface, x, y)
        first = surface.loss(*surface.start)
        levels = first * numpy.geomspace(1e-3, 1e2, 11)
        levels = levels[levels < loss.max()]
        contours = ax.contour(x, y, loss, levels=levels, colors="0.55", linewidths=0.7)
        ax.clabel(contours, fmt="%.2g", fontsize=7)
        for method, (losses, path) in runs[surface.name].items():
            count = steps[surface.name][method]
            # SGD's long path lies under the others, drawn wider; dots only where they are few.
            ax.plot(
                path[:, 0],
                path[:, 1],
                ".-" if len(path) <= 300 else "-",
                color=COLORS[method],
                markersize=3,
                linewidth=4 if method == "SGD" else 1.2,
                alpha=0.6 if method == "SGD" else 1,
                zorder=1 if method == "SGD" else 2,
                label=_path_label(method, losses, count),
            )
            if count is None and not _diverged(losses):
                ax.plot(*path[-1], "x", color=COLORS[method], markersize=12, mew=3, zorder=3)
        ax.plot(*surface.start, "ks", markersize=7, label="start", zorder=4)
        ax.plot(*surface.minimum, "k*", markersize=14, label="minimum", zorder=4)
        ax.set_xlim(x.min(), x.max())
        ax.set_ylim(y.min(), y.max())
        ax.set_aspect("equal")
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_title(f"{surface.name}: α = {surface.lr:g}, β = {BETA:g}")
        ax.legend(loc="lower right" if surface.name == "Rosenbrock" else "upper right", fontsize=8)
    return figure


# ----------------------------------------------------------------------------- stability
def _theory_limit(method, beta):
    """The largest stable α·λ_max on a quadratic, for α the rate given to the method.

    Gradient descent: |1 − αλ| < 1. Heavy ball: the roots of z² − (1 + β − αλ)z + β lie in the
    unit disc while αλ < 2 + 2β. Nesterov (PyTorch's form): z² − (1 + β)(1 − αλ)z + β(1 − αλ),
    while αλ < 2(1 + β)/(1 + 2β). SGD at α/(1 − β) is gradient descent at that rate.
    """
    return {
        "SGD": 2.0,
        "momentum": 2.0 + 2.0 * beta,
        "Nesterov": 2.0 * (1 + beta) / (1 + 2 * beta),
        "SGD at lr/(1−β)": 2.0 * (1 - beta),
    }[method]


def _loss_ratio(method, step, beta, steps):
    """The loss after ``steps`` steps over the first, on BOWL from (1, 1), at α·λ_max = step.

    A run stops early once its loss has surely diverged (DIVERGED) or converged (CONVERGED).
    """
    loss = _quadratic(BOWL)
    target = CONVERGED * loss(1.0, 1.0)
    settings = _settings(method, step / BOWL[1], beta)
    losses, _ = _descend(loss, (1.0, 1.0), steps, target, **settings)
    return float(losses[-1] / losses[0]) if numpy.isfinite(losses[-1]) else float("inf")


def _measured_limit(method, beta, steps, halvings):
    """The largest stable α·λ_max: doubling from START_STEP, then bisection.

    Stable means the loss after ``steps`` steps is below the first: from (1, 1) the loss is
    mostly along λ_max, and that direction shrinks inside the limit and grows outside it.
    """

    def stable(step):
        return _loss_ratio(method, step, beta, steps) < 1

    low = START_STEP
    while stable(2 * low):
        low *= 2
    high = 2 * low
    for _ in range(halvings):
        middle = (low + high) / 2
        low, high = (middle, high) if stable(middle) else (low, middle)
    return low


def _report_stability(lab):
    """Measure each method's stability limit on BOWL beside theory, and check either side."""
    steps, halvings = lab.choose(100, 1000), lab.choose(7, 16)
    betas = STABILITY_BETAS[lab.quick]
    lab.setting(stability_betas=betas, stability_steps=steps, stability_halvings=halvings)
    cases = [("SGD", 0.0)] + [(method, beta) for method in METHODS[1:] for beta in betas]
    rows = []
    for method, beta in cases:
        measured = _measured_limit(method, beta, steps, halvings)
        theory = _theory_limit(method, beta)
        # Longer runs than the bisection's: a verdict of their own, not a replay of its trials.
        above = _loss_ratio(method, measured * (1 + MARGIN), beta, CHECK_STEPS * steps)
        below = _loss_ratio(method, measured * (1 - MARGIN), beta, CHECK_STEPS * steps)
        rows.append(
            {
                "method": method,
                "β": beta,
                "theory α·λ_max": theory,
                "measured α·λ_max": measured,
                "error %": 100 * (measured / theory - 1),
                "loss ratio +1%": min(above, 1e300),
                "loss ratio −1%": below,
            }
        )
        lab.close_to(
            f"The stability limit of {method} (β = {beta:g}) on a quadratic is α·λ_max = "
            f"{_limit_formula(method)}: the bisection's limit is within "
            f"{100 * LIMIT_TOLERANCE:g}% of it",
            f"measured_{_key(method)}_{beta:g}",
            measured,
            theory,
            rel=LIMIT_TOLERANCE,
        )
    lab.measure(stability=rows)
    lab.table("Stability limits on the quadratic κ = 20: α·λ_max, measured beside theory", rows)
    lab.claim(
        f"Each method diverges just above its measured limit and not just below: over "
        f"{CHECK_STEPS * steps} steps the loss grows at +{100 * MARGIN:g}% of the limit and "
        f"shrinks at −{100 * MARGIN:g}%",
        all(r["loss ratio +1%"] > 1 and r["loss ratio −1%"] < 1 for r in rows),
        "final / first loss > 1 above, < 1 below, for every method and β",
        smallest_ratio_above=min(r["loss ratio +1%"] for r in rows),
        largest_ratio_below=max(r["loss ratio −1%"] for r in rows),
    )
    lab.figure(
        "stability-limits",
        _stability_figure(rows),
        "The largest stable α·λ_max on the quadratic, α being the learning rate handed to each "
        "method, against β: the formulas (lines) and the bisection (markers). Between "
        "2(1−β) and 2 + 2β momentum at α converges while SGD at α/(1−β) diverges.",
    )
    return {(r["method"], r["β"]): r["measured α·λ_max"] for r in rows}


def _limit_formula(method):
    """The formula of the stability limit, for the claims."""
    return {
        "SGD": "2",
        "momentum": "2 + 2β",
        "Nesterov": "2(1 + β)/(1 + 2β)",
        "SGD at lr/(1−β)": "2(1 − β)",
    }[method]


def _key(method):
    """A method's name as a measurement key: ``sgd``, ``momentum``, ..."""
    return {"SGD at lr/(1−β)": "sgd_large"}.get(method, method.lower())


def _stability_figure(rows):
    """The limits against β: theory curves and measured points."""
    figure = Figure(figsize=(8, 5.5), layout="constrained")
    ax = figure.subplots()
    beta = numpy.linspace(0, 0.99, 200)
    for method in METHODS:
        theory = [_theory_limit(method, b) for b in beta]
        ax.plot(beta, theory, color=COLORS[method], label=f"{method}: {_limit_formula(method)}")
        measured = [(r["β"], r["measured α·λ_max"]) for r in rows if r["method"] == method]
        if method == "SGD":  # plain SGD has no β: its one limit holds for every β
            measured = [(b, measured[0][1]) for b in sorted({r["β"] for r in rows})]
        ax.plot(*zip(*measured, strict=True), "o", color=COLORS[method], markerfacecolor="none")
    ax.fill_between(beta, 2 * (1 - beta), 2 + 2 * beta, color="tab:orange", alpha=0.08)
    ax.plot([], [], "ko", markerfacecolor="none", label="measured (bisection)")
    ax.set_xlabel("momentum β")
    ax.set_ylabel("largest stable α·λ_max")
    ax.set_title("Stability limits on a quadratic (shaded: momentum stable, SGD at α/(1−β) not)")
    ax.legend(fontsize=8, loc="upper left")
    return figure


# ----------------------------------------------------------------------------- condition number
def _tuned(kappa):
    """The optimal settings on curvatures 1..κ: GD α = 2/(1+κ); heavy ball (Polyak's) α, β."""
    root = numpy.sqrt(kappa)
    return {
        "SGD": {"lr": 2 / (1 + kappa)},
        "momentum": {"lr": 4 / (1 + root) ** 2, "momentum": ((root - 1) / (root + 1)) ** 2},
    }


def _report_condition_number(lab):
    """Steps to a tolerance of tuned GD and tuned momentum as κ grows; fit log-log slopes."""
    kappas = lab.choose((10, 30, 100, 300), (10, 30, 100, 300, 1000, 3000, 10000))
    tolerance = lab.choose(1e-6, 1e-8)
    lab.setting(kappas=kappas, tolerance=tolerance)
    steps = {method: [] for method in ("SGD", "momentum")}
    for kappa in kappas:
        first = 0.5 * (1 + kappa)  # the loss at the start, (1, 1)
        for method, settings in _tuned(kappa).items():
            losses, _ = _descend(
                _quadratic((1.0, kappa)), (1.0, 1.0), 100 * kappa, tolerance * first, **settings
            )
            steps[method].append(_steps_to(losses, tolerance * first))
    slopes = {
        method: float(numpy.polyfit(numpy.log(kappas), numpy.log(counts), 1)[0])
        for method, counts in steps.items()
    }
    lab.measure(condition_steps=steps, condition_slopes=slopes)
    lab.table(
        f"Steps to reduce the loss {1 / tolerance:g} times, tuned settings, quadratic of "
        f"curvatures 1 and κ",
        [
            {"κ": k, "GD steps": g, "momentum steps": m, "ratio": g / m}
            for k, g, m in zip(kappas, steps["SGD"], steps["momentum"], strict=True)
        ],
    )
    lab.close_to(
        "Tuned gradient descent needs steps growing like κ: the fitted log-log slope of its "
        "steps against the condition number is near 1",
        "gd_slope",
        slopes["SGD"],
        1.0,
        abs=SLOPE_TOLERANCE,
    )
    lab.close_to(
        "Tuned heavy-ball momentum needs steps growing like √κ: the fitted log-log slope of its "
        "steps against the condition number is near 0.5",
        "momentum_slope",
        slopes["momentum"],
        0.5,
        abs=SLOPE_TOLERANCE,
    )
    lab.figure(
        "condition-number",
        _condition_figure(kappas, steps, slopes, tolerance),
        f"Steps to reduce the loss {1 / tolerance:g} times on ½(w1² + κ·w2²) from (1, 1), with "
        f"the optimal settings: gradient descent at α = 2/(1+κ), heavy ball at Polyak's "
        f"α = 4/(1+√κ)², β = ((√κ−1)/(√κ+1))². Dashed: least-squares fits in log-log.",
    )


def _condition_figure(kappas, steps, slopes, tolerance):
    """Steps against κ in log-log, with the fitted lines."""
    figure = Figure(figsize=(7.5, 5), layout="constrained")
    ax = figure.subplots()
    k = numpy.array(kappas, dtype=float)
    for method, label in (("SGD", "gradient descent"), ("momentum", "heavy-ball momentum")):
        counts = numpy.array(steps[method], dtype=float)
        fit = numpy.polyfit(numpy.log(k), numpy.log(counts), 1)
        ax.plot(k, counts, "o", color=COLORS[method], label=f"{label} (tuned)")
        ax.plot(
            k,
            numpy.exp(numpy.polyval(fit, numpy.log(k))),
            "--",
            color=COLORS[method],
            label=f"fit: steps ∝ κ^{slopes[method]:.2f}",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("condition number κ = λ_max / λ_min")
    ax.set_ylabel(f"steps until the loss is {tolerance:g} of its start")
    ax.set_title("Steps to the tolerance against the condition number, tuned settings")
    ax.legend()
    return figure


# ----------------------------------------------------------------------------- equivalence
def _path_distance(a, b):
    """The Hausdorff distance between two polylines (n, 2) and (m, 2): points to segments."""

    def one_way(points, line):
        start, end = line[:-1], line[1:]
        along = end - start
        length = numpy.maximum((along**2).sum(1), 1e-300)
        t = numpy.clip(((points[:, None] - start) * along).sum(2) / length, 0, 1)
        nearest = start + t[..., None] * along
        return numpy.linalg.norm(points[:, None] - nearest, axis=2).min(1).max()

    return float(max(one_way(a, b), one_way(b, a)))


def _report_equivalence(lab, rosenbrock, rosenbrock_runs):
    """Where momentum β at α behaves as SGD at α/(1−β), and where it does not."""
    smooth = _report_smooth_bowl(lab)
    edge = _report_edge(lab, rosenbrock, rosenbrock_runs)
    noise = _report_noise(lab)
    lab.figure(
        "momentum-vs-larger-lr",
        _equivalence_figure(smooth, edge, noise),
        f"Momentum β = {BETA:g} at α beside SGD at α/(1−β). Left: small steps on a smooth bowl, "
        f"where the paths coincide. Middle: near the stability edge (α·λ_max/(1−β) ≈ 10, "
        f"α·λ_max ≈ 1), where SGD at α/(1−β) diverges. Right: with noisy gradients, the spread "
        f"of the final loss over runs, measured (markers) and by the stationary-variance "
        f"formula (lines).",
    )


def _report_smooth_bowl(lab):
    """Small steps on a smooth bowl: the two paths, and the largest distance between them."""
    lr = SMOOTH_STEP * (1 - BETA) / SMOOTH_BOWL[1]
    loss = _quadratic(SMOOTH_BOWL)
    paths = {
        method: _descend(loss, SMOOTH_START, SMOOTH_STEPS, **_settings(method, lr, BETA))[1]
        for method in ("momentum", "SGD at lr/(1−β)")
    }
    scale = float(numpy.linalg.norm(SMOOTH_START))
    distance = _path_distance(*paths.values()) / scale
    # At equal step counts they differ more: momentum's buffer starts at g, not g/(1−β), and it
    # lags SGD by about β/(1−β) steps.
    same_step = float(numpy.linalg.norm(numpy.subtract(*paths.values()), axis=1).max()) / scale
    lab.measure(smooth_path_distance=distance, smooth_same_step_distance=same_step)
    lab.at_most(
        f"On a smooth bowl with small steps (α·λ_max/(1−β) = {SMOOTH_STEP:g}) momentum β at α "
        f"and SGD at α/(1−β) follow the same path: no point of either is farther from the other "
        f"path than {100 * COINCIDE:g}% of the start's distance to the minimum",
        "smooth_path_distance",
        distance,
        COINCIDE,
    )
    return paths, distance


def _report_edge(lab, rosenbrock, rosenbrock_runs):
    """Near the stability edge: SGD at α/(1−β) diverges, momentum at α converges."""
    lam = BOWL[1]
    loss = _quadratic(BOWL)
    bowl_runs = {
        method: _descend(
            loss, BOWL_START, EDGE_STEPS, TARGET_LOSS, **_settings(method, EDGE_STEP / lam, BETA)
        )
        for method in ("momentum", "SGD at lr/(1−β)")
    }
    curves = {
        "quadratic κ = 20": (EDGE_STEP / lam * lam, bowl_runs),
        "Rosenbrock": (
            rosenbrock.lr * _lambda_max(rosenbrock.loss, rosenbrock.minimum),
            {method: rosenbrock_runs[method] for method in bowl_runs},
        ),
    }
    values, held = {}, True
    for name, (step, runs) in curves.items():
        key = "quadratic" if name.startswith("quadratic") else "rosenbrock"
        converged = _steps_to(runs["momentum"][0], TARGET_LOSS) is not None
        diverged = _diverged(runs["SGD at lr/(1−β)"][0])
        in_band = 2 * (1 - BETA) < step < 2 + 2 * BETA  # that is, step / (1 − β) > 2
        held = held and converged and diverged and in_band
        values |= {
            f"{key}_alpha_lambda_max": step,
            f"{key}_momentum_final_loss": float(runs["momentum"][0][-1]),
            f"{key}_sgd_large_diverged": diverged,
        }
    lab.measure(edge=values)
    lab.claim(
        f"Near the stability edge momentum is not a larger learning rate: where "
        f"α·λ_max/(1−β) > 2 but α·λ_max < 2 + 2β (β = {BETA:g}), SGD at α/(1−β) diverges while "
        f"momentum at α reaches loss {TARGET_LOSS:g}, on the quadratic and in the Rosenbrock "
        f"valley (λ_max of the Hessian at its minimum)",
        held,
        "momentum reaches the target, SGD at α/(1−β) ends above its first loss, both surfaces",
        **values,
    )
    return {name: runs for name, (_, runs) in curves.items()}


def _stationary_spread(method, effective):
    """The standard deviation of the loss ½Σλθ² at stationarity under gradient noise.

    With g = λθ + σξ, gradient descent at η has Var θ = ησ²/(λ(2 − ηλ)); heavy ball at α, β
    (an AR(2) process) has Var θ = (1+β)ασ²/((1−β)λ(2 + 2β − αλ)). Each ½λθ² then has standard
    deviation λ·Var θ/√2, and the two directions are independent.
    """
    eta = effective / BOWL[1]  # the rate of SGD at α/(1−β); momentum's α is η(1−β)
    spreads = []
    for lam in BOWL:
        if method == "momentum":
            alpha = eta * (1 - BETA)
            variance = (1 + BETA) * alpha / ((1 - BETA) * lam * (2 + 2 * BETA - alpha * lam))
        else:
            variance = eta / (lam * (2 - eta * lam))
        spreads.append(lam * variance * NOISE_STD**2 / numpy.sqrt(2))
    return float(numpy.sqrt(numpy.sum(numpy.square(spreads))))


def _final_losses(method, effective, runs, generator):
    """Per run, the loss after NOISE_STEPS noisy steps from the minimum: (runs,) array.

    The runs are the columns of one (2, runs) tensor: SGD's update is elementwise, so each
    column descends on its own, as if it were alone.
    """
    loss = _quadratic(BOWL)
    settings = _settings(method, effective * (1 - BETA) / BOWL[1], BETA)
    _, path = _descend(loss, numpy.zeros((2, runs)), NOISE_STEPS, noise=generator, **settings)
    return loss(*path[-1])


def _report_noise(lab):
    """Noisy gradients: the spread of the final loss of both, measured beside the formula."""
    runs = lab.choose(2000, 20000)
    lab.setting(noise_std=NOISE_STD, noise_runs=runs, noise_steps=NOISE_STEPS)
    rows = []
    for effective in NOISE_EFFECTIVE[lab.quick]:
        row = {"α·λ_max/(1−β)": effective}
        for method in ("momentum", "SGD at lr/(1−β)"):
            # The same noise for both: any difference comes from the update rule.
            final = _final_losses(method, effective, runs, lab.generator("gradient-noise"))
            row |= {
                f"{method} spread": float(final.std()),
                f"{method} theory": _stationary_spread(method, effective),
                f"{method} mean": float(final.mean()),
            }
        row["spread ratio"] = row["SGD at lr/(1−β) spread"] / row["momentum spread"]
        rows.append(row)
    lab.measure(noise=rows)
    lab.table(
        f"Noisy gradients (σ = {NOISE_STD:g}, {runs} runs, {NOISE_STEPS} steps from the "
        f"minimum): the standard deviation of the final loss",
        rows,
    )
    errors = [
        abs(row[f"{m} spread"] / row[f"{m} theory"] - 1)
        for row in rows
        for m in ("momentum", "SGD at lr/(1−β)")
    ]
    lab.at_most(
        f"With noisy gradients the final loss of each update settles to the spread its "
        f"stationary variance predicts: every measured spread within {100 * NOISE_TOLERANCE:g}% "
        f"of the formula",
        "largest_relative_error",
        max(errors),
        NOISE_TOLERANCE,
    )
    edge = next(row for row in rows if row["α·λ_max/(1−β)"] == NOISE_EDGE)
    theory = _stationary_spread("SGD at lr/(1−β)", NOISE_EDGE) / _stationary_spread(
        "momentum", NOISE_EDGE
    )
    lab.measure(noise_edge_theory_ratio=theory)
    lab.at_least(
        f"With noisy gradients momentum is not a larger learning rate: at α·λ_max/(1−β) = "
        f"{NOISE_EDGE:g} the final loss of SGD at α/(1−β) spreads at least twice as widely as "
        f"momentum's at α (formula: {theory:.2f}×)",
        "spread_ratio",
        edge["spread ratio"],
        2.0,
    )
    return rows


def _equivalence_figure(smooth, edge, noise):
    """Three panels: coinciding paths, diverging loss curves, loss spreads under noise."""
    figure = Figure(figsize=(17, 5.2), layout="constrained")
    paths_ax, edge_ax, noise_ax = figure.subplots(1, 3)
    paths, distance = smooth
    for (method, path), style in zip(paths.items(), ("-", "--"), strict=True):
        paths_ax.plot(
            path[:, 0], path[:, 1], style, color=COLORS[method], linewidth=2, label=method
        )
    paths_ax.plot(*SMOOTH_START, "ks", label="start")
    paths_ax.plot(0, 0, "k*", markersize=12, label="minimum")
    paths_ax.set_aspect("equal")
    paths_ax.set_xlabel("w1")
    paths_ax.set_ylabel("w2")
    paths_ax.set_title(f"Smooth bowl ½(w1² + 2·w2²), α·λ_max/(1−β) = {SMOOTH_STEP:g}")
    paths_ax.legend(title=f"paths {100 * distance:.1f}% apart at most", fontsize=8)
    for (name, runs), style in zip(edge.items(), ("-", ":"), strict=True):
        for method, (losses, _) in runs.items():
            shown = numpy.where(numpy.isfinite(losses), losses, numpy.nan)
            edge_ax.plot(
                numpy.arange(1, len(shown) + 1),
                shown,
                style,
                color=COLORS[method],
                label=f"{method}, {name}",
            )
    edge_ax.set_xscale("log")  # SGD at α/(1−β) leaves within a few steps: show them
    edge_ax.set_yscale("log")
    edge_ax.set_ylim(1e-5, 1e8)
    edge_ax.set_xlabel("step + 1")
    edge_ax.set_ylabel("loss")
    edge_ax.set_title("Near the edge: α·λ_max ≈ 1, α·λ_max/(1−β) ≈ 10")
    edge_ax.legend(fontsize=8)
    effective = numpy.array([row["α·λ_max/(1−β)"] for row in noise])
    dense = numpy.linspace(0.1, 1.9, 100)
    for method in ("momentum", "SGD at lr/(1−β)"):
        noise_ax.plot(
            effective,
            [row[f"{method} spread"] for row in noise],
            "o",
            color=COLORS[method],
            label=f"{method}, measured",
        )
        noise_ax.plot(
            dense,
            [_stationary_spread(method, e) for e in dense],
            color=COLORS[method],
            label=f"{method}, formula",
        )
    noise_ax.set_yscale("log")
    noise_ax.set_xlabel("α·λ_max/(1−β)  (the rate of SGD at α/(1−β), times λ_max)")
    noise_ax.set_ylabel("std of the final loss over runs")
    noise_ax.set_title(f"Noisy gradients (σ = {NOISE_STD:g}), quadratic κ = 20")
    noise_ax.legend(fontsize=8)
    return figure


# ----------------------------------------------------------------------------- answer
def _report_answer(lab, limits):
    """The answer the numbers support."""
    numbers = lab.numbers
    steps = numbers["steps_to_target"]
    bowl, valley = steps["quadratic κ = 20"], steps["Rosenbrock"]
    sgd = f"{valley['SGD']} steps" if valley["SGD"] else f"over {lab.settings['max_steps']}"
    slopes = numbers["condition_slopes"]
    edge = next(row for row in numbers["noise"] if row["α·λ_max/(1−β)"] == NOISE_EDGE)
    lab.answer(
        f"Momentum accumulates past gradients, so where they agree its step grows towards "
        f"α/(1−β)·g: in the Rosenbrock valley heavy ball (β = {BETA:g}) reaches loss "
        f"{TARGET_LOSS:g} in {valley['momentum']} steps where SGD at the same α needs {sgd}, "
        f"and tuned it needs ~κ^{slopes['momentum']:.2f} steps against gradient descent's "
        f"~κ^{slopes['SGD']:.2f}. Where both are stable it does behave like SGD at α/(1−β): on "
        f"the κ = 20 quadratic that SGD takes {bowl['SGD at lr/(1−β)']} steps to momentum's "
        f"{bowl['momentum']}, and with small steps on a smooth bowl the two paths lie within "
        f"{100 * numbers['smooth_path_distance']:.1f}% of each other. But it is not just a "
        f"larger learning rate. Its stability limit is α·λ_max = 2 + 2β (measured "
        f"{limits[('momentum', BETA)]:.3f} for β = {BETA:g}), while SGD at α/(1−β) diverges "
        f"past 2(1−β) (measured {limits[('SGD at lr/(1−β)', BETA)]:.3f}). In that band, as in "
        f"Rosenbrock's valley at α = {ROSENBROCK_RATE:g}, momentum converges and SGD at "
        f"α/(1−β) diverges. With noisy gradients at α·λ_max/(1−β) = {NOISE_EDGE:g}, the final "
        f"loss of SGD at α/(1−β) spreads {edge['spread ratio']:.2f}× as widely as momentum's."
    )


EXPERIMENT = Experiment(
    name="momentum",
    question="What does momentum do, and is it just a larger learning rate?",
    run=_run,
)
