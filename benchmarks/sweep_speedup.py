"""Wall time of one sweep of 8 small trials: one after another, on 2 local workers, on Ray.

The same 8 trials (hidden 64 or 128, dropout 0 or 0.2, lr 1e-3 or 3e-3; 2-...-2 MLPs on the
generated two-class spirals, 20,000 points, 30 epochs) run three ways, in one run of this script:

1. sequentially, in one process (``workers=1``; BLAS as it comes);
2. with the local backend on 2 worker processes, each held to one BLAS thread;
3. as Ray tasks on a local Ray instance with 2 CPUs, whose start-up is timed and reported apart.

Each way runs in a fresh process that has imported mlplab, as a user's ``mlplab sweep`` does,
so that nothing one way loaded or compiled carries over to the next; the time is that of the
``sweep.run`` call (for Ray, ``ray`` is imported and started first and that is timed apart).
Each way writes its own sweep folder; the script checks that all three give the same per-trial
test figures, bit for bit, and prints the wall times and the speedups over the sequential run
(Ray's with and without its start-up). This machine's speed drifts by 10% and more from minute
to minute, so the three ways run ``--repeats`` rounds, in alternating order, and the best time of
each way counts (Ray's start-up and run: the best round's sum). Goals on a 2-core machine: 1.8x
for the local backend, 1.6x for Ray with its start-up included.

Run:  .venv/bin/python benchmarks/sweep_speedup.py [--epochs 30] [--samples 20000] [--repeats 2]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mlplab import sweep
from mlplab.sweep.ray import start_local

GRID = {"hidden": [64, 128], "dropout": [0.0, 0.2], "lr": [1e-3, 3e-3]}
WORKERS = 2
# Each way: its label and its number of local workers (Ray: the CPUs of its own instance).
WAYS = {
    "sequential": ("sequential (one process)", 1),
    "local": (f"local backend, {WORKERS} workers", WORKERS),
    "ray": (f"Ray backend, {WORKERS} CPUs", None),
}


def base_settings(epochs, samples):
    """What the 8 trials share."""
    return {
        "dataset": "spirals",
        "dataset_options": {"n_samples": samples},
        "epochs": epochs,
        "batch_size": 32,
        "seed": 0,
    }


def figures(folder):
    """Each trial's test figures, by trial name, from a sweep folder."""
    return {
        path.parent.name: json.loads(path.read_text())["test"]
        for path in sorted((Path(folder) / "trials").glob("*/results.json"))
    }


def measure(way, out, args):
    """Time one way in a fresh process: {"sweep": seconds} and, for Ray, its "start-up" too.

    Every way starts from the same state, a new Python process that has imported mlplab, as a
    user's ``mlplab sweep`` does: nothing one way loaded or compiled (Numba's loops, matplotlib,
    Ray) carries over to the next.
    """
    command = [sys.executable, __file__, "--measure", way, "--out", str(out),
               "--epochs", str(args.epochs), "--samples", str(args.samples)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the {way} way failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def measured_here(way, out, args):
    """The child's part of :func:`measure`: run the sweep ``way``; returns its times."""
    base = base_settings(args.epochs, args.samples)
    if way != "ray":
        started = time.perf_counter()
        sweep.run(base, GRID, out=out, progress=False, workers=WAYS[way][1])
        return {"sweep": time.perf_counter() - started}
    started = time.perf_counter()
    ray = start_local(WORKERS)  # Ray's import included, as in every fresh process
    times = {"start-up": time.perf_counter() - started}
    try:
        started = time.perf_counter()
        sweep.run(base, GRID, out=out, progress=False, backend="ray")
        times["sweep"] = time.perf_counter() - started
    finally:
        ray.shutdown()
    return times


def one_round(scratch, order, args):
    """Each way once, in ``order``; returns {way: seconds} and {way: per-trial figures}.

    Ray's start-up is timed apart, as ``ray-start``.
    """
    times, results = {}, {}
    for way in order:
        out = Path(scratch) / way
        shutil.rmtree(out, ignore_errors=True)
        measured = measure(way, out, args)
        if way == "ray":
            times["ray-start"] = measured["start-up"]
            print(f"  {f'Ray start-up ({WORKERS} CPUs)':<34} {measured['start-up']:7.2f} s")
        times[way] = measured["sweep"]
        print(f"  {WAYS[way][0]:<34} {measured['sweep']:7.2f} s", flush=True)
        results[way] = figures(out)
    return times, results


def main():
    """Time the three ways, round after round in alternating order, and print the speedups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per trial (default 30)")
    parser.add_argument("--samples", type=int, default=20000, help="spirals points (default 20000)")
    parser.add_argument("--repeats", type=int, default=2, help="rounds (default 2)")
    parser.add_argument("--measure", choices=WAYS, help=argparse.SUPPRESS)  # a child's one way
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measured_here(args.measure, args.out, args)))
        return
    print(f"8 trials: spirals ({args.samples} points), {args.epochs} epochs each, {GRID}")
    print(f"load average over the last minute: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    rounds, same = [], True
    with tempfile.TemporaryDirectory(prefix="sweep-speedup-") as scratch:
        for repeat in range(args.repeats):
            order = list(WAYS)
            print(f"round {repeat + 1}:")
            times, results = one_round(scratch, order if repeat % 2 == 0 else order[::-1], args)
            rounds.append(times)
            same = same and results["sequential"] == results["local"] == results["ray"]
    best = {way: min(times[way] for times in rounds) for way in rounds[0]}
    ray_total = min(times["ray-start"] + times["ray"] for times in rounds)
    print(f"same per-trial test figures in all three, every round: {'yes' if same else 'NO'}")
    print(
        f"best of {args.repeats}: sequential {best['sequential']:.2f} s, local "
        f"{best['local']:.2f} s, Ray {best['ray']:.2f} s + start-up {best['ray-start']:.2f} s"
    )
    print(f"speedup, local backend:              {best['sequential'] / best['local']:5.2f}x  "
          "(goal 1.8x)")  # fmt: skip
    print(f"speedup, Ray with its start-up:      {best['sequential'] / ray_total:5.2f}x  "
          "(goal 1.6x)")  # fmt: skip
    print(f"speedup, Ray without its start-up:   {best['sequential'] / best['ray']:5.2f}x")


if __name__ == "__main__":
    main()
