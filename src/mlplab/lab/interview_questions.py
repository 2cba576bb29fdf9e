"""Interview questions: four questions asked about networks, each settled by an experiment.

Is there such a thing as a linear regression network? What is the difference between momentum and
simply a larger learning rate? What is weight decay and how is it related to regularization?
How do dropout and pooling differ? The first three are answered by running the lab experiment
that settles each (``linear-collapse``, ``momentum``, ``overfitting``) and carrying its claims and
answer over; the fourth is measured here: dropout as a regularizer that adds noise in training and
is the identity at test time, pooling as a fixed reduction of the representation that adds no
parameters and no noise.
"""

import numpy
from matplotlib.figure import Figure

import mlplab
from mlplab import nn
from mlplab.data import load_dataset
from mlplab.lab.registry import Experiment

QUESTIONS = {
    "linear-collapse": "Is there such a thing as a linear regression network?",
    "momentum": "What is the difference between momentum and simply a larger learning rate?",
    "overfitting": "What is weight decay and how is it related to regularization?",
}
DROPOUT = 0.5  # the classic rate of a hidden layer's dropout
POOL = 2  # 2x2 neighbourhoods
DRAWS = 2000  # Monte-Carlo draws of dropout masks for the ensemble reading


def _settle(lab, name, question):
    """Run experiment ``name`` as this one runs (quick or full, same seed); carry its claims."""
    from mlplab.lab.session import run  # the registry imports this module first

    result = run(name, quick=lab.quick, seed=lab.seed, out=lab.folder / name)
    for claim in result.claims:
        lab.claim(
            f"{question} ({name}) {claim.statement}", claim.held, claim.threshold, **claim.values
        )
    lab.measure(**{f"{name}_answer": result.answer, f"{name}_claims_held": result.held})
    return result


