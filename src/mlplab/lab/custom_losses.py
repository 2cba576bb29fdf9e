"""Custom losses: weight the outputs that matter, combine two tasks, train two networks on one loss.

A loss says what the training is for, and any tensor expression is one. Three ways to build a loss
for what matters, each on a generated set where the choice shows:

- **weighted outputs**: four outputs of equal size compete for a two-unit bottleneck, which can
  carry two of them; ``nn.MSELoss(weight=[w, 1, 1, 1])`` makes the first one matter w times more,
  and as w grows its test error falls while the others' rises;
- **two tasks, one loss**: a regression head and a classification head on a shared one-unit trunk,
  trained on ``nn.MultiTaskLoss`` with weights 1 - λ and λ; sweeping λ draws the trade-off curve
  between the tasks;
- **two networks, one loss**: y = f(x1) + g(x2) with x1 and x2 correlated; two networks trained
  together on the MSE of their sum against the same two trained apart, each to predict y from its
  own input, fused afterwards by the best linear combination.
"""

import numpy
from matplotlib.figure import Figure

import mlplab
from mlplab import nn, optim
from mlplab.backend import to_numpy
from mlplab.data import DataLoader
from mlplab.lab.registry import Experiment
from mlplab.train import fit, predict

FEATURES = 8  # inputs of parts (a) and (b)
TRAIN, TEST = 500, 2000  # rows of every generated set
NOISE = 0.1  # standard deviation of the noise on every real-valued target
LEARNING_RATE = 0.01  # Adam's, everywhere
BATCH = 50

# (a) Four outputs tanh(1.5 z_k) of four orthonormal directions z_k = u_k·x, all of the same size,
# and a network 8-2-16-4 whose two bottleneck units can carry two directions: the outputs compete.
OUTPUTS = 4
WEIGHTED_LAYERS = [FEATURES, 2, 16, OUTPUTS]
CLAIM_WEIGHT = 10  # the weight the claims compare with weight 1

# (b) Regression y = tanh(1.5 u·x) and a class drawn with P(1) = sigmoid(SHARPNESS v·x), the unit
# directions u and v ANGLE degrees apart: related tasks, which one trunk unit cannot both serve.
# Related tasks and soft labels make the trade-off a curve: with orthogonal directions, or hard
# labels, the trunk goes wholly to one task (a head cannot use what the trunk does not yet carry,
# so the other task's gradient on the trunk starts at zero) and only the two ends remain.
ANGLE = 60
SHARPNESS = 4.0
HEAD_HIDDEN = 16
# "Monotone to within noise": near the ends the errors flatten out at their best, where a test set
# of TEST rows tells neighbouring λ apart only by noise; a rank correlation of 0.9 allows a swap
# or two of neighbours.
MONOTONE = 0.9

# (c) x1, x2 in R^4 with x2 = RHO x1 + sqrt(1 - RHO^2) e; y = sin(2 s1) + cos(2 s2) + noise, with
# s_i = u·x_i: each network sees only its own input, which also tells it about the other part.
PART_FEATURES = 4
RHO = 0.7
PART_LAYERS = [PART_FEATURES, 16, 1]


def _normal(generator, size):
    """Standard normal draws from ``generator`` as a float64 ndarray."""
    return to_numpy(generator.normal(size, dtype=numpy.float64))


def _orthonormal(generator, count):
    """``count`` random orthonormal directions of R^FEATURES, as the columns of a matrix."""
    basis, _ = numpy.linalg.qr(_normal(generator, (FEATURES, FEATURES)))
    return basis[:, :count]


def _split(*arrays):
    """The first TRAIN rows of each array, then the rest: (train..., test...)."""
    return [a[:TRAIN] for a in arrays] + [a[TRAIN:] for a in arrays]


def _unexplained(predicted, truth):
    """Test MSE over the variance of the truth, per column: 0 is perfect, 1 predicts the mean."""
    return numpy.mean((predicted - truth) ** 2, axis=0) / numpy.var(truth, axis=0)


