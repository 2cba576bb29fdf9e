"""Tests of the lab experiment mlplab.lab.momentum, run in its quick form."""

import pytest
from lab_checks import assert_figures_and_reports, find_claim

from mlplab import lab
from mlplab.lab import momentum


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("momentum")
    return lab.run(momentum.EXPERIMENT, quick=True, out=out)


def test_every_claim_holds(result):
    assert result.held, [claim.statement for claim in result.failed]


def test_momentum_reaches_the_target_in_fewer_steps_than_sgd(result):
    claim = find_claim(result, "Momentum speeds up descent")
    assert claim.held and claim.values["smallest_speed_up"] >= 2
    steps = result.numbers["steps_to_target"]
    assert set(steps) == {"quadratic κ = 20", "Rosenbrock"}
    for by_method in steps.values():
        assert by_method["momentum"] is not None and by_method["Nesterov"] is not None
        assert by_method["SGD"] is None or by_method["SGD"] >= 2 * by_method["momentum"]
    # On the stable quadratic SGD at lr/(1−β) is as fast as momentum; on Rosenbrock it diverges.
    assert steps["quadratic κ = 20"]["SGD at lr/(1−β)"] is not None
    assert steps["Rosenbrock"]["SGD at lr/(1−β)"] is None


@pytest.mark.parametrize(
    ("key", "theory"),
    [
        ("measured_sgd_0", 2.0),
        ("measured_momentum_0.5", 3.0),
        ("measured_momentum_0.9", 3.8),
        ("measured_nesterov_0.5", 1.5),
        ("measured_nesterov_0.9", 3.8 / 2.8),
        ("measured_sgd_large_0.5", 1.0),
        ("measured_sgd_large_0.9", 0.2),
    ],
)
def test_each_stability_limit_is_within_a_few_percent_of_theory(result, key, theory):
    (claim,) = [c for c in result.claims if key in c.values]
    assert claim.held
    assert claim.values[key] == pytest.approx(theory, rel=0.03)


def test_each_method_diverges_just_above_its_limit_and_not_just_below(result):
    claim = find_claim(result, "diverges just above its measured limit")
    assert claim.held
    assert claim.values["smallest_ratio_above"] > 1 > claim.values["largest_ratio_below"]
    rows = result.numbers["stability"]
    assert len(rows) == 7
    assert all(row["loss ratio +1%"] > 1 > row["loss ratio −1%"] for row in rows)


def test_tuned_steps_grow_like_kappa_and_like_its_square_root(result):
    gd = find_claim(result, "like κ:")
    assert gd.held and gd.values["gd_slope"] == pytest.approx(1.0, abs=0.1)
    heavy_ball = find_claim(result, "like √κ")
    assert heavy_ball.held and heavy_ball.values["momentum_slope"] == pytest.approx(0.5, abs=0.1)
    steps = result.numbers["condition_steps"]
    assert all(g > m for g, m in zip(steps["SGD"], steps["momentum"], strict=True))


def test_small_steps_on_a_smooth_bowl_give_the_same_path(result):
    claim = find_claim(result, "follow the same path")
    assert claim.held and claim.values["smooth_path_distance"] <= 0.05
    # At equal step counts momentum lags: the paths coincide in space, not step by step.
    assert result.numbers["smooth_same_step_distance"] > claim.values["smooth_path_distance"]


def test_near_the_edge_sgd_at_the_larger_rate_diverges_and_momentum_does_not(result):
    claim = find_claim(result, "Near the stability edge")
    assert claim.held
    values = claim.values
    for surface in ("quadratic", "rosenbrock"):
        step = values[f"{surface}_alpha_lambda_max"]
        assert step / (1 - 0.9) > 2 and step < 2 + 2 * 0.9
        assert values[f"{surface}_sgd_large_diverged"] is True
        assert values[f"{surface}_momentum_final_loss"] <= 1e-4


def test_noisy_gradients_spread_the_larger_rate_more(result):
    formula = find_claim(result, "stationary variance predicts")
    assert formula.held and formula.values["largest_relative_error"] <= 0.15
    claim = find_claim(result, "With noisy gradients momentum is not a larger learning rate")
    assert claim.held and claim.values["spread_ratio"] >= 2
    assert claim.values["spread_ratio"] == pytest.approx(
        result.numbers["noise_edge_theory_ratio"], rel=0.2
    )


def test_figures_are_pngs_and_the_reports_embed_them(result):
    assert_figures_and_reports(
        result, ["trajectories", "stability-limits", "condition-number", "momentum-vs-larger-lr"]
    )


def test_the_same_seed_gives_the_same_numbers(result, tmp_path):
    again = lab.run(momentum.EXPERIMENT, quick=True, out=tmp_path)
    assert again.numbers == result.numbers
