"""Training throughput of the reference network in mlplab, PyTorch and scikit-learn, one run.

The reference network is the classic MNIST perceptron: 784-256-512-10, ReLU, softmax
cross-entropy, Adam lr 1e-3, mini-batches of 100. Each library trains it on the same 60,000
Fashion-MNIST images (scaled to [0, 1], float32) for the same number of epochs with shuffling; the
script prints samples per second for each and mlplab's ratio to the others. mlplab runs through
its real training loop (:func:`mlplab.train.fit`, with its per-step loss check and metrics).
PyTorch runs on the CPU with two threads (this machine's cores); NumPy's BLAS uses the same two.

Run:  .venv/bin/python benchmarks/train_mlp.py [--epochs 1] [--repeats 3] [--no-sklearn]
"""

import argparse
import itertools
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


def load_fashion_mnist():
    """Fashion-MNIST's 60,000 training images as float32 (N, 784) in [0, 1] and int64 labels."""
    data = load_dataset("fashion-mnist", download=False)
    return scale_to_unit(flatten_images(data.x_train)), data.y_train.astype(numpy.int64)


def mlplab_seconds(x, y, epochs):
    """Seconds mlplab's training loop takes for ``epochs`` epochs."""
    generator = mlplab.Generator(0)
    model = nn.MLP(list(SIZES), activation="relu", generator=generator)
    optimizer = Adam(model.parameters(), lr=LR)
    loader = DataLoader(x, y, BATCH, shuffle=True, generator=generator)
    start = time.perf_counter()
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=epochs, generators={})
    return time.perf_counter() - start


def torch_seconds(x, y, epochs):
    """Seconds a plain PyTorch loop takes for ``epochs`` epochs (the idiomatic code)."""
    torch.manual_seed(0)
    layers = []
    for i, (width_in, width_out) in enumerate(itertools.pairwise(SIZES)):
        layers.append(torch.nn.Linear(width_in, width_out))
        if i < len(SIZES) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs, targets = torch.from_numpy(x), torch.from_numpy(y)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(inputs))
        for first in range(0, len(inputs), BATCH):
            index = order[first : first + BATCH]
            loss = loss_fn(model(inputs[index]), targets[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss.item()  # as the mlplab loop does, to watch for NaN
    return time.perf_counter() - start


def sklearn_seconds(x, y, epochs):
    """Seconds scikit-learn's MLPClassifier takes for ``epochs`` epochs (max_iter)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=SIZES[1:-1],
        solver="adam",
        batch_size=BATCH,
        learning_rate_init=LR,
        max_iter=epochs,
        random_state=0,
        tol=0.0,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    return time.perf_counter() - start


def main():
    """Time each library and print samples per second and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1, help="epochs per timing (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per library; best kept")
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn")
    args = parser.parse_args()
    torch.set_num_threads(2)
    x, y = load_fashion_mnist()
    samples = len(x) * args.epochs
    runners = {"mlplab": mlplab_seconds, "pytorch": torch_seconds}
    if not args.no_sklearn:
        runners["scikit-learn"] = sklearn_seconds
    best = {name: float("inf") for name in runners}
    for _ in range(args.repeats):  # interleaved, so drifting machine load hits all alike
        for name, runner in runners.items():
            best[name] = min(best[name], runner(x, y, args.epochs))
    print(
        f"784-256-512-10 ReLU, cross-entropy, Adam {LR}, batch {BATCH}, "
        f"{len(x):,} Fashion-MNIST images x {args.epochs} epoch(s), best of {args.repeats}"
    )
    rates = {name: samples / seconds for name, seconds in best.items()}
    for name, rate in rates.items():
        print(f"  {name:<13} {rate:>9,.0f} samples/s   ({best[name]:.2f} s)")
    for name in rates:
        if name != "mlplab":
            print(f"  mlplab / {name}: {rates['mlplab'] / rates[name]:.2f}x")


if __name__ == "__main__":
    main()
