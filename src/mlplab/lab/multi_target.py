"""Lab experiment: one network for several targets at once, against one network per target.

The joint network shares its hidden layer among all targets and is trained on one combined loss,
the MSE over every output (the targets standardised, so each has an equal say). It is set beside
one network of the same width per target, on linnerud (3 targets, 20 men) and on a generated set
whose targets are different functions of one hidden linear combination of the inputs: test error
per target in the targets' units, parameters, and training time.
"""

import time
from dataclasses import dataclass

import numpy
from matplotlib.figure import Figure

from mlplab import nn, optim
from mlplab.backend import to_numpy
from mlplab.data import DataLoader, load_dataset, standardize
from mlplab.experiment import Settings, run
from mlplab.lab.registry import Experiment
from mlplab.train import fit, predict

ACTIVATION = "tanh"
LEARNING_RATE = 0.01  # Adam's
EPOCHS = 100
LINNERUD_HIDDEN = 8
LINNERUD_BATCH = 16  # all 16 training rows: full-batch steps
RELATED = {"features": 10, "targets": 4, "train": 200, "test": 1000, "noise": 0.3}
RELATED_HIDDEN = 16
RELATED_BATCH = 32
# Sharing one hidden layer of the same width among all targets leaves each fewer hidden units of
# its own, so the joint model may lose a little on some target. On the generated set (1,000 test
# rows per draw) an RMSE is known to about 2%, and 10% is a clear loss; on linnerud (4 test rows
# per split) an RMSE is known to no better than about ±30%, so only a factor 1.5 is a finding.
RELATED_FACTOR = 1.1
LINNERUD_FACTOR = 1.5


@dataclass
class Comparison:
    """Joint and separate models on one data set: each repeat's test MSE per target, and costs.

    The MSEs are in the targets' units, one (targets,) array per repeat (a split or a generated
    set, each with as many test rows); ``baseline`` predicts the training mean. Parameters are
    those of one repeat, seconds are summed over the repeats.
    """

    names: list
    joint: list
    separate: list
    baseline: list
    joint_parameters: int = 0
    separate_parameters: int = 0
    joint_seconds: float = 0.0
    separate_seconds: float = 0.0

    def rmse(self, part):
        """The test RMSE of each target of ``part`` ("joint", ...), pooled over the repeats.

        The repeats have equally many test rows, so the pooled MSE is the mean of their MSEs.
        """
        return numpy.sqrt(numpy.mean(getattr(self, part), axis=0))

    def ratio(self):
        """Joint RMSE over separate RMSE, per target (below 1: the joint model is better)."""
        return self.rmse("joint") / self.rmse("separate")


def _run(lab):
    """Joint against separate models on linnerud and on the generated related-targets set."""
    splits = lab.choose(5, 20)
    draws = lab.choose(1, 5)
    lab.setting(
        activation=ACTIVATION,
        optimizer="adam",
        lr=LEARNING_RATE,
        epochs=EPOCHS,
        loss="mse",
        linnerud_layers=[3, LINNERUD_HIDDEN, 3],
        linnerud_batch_size=LINNERUD_BATCH,
        linnerud_split_seeds=list(range(splits)),
        related=RELATED,
        related_draws=draws,
        related_layers=[RELATED["features"], RELATED_HIDDEN, RELATED["targets"]],
        related_batch_size=RELATED_BATCH,
    )
    _warm_up(lab.generator("warm-up"))
    linnerud = _linnerud(lab, splits)
    related = _related(lab, draws)
    for key, comparison in (("linnerud", linnerud), ("related", related)):
        _record(lab, key, comparison)
    _claims(lab, linnerud, related)
    lab.figure(
        "test-error-per-target",
        _error_figure(linnerud, related),
        f"Test RMSE of each target over the RMSE of predicting the training mean (below 1: the "
        f"model learned something), pooled over {splits} linnerud splits and {draws} generated "
        f"set(s). The dotted lines on the right are the generated set's noise, "
        f"{RELATED['noise']}, over the mean predictor's RMSE: no model can go below them.",
    )
    lab.figure(
        "parameters-and-time",
        _cost_figure(linnerud, related),
        "Parameters of one joint model against the separate models together, and training time "
        "(seconds, summed over the repeats; times vary from run to run). A joint linnerud time is "
        "its whole mlplab.experiment.run call, data loading and testing included.",
    )
    lab.answer(_answer(linnerud, related, splits))


