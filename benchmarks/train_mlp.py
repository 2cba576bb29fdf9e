"""Training throughput of the reference network in mlplab, PyTorch and scikit-learn, one run.

The reference network is the classic MNIST perceptron: 784-256-512-10, ReLU, softmax
cross-entropy, Adam lr 1e-3, mini-batches of 100, trained on Fashion-MNIST's 60,000 training
images (scaled to [0, 1], float32). mlplab runs through its real training loop
(:func:`mlplab.train.fit`, with its per-step loss check and metrics); PyTorch runs the idiomatic
loop on the CPU with two threads (this machine's cores; NumPy's BLAS uses the same two);
scikit-learn's ``MLPClassifier`` trains by ``partial_fit``.

The libraries take turns: in each round every one trains on the same chunk of shuffled images
(6,000 by default), one after the other, and the chunks walk through the data set epoch after
epoch. A shared machine's speed drifts over tens of seconds (on this one, PyTorch's rate moves
between about 30,000 and 50,000 samples/s), so rounds a few tenths of a second long let the
libraries meet the same conditions. Each timing starts after a quarter of a second of rest, so
that the threads the previous library left spinning do not share the cores with the next. The
script prints each library's best and median rate over the rounds, and two ratios: best against
best, and the median of the rounds' own ratios, each comparing timings taken back to back.

Run:  .venv/bin/python benchmarks/train_mlp.py [--rounds 30] [--chunk 6000] [--no-sklearn]
"""

import argparse
import itertools
import os
import statistics
import time
import warnings

import numpy
import torch

import mlplab
from mlplab import nn
from mlplab.data import DataLoader, flatten_images, load_dataset, scale_to_unit
from mlplab.optim import Adam
from mlplab.train import fit

SIZES = (784, 256, 512, 10)
BATCH, LR = 100, 1e-3
#: Seconds of rest before each timing, for the threads the previous library left spinning
#: (OpenBLAS's, OpenMP's) to go to sleep instead of sharing the cores with the next one.
GAP = 0.25


def load_fashion_mnist():
    """Fashion-MNIST's 60,000 training images as float32 (N, 784) in [0, 1] and int64 labels."""
    data = load_dataset("fashion-mnist", download=False)
    return scale_to_unit(flatten_images(data.x_train)), data.y_train.astype(numpy.int64)


class MlplabTrainer:
    """The reference network in mlplab, trained chunk by chunk through :func:`fit`."""

    name = "mlplab"

    def __init__(self):
        generator = mlplab.Generator(0)
        self.model = nn.MLP(list(SIZES), activation="relu", generator=generator)
        self.optimizer = Adam(self.model.parameters(), lr=LR)
        self.loss_fn = nn.CrossEntropyLoss()

    def train(self, x, y):
        """One pass over the chunk (x, y) in mini-batches of BATCH."""
        loader = DataLoader(x, y, BATCH, shuffle=False)
        fit(self.model, self.loss_fn, self.optimizer, loader, epochs=1, generators={})


class TorchTrainer:
    """The reference network in PyTorch, trained by the idiomatic loop."""

    name = "pytorch"

    def __init__(self):
        torch.manual_seed(0)
        layers = []
        for i, (width_in, width_out) in enumerate(itertools.pairwise(SIZES)):
            layers.append(torch.nn.Linear(width_in, width_out))
            if i < len(SIZES) - 2:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def train(self, x, y):
        """One pass over the chunk (x, y) in mini-batches of BATCH."""
        inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
        for first in range(0, len(inputs), BATCH):
            loss = self.loss_fn(
                self.model(inputs[first : first + BATCH]), targets[first : first + BATCH]
            )
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            loss.item()  # as the mlplab loop does, to watch for NaN


class SklearnTrainer:
    """scikit-learn's MLPClassifier with the same network, trained by ``partial_fit``."""

    name = "scikit-learn"

    def __init__(self):
        from sklearn.neural_network import MLPClassifier

        self.model = MLPClassifier(
            hidden_layer_sizes=SIZES[1:-1],
            solver="adam",
            batch_size=BATCH,
            learning_rate_init=LR,
            random_state=0,
        )

    def train(self, x, y):
        """One pass over the chunk (x, y): partial_fit is one epoch over what it is given."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model.partial_fit(x, y, classes=numpy.arange(SIZES[-1]))


def chunks(x, y, size, count, seed=0):
    """``count`` chunks of ``size`` shuffled images, walking through the data epoch by epoch."""
    rng = numpy.random.default_rng(seed)
    order = rng.permutation(len(x))
    position = 0
    for _ in range(count):
        if position + size > len(order):
            order, position = rng.permutation(len(x)), 0
        index = order[position : position + size]
        position += size
        yield numpy.ascontiguousarray(x[index]), y[index]


def timed_rounds(trainers, x, y, chunk, rounds):
    """Samples per second of each trainer in each round (after one untimed warm-up round)."""
    rates = {trainer.name: [] for trainer in trainers}
    for round_number, (xs, ys) in enumerate(chunks(x, y, chunk, rounds + 1)):
        # Who goes first rotates, so that no library always follows the same one.
        turn = round_number % len(trainers)
        for trainer in trainers[turn:] + trainers[:turn]:
            time.sleep(GAP)
            start = time.perf_counter()
            trainer.train(xs, ys)
            seconds = time.perf_counter() - start
            if round_number > 0:
                rates[trainer.name].append(len(xs) / seconds)
    return rates


def main():
    """Time the libraries round by round and print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--chunk", type=int, default=6000, help="images per round (default 6000)")
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn")
    args = parser.parse_args()
    torch.set_num_threads(2)
    x, y = load_fashion_mnist()
    trainers = [MlplabTrainer(), TorchTrainer()]
    if not args.no_sklearn:
        trainers.append(SklearnTrainer())
    rates = timed_rounds(trainers, x, y, args.chunk, args.rounds)
    print(
        f"784-256-512-10 ReLU, cross-entropy, Adam {LR}, batch {BATCH}, Fashion-MNIST: "
        f"{args.rounds} rounds of {args.chunk:,} images per library"
    )
    print(f"load average over the last minute: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    for name, values in rates.items():
        print(
            f"  {name:<13} best {max(values):>9,.0f} samples/s   "
            f"median {statistics.median(values):>9,.0f} samples/s"
        )
    ours = rates["mlplab"]
    for name, values in rates.items():
        if name == "mlplab":
            continue
        paired = statistics.median(a / b for a, b in zip(ours, values, strict=True))
        print(
            f"  mlplab / {name}: {max(ours) / max(values):.2f}x best against best, "
            f"{paired:.2f}x median of the rounds' ratios"
        )


if __name__ == "__main__":
    main()
