"""Per-operation overhead of mlplab's autograd beside PyTorch's, measured in the same process.

A small MLP-like graph on 64x32 tensors (matmul, bias add, relu, sigmoid, multiply, mean, ...)
runs forward and backward many times in each library; the script prints the time per recorded
operation (forward and backward together) and the ratio mlplab / PyTorch. Both run on one CPU
thread (BLAS and PyTorch's intra-op pool), so the figures compare engine overhead, not threading.

Run:  .venv/bin/python benchmarks/autograd_overhead.py [--repeats 7] [--iterations 300]
"""

import argparse
import time

import numpy
import torch
from threadpoolctl import threadpool_limits

import mlplab

BATCH, WIDTH = 64, 32
OPS_PER_STEP = 13  # the operations `step` records, counted by hand below


def step(x, w1, b1, w2, b2, target):
    """One forward and backward pass; the same code runs on mlplab and PyTorch tensors."""
    h = (x @ w1 + b1).relu()  # matmul, add, relu: 3
    y = (h @ w2 + b2).sigmoid()  # matmul, add, sigmoid: 3
    diff = y - target  # sub: 1
    loss = (diff * diff).mean() + 0.01 * (w1 * w1).sum()  # mul, mean, mul, sum, mul, add: 6
    loss.backward()
    return loss


def make_inputs(library, dtype):
    """The graph's inputs and parameters in ``library`` (``mlplab`` or ``torch``)."""
    rng = numpy.random.default_rng(0)
    arrays = [
        rng.standard_normal((BATCH, WIDTH)),
        rng.standard_normal((WIDTH, WIDTH)) / WIDTH**0.5,
        numpy.zeros(WIDTH),
        rng.standard_normal((WIDTH, WIDTH)) / WIDTH**0.5,
        numpy.zeros(WIDTH),
        rng.uniform(size=(BATCH, WIDTH)),
    ]
    trainable = [False, True, True, True, True, False]
    return [
        library.tensor(a.astype(dtype), requires_grad=grad)
        for a, grad in zip(arrays, trainable, strict=True)
    ]


def seconds_per_step(inputs, iterations):
    """Time of ``iterations`` steps, per step."""
    for t in inputs:
        t.grad = None
    start = time.perf_counter()
    for _ in range(iterations):
        step(*inputs)
    return (time.perf_counter() - start) / iterations


def main():
    """Time both libraries and print microseconds per operation and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    torch.set_num_threads(1)
    dtype = numpy.float32
    with threadpool_limits(limits=1):
        ours = make_inputs(mlplab, dtype)
        theirs = make_inputs(torch, dtype)
        # The same numbers in both, so the timed work is the same.
        loss_ours, loss_theirs = step(*ours).item(), step(*theirs).item()
        if not numpy.isclose(loss_ours, loss_theirs, rtol=1e-5):
            raise SystemExit(f"losses differ: mlplab {loss_ours}, torch {loss_theirs}")
        # Alternate the two and keep each one's best run, so that load from other processes
        # on the machine falls on both alike.
        t_ours = t_theirs = float("inf")
        for _ in range(args.repeats):
            t_ours = min(t_ours, seconds_per_step(ours, args.iterations))
            t_theirs = min(t_theirs, seconds_per_step(theirs, args.iterations))
    print(
        f"graph: {OPS_PER_STEP} ops on {BATCH}x{WIDTH} float32 tensors, forward + backward, "
        "1 thread"
    )
    print(f"mlplab  {mlplab.__version__:>8}: {1e6 * t_ours / OPS_PER_STEP:7.2f} us/op")
    print(f"PyTorch {torch.__version__:>8}: {1e6 * t_theirs / OPS_PER_STEP:7.2f} us/op")
    print(f"ratio mlplab / PyTorch: {t_ours / t_theirs:.2f}")


if __name__ == "__main__":
    main()
