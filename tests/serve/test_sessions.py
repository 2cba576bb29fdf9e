"""Tests of mlplab.serve.sessions: one isolated session per tab, within the server's limits."""

import numpy
import pytest

from mlplab.serve.page import PageError
from mlplab.serve.sessions import Limits, SessionLimitError, SessionManager

SMALL = {"hidden": "4", "n_samples": 100, "epochs": 5}


def weights(entry):
    return [numpy.asarray(p.data).copy() for p in entry.session.model.parameters()]


def test_sessions_are_isolated():
    manager = SessionManager()
    one, two = manager.create(SMALL), manager.create(SMALL)
    assert one.id != two.id and len(manager) == 2
    before = weights(two)
    one.session.step(20)
    assert one.session.step_count == 20 and two.session.step_count == 0
    for a, b in zip(before, weights(two), strict=True):
        numpy.testing.assert_array_equal(a, b)
    assert one.session.model is not two.session.model


def test_the_number_of_sessions_is_limited_and_ended_ones_make_room():
    manager = SessionManager(Limits(max_sessions=1))
    first = manager.create(SMALL)
    with pytest.raises(SessionLimitError, match="already runs 1 sessions"):
        manager.create(SMALL)
    manager.remove(first.id)
    assert manager.get(first.id) is None
    manager.create(SMALL)


def test_idle_sessions_expire():
    manager = SessionManager(Limits(max_sessions=1, idle_seconds=0.0))
    first = manager.create(SMALL)
    second = manager.create(SMALL)  # the idle one was ended to make room
    assert manager.get(first.id) is None and manager.get(second.id) is second


def test_training_time_is_limited_per_session():
    manager = SessionManager(Limits(max_training_seconds=0.05))
    entry = manager.create({**SMALL, "epochs": 100_000})
    while entry.training_seconds < 0.05:
        manager.train(entry, 0.01)
    with pytest.raises(SessionLimitError, match=r"trained for 0\.05 s"):
        manager.train(entry, 0.01)
    manager.replace(entry, entry.page)  # a reset starts the clock again
    assert manager.train(entry, 0.01) > 0


@pytest.mark.parametrize(
    ("page", "field", "words"),
    [
        (
            {"hidden": "300-300"},
            "hidden",
            "2-300-300-2 has 91,802 parameters; this server allows 50,000",
        ),
        ({"n_samples": "6000"}, "n_samples", "up to 5,000"),
        ({"epochs": 10**6}, "epochs", "up to 100,000"),
    ],
)
def test_size_limits_name_the_setting_and_the_limit(page, field, words):
    manager = SessionManager(Limits(max_parameters=50_000))
    with pytest.raises(PageError) as caught:
        manager.create(page)
    assert caught.value.field == field and words in caught.value.detail
    assert len(manager) == 0
