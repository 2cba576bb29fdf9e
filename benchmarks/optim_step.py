"""Time of one optimizer step() in mlplab beside torch.optim, measured in the same process.

The parameters are those of the 784-256-512-10 MLP in float32, in PyTorch's Linear layout
(weights (out, in), then biases), each with a fixed random gradient. For every optimizer the
script times step() in both libraries (PyTorch's default implementation on CPU, two intra-op
threads) and prints the best time per step and the ratio mlplab / PyTorch (below 1: mlplab
is faster).

Run:  .venv/bin/python benchmarks/optim_step.py [--repeats 20] [--iterations 50] [--threads 2]
"""

import argparse
import itertools
import os
import time

import numpy
import torch

import mlplab
from mlplab import optim

LAYERS = (784, 256, 512, 10)

# (label, optimizer name, settings): the same call builds both libraries' optimizers.
CASES = [
    ("SGD", "SGD", {"lr": 0.01}),
    ("SGD momentum", "SGD", {"lr": 0.01, "momentum": 0.9}),
    (
        "SGD nesterov+wd",
        "SGD",
        {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-4},
    ),
    ("Adagrad", "Adagrad", {}),
    ("RMSprop", "RMSprop", {}),
    ("RMSprop centered+mom", "RMSprop", {"momentum": 0.9, "centered": True}),
    ("Adam", "Adam", {}),
    ("Adam amsgrad", "Adam", {"amsgrad": True}),
    ("AdamW", "AdamW", {}),
]


def shapes():
    """The parameter shapes of the MLP: (out, in) weight then (out,) bias, layer by layer."""
    result = []
    for fan_in, fan_out in itertools.pairwise(LAYERS):
        result += [(fan_out, fan_in), (fan_out,)]
    return result


def make_parameters(library):
    """Parameters with gradients set, in ``library`` (``mlplab`` or ``torch``)."""
    rng = numpy.random.default_rng(0)
    params = []
    for shape in shapes():
        data = (rng.standard_normal(shape) * 0.05).astype(numpy.float32)
        grad = (rng.standard_normal(shape) * 0.01).astype(numpy.float32)
        if library is mlplab:
            p = mlplab.tensor(data, requires_grad=True)
            p.grad = grad
        else:
            p = torch.tensor(data, requires_grad=True)
            p.grad = torch.from_numpy(grad)
        params.append(p)
    return params


def seconds_per_step(optimizers, iterations, repeats):
    """Best time per step of each optimizer over ``repeats`` runs of ``iterations`` steps.

    The optimizers take turns run by run, so that a burst of load from other processes on the
    machine falls on both libraries rather than on one.
    """
    for optimizer in optimizers:
        for _ in range(10):  # state allocation and warm caches happen outside the timing
            optimizer.step()
    best = [float("inf")] * len(optimizers)
    for _ in range(repeats):
        for i, optimizer in enumerate(optimizers):
            start = time.perf_counter()
            for _ in range(iterations):
                optimizer.step()
            best[i] = min(best[i], (time.perf_counter() - start) / iterations)
    return best


def main():
    """Parse the options, time every optimizer in both libraries, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="PyTorch's intra-op threads")
    parser.add_argument("--only", nargs="*", help="labels of the optimizers to time (default all)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    count = sum(int(numpy.prod(s)) for s in shapes())
    print(f"one step() over the 784-256-512-10 MLP's {count} float32 parameters")
    print(
        f"numpy {numpy.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads)"
    )
    print(f"load average over the last minute: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    print(f"{'optimizer':<22}{'mlplab us':>11}{'torch us':>11}{'ratio':>8}")
    for label, name, settings in CASES:
        if args.only and label not in args.only:
            continue
        ours = getattr(optim, name)(make_parameters(mlplab), **settings)
        theirs = getattr(torch.optim, name)(make_parameters(torch), **settings)
        t_ours, t_theirs = seconds_per_step([ours, theirs], args.iterations, args.repeats)
        print(f"{label:<22}{t_ours * 1e6:>11.1f}{t_theirs * 1e6:>11.1f}{t_ours / t_theirs:>8.2f}")


if __name__ == "__main__":
    main()