# ----------------------------------------------------------------------------- (a) weighted outputs
def _competing_outputs(generator):
    """Inputs x ~ N(0, I) and OUTPUTS targets tanh(1.5 u_k·x) + noise, u_k orthonormal."""
    rows = TRAIN + TEST
    x = _normal(generator, (rows, FEATURES))
    y = numpy.tanh(1.5 * x @ _orthonormal(generator, OUTPUTS))
    y = y + NOISE * _normal(generator, (rows, OUTPUTS))
    return _split(x.astype(numpy.float32), y.astype(numpy.float32))


def _weighted_fit(data, weight, epochs, generator):
    """Train WEIGHTED_LAYERS on MSELoss(weight=[weight, 1, 1, 1]); the unexplained test MSE of
    each output, shape (OUTPUTS,)."""
    x_train, y_train, x_test, y_test = data
    model = nn.MLP(WEIGHTED_LAYERS, activation="tanh", generator=generator)
    loss = nn.MSELoss(weight=[weight] + [1.0] * (OUTPUTS - 1))
    loader = DataLoader(x_train, y_train, BATCH, shuffle=True, generator=generator)
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    fit(model, loss, optimizer, loader, epochs=epochs, task="regression")
    return _unexplained(predict(model, x_test), y_test)


def _weight_sweep(lab, weights, repeats, epochs):
    """Unexplained test MSE per repeat, weight and output, shape (repeats, weights, OUTPUTS).

    Each repeat draws its own data set (new directions u_k) and initial network; within a repeat
    every weight starts from the same data, initial network and batch order, so the weight is all
    that changes.
    """
    errors = []
    for r in range(repeats):
        data = _competing_outputs(lab.generator(f"weighting-data-{r}"))
        errors.append(
            [_weighted_fit(data, w, epochs, lab.generator(f"weighting-run-{r}")) for w in weights]
        )
    return numpy.array(errors)


def _weighting(lab, weights, repeats, epochs):
    """Part (a): sweep the first output's weight, measure, table and claim; returns the errors."""
    errors = _weight_sweep(lab, weights, repeats, epochs)
    first = errors[:, :, 0].mean(axis=0)
    others = errors[:, :, 1:].mean(axis=(0, 2))
    lab.measure(
        weighting_weights=list(weights),
        weighting_unexplained=errors,
        weighted_output_unexplained=first,
        other_outputs_unexplained=others,
    )
    lab.table(
        f"(a) Unexplained test MSE (MSE / variance) against the first output's weight, mean over "
        f"{repeats} repeats (each its own data set and initial network)",
        [{"weight": w, "weighted output": f, "mean of the other three": o}
         for w, f, o in zip(weights, first, others, strict=True)],
    )  # fmt: skip
    at_one, at_claim = weights.index(1), weights.index(CLAIM_WEIGHT)
    lab.claim(
        f"Weighting one output in the loss buys it accuracy: with MSELoss(weight=[{CLAIM_WEIGHT}, "
        f"1, 1, 1]) its test error is below that with weight 1 (unexplained MSE, mean over "
        f"{repeats} repeats)",
        first[at_claim] < first[at_one],
        f"error at weight {CLAIM_WEIGHT} < error at weight 1",
        **{
            "weighted_output_at_weight_1": first[at_one],
            f"weighted_output_at_weight_{CLAIM_WEIGHT}": first[at_claim],
        },
    )
    lab.claim(
        f"... and the other outputs pay for it: their mean test error at weight {CLAIM_WEIGHT} is "
        f"above that at weight 1, since the bottleneck cannot serve all four",
        others[at_claim] > others[at_one],
        f"error at weight {CLAIM_WEIGHT} > error at weight 1",
        **{
            "other_outputs_at_weight_1": others[at_one],
            f"other_outputs_at_weight_{CLAIM_WEIGHT}": others[at_claim],
        },
    )
    return errors


