"""Tests of mlplab.train.loop: fit, evaluate, predict, exact resume, NaN stop, Ctrl-C."""

import math
import signal

import numpy
import pytest

import mlplab
from mlplab import nn
from mlplab.data import DataLoader
from mlplab.optim import SGD, Adam, lr_scheduler
from mlplab.train import (
    Checkpoint,
    CheckpointError,
    EarlyStopping,
    NonFiniteLossError,
    Run,
    evaluate,
    fit,
    get_task,
    load_checkpoint,
    predict,
)


def _blobs(n=120, seed=0):
    """Three separable Gaussian blobs in 2-D: float32 inputs and int labels."""
    rng = numpy.random.default_rng(seed)
    y = numpy.arange(n) % 3
    x = rng.normal(scale=0.3, size=(n, 2)) + numpy.array([[0, 0], [2, 0], [0, 2]])[y]
    return x.astype(numpy.float32), y


def _setup(dropout=0.2, seed=0, scheduler=False):
    """A small classification run: model, loss, optimizer, loader, generator, scheduler."""
    generator = mlplab.Generator(seed)
    x, y = _blobs()
    model = nn.MLP([2, 16, 3], dropout=dropout, generator=generator)
    optimizer = Adam(model.parameters(), lr=0.03)
    loader = DataLoader(x, y, 16, shuffle=True, generator=generator)
    schedule = lr_scheduler.StepLR(optimizer, 2, 0.5) if scheduler else None
    return model, nn.CrossEntropyLoss(), optimizer, loader, generator, schedule


def _fit(setup, **options):
    model, loss_fn, optimizer, loader, generator, schedule = setup
    val_loader = DataLoader(*_blobs(60, seed=1), 64)
    return fit(
        model,
        loss_fn,
        optimizer,
        loader,
        val_loader,
        scheduler=schedule,
        generators={"run": generator},
        **options,
    )


def test_fit_learns_and_returns_history_as_data():
    setup = _setup(scheduler=True)
    history = _fit(setup, epochs=6)
    assert [record["epoch"] for record in history.records] == list(range(1, 7))
    assert len(history.step_losses) == 6 * len(setup[3])
    assert history.last["val_accuracy"] > 0.95
    assert history.metric("lr") == [0.03, 0.03, 0.015, 0.015, 0.0075, 0.0075]
    assert history.last["train_loss"] < history.records[0]["train_loss"]
    assert setup[0].training


def test_regression_records_mse_and_r2():
    generator = mlplab.Generator(1)
    x = generator.normal((64, 3))
    y = (x @ numpy.array([[1.0], [2.0], [-1.0]], dtype=numpy.float32)).astype(numpy.float32)
    model = nn.Linear(3, 1, generator=generator)
    loader = DataLoader(x, y, 8, shuffle=True, generator=generator)
    history = fit(
        model,
        nn.MSELoss(),
        SGD(model.parameters(), lr=0.1),
        loader,
        loader,
        epochs=20,
        task="regression",
        generators={"run": generator},
    )
    assert history.last["val_r2"] > 0.999 and history.last["val_mse"] < 1e-3


def test_resume_from_a_mid_run_checkpoint_equals_never_stopping(tmp_path):
    whole = _fit(_setup(scheduler=True), epochs=5)
    path = tmp_path / "c.safetensors"
    first = _setup(scheduler=True)
    _fit(first, epochs=2, callbacks=[Checkpoint(path)])
    second = _setup(seed=5, scheduler=True)  # other seed: everything must come from the file
    resumed = _fit(second, epochs=5, resume_from=path)
    assert resumed.step_losses == whole.step_losses
    reference = _setup(scheduler=True)
    _fit(reference, epochs=5)
    for a, b in zip(reference[0].parameters(), second[0].parameters(), strict=True):
        assert a._data.tobytes() == b._data.tobytes()


def test_ctrl_c_stops_between_steps_and_saves_a_resumable_checkpoint(tmp_path):
    path = tmp_path / "c.safetensors"
    # What fit() must put back: Python's default, or SIG_IGN in a job started in the background.
    handler_before = signal.getsignal(signal.SIGINT)

    class PressCtrlC:
        def on_batch_end(self, run, loss):
            if run.step == 11:
                signal.raise_signal(signal.SIGINT)

    history = _fit(_setup(), epochs=4, callbacks=[PressCtrlC(), Checkpoint(path)])
    assert history.stop_reason == "interrupted" and len(history.step_losses) == 11
    state = load_checkpoint(path)
    assert (state["epoch"], state["batch"]) == (1, 3)
    resumed = _fit(_setup(seed=9), epochs=4, resume_from=path)
    assert resumed.step_losses == _fit(_setup(), epochs=4).step_losses
    assert signal.getsignal(signal.SIGINT) is handler_before