def _pool(images, kind):
    """Average or max pooling over POOL x POOL neighbourhoods of images (N, H, W)."""
    n, height, width = images.shape
    blocks = images.reshape(n, height // POOL, POOL, width // POOL, POOL)
    return blocks.mean(axis=(2, 4)) if kind == "average" else blocks.max(axis=(2, 4))


def _dropout_and_pooling(lab):
    """Measure what dropout and pooling each do to a batch of 8x8 digit images."""
    images = load_dataset("digits").x_test[: lab.choose(100, 359)].reshape(-1, 8, 8) / 16.0
    flat = mlplab.tensor(images.reshape(len(images), -1))
    dropout = nn.Dropout(DROPOUT, generator=lab.generator("dropout"))
    dropout.train()
    first, second = dropout(flat).numpy(), dropout(flat).numpy()
    dropout.eval()
    at_test = dropout(flat).numpy()
    dropout.train()
    ensemble = numpy.mean([dropout(flat).numpy() for _ in range(lab.choose(200, DRAWS))], axis=0)
    pooled = {kind: _pool(images, kind) for kind in ("average", "max")}
    again = {kind: _pool(images, kind) for kind in ("average", "max")}
    numbers = {
        "dropout_parameters": sum(p.numel() for p in dropout.parameters()),
        "dropout_output_size": first.shape[1],
        "dropout_train_calls_differ": bool(not numpy.array_equal(first, second)),
        "dropout_eval_max_change": float(numpy.abs(at_test - flat.numpy()).max()),
        "dropout_ensemble_mean_error": float(numpy.abs(ensemble - flat.numpy()).mean()),
        "pooling_parameters": 0,  # a fixed reduction: nothing in it is learned
        "pooling_output_size": pooled["average"][0].size,
        "input_size": images[0].size,
        "pooling_repeat_max_change": max(
            float(numpy.abs(pooled[kind] - again[kind]).max()) for kind in pooled
        ),
    }
    lab.measure(**numbers)
    return images, first, pooled, numbers


def _claim_dropout_and_pooling(lab, numbers):
    """Dropout: same size, noisy in training, identity at test; pooling: smaller, fixed."""
    question = "How do dropout and pooling differ?"
    lab.claim(
        f"{question} Dropout keeps the representation's size and adds no parameters",
        numbers["dropout_output_size"] == numbers["input_size"]
        and numbers["dropout_parameters"] == 0,
        "output size = input size, 0 parameters",
        output_size=numbers["dropout_output_size"],
        parameters=numbers["dropout_parameters"],
    )
    lab.claim(
        f"{question} Dropout adds noise in training: two calls on the same batch differ",
        numbers["dropout_train_calls_differ"],
        "the two outputs differ",
        differ=numbers["dropout_train_calls_differ"],
    )
    lab.at_most(
        f"{question} Dropout is the identity at test time (eval mode)",
        "max change",
        numbers["dropout_eval_max_change"],
        0.0,
    )
    lab.at_most(
        f"{question} Averaged over many masks, inverted dropout's output is its input: "
        "the ensemble reading",
        "mean |ensemble - input|",
        numbers["dropout_ensemble_mean_error"],
        lab.choose(0.05, 0.02),
    )
    lab.claim(
        f"{question} Pooling reduces the representation {POOL * POOL}-fold with no "
        "parameter learned",
        numbers["pooling_output_size"] * POOL * POOL == numbers["input_size"],
        f"output size = input size / {POOL * POOL}",
        output_size=numbers["pooling_output_size"],
        input_size=numbers["input_size"],
    )
    lab.at_most(
        f"{question} Pooling adds no noise: the same input gives the same output",
        "max change between two calls",
        numbers["pooling_repeat_max_change"],
        0.0,
    )


def _figure(images, dropped, pooled):
    """One digit: as it is, under two dropout masks' worth of noise, and pooled both ways."""
    figure = Figure(figsize=(10, 2.6), layout="constrained")
    panels = [
        ("input (8x8)", images[0]),
        (f"dropout p={DROPOUT}, training", dropped[0].reshape(8, 8)),
        ("average pooling (4x4)", pooled["average"][0]),
        ("max pooling (4x4)", pooled["max"][0]),
    ]
    for ax, (title, picture) in zip(figure.subplots(1, len(panels)), panels, strict=True):
        ax.imshow(picture, cmap="gray_r")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    figure.suptitle("Dropout keeps the size and adds noise; pooling shrinks the input, fixed")
    return figure


def _held(result):
    """``"held/claims"`` of a result, e.g. ``"16/16"``."""
    return f"{sum(claim.held for claim in result.claims)}/{len(result.claims)}"


def _run(lab):
    results = {name: _settle(lab, name, question) for name, question in QUESTIONS.items()}
    images, dropped, pooled, numbers = _dropout_and_pooling(lab)
    _claim_dropout_and_pooling(lab, numbers)
    lab.figure(
        "dropout-and-pooling",
        _figure(images, dropped, pooled),
        "One test digit, under dropout in training, and pooled to 4x4 by average and by max.",
    )
    lab.table(
        "The questions and the experiments that settle them",
        [
            {
                "question": question,
                "experiment": name,
                "claims held": _held(results[name]),
                "report": f"{name}/report.html",
            }
            for name, question in QUESTIONS.items()
        ],
    )
    lab.setting(dropout=DROPOUT, pool=POOL, experiments=list(QUESTIONS))
    answers = " ".join(f"{QUESTIONS[name]} {result.answer}" for name, result in results.items())
    lab.answer(
        f"{answers} How do dropout and pooling differ? Dropout keeps all "
        f"{numbers['dropout_output_size']} values and zeroes a random half of them in training "
        "(scaled so that the average over masks is the input: an ensemble of thinned networks), "
        "and is the identity at test time; pooling maps them to "
        f"{numbers['pooling_output_size']} by a fixed average or maximum, with no parameter and no "
        "noise. One regularizes, the other reduces the representation."
    )


EXPERIMENT = Experiment(
    name="interview-questions",
    question="Four interview questions about networks: what does each experiment say?",
    run=_run,
)