def _weighting_figure(weights, errors):
    """The weighted output's and the others' unexplained test MSE against the weight."""
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    ax = figure.subplots()
    first, others = errors[:, :, 0], errors[:, :, 1:].mean(axis=2)
    for curves, label, color in ((first, "the weighted output", "tab:red"),
                                 (others, "mean of the other three", "tab:blue")):  # fmt: skip
        for curve in curves:  # one faint line per repeat
            ax.plot(weights, curve, color=color, alpha=0.2, linewidth=0.8)
        ax.plot(weights, curves.mean(axis=0), "o-", color=color, linewidth=2, label=label)
    ax.set_xscale("log")
    ax.set_xticks(weights, [f"{w:g}" for w in weights])
    ax.set_xlabel("weight w of the first output in MSELoss(weight=[w, 1, 1, 1])")
    ax.set_ylabel("test MSE / variance (1: predicts the mean)")
    ax.set_title(f"Four outputs, a two-unit bottleneck {'-'.join(map(str, WEIGHTED_LAYERS))}")
    ax.set_ylim(bottom=0)
    ax.legend(title="thick: mean; faint: each repeat")
    return figure


# ----------------------------------------------------------------------------- (b) two tasks
class TwoTaskNet(nn.Module):
    """A shared trunk of one tanh unit and two heads: a value (regression) and a class (logits)."""

    def __init__(self, generator):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(FEATURES, 1, generator=generator), nn.Tanh())
        self.value = nn.MLP([1, HEAD_HIDDEN, 1], activation="tanh", generator=generator)
        self.kind = nn.MLP([1, HEAD_HIDDEN, 2], activation="tanh", generator=generator)

    def forward(self, x):
        """Both heads' outputs on the shared features, by task name."""
        features = self.trunk(x)
        return {"value": self.value(features), "kind": self.kind(features)}


def _related_tasks(generator):
    """Inputs, a value tanh(1.5 u·x) + noise and a class drawn with P(1) = sigmoid(4 v·x), split
    into train and test, then the directions u and v."""
    rows = TRAIN + TEST
    x = _normal(generator, (rows, FEATURES))
    first, second = _orthonormal(generator, 2).T
    angle = numpy.deg2rad(ANGLE)
    u, v = first, numpy.cos(angle) * first + numpy.sin(angle) * second
    value = numpy.tanh(1.5 * x @ u) + NOISE * _normal(generator, rows)
    chance = 1 / (1 + numpy.exp(-SHARPNESS * x @ v))
    kind = (to_numpy(generator.random(rows, dtype=numpy.float64)) < chance).astype(numpy.int64)
    data = _split(x.astype(numpy.float32), value[:, None].astype(numpy.float32), kind)
    return [*data, u, v]


def _train_two_tasks(model, loss, data, epochs, generator):
    """Minimise the MultiTaskLoss ``loss`` over shuffled batches: a short explicit loop, since
    the model's outputs and targets are dicts by task."""
    x, value, kind = data[:3]
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    for _ in range(epochs):
        order = to_numpy(generator.permutation(len(x)))
        for start in range(0, len(x), BATCH):
            rows = order[start : start + BATCH]
            targets = {"value": mlplab.tensor(value[rows]), "kind": mlplab.tensor(kind[rows])}
            total = loss(model(mlplab.tensor(x[rows])), targets)
            optimizer.zero_grad()
            total.backward()
            optimizer.step()


def _task_errors(model, data):
    """The regression head's unexplained test MSE, the classification head's error rate, and the
    angle in degrees between the trunk unit's weights and the regression's direction u."""
    x_test, value_test, kind_test, u = data[3:7]
    trunk = model.trunk[0].weight.numpy()[0]
    # tanh is odd, so w and -w carry the same feature: the angle is between lines, 0° to 90°.
    angle = numpy.degrees(numpy.arccos(abs(trunk @ u) / numpy.linalg.norm(trunk)))
    model.eval()
    with mlplab.no_grad():
        outputs = model(mlplab.tensor(x_test))
    value_error = _unexplained(outputs["value"].numpy(), value_test)[0]
    kind_error = numpy.mean(outputs["kind"].numpy().argmax(axis=1) != kind_test)
    return float(value_error), float(kind_error), float(angle)