# ----------------------------------------------------------------------------- models
def _fit_mlp(x_train, y_train, x_test, hidden, batch_size, generator):
    """An MLP inputs-hidden-targets trained on standardised data; its test predictions and costs.

    Returns
    -------
    tuple
        Test predictions in the targets' units (rows, targets), the parameter count, the
        training seconds.
    """
    x_train, x_test, _, _ = standardize(x_train.astype(numpy.float32), x_test)
    y_scaled, y_mean, y_std = standardize(y_train.astype(numpy.float32))
    model = nn.MLP(
        [x_train.shape[1], hidden, y_train.shape[1]], activation=ACTIVATION, generator=generator
    )
    started = time.perf_counter()
    fit(
        model,
        nn.MSELoss(),
        optim.Adam(model.parameters(), lr=LEARNING_RATE),
        DataLoader(x_train, y_scaled, batch_size, shuffle=True, generator=generator),
        epochs=EPOCHS,
        task="regression",
    )
    seconds = time.perf_counter() - started
    outputs = predict(model, x_test) * y_std + y_mean
    return outputs, model.parameter_count().total, seconds


def _separate(x_train, y_train, x_test, hidden, batch_size, generator):
    """One MLP per target (column of ``y_train``): test predictions side by side, and costs."""
    outputs, parameters, seconds = [], 0, 0.0
    for column in range(y_train.shape[1]):
        predicted, count, spent = _fit_mlp(
            x_train, y_train[:, column : column + 1], x_test, hidden, batch_size, generator
        )
        outputs.append(predicted)
        parameters += count
        seconds += spent
    return numpy.concatenate(outputs, axis=1), parameters, seconds


def _warm_up(generator):
    """Train a tiny model once, so that loading Adam's compiled rule stays out of the times."""
    zeros = numpy.zeros((2, 1))
    _fit_mlp(zeros, zeros, zeros, 1, 2, generator)


def _mse(predicted, truth):
    """The MSE of each target (column), in the targets' units."""
    return numpy.mean((predicted - truth) ** 2, axis=0)


# ----------------------------------------------------------------------------- the data sets
def _linnerud(lab, splits):
    """Joint (through ``mlplab.experiment.run``) and separate models on linnerud's splits."""
    generator = lab.generator("linnerud-separate")
    comparison = Comparison([], [], [], [])
    for split in range(splits):
        data = load_dataset("linnerud", seed=split)
        started = time.perf_counter()
        # The whole run (loading 20 rows and testing 4 as well) is timed: its epochs last well
        # under the millisecond its history records them to.
        joint = run(_linnerud_settings(split, lab.seed), progress=False)
        joint_seconds = time.perf_counter() - started
        separate, parameters, seconds = _separate(
            data.x_train, data.y_train, data.x_test, LINNERUD_HIDDEN, LINNERUD_BATCH, generator
        )
        comparison.names = list(data.target_names)
        figures = joint.test["per_target"]
        comparison.joint.append(numpy.array([figures[name]["mse"] for name in comparison.names]))
        comparison.separate.append(_mse(separate, data.y_test))
        comparison.baseline.append(_mse(data.y_train.mean(axis=0), data.y_test))
        comparison.joint_parameters = joint.model.parameter_count().total
        comparison.separate_parameters = parameters
        comparison.joint_seconds += joint_seconds
        comparison.separate_seconds += seconds
    return comparison


def _linnerud_settings(split, seed):
    """The joint linnerud run: 3-8-3, tanh, Adam, full batches, the split fixed by ``split``."""
    return Settings(
        dataset="linnerud",
        dataset_options={"seed": split},
        layers=[3, LINNERUD_HIDDEN, 3],
        activation=ACTIVATION,
        loss="mse",
        optimizer="adam",
        lr=LEARNING_RATE,
        epochs=EPOCHS,
        batch_size=LINNERUD_BATCH,
        val_split=0,
        seed=seed,
    )


def _related_targets(generator, rows):
    """Inputs x ~ N(0, I) and targets y_j = tanh(s_j·z + o_j) + noise, all of one z = x·u.

    ``u`` is a random unit vector, ``s_j`` in [0.5, 2) and ``o_j`` in [-1, 1): each target is its
    own curve of the same hidden linear combination, which a shared hidden layer can learn once.
    """
    features, targets = RELATED["features"], RELATED["targets"]
    x = to_numpy(generator.normal((rows, features), dtype=numpy.float64))
    direction = to_numpy(generator.normal(features, dtype=numpy.float64))
    hidden = x @ (direction / numpy.linalg.norm(direction))
    scale = to_numpy(generator.uniform(targets, 0.5, 2.0, dtype=numpy.float64))
    shift = to_numpy(generator.uniform(targets, -1.0, 1.0, dtype=numpy.float64))
    noise = RELATED["noise"] * to_numpy(generator.normal((rows, targets), dtype=numpy.float64))
    return x, numpy.tanh(numpy.outer(hidden, scale) + shift) + noise


