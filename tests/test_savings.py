"""The optimal savings problem (``vfi.savings``), QuantEcon's income fluctuation model.

- every variant agrees with numba-brute (the oracle) on random models and starts;
- the Bellman operator is monotone, a beta-contraction, shifts constants by beta, and its
  first maximiser is feasible and non-decreasing in wealth;
- solve reaches its guaranteed bound with every method;
- the QuantEcon calibration matches quantecon's Tauchen chain and DiscreteDP's policy;
- bad input is refused naming the parameter, inputs are never modified;
- without quantecon, ``import vfi`` and the model work and ``quantecon()`` says why not;
- ``python -m vfi savings`` solves the calibration.
"""
import importlib.util
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from savings_strategies import (
    assert_policies_agree,
    assert_values_agree,
    models,
    scale,
    start_values,
)

import vfi
import vfi.growth as growth
import vfi.savings as savings

HAS_QUANTECON = importlib.util.find_spec("quantecon") is not None
needs_quantecon = pytest.mark.skipif(not HAS_QUANTECON,
                                     reason="quantecon (an optional dependency) is not "
                                            "installed; its absence is tested below")
needs_oracle = pytest.mark.skipif("numba-brute" not in savings.variants(),
                                  reason="the oracle, numba-brute, needs numba")
METHODS = ("vfi", "howard", "mpi")
FAMILY = ("python-loops", "numpy-blocked", "numba-brute", "numba-monotone", "jax-blocked")


def small_model(**changes):
    """A hand-made two-state household (20 wealth points)."""
    arguments = dict(R=1.01, beta=0.95, gamma=2.0, grid=np.linspace(0.05, 4.0, 20),
                     y=np.array([0.5, 1.5]), P=np.array([[0.9, 0.1], [0.2, 0.8]]))
    arguments.update(changes)
    return savings.OptimalSavings(**arguments)


# --- every variant against the oracle ----------------------------------------------------

#: Cases per variant: (grid sizes, income states, steps). Pure Python and JAX (which
#: compiles once per shape and utility kind) get small or few shapes.
CASES = {
    "numba-monotone": (st.integers(2, 120), st.integers(1, 5), st.integers(1, 12)),
    "numpy-blocked": (st.integers(2, 120), st.integers(1, 5), st.integers(1, 6)),
    "python-loops": (st.integers(2, 20), st.integers(1, 3), st.integers(1, 3)),
    "jax-blocked": (st.sampled_from([3, 40]), st.sampled_from([1, 3]), st.integers(1, 6)),
}


def check_against_oracle(variant, model, v0, num_iter):
    before = savings.iterate(model, num_iter - 1, variant="numba-brute", v0=v0)
    reference, ref_policy = savings.bellman(model, before, variant="numba-brute")
    value, policy = savings.iterate(model, num_iter, variant=variant, v0=v0, return_policy=True)
    assert value.shape == model.shape and value.dtype == np.float64
    assert np.all(np.isfinite(value))
    assert_values_agree(value, reference)
    assert_policies_agree(policy, ref_policy, model, before)


@needs_oracle
@pytest.mark.parametrize("variant", sorted(CASES))
@settings(max_examples=40)
@given(data=st.data())
def test_variant_agrees_with_brute_force(variant, data):
    if variant not in savings.variants():
        pytest.skip(savings.unavailable_variants().get(variant, "not registered"))
    sizes, states, steps = CASES[variant]
    model = data.draw(models(sizes=sizes, states=states), label="model")
    v0 = data.draw(start_values(model), label="v0")
    check_against_oracle(variant, model, v0, data.draw(steps, label="num_iter"))


@needs_oracle
@pytest.mark.parametrize("gamma", [1.0, 2.0, 3.5])
def test_monotone_is_exact_from_a_policy_value(gamma):
    """Howard's values have kinks (not concave): the search must still be exact."""
    model = small_model(gamma=gamma, grid=np.linspace(0.01, 6.0, 400) ** 1.3)
    value = savings.solve(model, tol=1e-6, method="howard").value
    check_against_oracle("numba-monotone", model, value, 1)
    check_against_oracle("numba-monotone", model, value, 4)


