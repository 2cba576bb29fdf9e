"""Tests of the lab experiment mlplab.lab.linear_regression, run in its quick form."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import linear_regression


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("linear-regression")
    return lab.run(linear_regression.EXPERIMENT, quick=True, out=out)


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]


def test_gradient_descent_recovers_the_true_parameters_within_one_percent(result):
    claim = find_claim(result, "recovers the parameters of a linear model")
    assert claim.held and claim.values["max_relative_error"] <= 0.01
    learned, true = result.numbers["learned_parameters"], result.numbers["true_parameters"]
    assert true == {"a": 2.0, "b": -3.0, "c": 1.5, "d": 1.0}
    for name, value in true.items():
        assert learned[name] == pytest.approx(value, rel=0.01)


def test_gradient_descent_lands_on_the_least_squares_solution(result):
    claim = find_claim(result, "closed-form least-squares solution")
    assert claim.held and claim.values["max_relative_gap_to_least_squares"] <= 1e-3
    exact = result.numbers["least_squares_parameters"]
    for name, value in result.numbers["learned_parameters"].items():
        assert value == pytest.approx(exact[name], rel=1e-3)
    # The plain gradient-descent path drawn on the surface ends at the minimum too.
    distances = result.numbers["path_end_distance"]
    assert min(distances.values()) < 1e-6


def test_the_largest_stable_rate_is_two_over_lambda_max(result):
    eigenvalues = result.numbers["hessian_eigenvalues"]
    assert eigenvalues == sorted(eigenvalues) and eigenvalues[0] > 0
    # x ~ N(0, I) with a bias column: 2/N·XᵀX is close to 2·I.
    assert eigenvalues[-1] == pytest.approx(2.0, rel=0.25)
    limit = result.numbers["two_over_lambda"]
    assert limit == pytest.approx(2.0 / eigenvalues[-1], rel=1e-12)
    claim = find_claim(result, "largest stable rate found by bisection")
    assert claim.held
    assert claim.values["measured_boundary"] == pytest.approx(limit, rel=0.02)
    assert result.numbers["boundary_over_formula"] == pytest.approx(1.0, rel=0.02)


def test_figures_are_pngs_and_the_reports_embed_them(result):
    assert_figures_and_reports(result, ["loss-curve", "loss-surface", "learning-rate-boundary"])


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(linear_regression.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