def _related(lab, draws):
    """Joint and separate models on ``draws`` generated related-targets sets."""
    data_generator = lab.generator("related-data")
    model_generator = lab.generator("related-models")
    names = [f"y{j + 1}" for j in range(RELATED["targets"])]
    comparison = Comparison(names, [], [], [])
    train = RELATED["train"]
    for _ in range(draws):
        # The rows are independent draws: the first ones train, the rest test.
        x, y = _related_targets(data_generator, train + RELATED["test"])
        x_train, y_train, x_test, y_test = x[:train], y[:train], x[train:], y[train:]
        joint, joint_parameters, joint_seconds = _fit_mlp(
            x_train, y_train, x_test, RELATED_HIDDEN, RELATED_BATCH, model_generator
        )
        separate, parameters, seconds = _separate(
            x_train, y_train, x_test, RELATED_HIDDEN, RELATED_BATCH, model_generator
        )
        comparison.joint.append(_mse(joint, y_test))
        comparison.separate.append(_mse(separate, y_test))
        comparison.baseline.append(_mse(y_train.mean(axis=0), y_test))
        comparison.joint_parameters, comparison.separate_parameters = joint_parameters, parameters
        comparison.joint_seconds += joint_seconds
        comparison.separate_seconds += seconds
    return comparison


# ----------------------------------------------------------------------------- findings
def _record(lab, key, comparison):
    """Measure one data set's errors and parameter counts, and table them with the times."""
    joint, separate, baseline = (
        comparison.rmse(part) for part in ("joint", "separate", "baseline")
    )
    names = comparison.names
    lab.measure(
        **{
            f"{key}_joint_rmse": dict(zip(names, joint, strict=True)),
            f"{key}_separate_rmse": dict(zip(names, separate, strict=True)),
            f"{key}_mean_predictor_rmse": dict(zip(names, baseline, strict=True)),
            f"{key}_rmse_ratio": dict(zip(names, comparison.ratio(), strict=True)),
            f"{key}_repeats": len(comparison.joint),
            f"{key}_joint_parameters": comparison.joint_parameters,
            f"{key}_separate_parameters": comparison.separate_parameters,
        }
    )
    title = {"linnerud": "linnerud", "related": "generated related targets"}[key]
    rows = [
        {
            "target": name,
            "joint RMSE": j,
            "separate RMSE": s,
            "joint / separate": j / s,
            "mean predictor RMSE": b,
        }
        for name, j, s, b in zip(names, joint, separate, baseline, strict=True)
    ]
    lab.table(f"Test RMSE per target, in the targets' units: {title}", rows)
    lab.table(
        f"Cost: {title} (times vary from run to run, so they are not among the measured numbers)",
        [
            {
                "model": "one joint model",
                "parameters": comparison.joint_parameters,
                "training seconds": round(comparison.joint_seconds, 3),
            },
            {
                "model": f"{len(names)} separate models",
                "parameters": comparison.separate_parameters,
                "training seconds": round(comparison.separate_seconds, 3),
            },
        ],
    )


def _claims(lab, linnerud, related):
    """The claims: error per target within a factor, on average as good, fewer parameters, time."""
    lab.at_most(
        f"On the related-targets set, the joint model's test RMSE on every target is within a "
        f"factor {RELATED_FACTOR} of the separate model's",
        "max_rmse_ratio",
        related.ratio().max(),
        RELATED_FACTOR,
    )
    lab.at_most(
        "On the related-targets set, where the targets share a hidden linear combination, the "
        "shared model is at least as good on average: mean over targets of joint RMSE / "
        "separate RMSE",
        "mean_rmse_ratio",
        related.ratio().mean(),
        1.0,
    )
    lab.at_most(
        f"On linnerud (4 test rows per split, pooled over splits: a modest claim), the joint "
        f"model's test RMSE on every target is within a factor {LINNERUD_FACTOR} of the separate "
        f"model's",
        "max_rmse_ratio",
        linnerud.ratio().max(),
        LINNERUD_FACTOR,
    )
    lab.claim(
        "With a shared hidden layer, one joint model has fewer parameters than one model per "
        "target together",
        all(c.joint_parameters < c.separate_parameters for c in (linnerud, related)),
        "joint < separate, on both data sets",
        linnerud_joint=linnerud.joint_parameters,
        linnerud_separate=linnerud.separate_parameters,
        related_joint=related.joint_parameters,
        related_separate=related.separate_parameters,
    )
    lab.at_most(
        "One joint model trains in less time than the separate models together (related-targets "
        "set: one forward and backward pass per batch instead of one per target)",
        "time_ratio",
        related.joint_seconds / related.separate_seconds,
        1.0,
    )


