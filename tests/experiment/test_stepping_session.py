"""Tests of mlplab.experiment.session: a run stepped by its caller, and what it measures."""

import json

import numpy
import pytest

import mlplab
from mlplab import experiment
from mlplab.experiment import SettingsError
from mlplab.experiment.session import GRID, NEURON_GRID, Session
from mlplab.train import NonFiniteLossError

SPIRALS = {
    "dataset": "spirals",
    "dataset_options": {"n_samples": 500, "noise": 0.05},
    "layers": [2, 8, 8, 2],
    "activation": "tanh",
    "optimizer": "adam",
    "lr": 0.03,
    "batch_size": 10,
    "val_split": 0.0,
    "epochs": 2,
}


def spirals(**changes):
    return Session({**SPIRALS, **changes})


def test_steps_stop_at_the_last_epoch_and_record_each_epoch():
    session = spirals()
    batches = len(session.parts.train_loader)  # 400 training points at batch 10
    assert batches == 40
    assert session.step(batches - 1) == batches - 1 and session.epoch == 0
    assert session.step(1000) == batches + 1
    assert session.finished and session.epoch == 2 and session.step_count == 2 * batches
    assert [record["epoch"] for record in session.history.records] == [1, 2]
    assert session.history.records[-1]["step"] == 2 * batches
    assert len(session.history.step_losses) == 2 * batches
    assert session.step(5) == 0


def test_a_session_trains_the_same_weights_as_run_with_the_same_settings():
    session = spirals(dropout=0.1)
    session.step(10_000)
    result = experiment.run(session.settings, progress=False)
    for mine, theirs in zip(session.model.parameters(), result.model.parameters(), strict=True):
        numpy.testing.assert_array_equal(numpy.asarray(mine.data), numpy.asarray(theirs.data))


def test_the_network_learns_the_spirals_and_the_boundary_shows_it():
    session = spirals(epochs=80)
    before = session.boundary()
    session.step(10_000)
    figures = session.figures()
    assert figures["test"]["accuracy"] > 0.9, figures
    matrix = numpy.asarray(session.confusion_matrix())
    assert matrix.shape == (2, 2) and matrix.sum() == len(session.parts.data.x_test)
    assert numpy.trace(matrix) / matrix.sum() == pytest.approx(figures["test"]["accuracy"])
    after = session.boundary()
    assert after["classes"].shape == (GRID, GRID) and after["classes"].dtype == numpy.uint8
    assert not numpy.array_equal(before["classes"], after["classes"])
    assert ((after["confidence"] >= 0.5 - 1e-6) & (after["confidence"] <= 1 + 1e-6)).all()
    # The pixel under each training point shows the class the network gives that point.
    x0, x1, y0, y1 = session.extent
    points = numpy.asarray(session.points()["train"]["x"])
    columns = ((points[:, 0] - x0) / (x1 - x0) * (GRID - 1)).round().astype(int)
    rows = ((y1 - points[:, 1]) / (y1 - y0) * (GRID - 1)).round().astype(int)
    labels = numpy.asarray(session.points()["train"]["y"])
    assert (after["classes"][rows, columns] == labels).mean() > 0.9


def test_regression_draws_a_curve_in_the_targets_units():
    session = Session({**SPIRALS, "dataset": "sine", "dataset_options": {"noise": 0.0},
                       "layers": [1, 16, 16, 1], "epochs": 100})  # fmt: skip
    session.step(100_000)
    assert session.figures()["test"]["r2"] > 0.9 and session.confusion_matrix() is None
    curve = session.boundary()["values"]
    assert curve.shape == (GRID * GRID,)
    x0, x1 = session.extent[:2]
    grid = numpy.linspace(x0, x1, GRID * GRID)
    inside = (grid > -2.5) & (grid < 2.5)  # well inside the data, where the fit is good
    numpy.testing.assert_allclose(curve[inside], numpy.sin(2 * grid[inside]), atol=0.25)


