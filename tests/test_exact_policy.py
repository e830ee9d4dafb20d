"""solve(..., exact_policy=True): a policy proven to be the exact optimum, or said not to be."""
import numpy as np
import pytest
from members import needs

import vfi.growth as growth
import vfi.savings as savings

needs_numba = needs("savings", "numba-monotone")  # the proof is compiled with numba


def small_savings(gamma=2.0):
    return savings.OptimalSavings(R=1.01, beta=0.95, gamma=gamma, grid=np.linspace(0.01, 4, 60),
                                  y=[0.6, 1.0, 1.6], P=[[0.8, 0.15, 0.05], [0.1, 0.8, 0.1],
                                                        [0.05, 0.15, 0.8]])


@needs_numba
@pytest.mark.parametrize("gamma", [1.0, 2.0, 3.5])
def test_proven_policy_is_the_brute_force_optimum(gamma):
    model = small_savings(gamma)
    result = savings.solve(model, tol=1e-6, exact_policy=True)
    assert result.policy_exact is True
    reference = savings.solve(model, tol=1e-11, method="howard", variant="numba-brute")
    _, greedy = savings.bellman(model, reference.value, variant="numba-brute")
    np.testing.assert_array_equal(result.policy, greedy)


@needs_numba
def test_not_checked_by_default_and_checked_on_request():
    model = small_savings()
    assert savings.solve(model).policy_exact is None
    proven = savings.solve(model, exact_policy=True)
    # this model's choices are separated far beyond the bound: the proof must succeed
    assert proven.policy_exact is True
    reference = savings.solve(model, tol=1e-11, method="howard", variant="numba-brute")
    _, greedy = savings.bellman(model, reference.value, variant="numba-brute")
    np.testing.assert_array_equal(proven.policy, greedy)


@needs_numba
def test_certificate_refuses_what_the_bound_cannot_separate():
    from vfi.family.numba import certify

    model = small_savings()
    result = savings.solve(model, tol=1e-10)
    _, exact = certify(model.spec, result.value, result.error_bound)
    assert exact
    _, loose = certify(model.spec, result.value, 1.0)   # a bound too wide to prove anything
    assert not loose


@needs_numba
def test_growth_ties_at_rounding_are_reported_not_proven():
    """On the paper's grid some states' best two choices tie to float64 rounding: the
    tightest policy is returned (the paper's check point right), policy_exact False."""
    model = growth.afv2015()
    result = growth.solve(model, tol=2e-6, exact_policy=True)
    tight = growth.solve(model, tol=1e-12, method="howard")
    assert result.policy[999, 2] == tight.policy[999, 2]
    assert result.policy_exact is False
    assert result.error_bound < 1e-11


@needs_numba
def test_warm_start_is_the_default_where_a_coarse_grid_exists():
    model = growth.afv2015(2000)
    default = growth.solve(model, tol=1e-6)
    warm = growth.solve(model, tol=1e-6, warm_start=True)
    np.testing.assert_array_equal(default.value, warm.value)
    cold = growth.solve(model, tol=1e-6, warm_start=False)
    assert cold.iterations > default.iterations
