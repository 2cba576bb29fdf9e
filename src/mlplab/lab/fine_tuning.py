"""Fine-tuning: how much a network pretrained on digits 0-4 helps to learn 5-9 from k examples.

A network is pretrained on the digits 0-4 of scikit-learn's 8x8 digits. The new task is to tell
the digits 5-9 apart from only k examples of each. Four ways to learn it, each from the same k
examples with the same number of Adam steps:

- **frozen**: the pretrained layers are frozen (``model.requires_grad_(False)``) and only a new
  5-class head (``model[-1] = nn.Linear(width, 5)``) is trained, as in the README's "Save,
  load, fine-tune";
- **full**: every layer is trained from the pretrained weights, the new head with a ten times
  larger learning rate than the pretrained layers (two optimizer parameter groups);
- **scratch**: the same network from a random initialisation;
- **pixels**: a logistic regression on the raw pixels, the reference a learned representation
  must beat to be worth having.

The experiment measures each method's trainable parameters, training time and test accuracy on
5-9 for every k, averaged over several draws of the k examples, and checks that frozen layers stay
bit-identical while only the head learns.
"""

import time

import numpy
from matplotlib.figure import Figure

from mlplab import nn, optim
from mlplab.data import DataLoader
from mlplab.experiment import Settings, load_data
from mlplab.lab.registry import Experiment
from mlplab.train import evaluate, fit

CLASSES = 5  # the pretraining task is digits 0-4, the new task digits 5-9
HIDDEN = (128, 128)  # the widths of the hidden layers
PRETRAIN = {"lr": 1e-3, "batch_size": 32}
HEAD_LR = 1e-2  # the rate of every new parameter: a new head, a network trained from scratch
BODY_LR = 1e-3  # full fine-tuning moves the pretrained layers at a tenth of the head's rate
STEPS = 100  # full-batch Adam steps on the k examples, the same for every method
METHODS = {
    "frozen": "pretrained, frozen, new head",
    "full": "pretrained, fully fine-tuned",
    "scratch": "same network from scratch",
    "pixels": "logistic regression on pixels",
}


# ----------------------------------------------------------------------------- data
def _tasks(data):
    """The pretraining task (digits 0-4) and the new task (5-9, relabelled 0-4), as
    ``{"old": (x_train, y_train, x_test, y_test), "new": (...)}``."""
    tasks = {}
    for name, keep, offset in (("old", numpy.less, 0), ("new", numpy.greater_equal, CLASSES)):
        train, test = keep(data.y_train, CLASSES), keep(data.y_test, CLASSES)
        tasks[name] = (data.x_train[train], data.y_train[train] - offset,
                       data.x_test[test], data.y_test[test] - offset)  # fmt: skip
    return tasks


def _shots(x, y, k, generator):
    """``k`` examples of each class of ``y``, drawn at random: (inputs, labels)."""
    rows = []
    for label in range(CLASSES):
        of_label = numpy.flatnonzero(y == label)
        rows.append(of_label[numpy.asarray(generator.permutation(len(of_label)))[:k]])
    rows = numpy.concatenate(rows)
    return x[rows], y[rows]


# ----------------------------------------------------------------------------- models
def _sizes(features):
    """The network's widths, from the inputs to the 5 classes."""
    return [features, *HIDDEN, CLASSES]


def _pretrain(x, y, epochs, generator):
    """The network trained on the old task (digits 0-4)."""
    model = nn.MLP(_sizes(x.shape[1]), activation="relu", generator=generator)
    loader = DataLoader(x, y, PRETRAIN["batch_size"], shuffle=True, generator=generator)
    optimizer = optim.Adam(model.parameters(), lr=PRETRAIN["lr"])
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=epochs)
    return model


def _copy(pretrained, generator):
    """A copy of the pretrained network (its weights loaded into a new MLP)."""
    model = nn.MLP(_sizes(pretrained[0].in_features), activation="relu", generator=generator)
    model.load_state_dict(pretrained.state_dict())
    return model


