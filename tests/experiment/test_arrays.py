"""Runs on arrays in memory: settings naming "arrays", scaling and splitting as for a data set."""

import numpy
import pytest

from mlplab.experiment import Settings, SettingsError, run
from mlplab.experiment.arrays import load_arrays, run_arrays
from mlplab.random import Generator


def _arrays(n=120, seed=0):
    rng = numpy.random.default_rng(seed)
    x = rng.normal(5.0, 3.0, size=(n, 4))
    return x, (x[:, 0] > 5.0).astype(numpy.int64)


def test_arrays_need_their_task():
    with pytest.raises(SettingsError, match=r"task: data set 'arrays'.*needs its task"):
        Settings(dataset="arrays")
    with pytest.raises(SettingsError, match="takes no options"):
        Settings(dataset="arrays", task="regression", dataset_options={"seed": 1})


def test_arrays_are_not_loaded_by_name():
    with pytest.raises(SettingsError, match="run_arrays"):
        run(Settings(dataset="arrays", task="classification", epochs=1), progress=False)


def test_load_arrays_splits_and_standardises_like_a_data_set():
    x, y = _arrays()
    settings = Settings(dataset="arrays", task="classification", val_split=0.25)
    data = load_arrays(x, y, settings, Generator(0))
    assert data.x_train.shape == (90, 4) and data.x_val.shape == (30, 4) and data.x_test is None
    assert data.x_train.dtype == numpy.float32
    numpy.testing.assert_allclose(data.x_train.mean(axis=0), 0.0, atol=1e-5)
    assert data.preprocessing["inputs"]["kind"] == "standardize"
    assert data.description["class_names"] == ["0", "1"] and data.description["num_outputs"] == 2
    pixels = load_arrays(numpy.full((10, 3), 255, numpy.uint8), y[:10], settings.replace(
        val_split=0.0), Generator(0))  # fmt: skip
    assert pixels.preprocessing["inputs"] == {"kind": "scale", "factor": 1 / 255}


def test_run_arrays_trains_without_a_test_split():
    x, y = _arrays()
    settings = Settings(dataset="arrays", task="classification", layers=[4, 8, 2], epochs=20,
                        lr=0.01, batch_size=16, val_split=0.2, seed=0)  # fmt: skip
    result = run_arrays(settings, x, y)
    assert result.test is None and len(result.history.records) == 20
    assert result.history.last["val_accuracy"] > 0.9
    again = run_arrays(settings, x, y)
    assert again.history.step_losses == result.history.step_losses


def test_run_arrays_refuses_named_data_and_bad_arrays():
    x, y = _arrays()
    with pytest.raises(SettingsError, match="dataset='arrays'"):
        run_arrays(Settings(dataset="digits"), x, y)
    settings = Settings(dataset="arrays", task="classification")
    with pytest.raises(ValueError, match="differ in length"):
        run_arrays(settings, x, y[:-1])
    with pytest.raises(ValueError, match=r"shape \(samples, features\)"):
        run_arrays(settings, x[:, 0], y)
