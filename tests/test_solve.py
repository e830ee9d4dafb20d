"""Solving to a tolerance: every method reaches the same fixed point, and the bound holds."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from members import needs
from strategies import grids

import vfi
from vfi.cake.policy import evaluate_doubling, evaluate_exact, evaluate_sweeps

METHODS = ["vfi", "howard", "mpi"]
SOLVE_VARIANTS = [v for v in ("numpy-broadcast", "numba-monotone", "numba-concave")
                  if v in vfi.variants()]
moderate_betas = st.floats(0.05, 0.97)


def reference_solution(grid, beta):
    """The fixed point to 1e-13 relative (to max|V|, the bound's rounding floor being a few
    ulps of it), by Howard from the brute-force NumPy variant."""
    scale = max(1.0, float(np.max(vfi.closed_form(grid, beta))))
    result = vfi.solve(grid, beta, tol=1e-13 * scale, method="howard",
                       variant="numpy-broadcast")
    assert result.converged
    return result


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("variant", SOLVE_VARIANTS)
@settings(max_examples=25)
@given(grid=grids(min_size=1, max_size=64), beta=moderate_betas,
       tol=st.sampled_from([1e-4, 1e-7, 1e-10]))
def test_method_reaches_fixed_point_within_its_bound(method, variant, grid, beta, tol):
    result = vfi.solve(grid, beta, tol=tol, method=method, variant=variant)
    reference = reference_solution(grid, beta)
    assert result.converged and result.error_bound < tol
    assert result.value.dtype == np.float64 and result.policy.dtype == np.int64
    # The bound is a guarantee: it must hold against the 1e-13 solution (plus its bound).
    error = np.max(np.abs(result.value - reference.value))
    assert error <= result.error_bound + reference.error_bound + 1e-12 * max(
        1.0, np.max(np.abs(reference.value)))


@pytest.mark.parametrize("variant", SOLVE_VARIANTS)
def test_howard_at_notebook_case_is_a_fixed_point(variant):
    grid = np.linspace(0.1, 1.0, 100)
    result = vfi.solve(grid, 0.95, tol=1e-12, method="howard", variant=variant)
    tv, policy = vfi.bellman(grid, 0.95, result.value)
    assert np.max(np.abs(tv - result.value)) <= 1e-11
    np.testing.assert_array_equal(policy, result.policy)


def test_policy_evaluation_exact_matches_sweeps_and_doubling():
    grid = np.linspace(0.0, 2.0, 500)
    _, policy = vfi.iterate(grid, 0.9, 50, return_policy=True)
    exact = evaluate_exact(grid, 0.9, policy)
    np.testing.assert_allclose(evaluate_doubling(grid, 0.9, policy), exact, rtol=1e-13,
                               atol=1e-13)
    np.testing.assert_allclose(evaluate_sweeps(grid, 0.9, policy, np.zeros(500), 400), exact,
                               rtol=1e-12, atol=1e-12)
    # A state that keeps its cake forever is worth nothing.
    assert exact[0] == 0.0


def test_non_convergence_is_reported_not_silent():
    grid = np.linspace(0.1, 1.0, 50)
    with pytest.warns(vfi.ConvergenceWarning, match="max_iter=3"):
        result = vfi.solve(grid, 0.99, tol=1e-12, method="vfi", max_iter=3)
    assert not result.converged and result.error_bound >= 1e-12 and result.iterations == 3


@pytest.mark.parametrize("kwargs, error, message", [
    ({"tol": 0.0}, ValueError, "tol must be positive"),
    ({"tol": float("nan")}, ValueError, "tol must be positive"),
    ({"tol": "small"}, TypeError, "tol must be a positive real number"),
    ({"method": "newton"}, ValueError, "method must be one of vfi, howard, mpi"),
    ({"max_iter": 0}, ValueError, "max_iter must be >= 1"),
    ({"sweeps": 2.5}, TypeError, "sweeps must be an integer"),
    ({"variant": "nope-nope"}, ValueError, "variant must be one of"),
    ({"v0": np.ones(3)}, ValueError, "v0 must have shape"),
])
def test_solve_rejects_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        vfi.solve(np.linspace(0.1, 1, 5), 0.9, **kwargs)


def test_default_variant_is_available():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = vfi.solve(np.linspace(0.1, 1, 20), 0.9)
    # The default is the fastest exact path: the fixed point by one merge on this uniform
    # grid where numba is installed, else Howard.
    expected = "exact" if "numba-maxplus" in vfi.variants() else "howard"
    assert result.variant in vfi.variants() and result.method == expected
    uneven = vfi.solve(np.linspace(0.1, 1, 20) ** 2, 0.9)
    assert uneven.method == "howard"


needs_numba = needs("cake", "numba-concave")  # the concave majorant is compiled


def chord_majorant(v):
    """The least concave majorant by its definition: the highest chord over each point."""
    n = v.size
    return np.array([max(v[a] + (v[b] - v[a]) * (k - a) / (b - a) if b > a else v[a]
                         for a in range(k + 1) for b in range(k, n)) for k in range(n)])


@needs_numba
@settings(max_examples=100)
@given(v=st.lists(st.floats(-100, 100), min_size=1, max_size=30).map(np.array))
def test_concave_majorant_is_the_least_concave_majorant(v):
    from vfi.cake.numba import concave_majorant

    original = v.copy()
    hull = concave_majorant(v)
    np.testing.assert_array_equal(v, original)
    np.testing.assert_allclose(hull, chord_majorant(v), rtol=1e-12, atol=1e-10)
    assert np.all(hull >= v - 1e-10)
    assert np.all(np.diff(hull, 2) <= 1e-9)


@needs_numba
@settings(max_examples=30)
@given(n=st.integers(2, 500), start=st.floats(0, 5), width=st.floats(0.01, 10),
       beta=moderate_betas)
def test_howard_with_majorant_reaches_the_fixed_point_on_uniform_grids(n, start, width, beta):
    grid = np.linspace(start, start + width, n)
    reference = vfi.solve(grid, beta, tol=1e-12 * max(1.0, width / (1 - beta)), method="vfi",
                          variant="numba-loops")
    result = vfi.solve(grid, beta, tol=1e-9, method="howard", variant="numba-concave")
    assert result.converged
    gap = np.max(np.abs(result.value - reference.value))
    assert gap <= result.error_bound + reference.error_bound


needs_maxplus = pytest.mark.skipif("numba-maxplus" not in vfi.variants(),
                                   reason="the max-plus merge is compiled with numba")


@needs_maxplus
@settings(max_examples=30)
@given(n=st.integers(2, 400), start=st.floats(0, 5), width=st.floats(0.01, 10),
       beta=moderate_betas)
def test_exact_method_is_the_fixed_point_within_its_bound(n, start, width, beta):
    grid = np.linspace(start, start + width, n)
    exact = vfi.solve(grid, beta, method="exact")
    howard = vfi.solve(grid, beta, tol=1e-9 * max(1.0, width / (1 - beta)), method="howard")
    assert exact.method == "exact" and exact.converged and exact.iterations == 1
    gap = np.max(np.abs(exact.value - howard.value))
    assert gap <= exact.error_bound + howard.error_bound
    assert exact.error_bound < 1e-9 * max(1.0, float(np.max(np.abs(exact.value))))


@needs_maxplus
def test_exact_method_refuses_what_it_cannot_do():
    uneven = np.linspace(0.1, 1, 50) ** 2
    with pytest.raises(ValueError, match="grid must be uniform"):
        vfi.solve(uneven, 0.9, method="exact")
    with pytest.raises(ValueError, match="variant must be None with method='exact'"):
        vfi.solve(np.linspace(0.1, 1, 50), 0.9, method="exact", variant="numba-loops")
    with pytest.raises(ValueError, match="v0 must have shape"):
        vfi.solve(np.linspace(0.1, 1, 50), 0.9, method="exact", v0=np.ones(3))
    assert vfi.solve(uneven, 0.9, method="auto").method == "howard"
