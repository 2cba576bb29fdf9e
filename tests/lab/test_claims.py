"""Tests of mlplab.lab.claims: each comparison holds exactly when its bound is met."""

import math

import pytest

from mlplab.lab.claims import Claim, at_least, at_most, close_to


def test_at_most_and_at_least_hold_at_the_bound_and_fail_past_it():
    assert at_most("s", "x", 0.25, 0.25).held and not at_most("s", "x", 0.2501, 0.25).held
    assert at_least("s", "x", 0.95, 0.95).held and not at_least("s", "x", 0.949, 0.95).held
    assert at_most("s", "x", 0.3, 0.25).threshold == "x ≤ 0.25"


def test_close_to_takes_a_relative_or_an_absolute_tolerance():
    assert close_to("s", "a", 2.019, 2.0, rel=0.01).held
    assert not close_to("s", "a", 2.021, 2.0, rel=0.01).held
    assert close_to("s", "p", 0.0241, 0.024, abs=1e-3).held
    assert not close_to("s", "p", math.nan, 0.0, abs=1.0).held
    assert close_to("s", "a", 2.0, 2.0, rel=0.01).threshold == "a within 1% of 2"
    with pytest.raises(ValueError, match="exactly one"):
        close_to("s", "a", 1.0, 1.0)


def test_claims_round_trip_as_plain_data():
    claim = Claim("a sentence", {"x": 1.5}, "x ≤ 2", True)
    assert Claim.from_dict(claim.to_dict()) == claim