def test_neuron_maps_are_the_hidden_outputs_over_the_grid():
    session = spirals(layers=[2, 5, 3, 2])
    maps = session.neuron_maps()
    assert [m.shape for m in maps] == [(5, NEURON_GRID, NEURON_GRID), (3, NEURON_GRID, NEURON_GRID)]
    x = session.parts.data.x_train[:7]
    first, second = session.hidden_outputs(x)
    w1, b1, w2, b2 = (numpy.asarray(p.data) for p in list(session.model.parameters())[:4])
    numpy.testing.assert_allclose(first, numpy.tanh(x @ w1.T + b1), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_allclose(second, numpy.tanh(first @ w2.T + b2), rtol=1e-5, atol=1e-6)


def test_dead_units_and_gradient_norms_per_layer():
    session = spirals(activation="relu")
    first = session.model[0]
    state = session.model.state_dict()
    state["0.bias"] = numpy.asarray([-100.0] * 3 + [0.0] * 5, dtype=numpy.float32)
    session.model.load_state_dict(state)
    assert session.dead_units()[0] == 3
    session.step(1)
    norms = session.gradient_norms()
    assert len(norms) == 3
    grads = [numpy.asarray(p.grad, dtype=numpy.float64) for p in session.model[-1].parameters()]
    assert norms[-1] == pytest.approx(numpy.sqrt(sum((g**2).sum() for g in grads)))
    # The dead units pass no gradient back: their weights' gradient rows are zero.
    assert numpy.abs(numpy.asarray(first.weight.grad)[:3]).max() == 0


def test_divergence_says_at_which_step_and_what_to_change():
    session = Session({**SPIRALS, "dataset": "sine", "dataset_options": {}, "layers": [1, 8, 1],
                       "optimizer": "sgd", "lr": 5.0, "loss": "mse"})  # fmt: skip
    with pytest.raises(NonFiniteLossError) as caught:
        session.step(1000)
    message = str(caught.value)
    assert f"at step {session.step_count + 1} (epoch 1)" in message
    assert "lower the learning rate (now 5; try 0.5)" in message and "huber" in message
    weights = [numpy.asarray(p.data).copy() for p in session.model.parameters()]
    with pytest.raises(NonFiniteLossError):
        session.step(1)
    for before, p in zip(weights, session.model.parameters(), strict=True):
        numpy.testing.assert_array_equal(before, numpy.asarray(p.data))
    assert session.finished


def test_an_epoch_schedule_steps_at_each_epoch_end():
    session = spirals(schedule="step:1:0.5", epochs=3)
    session.step(40)
    assert session.learning_rate == pytest.approx(0.015)
    assert [r["lr"] for r in session.history.records] == [pytest.approx(0.03)]


@pytest.mark.parametrize(
    ("changes", "setting"),
    [({"dataset": "digits", "dataset_options": {}, "layers": None}, "dataset"),
     ({"val_split": 0.1}, "val_split")],
)  # fmt: skip
def test_settings_a_session_cannot_show_are_refused(changes, setting):
    with pytest.raises(SettingsError) as caught:
        spirals(**changes)
    assert caught.value.setting == setting


def test_save_writes_a_normal_run_folder(tmp_path):
    session = spirals()
    session.step(60)
    folder = session.save(tmp_path / "run")
    names = {path.name for path in folder.iterdir()}
    assert {"config.json", "model.safetensors", "results.json", "history.csv"} <= names
    results = json.loads((folder / "results.json").read_text())
    assert results["test"]["accuracy"] == pytest.approx(session.figures()["test"]["accuracy"])
    model = mlplab.load(folder / "model.safetensors")
    x = session.parts.data.x_test
    numpy.testing.assert_allclose(
        numpy.asarray(model(mlplab.tensor(x)).numpy()),
        numpy.asarray(session.model(mlplab.tensor(x)).numpy()),
        rtol=1e-6,
    )
    config = json.loads((folder / "config.json").read_text())
    assert config["settings"] == session.settings.to_dict()
    with pytest.raises(experiment.RunFolderError):
        session.save(folder)