def test_family_variants_are_registered():
    from vfi import registry

    assert "savings" in registry.problems()
    names = registry.variants("savings", include_unavailable=True)
    assert set(FAMILY) <= set(names)
    assert set(savings.variants()) | set(savings.unavailable_variants()) == set(names)
    assert not set(savings.variants()) & set(savings.unavailable_variants())
    assert savings.default_variant() in savings.variants()
    assert savings.default_variant() == next(name for name in savings.SOLVE_PREFERENCE
                                             if name in savings.variants())


# --- the Bellman operator -----------------------------------------------------------------

BELLMAN_SIZES = st.integers(2, 80)


def rounding(model, *values):
    return 64 * np.finfo(np.float64).eps * max(scale(v) for v in values) / (1 - model.beta)


@st.composite
def model_and_two_values(draw):
    model = draw(models(sizes=BELLMAN_SIZES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = draw(st.sampled_from([1.0, 10.0]))
    return model, size * rng.normal(size=model.shape), size * rng.normal(size=model.shape)


@settings(max_examples=40)
@given(model_and_two_values())
def test_bellman_is_monotone(case):
    model, v, u = case
    low, high = np.minimum(v, u), np.maximum(v, u)
    t_low = savings.iterate(model, 1, v0=low)
    t_high = savings.iterate(model, 1, v0=high)
    assert np.all(t_low <= t_high + rounding(model, t_low, t_high))


@settings(max_examples=40)
@given(model_and_two_values())
def test_bellman_is_a_beta_contraction(case):
    model, v, u = case
    tv, tu = savings.iterate(model, 1, v0=v), savings.iterate(model, 1, v0=u)
    assert np.max(np.abs(tv - tu)) <= model.beta * np.max(np.abs(v - u)) + rounding(model, tv, tu)


@settings(max_examples=40)
@given(model_and_two_values(), st.floats(-5.0, 5.0))
def test_bellman_shifts_constants_by_beta(case, c):
    model, v, _ = case
    tv, _ = savings.bellman(model, v)
    shifted, _ = savings.bellman(model, v + c)
    np.testing.assert_allclose(shifted, tv + model.beta * c, rtol=0,
                               atol=rounding(model, tv, shifted))


@settings(max_examples=40)
@given(data=st.data())
def test_policy_is_feasible_and_monotone_in_wealth(data):
    model = data.draw(models(sizes=BELLMAN_SIZES), label="model")
    v = data.draw(start_values(model), label="v")
    for variant in {savings.default_variant(), "numpy-blocked"}:
        _, policy = savings.bellman(model, savings.iterate(model, 2, v0=v), variant=variant)
        assert policy.dtype == np.int64 and np.all((policy >= 0) & (policy < model.n))
        consumption = model.R * model.grid[:, None] + model.y[None, :] - model.grid[policy]
        assert np.all(consumption > 0)
        assert np.all(np.diff(policy, axis=0) >= 0)  # in wealth, for every income state


def test_bellman_step_by_hand():
    """One step from zero on a two-point grid, written out."""
    model = small_model(grid=np.array([0.1, 1.0]), gamma=1.0)
    v = np.array([[0.0, 1.0], [2.0, 3.0]])
    tv, policy = savings.bellman(model, v, variant="numpy-blocked")
    for i in range(2):
        for s in range(2):
            cash = model.R * model.grid[i] + model.y[s]
            options = [np.log(cash - k) + model.beta * model.P[s] @ v[j]
                       for j, k in enumerate(model.grid) if cash - k > 0]
            assert tv[i, s] == pytest.approx(max(options), rel=1e-14)
            assert policy[i, s] == int(np.argmax(options))


# --- solve -----------------------------------------------------------------------------------


def reference_solution(model, scale_hint):
    """Value iteration to a bound far below every tolerance tested (above float64 noise)."""
    tol = max(1e-11, 1e-13 * scale_hint / (1.0 - model.beta))
    reference = savings.solve(model, tol=tol, method="vfi", max_iter=200_000)
    assert reference.converged
    return reference


@settings(max_examples=12)
@given(models(sizes=st.integers(2, 60), states=st.integers(1, 4)),
       st.sampled_from([1e-9, 1e-7, 1e-5]))
def test_methods_reach_the_fixed_point_within_their_bounds(model, tol):
    results = {}
    for method in METHODS:
        result = savings.solve(model, tol=tol, method=method)
        assert result.converged and result.error_bound < tol
        assert result.value.shape == result.policy.shape == model.shape
        assert result.policy.dtype == np.int64 and result.method == method
        assert result.iterations >= 1 and result.variant in savings.variants()
        results[method] = result
    reference = reference_solution(model, scale(results["vfi"].value))
    for method, result in results.items():
        gap = np.max(np.abs(result.value - reference.value))
        assert gap <= result.error_bound + reference.error_bound, method
    for a in METHODS:
        for b in METHODS:
            gap = np.max(np.abs(results[a].value - results[b].value))
            assert gap <= results[a].error_bound + results[b].error_bound, (a, b)


def test_the_fixed_point_is_a_fixed_point():
    model = small_model(grid=np.linspace(0.01, 8.0, 300), gamma=1.5)
    result = savings.solve(model, tol=1e-10, method="howard")
    tv, policy = savings.bellman(model, result.value)
    assert np.max(np.abs(tv - result.value)) < 4e-10
    np.testing.assert_array_equal(policy, result.policy)


@pytest.mark.parametrize("method", METHODS)
def test_warm_start_on_a_large_grid_keeps_the_guarantee(method):
    model = small_model(grid=np.linspace(0.01, 8.0, 1500))  # coarse level: 150 points
    reference = savings.solve(model, tol=1e-10, method="howard")
    result = savings.solve(model, tol=1e-6, method=method, warm_start=True)
    assert result.converged and result.error_bound < 1e-6
    assert np.max(np.abs(result.value - reference.value)) <= result.error_bound + 1e-10


def test_every_variant_solves_to_the_same_answer():
    model = small_model(grid=np.linspace(0.05, 4.0, 25))
    results = {name: savings.solve(model, tol=1e-9, method="mpi", variant=name)
               for name in savings.variants()}
    first = next(iter(results.values()))
    for name, result in results.items():
        assert result.converged and result.variant == name
        assert np.max(np.abs(result.value - first.value)) <= result.error_bound + first.error_bound
        np.testing.assert_array_equal(result.policy, first.policy)


@pytest.mark.parametrize("method", METHODS)
def test_max_iter_warns_and_reports_not_converged(method):
    model = small_model()
    with pytest.warns(vfi.ConvergenceWarning):
        result = savings.solve(model, tol=1e-12, method=method, max_iter=2)
    assert not result.converged and result.iterations == 2 and result.error_bound >= 1e-12


def test_converged_solve_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", vfi.ConvergenceWarning)
        assert savings.solve(small_model(), tol=1e-8).converged


# --- the QuantEcon calibration --------------------------------------------------------------


@needs_quantecon
def test_quantecon_calibration_arrays():
    import quantecon as qe

    default = savings.quantecon()
    assert default.shape == (150, 100)
    assert (default.R, default.beta, default.gamma) == (1.01, 0.98, 2.0)
    np.testing.assert_array_equal(default.grid, np.linspace(0.01, 5.0, 150))
    model = savings.quantecon(w_max=10, y_size=12)
    assert model.shape == (150, 12)
    np.testing.assert_array_equal(model.grid, np.linspace(0.01, 10.0, 150))
    chain = qe.tauchen(12, 0.9, 0.1)
    np.testing.assert_allclose(model.y, np.exp(chain.state_values), rtol=1e-15, atol=0)
    np.testing.assert_allclose(model.P, chain.P, rtol=0, atol=1e-15)
    for m in (default, model):
        np.testing.assert_allclose(m.P.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert np.all(m.P >= 0) and np.all(m.y > 0)
        assert np.all(np.diff(m.y) > 0)  # Tauchen's states are increasing


def build_discrete_dp(model):
    """The problem as a ``quantecon.markov.DiscreteDP`` built here, independently of
    ``vfi.savings.peer``: state i * y_size + s, action the next wealth index, only feasible
    state-action pairs."""
    import scipy.sparse
    from quantecon.markov import DiscreteDP

    n, m = model.shape
    cash = (model.R * model.grid[:, None] + model.y[None, :]).ravel()
    c = cash[:, None] - model.grid[None, :]
    s_indices, a_indices = np.nonzero(c > 0)
    chosen = c[s_indices, a_indices]
    gamma = model.gamma
    rewards = np.log(chosen) if gamma == 1.0 else chosen ** (1 - gamma) / (1 - gamma)
    income = s_indices % m
    pairs = np.arange(s_indices.size)
    rows = np.repeat(pairs, m)
    columns = (a_indices[:, None] * m + np.arange(m)[None, :]).ravel()
    weights = model.P[income].ravel()
    keep = weights != 0
    Q = scipy.sparse.csr_matrix((weights[keep], (rows[keep], columns[keep])),
                                shape=(s_indices.size, n * m))
    return DiscreteDP(rewards, Q, model.beta, s_indices, a_indices)


def discrete_dp_solution(model, builder):
    """(value, policy) of DiscreteDP's policy iteration, each of shape model.shape."""
    if builder == "peer":
        if importlib.util.find_spec("vfi.savings.peer") is None:
            pytest.skip("vfi/savings/peer.py does not exist")
        from vfi.savings import peer

        ddp = peer.discrete_dp(model.grid, model.y, model.P, model.R, model.beta, model.gamma)
        value, policy, _ = peer.solve_discrete_dp(ddp, "policy_iteration", epsilon=1e-8)
        return value, policy
    res = build_discrete_dp(model).solve(method="policy_iteration")
    return res.v.reshape(model.shape), np.asarray(res.sigma, dtype=np.int64).reshape(model.shape)


@needs_quantecon
@pytest.mark.parametrize("builder", ["peer", "own"])
def test_quantecon_calibration_matches_discrete_dp_policy_iteration(builder):
    model = savings.quantecon(w_max=10, y_size=12)
    value, policy = discrete_dp_solution(model, builder)
    for method in METHODS:
        result = savings.solve(model, tol=1e-9, method=method)
        assert result.converged
        np.testing.assert_array_equal(result.policy, policy)
        assert np.max(np.abs(result.value - value)) <= result.error_bound + 1e-9


@needs_quantecon
def test_quantecon_calibration_is_cached_and_read_only():
    a, b = savings.quantecon(w_max=10, y_size=12), savings.quantecon(w_max=10.0, y_size=12)
    np.testing.assert_array_equal(a.P, b.P)
    for array in (a.grid, a.y, a.P, a.resources):
        assert not array.flags.writeable


# --- bad input ------------------------------------------------------------------------------

GOOD = dict(R=1.01, beta=0.95, gamma=2.0, grid=np.linspace(0.05, 4.0, 20),
            y=np.array([0.5, 1.5]), P=np.array([[0.9, 0.1], [0.2, 0.8]]))

BAD = [
    ("R", -1.0, ValueError, "R must be positive"),
    ("R", 0.0, ValueError, "R must be positive"),
    ("R", float("nan"), ValueError, "R must be positive and finite"),
    ("R", float("inf"), ValueError, "R must be positive and finite"),
    ("R", "1.01", TypeError, "R must be a positive real number"),
    ("R", None, TypeError, "R must be a positive real number"),
    ("R", True, TypeError, "R must be a positive real number"),
    ("beta", 0.0, ValueError, "beta must be in the open interval"),
    ("beta", 1.0, ValueError, "beta must be in the open interval"),
    ("beta", 1.5, ValueError, "beta must be in the open interval"),
    ("beta", -0.5, ValueError, "beta must be in the open interval"),
    ("beta", float("nan"), ValueError, "beta must be in the open interval"),
    ("beta", "0.95", TypeError, "beta must be a real number"),
    ("beta", True, TypeError, "beta must be a real number"),
    ("gamma", 0.0, ValueError, "gamma must be positive"),
    ("gamma", -2.0, ValueError, "gamma must be positive"),
    ("gamma", float("nan"), ValueError, "gamma must be positive and finite"),
    ("gamma", float("inf"), ValueError, "gamma must be positive and finite"),
    ("gamma", "2", TypeError, "gamma must be a positive real number"),
    ("grid", np.ones((2, 10)), ValueError, "grid must be 1-D"),
    ("grid", 0.5, ValueError, "grid must be 1-D"),
    ("grid", np.array([]), ValueError, "grid must not be empty"),
    ("grid", np.array([0.1, np.nan]), ValueError, "grid must be finite"),
    ("grid", np.array([0.1, np.nan, 0.3]), ValueError, "grid must be finite"),
    ("grid", np.array([0.1, np.inf]), ValueError, "grid must be finite"),
    ("grid", np.array([-0.1, 0.1]), ValueError, "grid must be non-negative"),
    ("grid", np.array([0.2, 0.1]), ValueError, "grid must be strictly increasing"),
    ("grid", np.array([0.1, 0.1]), ValueError, "grid must be strictly increasing"),
    ("grid", np.array([0.1, 0.3, 0.2]), ValueError, "grid must be strictly increasing"),
    ("grid", np.array(["a", "b"]), TypeError, "grid must be numeric"),
    ("grid", np.array([0.1 + 1j, 0.2]), TypeError, "grid must be real"),
    ("y", np.array([1.0, -1.0]), ValueError, "y must be positive"),
    ("y", np.array([0.0, 1.0]), ValueError, "y must be positive"),
    ("y", np.array([1.0, np.inf]), ValueError, "y must be finite"),
    ("y", np.array([1.0, np.nan]), ValueError, "y must be finite"),
    ("y", np.array([[0.5, 1.5]]), ValueError, "y must be 1-D"),
    ("y", np.array([]), ValueError, "y must not be empty"),
    ("y", ["a", "b"], TypeError, "y must be numeric"),
    ("P", np.array([[0.9, 0.1]]), ValueError, "P must be square and match y"),
    ("P", np.eye(3), ValueError, "P must be square and match y"),
    ("P", np.array([0.5, 0.5]), ValueError, "P must be 2-D"),
    ("P", np.array([[1.1, -0.1], [0.5, 0.5]]), ValueError, "P must be non-negative"),
    ("P", np.array([[0.9, 0.2], [0.5, 0.5]]), ValueError, "P rows must sum to 1"),
    ("P", np.array([[0.9, 0.1 + 1e-9], [0.5, 0.5]]), ValueError, "P rows must sum to 1"),
    ("P", np.zeros((2, 2)), ValueError, "P rows must sum to 1"),
    ("P", np.array([[0.9, np.nan], [0.5, 0.5]]), ValueError, "P must be finite"),
    ("P", np.array([[0.9, np.inf], [0.5, 0.5]]), ValueError, "P must be finite"),
]


@pytest.mark.parametrize("name, value, error, message", BAD)
def test_bad_model_input(name, value, error, message):
    with pytest.raises(error, match=message):
        savings.OptimalSavings(**{**GOOD, name: value})


def test_missing_parameter_is_a_type_error():
    with pytest.raises(TypeError, match="P"):
        savings.OptimalSavings(**{k: v for k, v in GOOD.items() if k != "P"})


@pytest.mark.parametrize("changes", [
    dict(grid=np.array([50.0, 60.0]), R=0.9, y=np.array([1.0, 2.0])),  # 0.9*50 + 1 < 50
    dict(grid=np.array([10.0, 11.0]), R=0.9, y=np.array([1.0, 3.0])),  # 0.9*10 + 1 == 10
])
def test_infeasible_state(changes):
    rule = r"feasible choice: R \* grid\[0\] \+ min\(y\) > grid\[0\]"
    with pytest.raises(ValueError, match=rule):
        savings.OptimalSavings(**{**GOOD, **changes})


def test_edge_inputs_are_accepted():
    """Zero wealth, one grid point, one income state, lists, ints, numpy scalars."""
    one = savings.OptimalSavings(R=1, beta=np.float32(0.5), gamma=1, grid=[0.0], y=[2],
                                 P=[[1]])
    assert one.shape == (1, 1) and one.gamma == 1.0
    value, policy = savings.iterate(one, 3, return_policy=True)
    # Only choice 0: V = log 2 (1 + b + b^2) after three steps.
    np.testing.assert_allclose(value, np.log(2.0) * (1 + 0.5 + 0.25), rtol=1e-14)
    np.testing.assert_array_equal(policy, [[0]])


@pytest.fixture(scope="module")
def model():
    return small_model()


@pytest.mark.parametrize("call, error, message", [
    (lambda m: savings.iterate(m, -1), ValueError, "num_iter must be >= 0"),
    (lambda m: savings.iterate(m, 1.0), TypeError, "num_iter must be an integer"),
    (lambda m: savings.iterate(m, True), TypeError, "num_iter must be an integer"),
    (lambda m: savings.iterate(m, "3"), TypeError, "num_iter must be an integer"),
    (lambda m: savings.iterate(m, 0, return_policy=True), ValueError, "num_iter must be >= 1"),
    (lambda m: savings.iterate(m, 1, v0=np.zeros(20)), ValueError,
     r"v0 must have shape \(20, 2\)"),
    (lambda m: savings.iterate(m, 1, v0=np.zeros((2, 20))), ValueError,
     r"v0 must have shape \(20, 2\)"),
    (lambda m: savings.iterate(m, 1, v0=np.full((20, 2), np.nan)), ValueError,
     "v0 must be finite"),
    (lambda m: savings.iterate(m, 1, v0=np.full((20, 2), -np.inf)), ValueError,
     "v0 must be finite"),
    (lambda m: savings.iterate(m, 1, v0=np.full((20, 2), "x")), TypeError, "v0 must be numeric"),
    (lambda m: savings.bellman(m, np.zeros((20, 3))), ValueError, r"v0 must have shape"),
    (lambda m: savings.iterate(m, 1, variant="nope-nope"), ValueError, "variant must be one of"),
    (lambda m: savings.solve(m, variant="nope-nope"), ValueError, "variant must be one of"),
    (lambda m: savings.iterate(m.grid, 1), TypeError,
     "model must be a vfi.savings.OptimalSavings"),
    (lambda m: savings.iterate(growth.afv2015(10), 1), TypeError,
     "model must be a vfi.savings.OptimalSavings, got StochasticGrowth"),
    (lambda m: savings.solve(growth.afv2015(10)), TypeError,
     "model must be a vfi.savings.OptimalSavings"),
    (lambda m: savings.bellman(None, np.zeros((20, 2))), TypeError,
     "model must be a vfi.savings.OptimalSavings"),
    (lambda m: growth.iterate(m, 1), TypeError, "model must be a vfi.growth.StochasticGrowth"),
    (lambda m: savings.solve(m, tol=0.0), ValueError, "tol must be positive"),
    (lambda m: savings.solve(m, tol=-1e-8), ValueError, "tol must be positive"),
    (lambda m: savings.solve(m, tol=float("nan")), ValueError, "tol must be positive"),
    (lambda m: savings.solve(m, tol="1e-8"), TypeError, "tol must be a positive real number"),
    (lambda m: savings.solve(m, method="newton"), ValueError, "method must be one of"),
    (lambda m: savings.solve(m, method=None), ValueError, "method must be one of"),
    (lambda m: savings.solve(m, max_iter=0), ValueError, "max_iter must be >= 1"),
    (lambda m: savings.solve(m, max_iter=10.5), TypeError, "max_iter must be an integer"),
    (lambda m: savings.solve(m, sweeps=0), ValueError, "sweeps must be >= 1"),
    (lambda m: savings.solve(m, v0=np.ones(3)), ValueError, r"v0 must have shape \(20, 2\)"),
    (lambda m: savings.solve(m, v0=np.full((20, 2), np.inf)), ValueError, "v0 must be finite"),
])
def test_bad_call(model, call, error, message):
    with pytest.raises(error, match=message):
        call(model)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(w_max=0.0), ValueError, "w_max must be positive"),
    (dict(w_max=-5.0), ValueError, "w_max must be positive"),
    (dict(w_max=0.005), ValueError, "w_max must be above the grid's lower end"),
    (dict(w_max=0.01), ValueError, "w_max must be above the grid's lower end"),
    (dict(w_max=float("nan")), ValueError, "w_max must be positive and finite"),
    (dict(w_max=float("inf")), ValueError, "w_max must be positive and finite"),
    (dict(w_max="10"), TypeError, "w_max must be a positive real number"),
    (dict(w_size=1), ValueError, "w_size must be >= 2"),
    (dict(w_size=0), ValueError, "w_size must be >= 2"),
    (dict(w_size=150.0), TypeError, "w_size must be an integer"),
    (dict(y_size=0), ValueError, "y_size must be >= 1"),
    (dict(y_size=-3), ValueError, "y_size must be >= 1"),
    (dict(y_size=1.5), TypeError, "y_size must be an integer"),
    (dict(rho=1.0), ValueError, r"rho must be in the open interval \(-1, 1\)"),
    (dict(rho=-1.0), ValueError, r"rho must be in the open interval \(-1, 1\)"),
    (dict(rho=1.5), ValueError, r"rho must be in the open interval \(-1, 1\)"),
    (dict(rho=float("nan")), ValueError, r"rho must be in the open interval \(-1, 1\)"),
    (dict(rho="0.9"), TypeError, "rho must be a real number"),
    (dict(rho=True), TypeError, "rho must be a real number"),
    (dict(nu=0.0), ValueError, "nu must be positive"),
    (dict(nu=-0.1), ValueError, "nu must be positive"),
    (dict(nu=float("inf")), ValueError, "nu must be positive and finite"),
    (dict(R=0.0), ValueError, "R must be positive"),
    (dict(beta=1.0), ValueError, "beta must be in the open interval"),
    (dict(gamma=-1.0), ValueError, "gamma must be positive"),
])
def test_bad_quantecon_arguments(kwargs, error, message):
    """Checked before quantecon is imported: these hold with or without it."""
    with pytest.raises(error, match=message):
        savings.quantecon(**kwargs)


