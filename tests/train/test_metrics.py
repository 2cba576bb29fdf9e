"""Tests of mlplab.train.metrics against scikit-learn's definitions."""

import numpy
import pytest
from sklearn import metrics as sk

import mlplab
from mlplab.train import Classification, get_task, metrics


def _random(seed=0):
    rng = numpy.random.default_rng(seed)
    return rng


def test_accuracy_matches_argmax_rule():
    outputs = numpy.array([[0.1, 0.9], [2.0, -1.0], [0.3, 0.2], [0.0, 5.0]])
    targets = numpy.array([1, 0, 1, 1])
    assert metrics.accuracy(outputs, targets) == 0.75
    assert metrics.accuracy(mlplab.tensor(outputs), mlplab.tensor(targets)) == 0.75


def test_accuracy_of_empty_set_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        metrics.accuracy(numpy.zeros((0, 3)), numpy.zeros(0, dtype=int))


@pytest.mark.parametrize("targets", [1, 3])
def test_mse_and_r2_match_scikit_learn(targets):
    rng = _random(1)
    y = rng.normal(size=(50, targets))
    p = y + rng.normal(scale=0.3, size=y.shape)
    assert metrics.mean_squared_error(p, y) == pytest.approx(sk.mean_squared_error(y, p), 1e-12)
    assert metrics.r2_score(p, y) == pytest.approx(sk.r2_score(y, p), 1e-12)


def test_r2_of_constant_target_follows_scikit_learn():
    y = numpy.ones((4, 1))
    assert metrics.r2_score(y, y) == 1.0
    assert metrics.r2_score(y + 1, y) == 0.0


def test_confusion_matrix_matches_scikit_learn():
    rng = _random(2)
    t, p = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    numpy.testing.assert_array_equal(metrics.confusion_matrix(t, p, 4), sk.confusion_matrix(t, p))


def test_confusion_matrix_rejects_out_of_range_classes():
    with pytest.raises(ValueError, match=r"outside 0\.\.2"):
        metrics.confusion_matrix([0, 1, 3], [0, 1, 2], num_classes=3)


def test_format_confusion_matrix_has_one_row_per_class():
    text = metrics.format_confusion_matrix(numpy.array([[5, 1], [0, 12]]), labels=["a", "b"])
    lines = text.splitlines()
    assert len(lines) == 4 and lines[2].split() == ["a", "5", "1"]


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_running_metrics_equal_whole_set_metrics(task):
    rng = _random(3)
    if task == "classification":
        outputs, targets = rng.normal(size=(30, 3)), rng.integers(0, 3, 30)
    else:
        targets = rng.normal(size=(30, 2))
        outputs = targets + rng.normal(scale=0.5, size=targets.shape)
    running = get_task(task).metrics()
    for start in range(0, 30, 7):
        running.update(1.5, outputs[start : start + 7], targets[start : start + 7])
    figures = running.compute()
    assert figures["loss"] == pytest.approx(1.5)
    if task == "classification":
        assert figures["accuracy"] == metrics.accuracy(outputs, targets)
    else:
        assert figures["mse"] == pytest.approx(metrics.mean_squared_error(outputs, targets))
        assert figures["mae"] == pytest.approx(sk.mean_absolute_error(targets, outputs), 1e-12)
        assert figures["r2"] == pytest.approx(metrics.r2_score(outputs, targets), 1e-10)
    restored = get_task(task).metrics()
    restored.load_state_dict(running.state_dict())
    assert restored.compute() == figures


def test_regression_metrics_of_standardised_targets_are_in_the_targets_units():
    rng = _random(4)
    truth = rng.normal(loc=[100.0, -5.0], scale=[20.0, 0.1], size=(40, 2))
    predicted = truth + rng.normal(scale=[3.0, 0.02], size=truth.shape)
    task = get_task("regression").fitted(truth[:30])
    running = task.metrics()
    running.update(0.0, task.encode(predicted), task.encode(truth))
    figures = running.compute()
    # float32 standardised values carry about 7 digits: the figures agree to that.
    assert figures["mse"] == pytest.approx(sk.mean_squared_error(truth, predicted), rel=1e-5)
    assert figures["mae"] == pytest.approx(sk.mean_absolute_error(truth, predicted), rel=1e-5)
    assert figures["r2"] == pytest.approx(sk.r2_score(truth, predicted), rel=1e-5)
    unscaled = get_task("regression").metrics()
    unscaled.update(0.0, task.encode(predicted), task.encode(truth))
    assert unscaled.compute()["mse"] != pytest.approx(figures["mse"], rel=0.1)


def test_tasks_are_looked_up_by_name_and_refuse_unknown_ones():
    assert get_task("classification") == Classification()
    assert get_task("regression").metric_names == ("mse", "mae", "r2")
    with pytest.raises(ValueError, match="Unknown task 'clustering'"):
        get_task("clustering")
