"""The stopping guarantee, as stated (vfi.solvers): for every method and every variant
that can solve, on random models with the tolerance drawn at the boundary,

- ``converged`` and ``error_bound < tol`` (the bound that stopped the solve is below tol);
- the true sup error, against a fixed point computed here independently (policy
  iteration with a dense linear solve), is at most ``error_bound``;
- no iteration too many: the same solve stopped one greedy step earlier has a bound of
  at least ``tol`` (it would not have met it).

The tolerance is put at the boundary on purpose: a solve is first run for k steps, and
tol is drawn in (b_k / 2, b_k) for that run's bound b_k, so that a stop that is loosened
(``bound < 2 tol``) or late by one step shows.
"""
import warnings

import numpy as np
import pytest
from growth_strategies import models as growth_models
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from savings_strategies import models as savings_models
from strategies import grids

import vfi
import vfi.growth as growth
import vfi.savings as savings

METHODS = ("vfi", "howard", "mpi")
CAKE_VARIANTS = vfi.variants()
#: Few sizes: the JAX variants compile once per shape.
CAKE_SIZES = (1, 2, 5, 12, 24)
FAMILY_SIZES = st.sampled_from([3, 8, 15])
#: Slack of the independent fixed point (a dense solve of I - beta P_sigma), relative to
#: max|v| / (1 - beta): far below any bound the solves stop at here.
REFERENCE_RTOL = 1e-13


def policy_iteration(reward, successors, beta):
    """The exact fixed point of max_j reward[x, j] + beta sum_y successors[x, j, y] v[y]
    (reward -inf where infeasible) by policy iteration: a finite number of improvements,
    each evaluated by one dense linear solve. Keeps the current choice unless another is
    better by more than rounding, so that it stops."""
    states = reward.shape[0]
    policy = np.argmax(reward, axis=1)
    for _ in range(1000):
        transition = successors[np.arange(states), policy]
        v = np.linalg.solve(np.eye(states) - beta * transition,
                            reward[np.arange(states), policy])
        q = reward + beta * successors @ v
        current = q[np.arange(states), policy]
        best = np.argmax(q, axis=1)
        slack = 1e-13 * max(1.0, float(np.max(np.abs(v))))
        better = q[np.arange(states), best] > current + slack
        if not better.any():
            return v
        policy = np.where(better, best, policy)
    raise AssertionError("policy iteration did not stop")


def cake_fixed_point(grid, beta):
    n = grid.size
    gap = grid[:, None] - grid[None, :]
    reward = np.where(gap >= 0, np.sqrt(np.maximum(gap, 0.0)), -np.inf)
    successors = np.zeros((n, n, n))
    successors[:, np.arange(n), np.arange(n)] = 1.0
    return policy_iteration(reward, successors, beta)


def family_fixed_point(model):
    spec = model.spec
    n, m = model.shape
    c = spec.resources[:, :, None] - spec.choices[None, None, :]       # (i, s, j)
    ok = c > 0 if spec.kind != 0 else c >= 0
    u = np.where(ok, np.asarray(spec_utility(np.where(ok, c, 1.0), spec)), -np.inf)
    successors = np.zeros((n, m, n, n, m))                               # (i, s, j) -> (j', t)
    for j in range(n):
        successors[:, :, j, j, :] = spec.P[None, :, :]
    v = policy_iteration(u.reshape(n * m, n), successors.reshape(n * m, n, n * m), spec.beta)
    return v.reshape(n, m)


def spec_utility(c, spec):
    """The member's utility, written out here (not the kernels' function)."""
    if spec.kind == 1:
        return spec.param * np.log(c)
    return c ** (1.0 - spec.param) / (1.0 - spec.param)


def quiet(solve, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vfi.ConvergenceWarning)
        return solve(**kwargs)


def check_stop(solve, fixed_point, beta, data):
    """The three promises on one model; ``solve(tol, max_iter)`` runs the method."""
    scale = max(1.0, float(np.max(np.abs(fixed_point))))
    floor = 1e-9 * scale
    calibration = quiet(solve, tol=floor, max_iter=10_000)
    assert calibration.converged
    assume(calibration.iterations >= 2)
    k = data.draw(st.integers(1, calibration.iterations - 1), label="k")
    b_k = quiet(solve, tol=floor, max_iter=k).error_bound
    assert b_k >= floor  # the calibration did not stop at k
    tol = b_k * data.draw(st.floats(0.5, 1.0, exclude_min=True, exclude_max=True),
                          label="tol / b_k")
    result = solve(tol=tol, max_iter=10_000)
    assert result.converged, (result.error_bound, tol)
    assert result.error_bound < tol
    error = float(np.max(np.abs(result.value - fixed_point)))
    assert error <= result.error_bound + REFERENCE_RTOL * scale / (1.0 - beta), \
        (error, result.error_bound)
    if result.iterations > 1:
        earlier = quiet(solve, tol=tol, max_iter=result.iterations - 1)
        assert not earlier.converged and earlier.error_bound >= tol, \
            (result.iterations, earlier.error_bound, tol)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("variant", CAKE_VARIANTS)
