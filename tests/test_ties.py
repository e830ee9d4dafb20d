"""Ties decided, not tolerated: at exact ties every variant returns the brute force's
first maximiser, the same index, with no tolerance.

The agreement tests (``test_agreement.py``, ``test_growth_agreement.py``, ``test_savings.py``)
keep a tolerant policy comparison, and must: on random grids two choices can be within
rounding of each other, and then which is "first" depends on how each variant rounds.
Here the ties are built so that the competing objectives are the same float64 number in
every variant's arithmetic (``tie_strategies``), so the first maximiser is one index.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from tie_strategies import (
    build_growth,
    build_savings,
    cake_brute_force,
    cake_ties,
    concave_cake_ties,
    family_brute_force,
    family_ties,
)

import vfi
import vfi.growth as growth
import vfi.savings as savings

CAKE_VARIANTS = vfi.variants()
#: Examples per variant, the same under both profiles: every example holds a planted tie,
#: and 41 parametrisations run (about 50 s on one core at this count).
EXAMPLES = settings(max_examples=30)


def test_the_issue_example_has_one_first_maximiser():
    """grid 0..4, beta = 1/2, v = [0, 2, 3, 3.5, 3.75]: state 1 ties eating one step
    (1 + 0) with eating none (0 + 1); the first maximiser is 0."""
    grid, v = np.linspace(0.0, 4.0, 5), np.array([0.0, 2.0, 3.0, 3.5, 3.75])
    _, expected = cake_brute_force(grid, 0.5, v)
    np.testing.assert_array_equal(expected, [0, 0, 1, 2, 2])
    for variant in CAKE_VARIANTS:
        _, policy = vfi.bellman(grid, 0.5, v, variant=variant)
        np.testing.assert_array_equal(policy, expected, err_msg=variant)


def check_cake(variant, grid, beta, v):
    expected_value, expected = cake_brute_force(grid, beta, v)
    value, policy = vfi.bellman(grid, beta, v, variant=variant)
    np.testing.assert_array_equal(policy, expected)
    return value, expected_value


@pytest.mark.parametrize("variant", CAKE_VARIANTS)
@EXAMPLES
@given(case=cake_ties())
def test_cake_first_maximiser_at_planted_ties(variant, case):
    grid, beta, v, i, j1 = case
    value, expected_value = check_cake(variant, grid, beta, v)
    assert cake_brute_force(grid, beta, v)[1][i] == j1  # the tie is there, and decided
    # sqrt(x_i - x_j) is exact at the tie; elsewhere values agree to rounding
    np.testing.assert_allclose(value, expected_value, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("variant", CAKE_VARIANTS)
@EXAMPLES
@given(case=concave_cake_ties())
def test_cake_first_maximiser_at_ties_of_a_concave_value(variant, case):
    # a concave v on a uniform grid: the table scan (numba-concave) and the merge
    # (numba-maxplus, jax-maxplus) take it, not their fallbacks
    grid, beta, v = case
    check_cake(variant, grid, beta, v)


def check_family(member, variant, case):
    model, v, (i, s), j1 = case
    _, expected = family_brute_force(model, v)
    assert expected[i, s] == j1
    _, oracle = member.bellman(model, v, variant="numba-brute")
    np.testing.assert_array_equal(oracle, expected)
    _, policy = member.bellman(model, v, variant=variant)
    np.testing.assert_array_equal(policy, expected)


@pytest.mark.parametrize("variant", growth.variants())
@EXAMPLES
@given(case=family_ties(build_growth))
def test_growth_first_maximiser_at_planted_ties(variant, case):
    check_family(growth, variant, case)


@pytest.mark.parametrize("variant", savings.variants())
@EXAMPLES
@given(case=family_ties(build_savings))
def test_savings_first_maximiser_at_planted_ties(variant, case):
    check_family(savings, variant, case)