def test_inputs_are_copied_and_read_only():
    arrays = {k: np.array(v, dtype=float) for k, v in GOOD.items() if k in ("grid", "y", "P")}
    keep = {k: v.copy() for k, v in arrays.items()}
    model = savings.OptimalSavings(R=1.01, beta=0.95, gamma=2.0, **arrays)
    for k, v in arrays.items():
        assert getattr(model, k) is not v
        v *= 2
        np.testing.assert_array_equal(getattr(model, k), keep[k])
    for array in (model.grid, model.y, model.P, model.resources):
        assert not array.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1.0
    for spec_array in model.spec[:3]:
        assert not spec_array.flags.writeable
    with pytest.raises((AttributeError, TypeError)):
        model.beta = 0.5
    with pytest.raises((AttributeError, TypeError)):
        model.grid = np.zeros(20)


def test_inputs_are_never_modified():
    arrays = {k: np.array(v, dtype=float) for k, v in GOOD.items() if k in ("grid", "y", "P")}
    model = savings.OptimalSavings(R=1.01, beta=0.95, gamma=2.0, **arrays)
    v0 = np.random.default_rng(1).normal(size=model.shape)
    keep = {name: a.copy() for name, a in {**arrays, "v0": v0}.items()}
    model_keep = {name: getattr(model, name).copy() for name in ("grid", "y", "P", "resources")}
    for variant in savings.variants():
        value = savings.iterate(model, 2, variant=variant, v0=v0)
        assert value is not v0
        savings.bellman(model, v0, variant=variant)
        for method in METHODS:
            savings.solve(model, tol=1e-6, method=method, variant=variant, v0=v0)
        for name, array in {**arrays, "v0": v0}.items():
            np.testing.assert_array_equal(array, keep[name], err_msg=f"{name} by {variant}")
        for name, array in model_keep.items():
            np.testing.assert_array_equal(getattr(model, name), array)


