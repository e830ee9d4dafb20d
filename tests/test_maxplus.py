"""The max-plus kernels (vfi.cake.maxplus, vfi.cake.jax_maxplus) against the brute force."""
import warnings

import numpy as np
import pytest
from helpers import assert_policies_agree, assert_values_agree
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import grids, values

import vfi
from vfi.cake import grid_rule
from vfi.cake import maxplus as mp
from vfi.cake import numba as cake_numba

REFERENCE = "numba-loops"  # exact, O(n^2) per step: the fast brute force

#: Over all of (0, 1): small beta matters (the m = 0 stream takes most of the merge, one
#: band holds most increments), and so does beta near 1 (the heap).
betas = st.floats(0.0, 1.0, exclude_min=True, exclude_max=True)
steps = st.integers(1, 60)


@st.composite
def uniform_grids(draw, max_size=300):
    n = draw(st.integers(1, max_size))
    start = draw(st.one_of(st.just(0.0), st.just(0.1), st.floats(0.0, 10.0)))
    return np.linspace(start, start + draw(st.floats(1e-2, 10.0)), n)


@st.composite
def concave_values(draw, n):
    """sqrt(grid) (None) or cumulative sums of decreasing increments."""
    if n < 2 or draw(st.booleans()):
        return None
    increments = draw(st.lists(st.floats(-5.0, 5.0), min_size=n - 1, max_size=n - 1))
    start = draw(st.floats(-10.0, 10.0))
    return start + np.concatenate([[0.0], np.cumsum(np.sort(increments)[::-1])])


def reference(grid, beta, num_iter, v0):
    """(value, policy, value before the last step) by the brute force."""
    value, policy = vfi.iterate(grid, beta, num_iter, variant=REFERENCE, v0=v0,
                                return_policy=True)
    before = vfi.iterate(grid, beta, num_iter - 1, variant=REFERENCE, v0=v0)
    return value, policy, before


def start_value(grid, v0):
    return np.sqrt(grid) if v0 is None else v0


@given(grid=uniform_grids(), beta=betas, num_iter=steps, data=st.data())
def test_agrees_with_brute_force(grid, beta, num_iter, data):
    v0 = data.draw(concave_values(grid.size), label="v0")
    v = start_value(grid, v0)
    v_before, grid_before = v.copy(), grid.copy()
    value, policy = mp.iterate_maxplus(grid, beta, v, num_iter)
    expected, expected_policy, before = reference(grid, beta, num_iter, v0)
    assert value.dtype == np.float64 and policy.dtype == np.int64
    assert_values_agree(value, expected)
    assert_policies_agree(policy, expected_policy, grid, beta, before)
    np.testing.assert_array_equal(v, v_before)
    np.testing.assert_array_equal(grid, grid_before)


@given(grid=uniform_grids(), beta=betas, num_iter=st.integers(1, 300), data=st.data())
def test_engines_agree(grid, beta, num_iter, data):
    # the band merge against the heap over the sequences' heads: the same merge
    v = start_value(grid, data.draw(concave_values(grid.size), label="v0"))
    bands = mp._iterate(grid, beta, v, num_iter, mp.BANDS)
    heap = mp._iterate(grid, beta, v, num_iter, mp.HEAP)
    assert bands[2] == heap[2]
    if bands[2]:  # else neither wrote anything
        assert_values_agree(bands[0], heap[0], rtol=1e-14)
        before = mp.iterate_maxplus(grid, beta, v, num_iter - 1)[0]
        assert_policies_agree(bands[1], heap[1], grid, beta, before)


def test_the_merge_applies_to_benchmark_grids():
    for n in (2, 3, 100, 1000):
        for start, stop in ((0.0, 1.0), (0.1, 1.0), (1e-3, 5.0)):
            grid = np.linspace(start, stop, n)
            assert mp._iterate(grid, 0.95, np.sqrt(grid), 7, mp.BANDS)[2], (n, start)


@pytest.mark.parametrize("n", [10**3, 10**4])
def test_large_grid_prefix_sums_stay_exact(n):
    # K = 100 steps as the concave scan takes them (exact values once choices agree)
    grid = np.linspace(0.1, 1.0, n)
    v = np.sqrt(grid)
    value, policy = mp.iterate_maxplus(grid, 0.95, v, 100)
    expected, expected_policy = cake_numba.iterate_concave(grid, 0.95, v, 100)
    assert_values_agree(value, expected)
    before = cake_numba.iterate_concave(grid, 0.95, v, 99)[0]
    assert_policies_agree(policy, expected_policy, grid, 0.95, before)


@pytest.mark.parametrize("beta", [0.3, 0.6])
def test_wide_bands(beta):
    # at small beta one band holds most increments (65% of them at beta = 0.5)
    grid = np.linspace(0.1, 1.0, 40_000)
    v = np.sqrt(grid)
    value, policy = mp.iterate_maxplus(grid, beta, v, 30)
    expected, expected_policy = cake_numba.iterate_concave(grid, beta, v, 30)
    assert_values_agree(value, expected)
    np.testing.assert_array_equal(policy, expected_policy)
    bands, heap = mp._fixed_point(grid, beta, mp.BANDS), mp._fixed_point(grid, beta, mp.HEAP)
    assert_values_agree(bands[0], heap[0], rtol=1e-14)
    np.testing.assert_array_equal(bands[1], heap[1])


