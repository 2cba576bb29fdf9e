"""The local backend: trials in worker processes on this machine, each held to one BLAS thread.

With ``workers`` processes each running one trial at a time, and BLAS in each held to one thread,
the trials share the cores without oversubscribing them. Workers are started with ``spawn`` (a
fresh interpreter: nothing of the driver's threads or state is inherited). They ignore Ctrl-C
between trials (a trial being trained stops at its next batch, as ``run()`` does) and exit if the
driver dies, so a ``kill -9`` of the sweep leaves no worker behind. One worker runs the trials
in the driver's own process, one after another.
"""

import concurrent.futures
import multiprocessing
import os
import signal
import threading
import time

from mlplab.sweep.grid import SweepError
from mlplab.sweep.worker import failed_outcome, run_trial

PARENT_CHECK_SECONDS = 1.0  # how often a worker looks whether the driver is still there


def default_workers():
    """One worker per core this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class LocalBackend:
    """Worker processes on this machine (default: one per core)."""

    def __init__(self, workers=None, address=None):
        self.check(workers, address)
        self.workers = workers or default_workers()

    @staticmethod
    def check(workers, address):
        """SweepError for options the local backend cannot take (before anything is written)."""
        if address is not None:
            raise SweepError("address", "joins a Ray cluster: use it with --backend ray")
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                    or workers < 1):  # fmt: skip
            raise SweepError("workers", f"needs a positive number of processes, got {workers!r}")

    @property
    def slots(self):
        """How many trials run at once."""
        return self.workers

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        return False

    def map(self, trials):
        """Run ``trials``; yields their outcomes as they finish."""
        if self.workers == 1 or not trials:
            for trial in trials:
                yield run_trial(trial)
            return
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=min(self.workers, len(trials)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )
        futures = {pool.submit(run_trial, trial, 1): trial for trial in trials}
        finished = False
        try:
            for future in concurrent.futures.as_completed(futures):
                try:
                    yield future.result()
                except Exception as error:  # the worker process died (killed, out of memory)
                    yield failed_outcome(futures[future], f"{type(error).__name__}: {error}")
            finished = True
        finally:
            # After Ctrl-C the running trials stop at their next batch; the others never start.
            # After the last trial the workers exit on their own while the driver summarises.
            pool.shutdown(wait=not finished, cancel_futures=True)


def _start_worker(driver):
    """Set up a worker process: Ctrl-C is the driver's to handle; exit when the driver is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_without, args=(driver,), daemon=True).start()


def _exit_without(driver):
    """End this process as soon as its parent is no longer ``driver``."""
    while os.getppid() == driver:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)
