"""Properties of the generic solver that users rely on (issue 32, the mutation check).

* Each method is the update its name says (vfi.solvers' docstring): between greedy steps
  ``"vfi"`` takes :math:`v \\leftarrow Tv`, ``"howard"`` the exact value :math:`v_\\sigma` of
  the greedy policy, ``"mpi"`` with ``sweeps=k`` the modified policy iteration update
  :math:`v \\leftarrow T_\\sigma^k(Tv)` (Puterman, ch. 6.5). Checked on random finite MDPs
  against an independent dense computation of each update.
* A :class:`vfi.ConvergenceWarning` is truthful: where it names a rounding floor, that
  floor is part of the reported error bound (never above it) and at or above ``tol``.
* A :class:`vfi.ConvergenceWarning` points at the caller's line, not into the library.
"""
import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import vfi
from vfi.solvers import solve_fixed_point


def random_mdp(seed, states, actions):
    rng = np.random.default_rng(seed)
    reward = rng.normal(size=(states, actions))
    transition = rng.random(size=(actions, states, states)) ** 3
    transition /= transition.sum(axis=2, keepdims=True)
    return reward, transition


def greedy(reward, transition, beta, v):
    q = reward + beta * np.einsum("ast,t->sa", transition, v)
    policy = np.argmax(q, axis=1)
    return q[np.arange(len(v)), policy], policy


def policy_operator(reward, transition, beta, policy):
    states = np.arange(len(policy))
    return reward[states, policy], transition[policy, states, :]


def apply_policy(reward, transition, beta, policy, v, count):
    r, p = policy_operator(reward, transition, beta, policy)
    for _ in range(count):
        v = r + beta * p @ v
    return v


def policy_value(reward, transition, beta, policy):
    r, p = policy_operator(reward, transition, beta, policy)
    return np.linalg.solve(np.eye(len(policy)) - beta * p, r)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), states=st.integers(2, 8), actions=st.integers(2, 4),
       beta=st.floats(0.5, 0.95), sweeps=st.integers(1, 5),
       method=st.sampled_from(["vfi", "howard", "mpi"]))
def test_each_method_is_the_update_it_names(seed, states, actions, beta, sweeps, method):
    reward, transition = random_mdp(seed, states, actions)
    seen = []

    def bellman(v):
        seen.append(v.copy())
        return greedy(reward, transition, beta, v)

    def evaluate(policy, v, count):
        if count is None:
            return policy_value(reward, transition, beta, policy)
        return apply_policy(reward, transition, beta, policy, v, count)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vfi.ConvergenceWarning)
        result = solve_fixed_point(bellman, evaluate, np.zeros(states), beta, tol=1e-300,
                                   method=method, max_iter=4, sweeps=sweeps)
    assert result.iterations == len(seen) >= 2
    for before, after in zip(seen, seen[1:], strict=False):
        tv, policy = greedy(reward, transition, beta, before)
        if method == "vfi":
            expected = tv
        elif method == "howard":
            expected = policy_value(reward, transition, beta, policy)
        else:
            expected = apply_policy(reward, transition, beta, policy, tv, sweeps)
        np.testing.assert_allclose(after, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), states=st.integers(3, 8), sweeps=st.integers(1, 3))