@pytest.mark.parametrize("num_iter", [1, 5, 40])
def test_beta_near_one_takes_the_heap(num_iter):
    # bands of ratio beta = 1 - 1e-7: too many to walk, so the heap merges
    grid = np.linspace(0.0, 1.0, 60)
    value, policy = mp.iterate_maxplus(grid, 1.0 - 1e-7, np.sqrt(grid), num_iter)
    expected, expected_policy, before = reference(grid, 1.0 - 1e-7, num_iter, None)
    assert_values_agree(value, expected)
    assert_policies_agree(policy, expected_policy, grid, 1.0 - 1e-7, before)
    fixed, fixed_policy, bound = mp.fixed_point_maxplus(grid, 0.999)
    howard = vfi.solve(grid, 0.999, tol=1e-8, method="howard")
    assert np.max(np.abs(fixed - howard.value)) <= bound + howard.error_bound


@settings(max_examples=20)
@given(grid=grids(min_size=3, max_size=40, uniform=False), beta=betas, num_iter=steps)
def test_uneven_grid_falls_back_to_concave(grid, beta, num_iter):
    assume(not cake_numba.is_uniform(grid))  # equal steps can be drawn
    v = np.sqrt(grid)
    value, policy = mp.iterate_maxplus(grid, beta, v, num_iter)
    expected, expected_policy = cake_numba.iterate_concave(grid, beta, v, num_iter)
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(policy, expected_policy)


@settings(max_examples=20)
@given(grid=uniform_grids(max_size=40), beta=betas, num_iter=steps, data=st.data())
def test_non_concave_start_falls_back_to_concave(grid, beta, num_iter, data):
    v = data.draw(values(grid.size), label="v0")
    assume(not mp._iterate(grid, beta, v, num_iter, mp.BANDS)[2])  # mostly: not concave
    v_before = v.copy()
    value, policy = mp.iterate_maxplus(grid, beta, v, num_iter)
    expected, expected_policy = cake_numba.iterate_concave(grid, beta, v, num_iter)
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(policy, expected_policy)
    np.testing.assert_array_equal(v, v_before)


def test_a_convex_start_is_not_merged():
    grid = np.linspace(0.0, 1.0, 50)
    assert not mp._iterate(grid, 0.9, grid**2, 3, mp.BANDS)[2]


def test_zero_steps_return_a_copy():
    grid = np.linspace(0.1, 1.0, 5)
    v = np.sqrt(grid)
    value, policy = mp.iterate_maxplus(grid, 0.9, v, 0)
    assert value is not v
    np.testing.assert_array_equal(value, v)
    np.testing.assert_array_equal(policy, np.zeros(5, dtype=np.int64))


@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("num_iter", [1, 2, 17])
def test_one_and_two_points(n, num_iter):
    grid = np.linspace(0.3, 0.8, n)
    v = np.array([-0.5, 2.0])[:n]
    value, policy = mp.iterate_maxplus(grid, 0.9, v, num_iter)
    expected, expected_policy, _ = reference(grid, 0.9, num_iter, v)
    assert_values_agree(value, expected)
    np.testing.assert_array_equal(policy, expected_policy)


@settings(max_examples=25)
@given(grid=uniform_grids(), beta=betas)
def test_fixed_point_matches_howard(grid, beta):
    if not mp._applies(grid):  # start far from 0 on a narrow grid: the table is too coarse
        with pytest.raises(ValueError, match="grid must be uniform"):
            mp.fixed_point_maxplus(grid, beta)
        return
    value, policy, bound = mp.fixed_point_maxplus(grid, beta)
    with warnings.catch_warnings():
        # At beta near 1 tol=1e-12 is below Howard's rounding floor: it stops there and
        # says so, and its error_bound is still a guarantee, which is all the gap needs.
        warnings.simplefilter("ignore", vfi.ConvergenceWarning)
        howard = vfi.solve(grid, beta, tol=1e-12, method="howard")
    # The bound is the table's error per step summed over the contraction: a few ulps of
    # the utilities, never more than 1e-12 of them per step.
    assert 0.0 <= bound < 1e-12 / (1.0 - beta)
    gap = np.max(np.abs(value - howard.value))
    assert gap <= bound + howard.error_bound, (gap, bound, howard.error_bound)
    assert_policies_agree(policy, howard.policy, grid, beta, value)
    assert value[0] == 0.0 and policy[0] == 0


