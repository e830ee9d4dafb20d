"""Properties of the Bellman operator T, checked on every available variant.

Exact arithmetic gives them exactly; float64 rounding is allowed a slack of 1e-12
times the scale of the values involved.
"""
import numpy as np
import pytest
from helpers import RTOL, scale
from hypothesis import given
from hypothesis import strategies as st
from strategies import betas, grid_and_value, values

import vfi

VARIANTS = vfi.variants()


def slack(*arrays):
    return RTOL * max(scale(a) for a in arrays)


@pytest.mark.parametrize("variant", VARIANTS)
@given(gv=grid_and_value(), beta=betas, data=st.data())
def test_monotone(variant, gv, beta, data):
    grid, v = gv
    w = v + np.abs(data.draw(values(grid.size, bound=5.0)))
    tv, _ = vfi.bellman(grid, beta, v, variant=variant)
    tw, _ = vfi.bellman(grid, beta, w, variant=variant)
    assert np.all(tv <= tw + slack(tv, tw))


@pytest.mark.parametrize("variant", VARIANTS)
@given(gv=grid_and_value(), beta=betas, data=st.data())
def test_contraction(variant, gv, beta, data):
    grid, v = gv
    w = data.draw(values(grid.size))
    tv, _ = vfi.bellman(grid, beta, v, variant=variant)
    tw, _ = vfi.bellman(grid, beta, w, variant=variant)
    assert np.max(np.abs(tv - tw)) <= beta * np.max(np.abs(v - w)) + slack(tv, tw)


@pytest.mark.parametrize("variant", VARIANTS)
@given(gv=grid_and_value(), beta=betas, c=st.floats(-100, 100))
def test_shift(variant, gv, beta, c):
    grid, v = gv
    tv, _ = vfi.bellman(grid, beta, v, variant=variant)
    tv_shifted, _ = vfi.bellman(grid, beta, v + c, variant=variant)
    np.testing.assert_allclose(tv_shifted, tv + beta * c, rtol=0, atol=slack(tv, tv_shifted))


@pytest.mark.parametrize("variant", VARIANTS)
@given(gv=grid_and_value(), beta=betas)
def test_value_non_decreasing_and_policy_feasible_monotone(variant, gv, beta):
    grid, v = gv
    tv, policy = vfi.bellman(grid, beta, v, variant=variant)
    assert np.all(np.diff(tv) >= -slack(tv))
    assert np.all(policy >= 0) and np.all(grid[policy] <= grid)
    # sqrt(x - x') has increasing differences, so the first maximiser is non-decreasing
    # in x (Topkis); at a numerical tie the earlier choice must still be a maximiser.
    for i in np.flatnonzero(np.diff(policy) < 0):
        j = policy[i]
        candidate = np.sqrt(grid[i + 1] - grid[j]) + beta * v[j]
        assert candidate >= tv[i + 1] - slack(tv), f"policy decreases at state {i}"


def test_one_step_by_hand():
    # Three states, worked out by hand: T v at x = (0, 1, 4), v = (0, 0, 0), beta = 0.5.
    tv, policy = vfi.bellman([0.0, 1.0, 4.0], 0.5, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(tv, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(policy, [0, 0, 0])
    tv, policy = vfi.bellman([0.0, 1.0, 4.0], 0.5, [0.0, 10.0, 0.0])
    np.testing.assert_array_equal(tv, [0.0, 5.0, np.sqrt(3.0) + 5.0])
    np.testing.assert_array_equal(policy, [0, 1, 1])