def test_a_non_finite_loss_names_epoch_and_step_and_skips_the_update():
    model, loss_fn, optimizer, loader, generator, _ = _setup()

    def poisoned(outputs, targets):
        loss = loss_fn(outputs, targets)
        return loss * math.inf if poisoned.calls == 10 else loss

    poisoned.calls = 0

    class Count:
        def on_batch_end(self, run, loss):
            poisoned.calls += 1
            if poisoned.calls == 10:
                self.before = [p._data.copy() for p in run.model.parameters()]

    counter = Count()
    with pytest.raises(NonFiniteLossError, match=r"epoch 2, step 11 \(batch 3 of the epoch\)"):
        fit(
            model,
            poisoned,
            optimizer,
            loader,
            epochs=3,
            callbacks=[counter],
            generators={"run": generator},
        )
    for before, parameter in zip(counter.before, model.parameters(), strict=True):
        numpy.testing.assert_array_equal(before, parameter._data)


def test_early_stopping_stops_and_restores_the_best_weights():
    setup = _setup(dropout=0.0)
    stopper = EarlyStopping("val_accuracy", patience=2, restore_best_weights=True)
    history = _fit(setup, epochs=50, callbacks=[stopper])
    assert history.stop_reason == "early-stopping" and len(history.records) < 50
    assert stopper.mode == "max" and stopper.best == max(history.metric("val_accuracy"))
    final = evaluate(setup[0], setup[1], DataLoader(*_blobs(60, seed=1), 64))
    assert final["accuracy"] == stopper.best


def test_evaluate_and_predict_leave_the_mode_and_draw_nothing():
    model, loss_fn, _, _, generator, _ = _setup()
    state = generator.get_state()
    figures = evaluate(model, loss_fn, DataLoader(*_blobs(), 50))
    assert set(figures) == {"loss", "accuracy"} and model.training
    outputs = predict(model, _blobs()[0], batch_size=7)
    assert outputs.shape == (120, 3) and model.training
    assert generator.get_state() == state


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": -1}, "epochs"),
        ({"epochs": 1, "task": "ranking"}, "task"),
        ({"epochs": 1, "scheduler_interval": "batch"}, "scheduler_interval"),
    ],
)
def test_bad_settings_are_refused_before_any_work(options, message):
    setup = _setup()
    with pytest.raises(ValueError, match=message):
        _fit(setup, **options)


def test_a_checkpoint_of_another_setup_is_refused(tmp_path):
    path = tmp_path / "c.safetensors"
    _fit(_setup(), epochs=1, callbacks=[Checkpoint(path)])
    model, loss_fn, optimizer, loader, generator, _ = _setup()
    with pytest.raises(ValueError, match="generators"):
        fit(
            model,
            loss_fn,
            optimizer,
            loader,
            epochs=2,
            resume_from=path,
            generators={"other": generator},
        )


def test_a_plateau_schedule_watches_the_validation_loss():
    setup = _setup()
    # In "max" mode a falling loss never counts as better: after the first epoch sets the best,
    # the rate halves after every epoch (each record holds the rate the epoch trained with).
    schedule = lr_scheduler.ReduceLROnPlateau(setup[2], mode="max", patience=0, factor=0.5)
    history = _fit((*setup[:5], schedule), epochs=4)
    assert history.metric("lr") == [0.03, 0.03, 0.015, 0.0075]
    assert schedule.best == history.records[0]["val_loss"]


def test_a_plateau_schedule_on_the_training_loss_steps_as_by_hand():
    model, loss_fn, optimizer, loader, generator, _ = _setup()
    # A loss counts as better only 0.2 below the best so far, so the rate is reduced.
    settings = {"patience": 0, "factor": 0.5, "threshold": 0.2, "threshold_mode": "abs"}
    schedule = lr_scheduler.ReduceLROnPlateau(optimizer, monitor="train_loss", **settings)
    history = fit(
        model,
        loss_fn,
        optimizer,
        loader,
        epochs=6,
        scheduler=schedule,
        generators={"run": generator},
    )
    by_hand = lr_scheduler.ReduceLROnPlateau(
        SGD([mlplab.tensor([0.0], requires_grad=True)], lr=0.03), **settings
    )
    rates = [by_hand.get_last_lr()[0]]
    for loss in history.metric("train_loss"):
        by_hand.step(loss)
        rates.append(by_hand.get_last_lr()[0])
    assert history.metric("lr") == rates[:-1]  # each record holds the rate its epoch trained with
    assert schedule.get_last_lr() == [rates[-1]] and len(set(rates)) > 2
    assert (schedule.best, schedule.num_bad_epochs) == (by_hand.best, by_hand.num_bad_epochs)


