"""Tests of mlplab.experiment.lr_find: the learning-rate range test of a run's settings."""

import sys

import numpy
import pytest
from matplotlib.figure import Figure

import mlplab
from mlplab import nn
from mlplab.experiment import LRFindResult, Settings, SettingsError, load_data, lr_find, run
from mlplab.utils import SettingError

# The module, which its function of the same name hides as an attribute of mlplab.experiment.
LR_FIND_MODULE = sys.modules["mlplab.experiment.lr_find"]

# Linear regression by full-batch gradient descent: every step of the test can be done by hand.
LINEAR = Settings(dataset="linear", layers=[3, 1], optimizer="sgd", batch_size=1000, val_split=0)
DIGITS = Settings(dataset="digits", layers=[64, 32, 10], optimizer="sgd", val_split=0, epochs=3)


def _by_hand(settings, start_lr, end_lr, steps, smoothing, diverge_factor):
    """The range test of a one-layer network with MSE, written out in float64 NumPy.

    The initial weights are drawn as run() draws them: the run's generator, after the data (which
    draw nothing without a validation split), initialises the network.
    """
    settings = settings.resolved()
    generator = mlplab.Generator(settings.seed)
    data = load_data(settings, generator)
    layer = nn.MLP(settings.layers, generator=generator)[0]
    weight = layer.weight.numpy().astype(numpy.float64)  # (1, 3)
    bias = layer.bias.numpy().astype(numpy.float64)  # (1,)
    x, y = data.x_train.astype(numpy.float64), data.y_train.astype(numpy.float64)
    losses, smoothed, average = [], [], 0.0
    for step in range(steps):
        lr = start_lr * (end_lr / start_lr) ** (step / (steps - 1))
        residual = x @ weight.T + bias - y  # (N, 1)
        losses.append(float(numpy.mean(residual**2)))
        average = smoothing * average + (1 - smoothing) * losses[-1]
        smoothed.append(average / (1 - smoothing ** (step + 1)))
        if smoothed[-1] > diverge_factor * min(smoothed):
            break
        weight -= lr * 2 * residual.T @ x / len(x)
        bias -= lr * 2 * residual.sum(axis=0) / len(x)
    return numpy.array(losses), numpy.array(smoothed)


def test_losses_smoothing_stop_and_suggestion_match_a_hand_computation():
    found = lr_find(LINEAR, start_lr=1e-3, end_lr=10, steps=40, smoothing=0.9, diverge_factor=4)
    losses, smoothed = _by_hand(LINEAR, 1e-3, 10, 40, 0.9, 4)
    assert found.stop_reason == "diverged" and len(found.losses) == len(losses) < 40
    # float32 against float64: the last, diverging steps amplify the rounding
    numpy.testing.assert_allclose(found.losses, losses, rtol=2e-3)
    numpy.testing.assert_allclose(found.smoothed, smoothed, rtol=2e-3)
    numpy.testing.assert_allclose(found.lrs, 1e-3 * 10_000 ** (numpy.arange(len(losses)) / 39))
    assert found.lrs[0] == pytest.approx(1e-3)
    minimum = found.lrs[numpy.argmin(smoothed)]
    assert found.min_lr == minimum and found.suggested_lr == pytest.approx(minimum / 10)
    assert found.settings == LINEAR.resolved()


def test_the_ramp_reaches_end_lr_when_nothing_diverges():
    found = lr_find(LINEAR, start_lr=1e-4, end_lr=0.1, steps=5, smoothing=0)
    assert found.stop_reason is None
    numpy.testing.assert_allclose(found.lrs, [1e-4, 10**-3.25, 10**-2.5, 10**-1.75, 0.1])
    numpy.testing.assert_array_equal(found.smoothed, found.losses)  # smoothing 0: the losses


