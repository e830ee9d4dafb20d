"""solve: every method reaches the same fixed point within its reported (guaranteed) bound."""
import numpy as np
import pytest
from growth_strategies import models
from hypothesis import given, settings
from hypothesis import strategies as st

import vfi
import vfi.growth as growth

METHODS = ("vfi", "howard", "mpi")


@settings(max_examples=20)
@given(models(sizes=st.integers(2, 150)), st.floats(1e-9, 1e-5))
def test_methods_reach_the_same_fixed_point_within_their_bounds(model, tol):
    reference = growth.solve(model, tol=1e-11, method="vfi", max_iter=100_000)
    assert reference.converged
    for method in METHODS:
        for warm in (False, True):
            result = growth.solve(model, tol=tol, method=method, warm_start=warm)
            assert result.converged and result.error_bound < tol
            gap = np.max(np.abs(result.value - reference.value))
            assert gap <= result.error_bound + reference.error_bound
            assert result.policy.shape == model.shape and result.policy.dtype == np.int64


@pytest.mark.parametrize("method", METHODS)
def test_warm_start_on_a_large_grid_keeps_the_guarantee(method):
    model = growth.afv2015(3000)  # coarse level: 300 points
    reference = growth.solve(model, tol=1e-10, method="vfi", warm_start=True)
    result = growth.solve(model, tol=1e-6, method=method, warm_start=True)
    assert result.converged and result.error_bound < 1e-6
    assert np.max(np.abs(result.value - reference.value)) <= result.error_bound + 1e-10


def test_the_fixed_point_is_a_fixed_point():
    model = growth.afv2015(500)
    result = growth.solve(model, tol=1e-10, method="howard")
    tv, policy = growth.bellman(model, result.value)
    assert np.max(np.abs(tv - result.value)) < 2e-10
    np.testing.assert_array_equal(policy, result.policy)


def test_max_iter_warns_and_reports_not_converged():
    model = growth.afv2015(100)
    with pytest.warns(vfi.ConvergenceWarning):
        result = growth.solve(model, tol=1e-10, method="vfi", max_iter=3)
    assert not result.converged and result.iterations == 3 and result.error_bound >= 1e-10


def test_every_variant_solves_to_the_same_answer():
    model = growth.afv2015(60)
    results = [growth.solve(model, tol=1e-9, method="mpi", variant=name)
               for name in growth.variants()]
    for result in results:
        assert np.max(np.abs(result.value - results[0].value)) <= 2e-9
        assert result.variant in growth.variants()


def test_evaluation_sweeps_and_exact():
    from vfi.family.policy import evaluate

    model = growth.afv2015(300)
    result = growth.solve(model, tol=1e-10, method="vfi")
    exact = evaluate(model, result.policy, np.zeros(model.shape), None, 1e-12)
    assert np.max(np.abs(exact - result.value)) < 1e-9
    one = evaluate(model, result.policy, result.value, 1)
    np.testing.assert_allclose(one, result.value, atol=1e-9)
    zero = evaluate(model, result.policy, result.value, 0)
    np.testing.assert_array_equal(zero, result.value)


def test_numpy_evaluation_matches_numba():
    from vfi.family import policy

    model = growth.afv2015(200)
    result = growth.solve(model, tol=1e-8, method="mpi")
    v = np.random.default_rng(2).normal(size=model.shape)
    for sweeps in (0, 3, None):
        a = policy.evaluate(model, result.policy, v, sweeps, 1e-11)
        b = policy._evaluate_numpy(model, result.policy, v, sweeps, 1e-11)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)


def test_the_compiled_warm_start_is_the_interpolated_concave_majorant():
    """vfi.family.numba.warm_guess against its definition: np.interp of each column's
    least concave majorant (upper_envelope), on kinked columns and a fine grid whose
    points fall on, between and (by rounding) just past the coarse ones."""
    from vfi.family.numba import upper_envelope, warm_guess

    rng = np.random.default_rng(7)
    coarse = np.linspace(0.5, 3.0, 40)
    value = np.log(coarse)[:, None] + rng.normal(0, 0.01, (40, 3))
    fine = np.concatenate([[0.5 - 1e-15], np.sort(rng.uniform(0.5, 3.0, 500)), coarse,
                           [3.0 + 1e-15]])
    fine.sort()
    out = np.empty((fine.size, 3))
    warm_guess(coarse, value.copy(), fine, out)
    for s in range(3):
        hat = np.empty(40)
        upper_envelope(coarse, np.ascontiguousarray(value[:, s]), hat)
        np.testing.assert_allclose(out[:, s], np.interp(fine, coarse, hat), rtol=0, atol=1e-14)
