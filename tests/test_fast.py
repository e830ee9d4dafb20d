"""The fast exact algorithms against brute force, on the paths the generic tests reach rarely.

numba-concave takes its O(n) path only on a uniform grid from a concave v0, and falls back
to the monotone divide and conquer otherwise; both paths are driven here on purpose.
"""
import numpy as np
import pytest
from helpers import assert_policies_agree, assert_values_agree
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import betas, grids

import vfi

pytestmark = pytest.mark.skipif("numba-concave" not in vfi.variants(),
                                reason="numba is not installed (the optional path is "
                                       "tested in test_optional.py)")
FAST = ["numba-monotone", "numba-concave"]
BRUTE = "numba-loops"


@st.composite
def concave_values(draw, n):
    """Concave v: cumulative sums of non-increasing increments, shifted at random."""
    steps = np.sort(draw(st.lists(st.floats(-5, 5), min_size=max(n - 1, 0),
                                  max_size=max(n - 1, 0))))[::-1]
    return draw(st.floats(-10, 10)) + np.concatenate([[0.0], np.cumsum(steps)])


def check_against_brute(grid, beta, num_iter, v0, variant):
    value, policy = vfi.iterate(grid, beta, num_iter, variant=variant, v0=v0, return_policy=True)
    reference, ref_policy = vfi.iterate(grid, beta, num_iter, variant=BRUTE, v0=v0,
                                        return_policy=True)
    assert_values_agree(value, reference)
    before = vfi.iterate(grid, beta, num_iter - 1, variant=BRUTE, v0=v0)
    assert_policies_agree(policy, ref_policy, grid, beta, before)


@pytest.mark.parametrize("variant", FAST)
@settings(max_examples=60)
@given(n=st.integers(2, 3000), start=st.floats(0, 5), width=st.floats(0.01, 10), beta=betas,
       num_iter=st.integers(1, 30), data=st.data())
def test_uniform_grid_concave_start(variant, n, start, width, beta, num_iter, data):
    grid = np.linspace(start, start + width, n)
    v0 = data.draw(st.one_of(st.none(), concave_values(n)), label="v0")
    check_against_brute(grid, beta, num_iter, v0, variant)


@pytest.mark.parametrize("variant", FAST)
@settings(max_examples=40)
@given(grid=grids(min_size=2, max_size=400, uniform=False), beta=betas,
       num_iter=st.integers(1, 30))
def test_uneven_grid_falls_back_exactly(variant, grid, beta, num_iter):
    check_against_brute(grid, beta, num_iter, None, variant)


@pytest.mark.parametrize("n", [1000, 5000])
def test_long_run_matches_brute_force(n):
    grid = np.linspace(0.1, 1.0, n)
    for variant in FAST:
        check_against_brute(grid, 0.95, 100, None, variant)


def test_uniform_detection():
    from vfi.cake.numba import UNIFORM_RTOL, is_uniform

    assert is_uniform(np.linspace(0.1, 1.0, 1_000_001))
    assert is_uniform(np.array([3.0]))
    grid = np.linspace(0.0, 1.0, 101)
    grid[50] += 10 * UNIFORM_RTOL * 0.01
    assert not is_uniform(grid)
    assert not is_uniform(np.array([0.0, 1.0, 3.0]))


def test_utility_table_only_where_exact_to_rounding():
    from vfi.cake.numba import TABLE_RTOL, table_error

    assert table_error(np.linspace(0.1, 1.0, 1_000_000)) <= TABLE_RTOL
    nudged = np.linspace(0.1, 1.0, 1000)
    nudged[500] += 1e-13  # uniform to UNIFORM_RTOL, not to rounding
    assert table_error(nudged) > TABLE_RTOL


@pytest.mark.parametrize("variant", FAST)
@settings(max_examples=30)
@given(n=st.integers(3, 1000), nudge=st.floats(5e-10, 8e-10), beta=betas,
       num_iter=st.integers(1, 30))
def test_nearly_uniform_grid_scans_with_square_roots(variant, n, nudge, beta, num_iter):
    """Uniform to UNIFORM_RTOL but not to rounding: the concave scan without the table."""
    from vfi.cake.numba import TABLE_RTOL, is_uniform, table_error

    grid = np.linspace(0.1, 1.0, n)
    grid[n // 2] += nudge * (grid[1] - grid[0])
    assert is_uniform(grid) and table_error(grid) > TABLE_RTOL
    check_against_brute(grid, beta, num_iter, None, variant)