def _lambda_sweep(lab, lambdas, repeats, epochs):
    """Each head's test error and the trunk's angle to u per repeat and λ, (repeats, lambdas, 3)."""
    data = _related_tasks(lab.generator("tasks-data"))
    errors = []
    for r in range(repeats):
        row = []
        for weight in lambdas:
            loss = nn.MultiTaskLoss(
                {"value": (nn.MSELoss(), 1 - weight), "kind": (nn.CrossEntropyLoss(), weight)}
            )
            model = TwoTaskNet(lab.generator(f"tasks-init-{r}"))
            _train_two_tasks(model, loss, data, epochs, lab.generator(f"tasks-batches-{r}"))
            row.append(_task_errors(model, data))
        errors.append(row)
    return numpy.array(errors)


def _spearman(values):
    """Spearman's rank correlation of ``values`` with their position (ties are unlikely here)."""
    ranks = numpy.argsort(numpy.argsort(values))
    return float(numpy.corrcoef(ranks, numpy.arange(len(values)))[0, 1])


def _two_tasks(lab, lambdas, repeats, epochs):
    """Part (b): sweep λ, measure, table and claim; returns the mean errors per λ."""
    errors = _lambda_sweep(lab, lambdas, repeats, epochs).mean(axis=0)
    value, kind, angle = errors.T
    lab.measure(
        tasks_lambdas=list(lambdas),
        regression_unexplained=value,
        classification_error=kind,
        trunk_angle_to_regression_direction=angle,
    )
    lab.table(
        f"(b) Test errors of the two heads against λ in (1 - λ)·MSE + λ·cross-entropy, mean over "
        f"{repeats} initialisation(s)",
        [{"λ": w, "regression: test MSE / variance": v, "classification: test error rate": k,
          "trunk's angle to u (degrees)": a}
         for w, v, k, a in zip(lambdas, value, kind, angle, strict=True)],
    )  # fmt: skip
    low, high = lambdas[0], lambdas[-1]
    lab.claim(
        f"Combining two tasks' losses with weights trades one for the other: the end that weights "
        f"the regression most (λ = {low:g}) has the lower regression test error",
        value[0] < value[-1],
        f"error at λ = {low:g} < error at λ = {high:g}",
        regression_at_lowest_lambda=value[0],
        regression_at_highest_lambda=value[-1],
    )
    lab.claim(
        f"... and the end that weights the classification most (λ = {high:g}) has the lower "
        f"classification test error",
        kind[-1] < kind[0],
        f"error at λ = {high:g} < error at λ = {low:g}",
        classification_at_highest_lambda=kind[-1],
        classification_at_lowest_lambda=kind[0],
    )
    value_rank, kind_rank = _spearman(value), _spearman(kind)
    lab.claim(
        f"Between the ends the trade-off is monotone to within noise: as λ grows the regression "
        f"error rises and the classification error falls (Spearman rank correlation with λ at "
        f"least {MONOTONE:g} in size, each)",
        value_rank >= MONOTONE and kind_rank <= -MONOTONE,
        f"regression ≥ {MONOTONE:g}, classification ≤ -{MONOTONE:g}",
        regression_rank_correlation=value_rank,
        classification_rank_correlation=kind_rank,
    )
    return errors