@settings(max_examples=6)
@given(data=st.data(), size=st.sampled_from(CAKE_SIZES), beta=st.floats(0.05, 0.95))
def test_cake_stops_as_stated(variant, method, data, size, beta):
    grid = data.draw(grids(min_size=size, max_size=size), label="grid")
    fixed_point = cake_fixed_point(grid, beta)

    def solve(tol, max_iter):
        return vfi.solve(grid, beta, tol=tol, method=method, variant=variant,
                         max_iter=max_iter)

    check_stop(solve, fixed_point, beta, data)


@settings(max_examples=15)
@given(grid=grids(min_size=1, max_size=40, uniform=True), beta=st.floats(0.01, 0.97))
def test_cake_exact_method_bound_holds(grid, beta):
    # "auto": the fixed point by one merge where the grid passes its rule, else Howard
    result = vfi.solve(grid, beta, method="auto")
    assert result.converged and result.error_bound < 1e-10
    error = float(np.max(np.abs(result.value - cake_fixed_point(grid, beta))))
    scale = max(1.0, float(np.max(np.abs(result.value))))
    assert error <= result.error_bound + REFERENCE_RTOL * scale / (1.0 - beta)


def family_case(member, models, variant, method, data):
    model = data.draw(models, label="model")
    fixed_point = family_fixed_point(model)

    def solve(tol, max_iter):
        return member.solve(model, tol=tol, method=method, variant=variant, max_iter=max_iter,
                            warm_start=False)

    check_stop(solve, fixed_point, model.beta, data)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("variant", growth.variants())
@settings(max_examples=6)
@given(data=st.data())
def test_growth_stops_as_stated(variant, method, data):
    family_case(growth, growth_models(sizes=FAMILY_SIZES, states=st.sampled_from([2, 3])),
                variant, method, data)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("variant", savings.variants())
@settings(max_examples=6)
@given(data=st.data())
def test_savings_stops_as_stated(variant, method, data):
    family_case(savings, savings_models(sizes=FAMILY_SIZES, states=st.sampled_from([1, 2, 3])),
                variant, method, data)


@pytest.mark.parametrize("variant", ["numba-loops", "numpy-broadcast"])
@settings(max_examples=10)
@given(grid=grids(min_size=1, max_size=24), beta=st.floats(0.05, 0.95),
       tol=st.sampled_from([1e-3, 1e-6, 1e-9]))
def test_vfi_method_is_value_iteration(variant, grid, beta, tol):
    """method="vfi" takes v <- Tv and nothing else: the same steps, stop and midpoint as
    a loop written here (the other methods' updates would stop elsewhere)."""
    from vfi.solvers import macqueen_porteus

    result = vfi.solve(grid, beta, tol=tol, method="vfi", variant=variant)
    v = np.sqrt(grid)
    for steps in range(1, 10_001):  # noqa: B007  (read after the loop)
        tv, policy = vfi.bellman(grid, beta, v, variant=variant)
        value, bound = macqueen_porteus(v, tv, beta)
        if bound < tol:
            break
        v = tv
    assert result.iterations == steps
    np.testing.assert_array_equal(result.value, value)
    np.testing.assert_array_equal(result.policy, policy)


def _unreachable_cases():
    """(solve, expected variant kind) where tol=1e-12 is below the rounding floor at
    beta = 0.99999: the cake's generic loop and the family's compiled one."""
    growth_model = growth.StochasticGrowth(
        np.linspace(0.05, 0.5, 12), np.array([0.95, 1.05]),
        np.array([[0.9, 0.1], [0.1, 0.9]]), 0.33, 0.99999)
    cake = np.linspace(10.0, 11.0, 10)
    return {
        "cake-numba-loops": lambda m: vfi.solve(cake, 0.99999, tol=1e-12, method=m,
                                                 variant="numba-loops"),
        "cake-python-loops": lambda m: vfi.solve(cake, 0.99999, tol=1e-12, method=m,
                                                  variant="python-loops"),
        "growth-default": lambda m: growth.solve(growth_model, tol=1e-12, method=m),
        "growth-numpy-blocked": lambda m: growth.solve(growth_model, tol=1e-12, method=m,
                                                       variant="numpy-blocked"),
    }


# The growth solves carry a value near 0 under mpi from V = 0 (the midpoint's shift holds
# the level), where the floor is far lower: mpi meets 1e-12 there, legitimately.
@pytest.mark.parametrize(("case", "method"),
                         [(case, "howard") for case in sorted(_unreachable_cases())]
                         + [("cake-numba-loops", "mpi"), ("cake-python-loops", "vfi")])
def test_unreachable_tol_stops_at_the_rounding_floor(case, method):
    """A tol below 2 eps max|Tv| / (1 - beta) cannot be met: the solve stops as soon as
    the bound is within twice that floor, says so with the floor, and its bound is still
    a guarantee that a reachable tol then meets."""
    with pytest.warns(vfi.ConvergenceWarning, match=r"cannot reach tol=1e-12: float64 "
                      r"rounding alone bounds the error at .* ask for tol >") as caught:
        stuck = _unreachable_cases()[case](method)
    assert len(caught) == 1
    assert not stuck.converged and stuck.iterations < 200
    floor = float(caught[0].message.args[0].split("error at ")[1].split(" ")[0])
    assert 1e-12 <= floor <= stuck.error_bound <= 2.0 * floor * 1.01