def test_a_nan_or_inf_loss_stops_the_test_and_is_not_recorded():
    found = lr_find(LINEAR, start_lr=1e-3, end_lr=1e8, steps=40, diverge_factor=1e30)
    assert found.stop_reason == "non-finite" and len(found.losses) < 40
    assert numpy.isfinite(found.losses).all() and numpy.isfinite(found.smoothed).all()
    assert len(found.lrs) == len(found.losses) == len(found.smoothed)


def test_the_suggested_rate_trains_digits_better_than_start_lr(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = lr_find(DIGITS, steps=100)
    assert isinstance(found, LRFindResult) and list(tmp_path.iterdir()) == []  # writes nothing
    assert 1e-7 < found.suggested_lr < found.min_lr < 10
    suggested = run(DIGITS.replace(lr=found.suggested_lr), progress=False).test
    slow = run(DIGITS.replace(lr=1e-7), progress=False).test
    assert suggested["loss"] < 0.5 * slow["loss"] and suggested["accuracy"] > 0.8


def test_the_same_seed_gives_the_same_curve_and_another_seed_another():
    settings = DIGITS.replace(batch_size=512)  # 3 batches a pass: 7 steps take three passes
    first, again = lr_find(settings, steps=7), lr_find(settings.to_dict(), steps=7)
    assert len(first.losses) == 7
    numpy.testing.assert_array_equal(first.losses, again.losses)
    assert first.suggested_lr == again.suggested_lr
    other = lr_find(settings.replace(seed=1), steps=7)
    assert not numpy.array_equal(first.losses, other.losses)


def test_plot_draws_the_curve_and_marks_the_suggestion():
    found = lr_find(LINEAR, start_lr=1e-3, end_lr=10, steps=40)
    ax = Figure().subplots()
    found.plot(ax)
    assert ax.get_xscale() == "log" and len(ax.lines) == 4
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any(f"{found.suggested_lr:.3g}" in label for label in labels)


@pytest.mark.parametrize(
    ("arguments", "setting", "words"),
    [
        ({"start_lr": 0}, "start_lr", "above 0"),
        ({"start_lr": -1e-3}, "start_lr", "above 0"),
        ({"end_lr": float("inf")}, "end_lr", "finite"),
        ({"end_lr": float("nan")}, "end_lr", "finite"),
        ({"start_lr": "0.1"}, "start_lr", "'0.1'"),
        ({"start_lr": True}, "start_lr", "True"),
        ({"start_lr": 1.0, "end_lr": 1.0}, "end_lr", "not above the start rate"),
        ({"start_lr": 1.0, "end_lr": 0.1}, "end_lr", "not above the start rate"),
        ({"steps": 1}, "steps", "at least 2"),
        ({"steps": 2.5}, "steps", "whole number"),
        ({"smoothing": 1}, "smoothing", "[0, 1)"),
        ({"smoothing": -0.1}, "smoothing", "[0, 1)"),
        ({"diverge_factor": 1}, "diverge_factor", "above 1"),
    ],
)
def test_bad_arguments_are_refused_before_any_data_are_loaded(
    arguments, setting, words, monkeypatch
):
    def refuse(*args, **kwargs):
        raise AssertionError("lr_find built the run before checking its arguments")

    monkeypatch.setattr(LR_FIND_MODULE, "build_parts", refuse)
    with pytest.raises(SettingError) as caught:
        lr_find(DIGITS, **arguments)
    assert isinstance(caught.value, ValueError)
    assert caught.value.setting == setting and words in caught.value.detail


def test_one_batch_per_pass_needs_steps():
    with pytest.raises(SettingError, match="steps: one pass over the training data is 1 batch"):
        lr_find(LINEAR)


def test_bad_settings_are_the_settings_errors_of_a_run():
    with pytest.raises(SettingsError, match="does not fit digits"):
        lr_find(DIGITS.replace(layers=[784, 10]))
    with pytest.raises(TypeError, match="Settings or a dict"):
        lr_find("digits")
