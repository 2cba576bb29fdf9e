"""mlplab's MLPClassifier beside scikit-learn's, same settings, fit time and test accuracy, one run.

Both estimators get the same network (ReLU hidden layers, softmax cross-entropy), Adam at
lr 1e-3, the same mini-batch size and the same number of epochs, with no weight decay, no early
stopping and no convergence stop (scikit-learn's ``tol=0`` with a patience past the last
epoch). Both see the same inputs, scaled the same way: mlplab's estimator scales raw inputs
itself (8-bit pixels by 1/255, other features standardised), and scikit-learn gets them scaled
alike beforehand, in float32, the type it trains fastest in. Each data set is fitted ``--repeats``
times per library, the libraries taking turns, fit ``k`` with random_state ``k``: the best fit time
counts, and the test accuracy is the mean over those seeds (the two libraries draw different
initial weights and batches from a seed, so one seed's accuracies differ by chance alone).

Data sets: scikit-learn's 8x8 digits (64-256-10, batch 200 -- scikit-learn's "auto" --, 50
epochs) and Fashion-MNIST (784-256-512-10, batch 100, 10 epochs; from Debian's
dataset-fashion-mnist or mlplab's cache).

BLAS threads: both libraries' matrix products go through NumPy's BLAS in this one process. On a
loaded machine OpenBLAS's threads can stall small products by milliseconds (measured here:
(32, 64) @ (64, 256) in float32 took 2.2 ms with two threads against 0.04 ms with one), so
``--blas-threads`` can pin them for both alike (threadpoolctl).

Run:  .venv/bin/python benchmarks/sklearn_mlp.py [--repeats 5] [--fashion-epochs 10]
      [--digits-epochs 50] [--blas-threads N] [--no-fashion]
"""

import argparse
import os
import time
import warnings
from dataclasses import dataclass

import numpy
import threadpoolctl
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

from mlplab.data import flatten_images, load_dataset, standardization
from mlplab.sklearn import MLPClassifier

LR = 1e-3
GAP = 0.25  # seconds of rest before each fit, for BLAS threads of the last one to go to sleep


@dataclass
class Problem:
    """One data set and the network, batch size and epochs both libraries train on it."""

    name: str
    hidden: tuple
    batch_size: int
    epochs: int
    x_train: numpy.ndarray
    x_test: numpy.ndarray
    y_train: numpy.ndarray
    y_test: numpy.ndarray


def digits(epochs):
    """The 8x8 digits, a fixed 25% test split, raw values 0-16."""
    x, y = load_digits(return_X_y=True)
    return Problem("digits", (256,), 200, epochs, *train_test_split(x, y, test_size=0.25,
                                                                   random_state=0))  # fmt: skip


def fashion_mnist(epochs):
    """Fashion-MNIST's official split, raw uint8 pixels, flattened."""
    data = load_dataset("fashion-mnist", download=False)
    return Problem(
        "fashion-mnist", (256, 512), 100, epochs, flatten_images(data.x_train),
        flatten_images(data.x_test), data.y_train, data.y_test,
    )  # fmt: skip


def scaled_like_mlplab(x_train, x_test):
    """The inputs as mlplab's estimator scales them, in float32, for scikit-learn."""
    if x_train.dtype == numpy.uint8:
        return (x_train / 255).astype(numpy.float32), (x_test / 255).astype(numpy.float32)
    mean, std = standardization(x_train)
    return (((x - mean) / std).astype(numpy.float32) for x in (x_train, x_test))


def mlplab_fit(problem, seed=0):
    """Fit mlplab's estimator; returns (seconds, test accuracy)."""
    estimator = MLPClassifier(
        problem.hidden, optimizer="adam", learning_rate_init=LR, batch_size=problem.batch_size,
        max_iter=problem.epochs, random_state=seed,
    )  # fmt: skip
    start = time.perf_counter()
    estimator.fit(problem.x_train, problem.y_train)
    seconds = time.perf_counter() - start
    return seconds, estimator.score(problem.x_test, problem.y_test)