def _new_head(generator):
    """A new, randomly initialised 5-class output layer."""
    return nn.Linear(HIDDEN[-1], CLASSES, generator=generator)


def _frozen(pretrained, generator):
    """The pretrained layers frozen, a new head: the model and an optimizer of the head alone."""
    model = _copy(pretrained, generator)
    model.requires_grad_(False)
    model[-1] = _new_head(generator)
    return model, optim.Adam(model[-1].parameters(), lr=HEAD_LR)


def _full(pretrained, generator):
    """Every layer trainable from the pretrained weights, the new head at a larger rate."""
    model = _copy(pretrained, generator)
    model[-1] = _new_head(generator)
    optimizer = optim.Adam(
        [{"params": model[:-1].parameters(), "lr": BODY_LR}, {"params": model[-1].parameters()}],
        lr=HEAD_LR,
    )
    return model, optimizer


def _scratch(pretrained, generator):
    """The same network, randomly initialised, every layer at the head's rate."""
    model = nn.MLP(_sizes(pretrained[0].in_features), activation="relu", generator=generator)
    return model, optim.Adam(model.parameters(), lr=HEAD_LR)


def _pixels(pretrained, generator):
    """A logistic regression: one Linear layer from the pixels to the 5 classes."""
    model = nn.Linear(pretrained[0].in_features, CLASSES, generator=generator)
    return model, optim.Adam(model.parameters(), lr=HEAD_LR)


BUILDERS = {"frozen": _frozen, "full": _full, "scratch": _scratch, "pixels": _pixels}


def _train(model, optimizer, x, y):
    """STEPS full-batch steps on ``(x, y)``; returns the seconds they took."""
    started = time.perf_counter()
    fit(model, nn.CrossEntropyLoss(), optimizer, DataLoader(x, y, len(x)), epochs=STEPS)
    return time.perf_counter() - started


def _accuracy(model, x, y):
    """The accuracy of ``model`` on ``(x, y)``."""
    return evaluate(model, nn.CrossEntropyLoss(), DataLoader(x, y, len(x)))["accuracy"]


def _changed(pretrained, model):
    """How many scalars of ``model``'s layers below the head differ from ``pretrained``'s, and
    the largest absolute difference."""
    before = [p.numpy() for p in pretrained[:-1].parameters()]
    after = [p.numpy() for p in model[:-1].parameters()]
    changed = sum(int(numpy.count_nonzero(a != b)) for a, b in zip(before, after, strict=True))
    largest = max(float(numpy.max(numpy.abs(a - b))) for a, b in zip(before, after, strict=True))
    return changed, largest


# ----------------------------------------------------------------------------- the trials
def _trials(lab, pretrained, task, shots, seeds):
    """Every method on ``seeds`` draws of ``k`` examples per class, for each ``k`` in ``shots``.

    Returns
    -------
    dict
        ``accuracy`` and ``seconds``: method -> k -> one value per draw; ``trainable``: method ->
        trainable parameter count; ``changed``: method -> (scalars of the pretrained layers that
        changed, summed over the trials; largest change), for the two pretrained methods.
    """
    x_train, y_train, x_test, y_test = task
    found = {"accuracy": {m: {k: [] for k in shots} for m in METHODS},
             "seconds": {m: {k: [] for k in shots} for m in METHODS},
             "trainable": {}, "changed": {"frozen": [0, 0.0], "full": [0, 0.0]}}  # fmt: skip
    for k in shots:
        draws = lab.generator(f"shots-{k}")
        for draw in range(seeds):
            x, y = _shots(x_train, y_train, k, draws)
            for method, build in BUILDERS.items():
                model, optimizer = build(pretrained, lab.generator(f"{method}-{k}-{draw}"))
                found["seconds"][method][k].append(_train(model, optimizer, x, y))
                found["accuracy"][method][k].append(_accuracy(model, x_test, y_test))
                found["trainable"][method] = model.parameter_count().trainable
                if method in found["changed"]:
                    changed, largest = _changed(pretrained, model)
                    found["changed"][method][0] += changed
                    found["changed"][method][1] = max(found["changed"][method][1], largest)
    return found