def test_a_validation_monitor_without_a_val_loader_is_refused_before_any_step():
    model, loss_fn, optimizer, loader, generator, _ = _setup()
    schedule = lr_scheduler.ReduceLROnPlateau(optimizer)  # watches "val_loss" by default
    before = [parameter._data.copy() for parameter in model.parameters()]
    state = generator.get_state()

    class Record:
        def __init__(self):
            self.events = []

        def on_train_begin(self, run):
            self.events.append("begin")

        def on_batch_end(self, run, loss):
            self.events.append("batch")

    record = Record()
    with pytest.raises(
        ValueError,
        match=r"watches 'val_loss', but fit was given no val_loader: pass a validation loader, "
        r'or build the scheduler with monitor="train_loss"',
    ):
        fit(
            model,
            loss_fn,
            optimizer,
            loader,
            epochs=2,
            scheduler=schedule,
            callbacks=[record],
            generators={"run": generator},
        )
    assert record.events == [] and generator.get_state() == state and not optimizer.state
    for was, parameter in zip(before, model.parameters(), strict=True):
        numpy.testing.assert_array_equal(was, parameter._data)


def test_a_monitored_schedule_stepped_per_batch_is_refused():
    setup = _setup()
    schedule = lr_scheduler.ReduceLROnPlateau(setup[2])
    with pytest.raises(ValueError, match="use scheduler_interval='epoch', not 'step'"):
        _fit((*setup[:5], schedule), epochs=1, scheduler_interval="step")


def test_a_monitor_the_records_lack_is_an_error_listing_them():
    setup = _setup()
    schedule = lr_scheduler.ReduceLROnPlateau(setup[2], monitor="val_f1")
    with pytest.raises(
        ValueError,
        match=r"watches 'val_f1', which the epoch records do not hold: they hold epoch, step, lr, "
        r"train_loss, .*val_loss.*; build the scheduler with monitor= one of these",
    ):
        _fit((*setup[:5], schedule), epochs=1)


def test_a_plateau_schedule_resumes_from_a_checkpoint_with_its_monitor(tmp_path):
    def plateau_setup(seed=0, monitor="train_loss"):
        setup = _setup(seed=seed)
        schedule = lr_scheduler.ReduceLROnPlateau(
            setup[2], patience=0, factor=0.5, threshold=0.2, threshold_mode="abs", monitor=monitor
        )
        return (*setup[:5], schedule)

    whole = _fit(plateau_setup(), epochs=5)
    path = tmp_path / "c.safetensors"
    _fit(plateau_setup(), epochs=2, callbacks=[Checkpoint(path)])
    second = plateau_setup(seed=5, monitor="val_loss")  # everything must come from the file
    resumed = _fit(second, epochs=5, resume_from=path)
    assert second[5].monitor == "train_loss"
    assert resumed.step_losses == whole.step_losses
    assert resumed.metric("lr") == whole.metric("lr") and len(set(whole.metric("lr"))) > 1


# ----------------------------------------------------------------------------- foreign checkpoints
def _mlp_setup(sizes, optimizer="adam", scheduler=None):
    """A run on 64-feature inputs: model, loss, optimizer, loader, generator, scheduler."""
    generator = mlplab.Generator(0)
    x = generator.normal((96, 64))
    y = (numpy.arange(96) % 10).astype(numpy.int64)
    model = nn.MLP(sizes, generator=generator)
    chosen = Adam(model.parameters(), lr=0.01) if optimizer == "adam" else SGD(model.parameters())
    schedules = {
        None: lambda: None,
        "step": lambda: lr_scheduler.StepLR(chosen, 1, 0.5),
        "cosine": lambda: lr_scheduler.CosineAnnealingLR(chosen, 4),
    }
    loader = DataLoader(x, y, 32, shuffle=True, generator=generator)
    return model, nn.CrossEntropyLoss(), chosen, loader, generator, schedules[scheduler]()


def _resume_into(setup, path, epochs=2):
    model, loss_fn, optimizer, loader, generator, schedule = setup
    return fit(
        model,
        loss_fn,
        optimizer,
        loader,
        epochs=epochs,
        scheduler=schedule,
        resume_from=path,
        generators={"run": generator},
    )


