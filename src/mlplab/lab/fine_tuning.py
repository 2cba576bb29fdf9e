"""Fine-tuning: when a network pretrained on digits 0-4 helps to learn 5-9 from k examples.

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

Pretraining helps only where it taught the network something the new task needs and cannot
learn from k examples. So the experiment runs twice:

- **aligned**: the digits as they are, centred in their 8x8 frame. The pixels are already a good
  representation of a digit, and features learnt for telling 0-4 apart discard what tells 5-9
  apart: there pretraining is expected not to help;
- **shifted**: each digit at a random place in a 12x12 frame, as a digit is wherever the writer
  put it. Pretraining sees every image of 0-4 at many places and learns features that do not
  care where a stroke is; k examples of 5-9 cannot teach that, so there pretraining should help.

The experiment measures each method's trainable parameters, training time and test accuracy on
5-9 for every k, averaged over several draws of the k examples, and checks that frozen layers stay
bit-identical while only the head learns.
"""

import time

import numpy
from matplotlib.figure import Figure

from mlplab import nn, optim
from mlplab.data import DataLoader, load_dataset
from mlplab.lab.registry import Experiment
from mlplab.train import evaluate, fit

CLASSES = 5  # the pretraining task is digits 0-4, the new task digits 5-9
HIDDEN = (256, 128)  # the widths of the hidden layers
PRETRAIN = {"lr": 1e-3, "batch_size": 32}
HEAD_LR = 1e-2  # the rate of every new parameter: a new head, a network trained from scratch
BODY_LR = 1e-3  # full fine-tuning moves the pretrained layers at a tenth of the head's rate
STEPS = 100  # full-batch Adam steps on the k examples, the same for every method
DIGIT = 8  # the digits' own frame, in pixels
FRAME = 12  # the shifted digits' frame: a digit moves up to FRAME - DIGIT pixels either way
PLACES = 16  # places of each pretraining image in the shifted frame
METHODS = {
    "frozen": "pretrained, frozen, new head",
    "full": "pretrained, fully fine-tuned",
    "scratch": "same network from scratch",
    "pixels": "logistic regression on pixels",
}
CONDITIONS = {
    "aligned": "digits centred in their 8x8 frame",
    "shifted": f"digits at random places in a {FRAME}x{FRAME} frame",
}


# ----------------------------------------------------------------------------- data
def _split(images, labels):
    """``(images, labels)`` of digits 0-4 and of 5-9 (relabelled 0-4), as ``{"old", "new"}``."""
    old = labels < CLASSES
    return {"old": (images[old], labels[old]), "new": (images[~old], labels[~old] - CLASSES)}


def _digits():
    """The 8x8 digits as images with values in [0, 1]: ``{"train", "test"}`` -> old/new parts."""
    data = load_dataset("digits")
    scale = data.meta["max_value"]
    return {
        "train": _split(data.x_train.reshape(-1, DIGIT, DIGIT) / scale, data.y_train),
        "test": _split(data.x_test.reshape(-1, DIGIT, DIGIT) / scale, data.y_test),
    }


def _placed(images, copies, generator):
    """``copies`` versions of every image, each at a random place in a FRAME x FRAME frame, flat
    (copy-major: the first ``len(images)`` rows are the first copy of each image)."""
    room = FRAME - DIGIT + 1
    framed = numpy.zeros((copies, len(images), FRAME, FRAME))
    rows = numpy.asarray(generator.integers(0, room, (copies, len(images))))
    columns = numpy.asarray(generator.integers(0, room, (copies, len(images))))
    for copy in range(copies):
        for index, image in enumerate(images):
            top, left = rows[copy, index], columns[copy, index]
            framed[copy, index, top : top + DIGIT, left : left + DIGIT] = image
    return framed.reshape(copies * len(images), FRAME * FRAME)


