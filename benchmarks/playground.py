"""The playground's speed: training steps and boundary frames per second, beside PyTorch, one run.

The network is TensorFlow Playground's kind: 2-8-8-2, tanh, softmax cross-entropy, Adam lr 0.03,
mini-batches of 10, on 500 training points of the spirals (625 points, a fifth held out for the
test). Three things are measured:

- **steps/s through the session API**: ``SessionManager.train`` -- what the server calls between
  frames -- with nothing drawn; beside it PyTorch's bare loop on the same network, data and batch
  size (one thread, shuffled each epoch). They take turns in short rounds, as in
  ``train_mlp.py``, so that both meet the same conditions on a shared machine; the script prints
  each one's median and the median of the rounds' ratios.
- **frames/s delivered**: ``mlplab serve`` in its own process, a websocket client that plays the
  session and acknowledges every frame as the page does after drawing it; frames received per
  second, and the steps trained meanwhile. The page draws at most one frame per animation frame
  (60/s); the server sends at most 70/s.
- **frame cost**: the server-side time of one frame (100x100 boundary, neuron maps, train and test
  figures, gradient norms, dead units, JSON).

Run:  .venv/bin/python benchmarks/playground.py [--rounds 10] [--seconds 1.0]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy loads: one BLAS thread each

import numpy
import torch

from mlplab.serve import frames
from mlplab.serve.sessions import Limits, SessionManager

PAGE = {"dataset": "spirals", "n_samples": 625, "test_fraction": 0.2, "hidden": "8-8",
        "activation": "tanh", "optimizer": "adam", "lr": 0.03, "batch_size": 10,
        "epochs": 100_000}  # fmt: skip
BATCH, LR = 10, 0.03


def mlplab_rate(manager, entry, seconds):
    """Steps per second of ``entry``'s session, trained through the manager for ``seconds``."""
    started = time.perf_counter()
    steps = manager.train(entry, seconds)
    return steps / (time.perf_counter() - started)


class TorchLoop:
    """PyTorch's bare loop on the same network and data: shuffle, forward, loss, backward, step."""

    def __init__(self, x, y):
        torch.manual_seed(0)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.model = torch.nn.Sequential(
            torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
            torch.nn.Linear(8, 2),
        )  # fmt: skip
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=LR)
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def rate(self, seconds):
        """Steps per second over whole epochs lasting about ``seconds``."""
        steps, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            order = torch.randperm(len(self.x))
            for start in range(0, len(order), BATCH):
                index = order[start : start + BATCH]
                loss = self.loss_fn(self.model(self.x[index]), self.y[index])
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                steps += 1
        return steps / (time.perf_counter() - started)


def frame_cost(session, count=200):
    """Seconds the server spends on one frame of ``session`` (built and written as JSON)."""
    started = time.perf_counter()
    for _ in range(count):
        json.dumps(frames.frame(session))
    return (time.perf_counter() - started) / count


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def delivered(seconds):
    """Frames/s a page receives from ``mlplab serve`` while playing, and steps/s meanwhile."""
    from websockets.sync.client import connect

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlplab", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.1)
        with connect(f"ws://127.0.0.1:{port}/api/live", max_size=None) as page:
            page.send(json.dumps({"type": "start", "settings": PAGE}))
            page.recv()  # ready
            page.recv()  # the first frame
            page.send('{"type": "ack"}')
            page.send('{"type": "play"}')
            first = json.loads(page.recv())
            page.send('{"type": "ack"}')
            count, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                last = page.recv()
                page.send('{"type": "ack"}')
                count += 1
            elapsed = time.perf_counter() - started
        steps = json.loads(last)["step"] - first["step"]
        return count / elapsed, steps / elapsed
    finally:
        server.terminate()
        server.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="turns of each library")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one turn")
    parser.add_argument("--frame-seconds", type=float, default=5.0, help="length of the frames run")
    args = parser.parse_args()
    torch.set_num_threads(1)

    manager = SessionManager(Limits(max_training_seconds=1e9))
    entry = manager.create(PAGE)
    data = entry.session.parts.data
    assert len(data.x_train) == 500
    torch_loop = TorchLoop(data.x_train, data.y_train.astype(numpy.int64))
    mlplab_rate(manager, entry, 0.5)  # warm-up: compiled update rules, caches
    torch_loop.rate(0.5)
    ours, theirs = [], []
    for _ in range(args.rounds):
        time.sleep(0.2)
        ours.append(mlplab_rate(manager, entry, args.seconds))
        time.sleep(0.2)
        theirs.append(torch_loop.rate(args.seconds))
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    print("2-8-8-2 tanh, Adam, batch 10, 500 spirals points; steps per second (median of rounds)")
    print(f"  mlplab, through the session API: {statistics.median(ours):8.0f}")
    print(f"  PyTorch, bare loop:              {statistics.median(theirs):8.0f}")
    print(f"  ratio (median of the rounds):    {statistics.median(ratios):8.2f}x  (goal >= 1.3x)")
    cost = frame_cost(entry.session)
    print(f"one frame on the server: {cost * 1e3:.2f} ms (at most {1 / cost:.0f} frames/s)")
    fps, steps = delivered(args.frame_seconds)
    print(f"mlplab serve, one tab playing: {fps:.1f} frames/s delivered (goal >= 60), "
          f"{steps:.0f} steps/s trained meanwhile")  # fmt: skip


if __name__ == "__main__":
    main()