@pytest.fixture
def written(tmp_path):
    """A checkpoint of one epoch of a 64-32-10 MLP trained with Adam and a step schedule."""
    path = tmp_path / "c.safetensors"
    model, loss_fn, optimizer, loader, generator, schedule = _mlp_setup("64-32-10", "adam", "step")
    fit(
        model,
        loss_fn,
        optimizer,
        loader,
        epochs=1,
        scheduler=schedule,
        callbacks=[Checkpoint(path)],
        generators={"run": generator},
    )
    return path


def test_a_checkpoint_of_another_architecture_is_a_short_checkpoint_error(written):
    setup = _mlp_setup("64-16-10", "adam", "step")
    before = [parameter._data.copy() for parameter in setup[0].parameters()]
    with pytest.raises(CheckpointError) as error:
        _resume_into(setup, written)
    message = str(error.value)
    assert "written for another setup" in message
    assert "model: '0.weight' has shape (32, 64) in the checkpoint, (16, 64) in this run" in message
    assert "model: '2.weight' has shape (10, 32) in the checkpoint, (10, 16) in this run" in message
    assert len(message.splitlines()) <= 11
    for was, parameter in zip(before, setup[0].parameters(), strict=True):
        numpy.testing.assert_array_equal(was, parameter._data)  # nothing was changed
    assert not setup[2].state


def test_a_checkpoint_of_another_depth_lists_missing_and_unexpected_parameters(written):
    with pytest.raises(CheckpointError, match=r"model: '4.weight' is missing"):
        _resume_into(_mlp_setup("64-32-32-10", "adam", "step"), written)
    with pytest.raises(CheckpointError, match=r"model: unexpected '2.bias'"):
        _resume_into(_mlp_setup("64-10", "adam", "step"), written)


def test_a_checkpoint_of_another_optimizer_is_a_checkpoint_error(written):
    setup = _mlp_setup("64-32-10", "sgd", "step")
    before = [parameter._data.copy() for parameter in setup[0].parameters()]
    with pytest.raises(CheckpointError, match=r"optimizer: .* of SGD: it was saved by another"):
        _resume_into(setup, written)
    assert setup[2].param_groups[0]["lr"] == 0.001 and not setup[2].state
    for was, parameter in zip(before, setup[0].parameters(), strict=True):
        numpy.testing.assert_array_equal(was, parameter._data)


@pytest.mark.parametrize(
    ("scheduler", "message"),
    [
        (None, "scheduler: the checkpoint has a learning-rate schedule, this run has none"),
        (
            "cosine",
            r"the checkpoint's is another kind than this run's CosineAnnealingLR \(only it has "
            r"\['gamma', 'step_size'\], it lacks \['T_max', 'eta_min'\]\)",
        ),
    ],
)
def test_a_checkpoint_of_another_schedule_is_a_checkpoint_error(written, scheduler, message):
    with pytest.raises(CheckpointError, match=message):
        _resume_into(_mlp_setup("64-32-10", "adam", scheduler), written)


def test_the_same_setup_still_resumes(written):
    history = _resume_into(_mlp_setup("64-32-10", "adam", "step"), written)
    assert [record["epoch"] for record in history.records] == [1, 2]


@pytest.mark.parametrize(
    "damage",
    [
        lambda state: state.pop("optimizer"),
        lambda state: state.update(epoch="one"),
        lambda state: state.update(step=-1),
        lambda state: state.update(model=[1, 2]),
        lambda state: state.update(optimizer={"state": {}}),
        lambda state: state["optimizer"]["param_groups"][0].update(params=7),
        lambda state: state["optimizer"]["state"].update({99: {}}),
        lambda state: state["generators"].update(run={"bit_generator": "MT19937"}),
        lambda state: state.update(metrics={}),
        lambda state: state.update(history=None),
        lambda state: state.update(generators=[]),
    ],
    ids=["no-optimizer", "epoch-text", "negative-step", "model-list", "no-groups", "params-int",
         "state-index", "generator", "metrics", "history", "generators-list"],
)  # fmt: skip
def test_a_malformed_run_state_is_a_checkpoint_error(written, damage):
    setup = _mlp_setup("64-32-10", "adam", "step")
    state = load_checkpoint(written)
    damage(state)
    model, loss_fn, optimizer, _, generator, schedule = setup
    run = Run(
        model, loss_fn, optimizer, schedule, get_task("classification"), 2, {"run": generator}, []
    )
    with pytest.raises(CheckpointError):
        run.load_state_dict(state)