def _condition(digits, name, generator):
    """The pretraining set and the new task of one condition, as flat inputs:
    ``{"old": (x, y), "old_test": ..., "new": ..., "new_test": ...}``."""
    parts = {}
    for split, suffix in (("train", ""), ("test", "_test")):
        for task in ("old", "new"):
            images, labels = digits[split][task]
            if name == "aligned":
                parts[task + suffix] = (images.reshape(len(images), -1), labels)
                continue
            # Only the pretraining set sees each image at many places; the new task's k
            # examples and every test image appear once, each at its own place.
            copies = PLACES if (task, split) == ("old", "train") else 1
            parts[task + suffix] = (_placed(images, copies, generator), numpy.tile(labels, copies))
    return parts


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
def _trials(lab, condition, pretrained, parts, shots, seeds):
    """Every method on ``seeds`` draws of ``k`` examples per class, for each ``k`` in ``shots``,
    in one condition.

    Returns
    -------
    dict
        ``accuracy`` and ``seconds``: method -> k -> one value per draw; ``trainable``: method ->
        trainable parameter count; ``changed``: method -> (scalars of the pretrained layers that
        changed, summed over the trials; largest change), for the two pretrained methods.
    """
    (x_train, y_train), (x_test, y_test) = parts["new"], parts["new_test"]
    found = {"accuracy": {m: {k: [] for k in shots} for m in METHODS},
             "seconds": {m: {k: [] for k in shots} for m in METHODS},
             "trainable": {}, "changed": {"frozen": [0, 0.0], "full": [0, 0.0]}}  # fmt: skip
    for k in shots:
        draws = lab.generator(f"{condition}-shots-{k}")
        for draw in range(seeds):
            x, y = _shots(x_train, y_train, k, draws)
            for method, build in BUILDERS.items():
                model, optimizer = build(
                    pretrained, lab.generator(f"{condition}-{method}-{k}-{draw}")
                )
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


def _means_at(found, k):
    """Each method's mean test accuracy over the draws at ``k`` examples per class."""
    return {method: float(numpy.mean(found["accuracy"][method][k])) for method in METHODS}


def _margin(mean):
    """How far the better pretrained method is above the network trained from scratch."""
    return max(mean["frozen"], mean["full"]) - mean["scratch"]


# ----------------------------------------------------------------------------- figures
def _accuracy_figure(found, shots):
    """Test accuracy (mean ± std over the draws) against k per method, for each condition, and
    the training time on the shifted digits."""
    figure = Figure(figsize=(15, 4.5), layout="constrained")
    *accuracy_axes, time_ax = figure.subplots(1, 3)
    for ax, (condition, about) in zip(accuracy_axes, CONDITIONS.items(), strict=True):
        for method, label in METHODS.items():
            accuracy = numpy.array([found[condition]["accuracy"][method][k] for k in shots])
            ax.errorbar(shots, accuracy.mean(axis=1), yerr=accuracy.std(axis=1), marker="o",
                        capsize=3, label=label)  # fmt: skip
        ax.axhline(1 / CLASSES, color="grey", linestyle=":", linewidth=1, label="chance")
        ax.set_title(f"{condition.capitalize()}: {about}", fontsize="medium")
        ax.set_ylabel("test accuracy on 5-9 (mean ± std over the draws)")
        ax.set_ylim(0, 1)
        ax.legend(fontsize="small", loc="lower right")
    for method, label in METHODS.items():
        seconds = [1000 * numpy.mean(found["shifted"]["seconds"][method][k]) for k in shots]
        time_ax.plot(shots, seconds, marker="o", label=label)
    time_ax.set_title(
        f"Training time of {STEPS} full-batch Adam steps (shifted)", fontsize="medium"
    )
    time_ax.set_ylabel("milliseconds (mean over the draws)")
    time_ax.set_ylim(0, None)
    time_ax.legend(fontsize="small", loc="upper left")
    for ax in (*accuracy_axes, time_ax):
        ax.set_xscale("log")
        ax.set_xticks(shots, [str(k) for k in shots])
        ax.minorticks_off()
        ax.set_xlabel("k: training examples per new class")
        ax.grid(True, alpha=0.3)
    return figure


