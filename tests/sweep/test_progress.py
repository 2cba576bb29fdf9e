"""Tests of mlplab.sweep.progress: the counts and the best result beside the bar."""

from mlplab.sweep.progress import SweepProgress


def test_the_bar_counts_running_and_failed_trials_and_keeps_the_best():
    progress = SweepProgress(total=5, done=1, slots=2, metric="accuracy", lower_is_better=False)
    assert progress.figures() == {"running": 2, "failed": 0}
    progress.finished({"accuracy": 0.8}, failed=False)
    progress.finished({}, failed=True)
    progress.finished({"accuracy": 0.7}, failed=False)
    assert progress.figures() == {"running": 1, "failed": 1, "best accuracy": "0.8"}
    progress.close()


def test_a_smaller_loss_is_the_better_one():
    progress = SweepProgress(3, 0, 3, "mse", lower_is_better=True, enabled=False)
    progress.finished({"mse": 2.0}, failed=False)
    progress.finished({"mse": 0.5}, failed=False)
    assert progress.figures()["best mse"] == "0.5"
    progress.close()
