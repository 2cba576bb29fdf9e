"""The sweep's live progress bar: trials done, running and failed, and the best result so far."""

import sys

from tqdm import tqdm


class SweepProgress:
    """A tqdm bar over a sweep's trials (on standard error; none when it is not a terminal).

    Parameters
    ----------
    total : int
        Trials in the sweep.
    done : int
        Trials already complete (from an earlier, interrupted sweep).
    slots : int
        How many trials run at once.
    metric : str
        The test figure shown as the best so far (e.g. ``accuracy``).
    lower_is_better : bool
        Whether the smallest value of ``metric`` is the best.
    enabled : bool
        False: no bar at all.
    """

    def __init__(self, total, done, slots, metric, lower_is_better, enabled=True):
        self.total, self.slots, self.metric = total, slots, metric
        self.lower_is_better = lower_is_better
        self.done, self.failed = done, 0
        self.best = None
        self.bar = tqdm(
            total=total,
            initial=done,
            desc="sweep",
            unit="trial",
            dynamic_ncols=True,
            file=sys.stderr,
            disable=None if enabled else True,
        )
        self._show()

    def finished(self, test, failed):
        """Count a finished trial: its test figures, or a failure."""
        if failed:
            self.failed += 1
        else:
            value = test.get(self.metric)
            if value is not None and (self.best is None or self._better(value, self.best)):
                self.best = value
        self.done += 1
        self.bar.update(1)
        self._show()

    def _better(self, value, than):
        return value < than if self.lower_is_better else value > than

    @property
    def running(self):
        """Trials running now: one per slot while enough are left."""
        return min(self.slots, self.total - self.done)

    def figures(self):
        """What the bar shows beside the count: trials running, failed, the best so far."""
        figures = {"running": self.running, "failed": self.failed}
        if self.best is not None:
            figures[f"best {self.metric}"] = f"{self.best:.4g}"
        return figures

    def _show(self):
        """Refresh the figures beside the bar."""
        self.bar.set_postfix(self.figures())

    def close(self):
        """Close the bar."""
        self.bar.close()