def test_iterate_zero_steps_returns_a_copy_of_v0(model):
    v0 = np.ones(model.shape)
    out = savings.iterate(model, 0, v0=v0)
    np.testing.assert_array_equal(out, v0)
    assert out is not v0 and out.dtype == np.float64
    np.testing.assert_array_equal(savings.iterate(model, 0), np.zeros(model.shape))


# --- quantecon missing ----------------------------------------------------------------------

WITHOUT_QUANTECON = textwrap.dedent("""
    import sys
    sys.modules["quantecon"] = None  # makes `import quantecon` fail, as if not installed
    import numpy as np
    import vfi
    import vfi.savings as savings
    model = savings.OptimalSavings(R=1.01, beta=0.96, gamma=2.0,
                                   grid=np.linspace(0.01, 5, 30), y=[0.5, 1.5],
                                   P=[[0.9, 0.1], [0.1, 0.9]])
    result = savings.solve(model)
    assert result.converged and result.policy.shape == (30, 2), result
    try:
        savings.quantecon(w_max=10, y_size=12)
    except ImportError as exc:
        assert "quantecon" in str(exc), str(exc)
        print("quantecon():", exc)
    else:
        raise AssertionError("quantecon() worked without quantecon")
    from vfi.savings import peer  # imports quantecon only when called
    try:
        peer.discrete_dp(model.grid, model.y, model.P, 1.01, 0.96, 2.0)
    except ImportError as exc:
        assert "quantecon" in str(exc), str(exc)
    else:
        raise AssertionError("discrete_dp worked without quantecon")
    assert "quantecon" not in [m for m in sys.modules if sys.modules[m] is not None]
    print("ok")
""")


def test_without_quantecon_the_model_works_and_the_calibration_says_why_not():
    result = subprocess.run([sys.executable, "-c", WITHOUT_QUANTECON], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "ok"
    assert "quantecon" in result.stdout


def test_import_vfi_does_not_import_quantecon():
    code = "import sys, vfi, vfi.savings; print('quantecon' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split() == ["False"], out.stderr


# --- the command line -----------------------------------------------------------------------


@needs_quantecon
def test_cli_savings_command__to_be_wired_in_vfi_main():
    """``python -m vfi savings`` (a command for ``vfi/__main__.py``'s COMMANDS, not there
    yet when this test was written): solves the (w_max=10, y_size=12) calibration and
    reports its iterations and guaranteed error bound."""
    out = subprocess.run([sys.executable, "-m", "vfi", "savings", "--w-max", "10",
                          "--y-size", "12"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout.lower()
    assert re.search(r"iterations\D*\d+", text), out.stdout
    assert re.search(r"error bound\D*\d", text), out.stdout
    assert "traceback" not in out.stderr.lower()
