"""The Ray backend: each trial a Ray task declaring one CPU, on a local Ray or a cluster.

Ray is imported here only, and only when this backend is used (``pip install "mlplab[ray]"``).
Without an address a local Ray instance is started with the given number of CPUs; it listens on
127.0.0.1 only and runs no dashboard. With an address an existing cluster is joined; when Ray is
already initialised in this process (a notebook, a test fixture) that connection is used and left
open. Workers send each trial's run folder back as bytes and the driver writes it, so the
cluster's machines need mlplab installed but no shared disk.
"""

import importlib.util
import logging
import os
import sys

from mlplab.sweep.grid import SweepError
from mlplab.sweep.local import default_workers
from mlplab.sweep.worker import failed_outcome, run_trial

INSTALL = 'the ray backend needs Ray: pip install "mlplab[ray]"'

# How a local instance is kept on this machine. Ray replaces a node address of 127.0.0.1 by the
# machine's network address (and then listens on every interface) unless it is told it runs no
# cluster; and it would report usage statistics over the network.
LOCAL_ENVIRONMENT = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
LOOPBACK = "127.0.0.1"


def ray_available():
    """Whether Ray can be imported (without importing it)."""
    if "ray" in sys.modules:
        return sys.modules["ray"] is not None
    return importlib.util.find_spec("ray") is not None


def start_local(num_cpus):
    """Start a Ray instance on this machine with ``num_cpus`` CPUs, on 127.0.0.1, no dashboard.

    Returns
    -------
    module
        The ``ray`` module, initialised.

    Raises
    ------
    RuntimeError
        If Ray, imported before with other settings, would not stay on 127.0.0.1 (it is then
        shut down again).
    """
    saved = {name: os.environ.get(name) for name in LOCAL_ENVIRONMENT}
    os.environ.update(
        LOCAL_ENVIRONMENT
    )  # read by Ray when imported, and by the processes it starts
    try:
        import ray

        context = ray.init(
            num_cpus=num_cpus,
            include_dashboard=False,
            _node_ip_address=LOOPBACK,
            log_to_driver=False,
            logging_level=logging.ERROR,
        )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value
    address = context.address_info["node_ip_address"]
    if address != LOOPBACK:
        ray.shutdown()
        raise RuntimeError(
            f"the local Ray instance would listen on {address}, not {LOOPBACK}: Ray was imported "
            "before mlplab started it; start Ray yourself (ray.init) or let mlplab import it first"
        )
    return ray


class RayBackend:
    """Trials as Ray tasks: a local instance (``workers`` CPUs) or the cluster at ``address``."""

    def __init__(self, workers=None, address=None):
        self.check(workers, address)
        self.workers = workers
        self.address = address
        self._started = False
        self._ray = None
        self.slots = workers or 1

    @staticmethod
    def check(workers, address):
        """SweepError if Ray is missing or the options do not fit (before anything is written)."""
        if not ray_available():
            raise SweepError("backend", INSTALL)
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                    or workers < 1):  # fmt: skip
            raise SweepError("workers", f"needs a positive number of CPUs, got {workers!r}")
        if address is not None and workers is not None:
            raise SweepError(
                "workers", "a cluster (--address) has its own CPUs: leave --workers out"
            )

    def __enter__(self):
        if "ray" in sys.modules and sys.modules["ray"].is_initialized():
            self._ray = sys.modules["ray"]
        elif self.address is not None:
            import ray

            try:
                ray.init(address=self.address, log_to_driver=False, logging_level=logging.ERROR)
            except ConnectionError as error:
                raise SweepError(
                    "address", f"cannot join the Ray cluster at {self.address}: {error}"
                ) from None
            self._ray, self._started = ray, True
        else:
            self._ray, self._started = start_local(self.workers or default_workers()), True
        self.slots = max(1, int(self._ray.cluster_resources().get("CPU", 1)))
        return self

    def __exit__(self, *exception):
        if self._started:
            self._ray.shutdown()
        return False

    def map(self, trials):
        """Run ``trials`` as Ray tasks; yields their outcomes as they finish."""
        ray = self._ray
        task = ray.remote(num_cpus=1, max_retries=0)(run_trial)
        pending = {task.remote(trial, 1): trial for trial in trials}
        try:
            while pending:
                (ready,), _ = ray.wait(list(pending), num_returns=1)
                trial = pending.pop(ready)
                try:
                    yield ray.get(ready)
                except ray.exceptions.RayError as error:  # the task's worker died
                    yield failed_outcome(trial, f"{type(error).__name__}: {error}")
        finally:
            for reference in pending:  # after Ctrl-C: trials not finished are not waited for
                ray.cancel(reference, force=True)