def sklearn_fit(problem, x_train, x_test, seed=0):
    """Fit scikit-learn's MLPClassifier on pre-scaled inputs; returns (seconds, test accuracy)."""
    estimator = SklearnMLPClassifier(
        problem.hidden, solver="adam", alpha=0.0, learning_rate_init=LR,
        batch_size=problem.batch_size, max_iter=problem.epochs, tol=0.0,
        n_iter_no_change=problem.epochs + 1, random_state=seed,
    )  # fmt: skip
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not converged": all epochs run, as asked
        estimator.fit(x_train, problem.y_train)
    seconds = time.perf_counter() - start
    assert estimator.n_iter_ == problem.epochs
    return seconds, estimator.score(x_test, problem.y_test)


def _slice(problem, rows=1000):
    """The first ``rows`` training and test rows: x_train, x_test, y_train, y_test."""
    return (problem.x_train[:rows], problem.x_test[:rows], problem.y_train[:rows],
            problem.y_test[:rows])  # fmt: skip


def compare(problem, repeats):
    """Best fit time and test accuracies (one per seed) of each library, taking turns."""
    x_train, x_test = scaled_like_mlplab(problem.x_train, problem.x_test)
    fits = {
        "mlplab": lambda seed: mlplab_fit(problem, seed),
        "scikit-learn": lambda seed: sklearn_fit(problem, x_train, x_test, seed),
    }
    # One untimed epoch each first: mlplab's first step loads its compiled Adam loop.
    warm_up = Problem(problem.name, problem.hidden, problem.batch_size, 1, *_slice(problem))
    mlplab_fit(warm_up)
    sklearn_fit(warm_up, *scaled_like_mlplab(warm_up.x_train, warm_up.x_test))
    times = {name: [] for name in fits}
    accuracies = {name: [] for name in fits}
    for repeat in range(repeats):
        order = list(fits) if repeat % 2 == 0 else list(reversed(fits))
        for name in order:
            time.sleep(GAP)
            seconds, score = fits[name](repeat)
            times[name].append(seconds)
            accuracies[name].append(score)
    return {name: (min(times[name]), numpy.array(accuracies[name])) for name in fits}


def main():
    """Fit both libraries on each data set and print times, accuracies and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeats", type=int, default=5, help="fits (seeds) per library (default 5)"
    )
    parser.add_argument("--digits-epochs", type=int, default=50, help="default 50")
    parser.add_argument("--fashion-epochs", type=int, default=10, help="default 10")
    parser.add_argument("--blas-threads", type=int, help="BLAS threads (default: BLAS's own)")
    parser.add_argument("--no-fashion", action="store_true", help="digits only")
    args = parser.parse_args()
    if args.blas_threads is not None:
        threadpoolctl.threadpool_limits(args.blas_threads, user_api="blas")
    threads = [pool["num_threads"] for pool in threadpoolctl.threadpool_info()
               if pool["user_api"] == "blas"]  # fmt: skip
    problems = [digits(args.digits_epochs)]
    if not args.no_fashion:
        problems.append(fashion_mnist(args.fashion_epochs))
    print(
        f"load average over the last minute: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores), "
        f"BLAS threads {threads}"
    )
    for problem in problems:
        results = compare(problem, args.repeats)
        layers = "-".join(map(str, (problem.x_train.shape[1], *problem.hidden, 10)))
        print(
            f"{problem.name}: {layers} ReLU, Adam {LR}, batch {problem.batch_size}, "
            f"{problem.epochs} epochs, {len(problem.x_train):,} training rows, best time of "
            f"{args.repeats}, accuracy mean \u00b1 std over seeds 0-{args.repeats - 1}"
        )
        for name, (seconds, accuracy) in results.items():
            print(
                f"  {name:<13} fit {seconds:8.2f} s   test accuracy {accuracy.mean():.4f} "
                f"\u00b1 {accuracy.std():.4f}"
            )
        (ours, our_accuracy), (theirs, their_accuracy) = results.values()
        gain = our_accuracy.mean() - their_accuracy.mean()
        print(
            f"  mlplab is {theirs / ours:.2f}x faster, mean test accuracy {gain:+.4f}"
            f"{_standard_error(our_accuracy, their_accuracy)}"
        )


def _standard_error(ours, theirs):
    """How far two means of this many seeds fall apart by chance alone, as text ("" for one
    seed, which says nothing of the spread)."""
    if len(ours) < 2:
        return ""
    error = numpy.sqrt((ours.var(ddof=1) + theirs.var(ddof=1)) / len(ours))
    return f" (standard error of that difference {error:.4f})"


if __name__ == "__main__":
    main()