def test_fixed_point_is_where_the_iteration_stops():
    # T^K 0 is the fixed point once K passes the last sequence that reaches the merge
    grid = np.linspace(0.1, 1.0, 200)
    value, policy, _ = mp.fixed_point_maxplus(grid, 0.9)
    far, far_policy = mp.iterate_maxplus(grid, 0.9, np.zeros(200), 500)
    np.testing.assert_allclose(far, value, rtol=0, atol=1e-14)
    np.testing.assert_array_equal(far_policy, policy)
    assert_values_agree(mp._fixed_point(grid, 0.9, mp.HEAP)[0], value, rtol=1e-14)


def test_fixed_point_needs_a_uniform_grid():
    grid = np.array([0.0, 0.1, 0.3, 0.6, 1.0])
    with pytest.raises(ValueError, match="grid must be uniform"):
        mp.fixed_point_maxplus(grid, 0.9)


@pytest.mark.parametrize("n", [1, 2])
def test_fixed_point_of_one_and_two_points(n):
    grid = np.linspace(0.2, 0.7, n)
    value, policy, _ = mp.fixed_point_maxplus(grid, 0.9)
    howard = vfi.solve(grid, 0.9, tol=1e-13, method="howard")
    np.testing.assert_allclose(value, howard.value, atol=1e-12)
    np.testing.assert_array_equal(policy, howard.policy)


@given(grid=st.one_of(grids(max_size=64), uniform_grids(max_size=64)))
def test_one_pass_grid_rule_is_the_numpy_rule(grid):
    uniform, table = cake_numba.grid_rule_pass(grid, cake_numba.UNIFORM_RTOL)
    assert uniform == grid_rule.is_uniform(grid)
    assert table == grid_rule.table_error(grid)


def test_grid_rule_on_nearly_uniform_grids():
    rng = np.random.default_rng(3)
    for size in (3, 4, 5, 9, 200):
        for noise in (1e-17, 1e-13, 1e-10, 1e-8):
            grid = np.linspace(1.0, 2.0, size) + noise * rng.standard_normal(size)
            uniform, table = cake_numba.grid_rule_pass(grid, cake_numba.UNIFORM_RTOL)
            assert uniform == grid_rule.is_uniform(grid)
            assert table == grid_rule.table_error(grid)


# --- JAX ------------------------------------------------------------------------------

JAX_CASES = [(1, 0.9, 3), (2, 0.6, 5), (40, 0.95, 30), (120, 0.8, 60), (120, 0.99, 1)]


@pytest.fixture(scope="module")
def jm():
    return pytest.importorskip("vfi.cake.jax_maxplus", reason="jax is not installed")


@pytest.mark.parametrize("n, beta, num_iter", JAX_CASES)
@pytest.mark.parametrize("start", ["sqrt", "concave"])
def test_jax_agrees_with_numba(jm, n, beta, num_iter, start):
    grid = np.linspace(0.1, 2.0, n)
    v = np.sqrt(grid) if start == "sqrt" else 1.0 - (grid - 1.0) ** 2
    v_before = v.copy()
    value, policy = jm.iterate_maxplus(grid, beta, v, num_iter)
    expected, expected_policy = mp.iterate_maxplus(grid, beta, v, num_iter)
    assert value.dtype == np.float64 and policy.dtype == np.int64
    assert_values_agree(value, expected)
    before = mp.iterate_maxplus(grid, beta, v, num_iter - 1)[0]
    assert_policies_agree(policy, expected_policy, grid, beta, before)
    np.testing.assert_array_equal(v, v_before)


def test_jax_falls_back_where_the_merge_does_not_apply(jm):
    uneven = np.array([0.0, 0.1, 0.3, 0.6, 1.0])
    convex = np.linspace(0.0, 1.0, 6)
    for grid, v in ((uneven, np.sqrt(uneven)), (convex, convex**2)):
        value, policy = jm.iterate_maxplus(grid, 0.9, v, 4)
        expected, expected_policy = cake_numba.iterate_concave(grid, 0.9, v, 4)
        np.testing.assert_array_equal(value, expected)
        np.testing.assert_array_equal(policy, expected_policy)
    grid = np.linspace(0.0, 1.0, 4)
    value, policy = jm.iterate_maxplus(grid, 0.9, np.sqrt(grid), 0)
    np.testing.assert_array_equal(value, np.sqrt(grid))


def test_jax_host_rule_is_the_numba_rule(jm):
    assert (jm.UNIFORM_RTOL, jm.TABLE_RTOL, jm.ROUNDING_SLACK) == \
        (cake_numba.UNIFORM_RTOL, cake_numba.TABLE_RTOL, cake_numba.ROUNDING_SLACK)
    rng = np.random.default_rng(5)
    for size in (1, 2, 3, 10, 300):
        for noise in (0.0, 1e-15, 1e-11, 1e-6):
            grid = np.sort(np.linspace(0.5, 3.0, size) + noise * rng.random(size))
            assert jm.is_uniform(grid) == cake_numba.is_uniform(grid)
            assert jm.table_error(grid) == cake_numba.table_error(grid)
            v = np.sqrt(grid) + noise * rng.random(size)
            concave = mp._iterate(grid, 0.9, v, 1, mp.BANDS)[2]
            assert jm.applies(grid, 0.9, v) == concave
