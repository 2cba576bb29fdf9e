"""Wall time of one sweep of 8 small trials: one after another, on 2 local workers, on Ray.

The same 8 trials (hidden 64 or 128, dropout 0 or 0.2, lr 1e-3 or 3e-3; 2-...-2 MLPs on the
generated two-class spirals, 20,000 points, 30 epochs) run three ways, in one run of this script:

1. sequentially, in this process (``workers=1``; BLAS as it comes);
2. with the local backend on 2 worker processes, each held to one BLAS thread;
3. as Ray tasks on a local Ray instance with 2 CPUs, whose start-up is timed and reported apart.

Each way writes its own sweep folder; the script checks that all three give the same per-trial
test figures, bit for bit, and prints the wall times and the speedups over the sequential run
(Ray's with and without its start-up). Goals on a 2-core machine: 1.8x for the local backend,
1.6x for Ray with its start-up included.

Run:  .venv/bin/python benchmarks/sweep_speedup.py [--epochs 30] [--samples 20000]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from mlplab import sweep
from mlplab.sweep.ray import start_local

GRID = {"hidden": [64, 128], "dropout": [0.0, 0.2], "lr": [1e-3, 3e-3]}
WORKERS = 2


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


def timed(label, function):
    """Run ``function()``; returns its wall time in seconds, printed with ``label``."""
    started = time.perf_counter()
    function()
    seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds:7.2f} s", flush=True)
    return seconds


def main():
    """Time the three ways and print the speedups."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30, help="epochs per trial (default 30)")
    parser.add_argument("--samples", type=int, default=20000, help="spirals points (default 20000)")
    args = parser.parse_args()
    base = base_settings(args.epochs, args.samples)
    with tempfile.TemporaryDirectory(prefix="sweep-speedup-") as scratch:
        out = {name: Path(scratch) / name for name in ("sequential", "local", "ray")}

        def run(name, **options):
            return lambda: sweep.run(base, GRID, out=out[name], progress=False, **options)

        print(f"8 trials: spirals ({args.samples} points), {args.epochs} epochs each, {GRID}")
        sequential = timed("sequential (this process)", run("sequential", workers=1))
        local = timed(f"local backend, {WORKERS} workers", run("local", workers=WORKERS))
        ray_holder = {}
        startup = timed(
            f"Ray start-up ({WORKERS} CPUs)", lambda: ray_holder.update(ray=start_local(WORKERS))
        )
        try:
            ray_run = timed(f"Ray backend, {WORKERS} CPUs", run("ray", backend="ray"))
        finally:
            ray_holder["ray"].shutdown()
        same = figures(out["sequential"]) == figures(out["local"]) == figures(out["ray"])
        count = len(figures(out["sequential"]))
    print(f"same per-trial test figures in all three ({count} trials): {'yes' if same else 'NO'}")
    print(f"speedup, local backend:              {sequential / local:5.2f}x  (goal 1.8x)")
    print(f"speedup, Ray with its start-up:      {sequential / (startup + ray_run):5.2f}x  "
          "(goal 1.6x)")  # fmt: skip
    print(f"speedup, Ray without its start-up:   {sequential / ray_run:5.2f}x")


if __name__ == "__main__":
    main()