def _examples_figure(parts):
    """The first training image of each new digit, aligned and shifted."""
    figure = Figure(figsize=(10, 4.4), layout="constrained")
    axes = figure.subplots(2, CLASSES)
    for row, condition in zip(axes, CONDITIONS, strict=True):
        x, y = parts[condition]["new"]
        side = round(numpy.sqrt(x.shape[1]))
        for label, ax in enumerate(row):
            ax.imshow(x[numpy.flatnonzero(y == label)[0]].reshape(side, side), cmap="gray_r")
            ax.set_title(f"{condition}: {label + CLASSES}", fontsize="small")
            ax.set_xticks([])
            ax.set_yticks([])
    return figure


# ----------------------------------------------------------------------------- findings
def _record(lab, found, shots, pretrained_accuracy, parts):
    """Measure and tabulate the accuracies, parameter counts and changes of every method."""
    lab.measure(
        pretrained_accuracy_digits_0_to_4=pretrained_accuracy,
        test_accuracy={c: {m: found[c]["accuracy"][m] for m in METHODS} for c in CONDITIONS},
        mean_test_accuracy={c: {m: _mean(found[c]["accuracy"][m]) for m in METHODS}
                            for c in CONDITIONS},
        trainable_parameters={c: found[c]["trainable"] for c in CONDITIONS},
        pretrained_scalars_changed={c: found[c]["changed"] for c in CONDITIONS},
    )  # fmt: skip
    for condition, about in CONDITIONS.items():
        lab.table(f"{condition.capitalize()} ({about}): test accuracy on digits 5-9 (mean over "
                  "the draws), by examples per class k", [
            {"k": k, **{label: float(numpy.mean(found[condition]["accuracy"][method][k]))
                        for method, label in METHODS.items()}}
            for k in shots
        ])  # fmt: skip
    lab.table(
        "Cost of each method: trainable parameters and training seconds (mean over every trial; "
        "times vary from run to run, so they are not among the measured numbers)",
        [{"method": label,
          **{f"trainable parameters ({c})": found[c]["trainable"][method] for c in CONDITIONS},
          "training seconds (shifted)": round(float(numpy.mean(
              [s for per_k in found["shifted"]["seconds"][method].values() for s in per_k])), 4)}
         for method, label in METHODS.items()],
    )  # fmt: skip
    lab.figure("accuracy-vs-k", _accuracy_figure(found, shots),
               "Test accuracy on the new digits 5-9 against the number k of training examples "
               "per class, mean and standard deviation over the draws of the examples: left the "
               "aligned digits, middle the shifted ones. Right: the time each method's training "
               "took on the shifted digits.")  # fmt: skip
    lab.figure(
        "new-digits",
        _examples_figure(parts),
        "One training image of each new digit, aligned (top) and shifted (bottom).",
    )