def _answer(linnerud, related, splits):
    """The answer, in words, from the measured numbers."""
    ratio, lin_ratio = related.ratio(), linnerud.ratio()
    lin_joint, lin_mean = linnerud.rmse("joint"), linnerud.rmse("baseline")
    beaten = [n for n, j, b in zip(linnerud.names, lin_joint, lin_mean, strict=True) if j < b]
    shared_helps = ratio.mean() <= 1.0
    on_par = lin_ratio.max() <= LINNERUD_FACTOR
    return (
        f"{'Yes' if shared_helps and on_par else 'Not here'}. On the generated set, whose "
        f"{len(related.names)} targets are curves of one hidden linear combination, one network "
        f"with a shared hidden layer and one MSE over all outputs predicts the targets "
        f"{_compared(ratio)} one network per target (joint / separate RMSE "
        f"{', '.join(f'{v:.2f}' for v in ratio)}, mean {ratio.mean():.2f}), with "
        f"{related.joint_parameters} parameters instead of {related.separate_parameters} and in "
        f"{related.joint_seconds / related.separate_seconds:.0%} of the training time. On "
        f"linnerud the joint model is {'within' if on_par else 'outside'} a factor "
        f"{LINNERUD_FACTOR} of the separate ones (ratios "
        f"{', '.join(f'{v:.2f}' for v in lin_ratio)} over {splits} splits of 4 test rows), but "
        f"with 16 training rows little is learned: the joint model beats predicting the training "
        f"mean only on {', '.join(beaten) or 'no target'}, so linnerud can show at most that a "
        f"joint model costs little there, not that it helps."
    )


def _compared(ratios):
    """How the joint model compares, in words, from its RMSE ratios to the separate models."""
    if ratios.max() < 1.0:
        return "better than"
    if ratios.mean() <= 1.0:
        return "on average at least as well as"
    return "worse than"


# ----------------------------------------------------------------------------- figures
def _error_figure(linnerud, related):
    """Bars of test RMSE relative to the mean predictor, per target, on both data sets."""
    figure = Figure(figsize=(12, 5), layout="constrained")
    panels = figure.subplots(1, 2)
    titles = (
        "linnerud (3 targets, 16 training rows per split)",
        f"generated related targets ({RELATED['train']} training rows)",
    )
    for ax, comparison, title in zip(panels, (linnerud, related), titles, strict=True):
        baseline = comparison.rmse("baseline")
        positions = numpy.arange(len(comparison.names))
        for offset, (part, label, color) in zip(
            (-0.2, 0.2),
            (
                ("joint", "one joint model", "tab:blue"),
                ("separate", "one model per target", "tab:orange"),
            ),
            strict=True,
        ):
            ax.bar(
                positions + offset, comparison.rmse(part) / baseline, 0.4, label=label, color=color
            )
        ax.axhline(1.0, color="black", linewidth=0.8, label="predicting the training mean (1)")
        ax.set_xticks(positions, comparison.names)
        ax.set_xlabel("target")
        ax.set_ylabel("test RMSE / RMSE of the training mean")
        ax.set_title(title)
    noise = RELATED["noise"] / related.rmse("baseline")
    positions = numpy.arange(len(related.names))
    panels[1].hlines(
        noise,
        positions - 0.4,
        positions + 0.4,
        colors="black",
        linestyles=":",
        label="the noise (the best possible)",
    )
    handles, labels = panels[1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(labels))
    return figure


def _cost_figure(linnerud, related):
    """Bars of parameter counts and training seconds, joint against separate."""
    figure = Figure(figsize=(10, 4), layout="constrained")
    left, right = figure.subplots(1, 2)
    positions = numpy.arange(2)
    for ax, values, label in (
        (
            left,
            [(c.joint_parameters, c.separate_parameters) for c in (linnerud, related)],
            "parameters",
        ),
        (
            right,
            [(c.joint_seconds, c.separate_seconds) for c in (linnerud, related)],
            "seconds of training (all repeats)",
        ),
    ):
        joint, separate = numpy.array(values).T
        ax.bar(positions - 0.2, joint, 0.4, label="one joint model", color="tab:blue")
        ax.bar(positions + 0.2, separate, 0.4, label="one model per target", color="tab:orange")
        ax.set_xticks(positions, ["linnerud", "related targets"])
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    left.set_title("Parameters")
    right.set_title("Training time")
    return figure


EXPERIMENT = Experiment(
    name="multi-target",
    question="Can one network predict several targets at once with one combined loss?",
    run=_run,
)