def _mean(per_k):
    """Mean over the draws, for each k."""
    return {k: float(numpy.mean(values)) for k, values in per_k.items()}


# ----------------------------------------------------------------------------- figures
def _accuracy_figure(found, shots):
    """Test accuracy (mean ± std over the draws) and training time against k, per method."""
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    accuracy_ax, time_ax = figure.subplots(1, 2)
    for method, label in METHODS.items():
        accuracy = numpy.array([found["accuracy"][method][k] for k in shots])
        accuracy_ax.errorbar(shots, accuracy.mean(axis=1), yerr=accuracy.std(axis=1), marker="o",
                             capsize=3, label=label)  # fmt: skip
        seconds = [1000 * numpy.mean(found["seconds"][method][k]) for k in shots]
        time_ax.plot(shots, seconds, marker="o", label=label)
    accuracy_ax.axhline(1 / CLASSES, color="grey", linestyle=":", linewidth=1, label="chance")
    accuracy_ax.set_title("Test accuracy on the new classes 5-9")
    accuracy_ax.set_ylabel("accuracy (mean ± std over the draws)")
    accuracy_ax.set_ylim(0, 1)
    time_ax.set_title(f"Training time of {STEPS} full-batch Adam steps")
    time_ax.set_ylabel("milliseconds (mean over the draws)")
    time_ax.set_ylim(0, None)
    for ax in (accuracy_ax, time_ax):
        ax.set_xscale("log")
        ax.set_xticks(shots, [str(k) for k in shots])
        ax.minorticks_off()
        ax.set_xlabel("k: training examples per new class")
        ax.grid(True, alpha=0.3)
    accuracy_ax.legend(fontsize="small", loc="lower right")
    time_ax.legend(fontsize="small", loc="upper left")
    return figure


# ----------------------------------------------------------------------------- findings
def _record(lab, found, shots, pretrained_accuracy):
    """Measure and tabulate the accuracies, parameter counts and changes of every method."""
    lab.measure(
        pretrained_accuracy_digits_0_to_4=pretrained_accuracy,
        test_accuracy={method: found["accuracy"][method] for method in METHODS},
        mean_test_accuracy={method: _mean(found["accuracy"][method]) for method in METHODS},
        trainable_parameters=found["trainable"],
        pretrained_scalars_changed=found["changed"],
    )
    lab.table("Test accuracy on digits 5-9 (mean over the draws), by examples per class k", [
        {"k": k, **{label: float(numpy.mean(found["accuracy"][method][k]))
                    for method, label in METHODS.items()}}
        for k in shots
    ])  # fmt: skip
    lab.table(
        "Cost of each method: trainable parameters, and training seconds (mean over every trial; "
        "times vary from run to run, so they are not among the measured numbers)",
        [{"method": label, "trainable parameters": found["trainable"][method],
          "training seconds": round(float(numpy.mean(
              [s for per_k in found["seconds"][method].values() for s in per_k])), 4)}
         for method, label in METHODS.items()],
    )  # fmt: skip
    lab.figure("accuracy-vs-k", _accuracy_figure(found, shots),
               "Left: test accuracy on the new digits 5-9 against the number k of training "
               "examples per class, mean and standard deviation over the draws of the examples. "
               "Right: the time each method's training took.")  # fmt: skip


