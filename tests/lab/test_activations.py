"""Tests of the lab experiment mlplab.lab.activations, run in its quick form."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import activations


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return lab.run(activations.EXPERIMENT, quick=True, out=tmp_path_factory.mktemp("activations"))


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]


def test_autograd_agrees_with_finite_differences_for_every_activation(result):
    claim = find_claim(result, "agrees with central finite differences")
    assert claim.held
    assert set(claim.values) == {f"{name}_max_error" for name in activations.NAMES}
    assert all(0 <= error <= 1e-6 for error in claim.values.values())


def test_sigmoid_slope_peaks_at_a_quarter_at_zero_and_tanh_slope_at_one(result):
    assert find_claim(result, "sigmoid's derivative is at most 0.25").held
    peak = find_claim(result, "sigmoid's derivative reaches its maximum")
    assert peak.held and peak.values["sigmoid_max_slope_at"] == 0
    assert peak.values["sigmoid_max_slope"] == pytest.approx(0.25, abs=1e-12)
    tanh = find_claim(result, "tanh's derivative is at most 1")
    assert tanh.held and tanh.values["tanh_max_slope"] == pytest.approx(1.0, abs=1e-12)


def test_relu_passes_the_gradient_for_half_of_the_inputs(result):
    claim = find_claim(result, "ReLU passes the gradient for about half")
    assert claim.held and claim.values["relu_fraction_open"] == pytest.approx(0.5, abs=0.01)


def test_leaky_relu_with_slope_one_is_exactly_the_identity(result):
    claim = find_claim(result, "leaky ReLU with slope 1 is the identity")
    assert claim.held
    assert claim.values == {"max_value_gap": 0.0, "max_slope_gap": 0.0}


def test_the_table_holds_the_moments_of_each_activation(result):
    (table,) = result.tables
    assert [row["activation"] for row in table.rows] == list(activations.NAMES)
    relu = table.rows[activations.NAMES.index("relu")]
    assert relu["signal kept E[f(x)²]/E[x²]"] == pytest.approx(0.5, abs=0.01)
    sigmoid = table.rows[activations.NAMES.index("sigmoid")]
    assert sigmoid["gradient passed E[f'(x)²]"] < 0.0625  # below 0.25², its largest slope squared


def test_figures_and_self_contained_reports_are_written(result):
    assert_figures_and_reports(result, ["activations", "signal-and-gradient"])


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(activations.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