def _claims(lab, found, smallest):
    """The claims: transfer helps on the shifted digits at the smallest k, more than on the
    aligned ones; frozen stays frozen; freezing trains fewer parameters."""
    mean = {condition: _means_at(found[condition], smallest) for condition in CONDITIONS}
    shifted, aligned = mean["shifted"], mean["aligned"]
    lab.claim(
        f"Where pretraining taught what the new task needs, it helps with few examples: on the "
        f"shifted digits at the smallest k ({smallest} per class) fine-tuning, frozen or full, "
        "reaches a higher test accuracy on 5-9 than the same network trained from scratch (mean "
        "over the draws)",
        _margin(shifted) > 0,
        "max(frozen, full) > scratch",
        frozen=shifted["frozen"],
        full=shifted["full"],
        scratch=shifted["scratch"],
    )
    lab.claim(
        "Pretraining helps more where the new task shares what it taught: at the smallest k the "
        "better pretrained method's lead over scratch is larger on the shifted digits than on "
        "the aligned ones",
        _margin(shifted) > _margin(aligned),
        "shifted_margin > aligned_margin",
        shifted_margin=_margin(shifted),
        aligned_margin=_margin(aligned),
    )
    changed = sum(found[c]["changed"]["frozen"][0] for c in CONDITIONS)
    full_changed = sum(found[c]["changed"]["full"][0] for c in CONDITIONS)
    lab.claim(
        "Frozen layers stay bit-identical: after training the new head, every scalar of the "
        "frozen layers equals the pretrained one exactly, in every trial (while full "
        "fine-tuning changes them)",
        changed == 0 and full_changed > 0,
        "frozen_scalars_changed = 0 (and full_scalars_changed > 0)",
        frozen_scalars_changed=changed,
        frozen_largest_change=max(found[c]["changed"]["frozen"][1] for c in CONDITIONS),
        full_scalars_changed=full_changed,
    )
    trainable = found["shifted"]["trainable"]
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
    final = {condition: _means_at(found[condition], largest_k) for condition in CONDITIONS}

    def line(condition):
        at_small, at_large = mean[condition], final[condition]
        return (
            f"frozen {at_small['frozen']:.2f}, full {at_small['full']:.2f}, scratch "
            f"{at_small['scratch']:.2f}, pixels {at_small['pixels']:.2f} with {smallest} per "
            f"class ({at_large['frozen']:.2f}, {at_large['full']:.2f}, "
            f"{at_large['scratch']:.2f}, {at_large['pixels']:.2f} with {largest_k})"
        )

    helps = {condition: _margin(mean[condition]) > 0 for condition in CONDITIONS}
    verdict = {True: "helps", False: "does not help"}
    frozen = all(found[c]["changed"]["frozen"][0] == 0 for c in CONDITIONS)
    return (
        f"It depends on what pretraining taught. On the aligned digits pretraining on 0-4 "
        f"{verdict[helps['aligned']]} with 5-9 ({line('aligned')}): the raw pixels of a "
        f"centred 8x8 digit already tell digits apart, and features learnt for 0-4 keep what "
        f"tells 0-4 apart, not 5-9. On the shifted digits it {verdict[helps['shifted']]} "
        f"({line('shifted')}): pretraining saw every digit at many places and learnt features "
        f"that do not care where a stroke is, which {smallest} example per class cannot teach "
        f"a network from scratch or a logistic regression on the pixels. Freezing trains "
        f"{found['shifted']['trainable']['frozen']:,} parameters instead of "
        f"{found['shifted']['trainable']['full']:,} and leaves the pretrained layers "
        f"{'bit-identical' if frozen else 'changed'}."
    )


def _run(lab):
    """Pretrain on digits 0-4, then learn 5-9 from k examples per class in four ways, on aligned
    and on shifted digits."""
    shots = lab.choose([1, 5, 20], [1, 2, 5, 10, 20, 50, 100])
    seeds = lab.choose(3, 10)
    epochs = lab.choose(10, 20)
    lab.setting(
        dataset="digits", pretraining_classes="0-4", new_classes="5-9 (relabelled 0-4)",
        conditions=CONDITIONS, shifted_frame=[FRAME, FRAME], pretraining_places_per_image=PLACES,
        pixel_scale="0-16 divided by 16", hidden_widths=list(HIDDEN), activation="relu",
        optimizer="adam", pretraining={**PRETRAIN, "epochs": epochs}, examples_per_class=shots,
        draws_per_k=seeds, steps=STEPS, head_lr=HEAD_LR, body_lr_full_fine_tuning=BODY_LR,
        methods=METHODS, batch="all k·5 examples (full batch)",
    )  # fmt: skip
    digits = _digits()
    parts = {c: _condition(digits, c, lab.generator(f"{c}-places")) for c in CONDITIONS}
    found, pretrained_accuracy = {}, {}
    for condition in CONDITIONS:
        (x_old, y_old), (x_old_test, y_old_test) = (
            parts[condition]["old"],
            parts[condition]["old_test"],
        )
        pretrained = _pretrain(x_old, y_old, epochs, lab.generator(f"{condition}-pretrain"))
        pretrained_accuracy[condition] = _accuracy(pretrained, x_old_test, y_old_test)
        found[condition] = _trials(lab, condition, pretrained, parts[condition], shots, seeds)
    _record(lab, found, shots, pretrained_accuracy, parts)
    mean = _claims(lab, found, shots[0])
    lab.answer(_answer(mean, shots[0], shots[-1], found))


EXPERIMENT = Experiment(
    name="fine-tuning",
    question="When does a pretrained network help a new task that has only a few examples?",
    run=_run,
)