def _claims(lab, found, smallest):
    """The three claims: transfer helps at the smallest k, frozen stays frozen, fewer parameters."""
    mean = {method: float(numpy.mean(found["accuracy"][method][smallest])) for method in METHODS}
    lab.claim(
        f"With few examples a pretrained network helps: at the smallest k ({smallest} per class) "
        "fine-tuning, frozen or full, reaches a higher test accuracy on 5-9 than the same network "
        "trained from scratch (mean over the draws)",
        max(mean["frozen"], mean["full"]) > mean["scratch"],
        "max(frozen, full) > scratch",
        frozen=mean["frozen"],
        full=mean["full"],
        scratch=mean["scratch"],
    )
    changed, largest = found["changed"]["frozen"]
    lab.claim(
        "Frozen layers stay bit-identical: after training the new head, every scalar of the "
        "frozen layers equals the pretrained one exactly, in every trial (while full "
        "fine-tuning changes them)",
        changed == 0 and found["changed"]["full"][0] > 0,
        "frozen_scalars_changed = 0 (and full_scalars_changed > 0)",
        frozen_scalars_changed=changed,
        frozen_largest_change=largest,
        full_scalars_changed=found["changed"]["full"][0],
    )
    trainable = found["trainable"]
    head = HIDDEN[-1] * CLASSES + CLASSES
    lab.claim(
        "Freezing trains fewer parameters: the frozen model trains only its new head's, where "
        "full fine-tuning trains every layer's",
        trainable["frozen"] == head and trainable["frozen"] < trainable["full"],
        f"frozen_trainable = head's {head} < full_trainable",
        frozen_trainable=trainable["frozen"],
        full_trainable=trainable["full"],
    )
    return mean


def _answer(mean, smallest, largest_k, found):
    """The answer the numbers support."""
    final = {method: float(numpy.mean(found["accuracy"][method][largest_k])) for method in METHODS}
    helps = max(mean["frozen"], mean["full"]) > mean["scratch"]
    features = (
        "the raw pixels serve the new digits better than those features do"
        if mean["pixels"] > mean["frozen"]
        else "those features serve the new digits at least as well as the raw pixels do"
    )
    frozen_still = found["changed"]["frozen"][0] == 0
    return (
        f"{'It helps' if helps else 'Here it does not help'}: with {smallest} example per class "
        f"the frozen network reaches {mean['frozen']:.2f} test accuracy on 5-9, the fully "
        f"fine-tuned one {mean['full']:.2f} and the same network from scratch "
        f"{mean['scratch']:.2f} (a logistic regression on the pixels {mean['pixels']:.2f}); "
        f"with {largest_k} per class they reach {final['frozen']:.2f}, {final['full']:.2f}, "
        f"{final['scratch']:.2f} and {final['pixels']:.2f}. A small dense network pretrained on "
        f"five digits learns features for telling those five apart, and with {smallest} example "
        f"per class {features} (a head on the frozen features against a logistic regression on "
        f"the pixels). Freezing trains {found['trainable']['frozen']:,} parameters instead of "
        f"{found['trainable']['full']:,} and leaves the pretrained layers "
        f"{'bit-identical' if frozen_still else 'changed'}."
    )


def _run(lab):
    """Pretrain on digits 0-4, then learn 5-9 from k examples per class in four ways."""
    shots = lab.choose([1, 5, 20], [1, 2, 5, 10, 20, 50, 100])
    seeds = lab.choose(3, 10)
    epochs = lab.choose(20, 40)
    lab.setting(
        dataset="digits", pretraining_classes="0-4", new_classes="5-9 (relabelled 0-4)",
        hidden_widths=list(HIDDEN), activation="relu", optimizer="adam",
        pretraining={**PRETRAIN, "epochs": epochs}, examples_per_class=shots,
        draws_per_k=seeds, steps=STEPS, head_lr=HEAD_LR, body_lr_full_fine_tuning=BODY_LR,
        methods=METHODS, batch="all k·5 examples (full batch)",
    )  # fmt: skip
    data = load_data(Settings(dataset="digits", val_split=0), lab.generator("data"))
    tasks = _tasks(data)
    x_old, y_old, x_old_test, y_old_test = tasks["old"]
    pretrained = _pretrain(x_old, y_old, epochs, lab.generator("pretrain"))
    found = _trials(lab, pretrained, tasks["new"], shots, seeds)
    _record(lab, found, shots, _accuracy(pretrained, x_old_test, y_old_test))
    mean = _claims(lab, found, shots[0])
    lab.answer(_answer(mean, shots[0], shots[-1], found))


EXPERIMENT = Experiment(
    name="fine-tuning",
    question="How much does a pretrained network help when a new task has only a few examples?",
    run=_run,
)