def test_mpi_lies_between_value_iteration_and_howard(seed, states, sweeps):
    """From v0 with Tv0 >= v0 (v0 = the value of a policy), the iterates are ordered
    vfi <= mpi <= howard, and mpi with few sweeps is strictly below Howard somewhere
    before both have converged (Puterman, theorem 6.5.5)."""
    reward, transition = random_mdp(seed, states, 3)
    beta = 0.9
    start = policy_value(reward, transition, beta, np.zeros(states, dtype=np.int64))
    runs = {}
    for method in ("vfi", "mpi", "howard"):
        seen = []

        def bellman(v, seen=seen):
            seen.append(v.copy())
            return greedy(reward, transition, beta, v)

        def evaluate(policy, v, count):
            if count is None:
                return policy_value(reward, transition, beta, policy)
            return apply_policy(reward, transition, beta, policy, v, count)

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", vfi.ConvergenceWarning)
            solve_fixed_point(bellman, evaluate, start, beta, tol=1e-300, method=method,
                              max_iter=2, sweeps=sweeps)
        assume(len(seen) >= 2)  # else the start was already the fixed point
        runs[method] = seen[1]
    slack = 1e-10 * max(1.0, float(np.max(np.abs(runs["howard"]))))
    assert np.all(runs["vfi"] <= runs["mpi"] + slack)
    assert np.all(runs["mpi"] <= runs["howard"] + slack)
    # the first greedy step improved the policy unless it was already optimal
    tv, policy = greedy(reward, transition, beta, start)
    if np.max(tv - start) > 1e-6:
        optimum = policy_value(reward, transition, beta, policy)
        if np.max(np.abs(apply_policy(reward, transition, beta, policy, tv, sweeps)
                          - optimum)) > 1e-9:
            assert np.max(runs["howard"] - runs["mpi"]) > 1e-12


FLOOR = re.compile(r"bounds the error at ([0-9.e+-]+) here")


@pytest.mark.parametrize(("method", "beta", "tol", "max_iter"), [
    ("exact", 0.9, 1e-300, 1),       # the bound is at rounding level, above tol
    ("howard", 0.99, 1e-14, 10_000),  # tol below the rounding floor: stops early
    ("howard", 0.9, 1e-12, 1),       # max_iter ran out
])
def test_convergence_warning_is_truthful(method, beta, tol, max_iter):
    grid = np.linspace(0.1, 1.0, 40)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = vfi.solve(grid, beta, tol=tol, method=method, max_iter=max_iter)
    assert not result.converged and result.error_bound >= tol
    messages = [str(w.message) for w in caught if issubclass(w.category,
                                                             vfi.ConvergenceWarning)]
    assert len(messages) == 1
    found = FLOOR.search(messages[0])
    if found:  # the floor named is part of the error bound, and at or above tol
        floor = float(found.group(1))
        assert tol <= floor <= result.error_bound * (1 + 1e-2)
    else:  # else max_iter ran out
        assert f"max_iter={result.iterations}" in messages[0]
        assert result.iterations == max_iter


@pytest.mark.parametrize(("method", "beta", "tol", "max_iter"), [
    ("vfi", 0.9, 1e-300, 1), ("howard", 0.9, 1e-300, 1), ("mpi", 0.9, 1e-300, 1),
    ("exact", 0.9, 1e-300, 1),
    ("howard", 0.99, 1e-14, 10_000),  # the other warning: tol below the rounding floor
])
def test_convergence_warning_points_at_the_caller(method, beta, tol, max_iter):
    grid = np.linspace(0.1, 1.0, 30)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vfi.solve(grid, beta, tol=tol, method=method, max_iter=max_iter)
    found = [w for w in caught if issubclass(w.category, vfi.ConvergenceWarning)]
    assert len(found) == 1
    assert found[0].filename == __file__, found[0].filename


@pytest.mark.parametrize("method", ["vfi", "howard", "mpi", "exact"])
def test_converged_means_the_bound_is_below_tol_even_at_equality(method):
    """The stopping rule and ``converged`` are strict: ``error_bound < tol``. Asked for a
    tol equal to a bound it reached, a solve does not call that bound converged: with the
    same steps it warns, and with more allowed it goes on to a smaller bound."""
    grid = np.linspace(0.1, 1.0, 30)
    first = vfi.solve(grid, 0.9, tol=1e-6, method=method)
    assert first.converged and first.error_bound < 1e-6
    tol = first.error_bound
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        same = vfi.solve(grid, 0.9, tol=tol, method=method, max_iter=first.iterations)
    assert same.error_bound == tol  # the same steps, the same bound
    assert not same.converged
    assert any(issubclass(w.category, vfi.ConvergenceWarning) for w in caught)
    if method in ("vfi", "mpi"):  # (exact: one merge; howard: there at rounding level)
        more = vfi.solve(grid, 0.9, tol=tol, method=method)
        assert more.converged and more.error_bound < tol
        assert more.iterations > first.iterations