def _trade_off_figure(lambdas, errors):
    """Regression error against classification error, one point per λ: the trade-off curve."""
    figure = Figure(figsize=(7, 5), layout="constrained")
    ax = figure.subplots()
    ax.plot(errors[:, 1], errors[:, 0], "-", color="grey", linewidth=1)
    points = ax.scatter(errors[:, 1], errors[:, 0], c=lambdas, cmap="viridis", s=50, zorder=3)
    for k in (0, len(lambdas) // 2, len(lambdas) - 1):  # the ends and the middle: the colour
        value, kind, _ = errors[k]  # tells the rest
        ax.annotate(f"λ = {lambdas[k]:g}", (kind, value), textcoords="offset points",
                    xytext=(8, 4), fontsize=9)  # fmt: skip
    figure.colorbar(points, ax=ax, label="λ: the weight of the classification loss")
    ax.set_xlabel("classification head: test error rate")
    ax.set_ylabel("regression head: test MSE / variance")
    ax.set_title(f"Two heads on a one-unit trunk: (1 - λ)·MSE + λ·cross-entropy\n"
                 f"(the tasks' directions {ANGLE}° apart)")  # fmt: skip
    return figure


# ----------------------------------------------------------------------------- (c) two networks
class FusedPair(nn.Module):
    """Two networks whose outputs are added: f on the first ``split`` inputs, g on the rest."""

    def __init__(self, f, g, split):
        super().__init__()
        self.f = f
        self.g = g
        self.split = split

    def forward(self, x):
        """f(x1) + g(x2), x1 and x2 the two parts of each row of ``x``."""
        return self.f(x[:, : self.split]) + self.g(x[:, self.split :])


def _fused_target(generator):
    """Inputs (x1, x2) side by side and y = f(x1) + g(x2) + noise, split into train and test,
    then the test rows' parts f(x1) and g(x2)."""
    rows = TRAIN + TEST
    x1 = _normal(generator, (rows, PART_FEATURES))
    x2 = RHO * x1 + numpy.sqrt(1 - RHO**2) * _normal(generator, (rows, PART_FEATURES))
    direction = _normal(generator, PART_FEATURES)
    direction /= numpy.linalg.norm(direction)
    f, g = numpy.sin(2 * x1 @ direction), numpy.cos(2 * x2 @ direction)
    y = f + g + NOISE * _normal(generator, rows)
    x = numpy.concatenate([x1, x2], axis=1).astype(numpy.float32)
    return [*_split(x, y[:, None].astype(numpy.float32)), f[TRAIN:], g[TRAIN:]]


def _part_network(generator):
    """One of the two networks: PART_LAYERS with tanh."""
    return nn.MLP(PART_LAYERS, activation="tanh", generator=generator)


def _train_mse(model, x, y, epochs, generator):
    """Train ``model`` on the MSE of its outputs against ``y``."""
    loader = DataLoader(x, y, BATCH, shuffle=True, generator=generator)
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    fit(model, nn.MSELoss(), optimizer, loader, epochs=epochs, task="regression")


def _joint(lab, x_train, y_train, epochs):
    """f and g trained together on one loss, MSE(f(x1) + g(x2), y); the pair."""
    pair = FusedPair(
        _part_network(lab.generator("fusion-f")), _part_network(lab.generator("fusion-g")),
        PART_FEATURES,
    )  # fmt: skip
    _train_mse(pair, x_train, y_train, epochs, lab.generator("fusion-joint-batches"))
    return pair


def _apart(lab, x_train, y_train, epochs):
    """f and g from the same initial weights, each trained alone to predict y from its input."""
    f, g = _part_network(lab.generator("fusion-f")), _part_network(lab.generator("fusion-g"))
    _train_mse(f, x_train[:, :PART_FEATURES], y_train, epochs, lab.generator("fusion-f-batches"))
    _train_mse(g, x_train[:, PART_FEATURES:], y_train, epochs, lab.generator("fusion-g-batches"))
    return FusedPair(f, g, PART_FEATURES)


def _parts(pair, x):
    """The two networks' outputs f(x1) and g(x2) as columns, shape (rows, 2)."""
    return numpy.concatenate(
        [predict(pair.f, x[:, :PART_FEATURES]), predict(pair.g, x[:, PART_FEATURES:])], axis=1
    )


def _best_fusion(pair, x_train, y_train):
    """The least-squares a, b, c of a·f(x1) + b·g(x2) + c on the training set: the best linear
    fusion of two networks trained apart."""
    columns = numpy.column_stack([_parts(pair, x_train), numpy.ones(len(x_train))])
    coefficients, *_ = numpy.linalg.lstsq(columns, y_train[:, 0], rcond=None)
    return coefficients


def _fusion(lab, epochs):
    """Part (c): joint against apart on the fused target; measure, table and claim."""
    x_train, y_train, x_test, y_test, f_test, g_test = _fused_target(lab.generator("fusion-data"))
    joint, apart = _joint(lab, x_train, y_train, epochs), _apart(lab, x_train, y_train, epochs)
    joint_parts, apart_parts = _parts(joint, x_test), _parts(apart, x_test)
    a, b, c = _best_fusion(apart, x_train, y_train)
    predictions = {
        "trained together, summed": joint_parts.sum(axis=1),
        "trained apart, summed": apart_parts.sum(axis=1),
        "trained apart, best linear fusion": apart_parts @ numpy.array([a, b]) + c,
    }
    errors = {name: float(_unexplained(p[:, None], y_test)[0]) for name, p in predictions.items()}
    # The joint pair's parts are f and g up to a shared constant: it cancels in the correlation.
    recovered = {
        "f": float(numpy.corrcoef(joint_parts[:, 0], f_test)[0, 1]),
        "g": float(numpy.corrcoef(joint_parts[:, 1], g_test)[0, 1]),
    }
    noise = NOISE**2 / float(numpy.var(y_test))
    lab.measure(
        fusion_unexplained=errors,
        fusion_apart_coefficients=[a, b, c],
        fusion_joint_part_correlation=recovered,
        fusion_noise_unexplained=noise,
    )
    lab.table(
        "(c) The fused target y = f(x1) + g(x2): test MSE / variance",
        [{"pair": name, "test MSE / variance": e} for name, e in errors.items()],
    )
    joint_error = errors["trained together, summed"]
    apart_error = errors["trained apart, best linear fusion"]
    lab.claim(
        "One joint loss over two networks trains them for the fused output: trained together on "
        "MSE(f(x1) + g(x2), y), the pair reaches a lower test error on y than the same two "
        "networks trained apart (each to predict y from its own input), even fused by the best "
        "linear combination",
        joint_error < apart_error,
        "joint error < apart error",
        joint_unexplained=joint_error,
        apart_unexplained=apart_error,
    )
    return {"f": f_test, "g": g_test, "joint": joint_parts, "apart": apart_parts,
            "errors": errors, "noise": noise}  # fmt: skip


def _fusion_figure(fusion):
    """Test errors of the pairs, and each network's output against the part it should learn."""
    figure = Figure(figsize=(14, 4.5), layout="constrained")
    bars, left, right = figure.subplots(1, 3)
    names = list(fusion["errors"])
    bars.barh(names, [fusion["errors"][n] for n in names],
              color=["tab:green", "tab:orange", "tab:red"])  # fmt: skip
    bars.axvline(fusion["noise"], color="black", linestyle=":", label="the noise (best possible)")
    bars.invert_yaxis()
    bars.legend(loc="upper right")
    bars.set_xlabel("test MSE / variance of y")
    bars.set_title("y = f(x1) + g(x2)")
    for ax, column, part in ((left, 0, "f"), (right, 1, "g")):
        truth = fusion[part]
        for key, label, color in (("apart", "trained apart", "tab:orange"),
                                  ("joint", "trained together", "tab:green")):  # fmt: skip
            learned = fusion[key][:, column]
            # A pair's parts are fixed only up to constants that cancel in the sum: centre both.
            ax.scatter(truth - truth.mean(), learned - learned.mean(), s=4, alpha=0.4,
                       color=color, label=label)  # fmt: skip
        ax.axline((0, 0), slope=1, color="black", linewidth=0.8, label="equal")
        ax.set_xlabel(f"true part {part}(x{column + 1}), centred")
        ax.set_ylabel(f"network {part}'s output, centred")
        ax.set_title(f"What network {part} learned (test set)")
        ax.legend(markerscale=3)
    return figure


# ----------------------------------------------------------------------------- the experiment
def _run(lab):
    """The three parts: weighted outputs, two tasks on one loss, two networks on one loss."""
    weights = lab.choose([1, 3, 10, 30], [1, 1.5, 2, 3, 5, 10, 20, 50])
    lambdas = lab.choose([0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95],
                         [round(0.05 + 0.09 * k, 2) for k in range(11)])  # fmt: skip
    setup = {
        "weighting_repeats": lab.choose(4, 10),
        "weighting_epochs": lab.choose(40, 100),
        "tasks_repeats": lab.choose(1, 3),
        "tasks_epochs": lab.choose(40, 100),
        "fusion_epochs": lab.choose(60, 200),
    }
    lab.setting(
        features=FEATURES, train_rows=TRAIN, test_rows=TEST, noise=NOISE, optimizer="adam",
        lr=LEARNING_RATE, batch_size=BATCH, activation="tanh", weighting_layers=WEIGHTED_LAYERS,
        weighting_outputs=OUTPUTS, weighting_weights=weights, tasks_lambdas=lambdas,
        tasks_trunk=[FEATURES, 1], tasks_heads=[[1, HEAD_HIDDEN, 1], [1, HEAD_HIDDEN, 2]],
        tasks_angle_degrees=ANGLE, tasks_class_sharpness=SHARPNESS,
        fusion_layers=PART_LAYERS, fusion_input_correlation=RHO, **setup,
    )  # fmt: skip
    weighted = _weighting(lab, weights, setup["weighting_repeats"], setup["weighting_epochs"])
    lab.figure(
        "error-vs-output-weight",
        _weighting_figure(weights, weighted),
        "(a) As the first output's weight in the MSE grows, its test error falls and the other "
        "three outputs' rises: the two bottleneck units go where the loss says it matters.",
    )
    tasks = _two_tasks(lab, lambdas, setup["tasks_repeats"], setup["tasks_epochs"])
    lab.figure(
        "two-task-trade-off",
        _trade_off_figure(lambdas, tasks),
        f"(b) One point per λ: the regression head's test error against the classification "
        f"head's. λ turns the one trunk unit from the regression's direction towards the class's, "
        f"{ANGLE}° away (the table gives its angle).",
    )
    fusion = _fusion(lab, setup["fusion_epochs"])
    lab.figure(
        "joint-vs-apart",
        _fusion_figure(fusion),
        "(c) Left: test error on y = f(x1) + g(x2). Middle and right: each network's output "
        "against the part it should learn. Trained apart, each network also predicts the other "
        "part from its correlated input, so the sum counts it twice.",
    )
    lab.answer(_answer(lab.numbers, weights, lambdas))


def _answer(numbers, weights, lambdas):
    """The answer, in words, from the measured numbers."""
    first, others = numbers["weighted_output_unexplained"], numbers["other_outputs_unexplained"]
    one, ten = weights.index(1), weights.index(CLAIM_WEIGHT)
    value, kind = numbers["regression_unexplained"], numbers["classification_error"]
    fusion = numbers["fusion_unexplained"]
    return (
        f"Write the loss as the sum of what matters, weighted by how much. (a) Weighting one of "
        f"four outputs {CLAIM_WEIGHT}x in MSELoss(weight=...) takes its unexplained test MSE from "
        f"{first[one]:.2f} to {first[ten]:.2f}, while the other three rise from {others[one]:.2f} "
        f"to {others[ten]:.2f}: a small network spends its capacity where the loss puts weight. "
        f"(b) With MultiTaskLoss weights 1 - λ and λ on a regression and a classification head "
        f"sharing one trunk, λ = {lambdas[0]:g} gives regression error {value[0]:.2f} and "
        f"classification error {kind[0]:.2f}, λ = {lambdas[-1]:g} gives {value[-1]:.2f} and "
        f"{kind[-1]:.2f}: λ picks a point on the trade-off curve. (c) Two networks trained on one "
        f"loss of their summed output reach {fusion['trained together, summed']:.3f} of y's "
        f"variance unexplained, against {fusion['trained apart, best linear fusion']:.3f} for "
        f"the same networks trained apart and fused as well as a linear fit can: the joint loss "
        f"makes each network learn its own part, not the whole."
    )


EXPERIMENT = Experiment(
    name="custom-losses",
    question=(
        "How do you build a loss for what matters: weighted outputs, combined tasks, two "
        "networks on one loss?"
    ),
    run=_run,
)
