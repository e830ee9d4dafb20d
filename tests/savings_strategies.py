"""Hypothesis strategies and comparison helpers for the savings tests (no tests here).

Random small :class:`vfi.savings.OptimalSavings` models: 1-5 income states with a random
stochastic P (some exact zeros, every row has mass), incomes in [0.2, 3], R in [0.9, 1.1],
beta in [0.8, 0.98], gamma from {1, 2} (log utility; CRRA computed as -1/c) or a float in
[0.5, 4] (the power path), and an uneven increasing wealth grid of 2-N points starting at
a small positive value, with a feasible choice in every state.
"""
from __future__ import annotations

import helpers
import numpy as np
from growth_strategies import transition_matrices  # the family's P, shared
from helpers import scale
from hypothesis import assume
from hypothesis import strategies as st

import vfi.savings as savings

#: Agreement of every variant with numba-brute (relative to max|V|, floor 1).
RTOL = 1e-10
#: Default grid sizes and numbers of income states of :func:`grids` and :func:`models`.
SIZES = st.integers(2, 120)
STATES = st.integers(1, 5)
#: Log utility (1), the -1/c path (2), and the power path (anything else).
GAMMAS = st.one_of(st.sampled_from([1.0, 2.0]), st.floats(0.5, 4.0))


@st.composite
def grids(draw, sizes=SIZES):
    """An uneven, strictly increasing wealth grid from a small positive value."""
    n = draw(sizes)
    low = draw(st.floats(0.01, 0.5))
    width = draw(st.floats(0.5, 10.0))
    steps = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n - 1, max_size=n - 1)))
    grid = low + width * np.concatenate([[0.0], np.cumsum(steps)]) / max(steps.sum(), 1e-12)
    assume(np.all(np.diff(grid) > 0))
    return grid


@st.composite
def models(draw, sizes=SIZES, states=STATES, gammas=GAMMAS):
    m = draw(states)
    R = draw(st.floats(0.9, 1.1))
    beta = draw(st.floats(0.8, 0.98))
    gamma = draw(gammas)
    y = np.array(draw(st.lists(st.floats(0.2, 3.0), min_size=m, max_size=m)))
    grid = draw(grids(sizes))
    assume(R * grid[0] + y.min() > grid[0])
    return savings.OptimalSavings(R=R, beta=beta, gamma=gamma, grid=grid, y=y,
                                  P=draw(transition_matrices(m)))


def utility(c, gamma):
    """CRRA utility, log at gamma = 1 (for a float; the test's own, independent formula)."""
    if gamma == 1.0:
        return float(np.log(c))
    return float(c ** (1.0 - gamma) / (1.0 - gamma))


@st.composite
def start_values(draw, model):
    """Zero, arbitrary finite, or concave-ish (a utility-like shape with sparse bumps)."""
    kind = draw(st.sampled_from(["zero", "arbitrary", "concave"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "zero":
        return np.zeros(model.shape)
    if kind == "arbitrary":
        return draw(st.sampled_from([1.0, 10.0])) * rng.normal(size=model.shape)
    shape = np.array([utility(c, model.gamma) for c in model.grid + model.y.min()])
    density = draw(st.sampled_from([0.0, 0.02, 0.1]))
    bumps = 1e-3 * rng.normal(size=model.shape) * (rng.random(model.shape) < density)
    return shape[:, None] / (1.0 - model.beta) + rng.normal(size=model.m)[None, :] + bumps


def consumption(model, i, s, j):
    return model.R * model.grid[i] + model.y[s] - model.grid[j]


def objective(model, v, i, s, j):
    """u(R w_i + y_s - w_j) + beta sum_t P_st v(w_j, y_t); -inf when c <= 0."""
    c = consumption(model, i, s, j)
    if not c > 0:
        return -np.inf
    return utility(c, model.gamma) + model.beta * float(model.P[s] @ v[j])


def assert_values_agree(value, reference, rtol=RTOL):
    """:func:`helpers.assert_values_agree` at this member's tolerance, absolute only."""
    helpers.assert_values_agree(value, reference, rtol, absolute_only=True)


def assert_policies_agree(policy, reference, model, v_before, rtol=RTOL):
    """Equal policies, except at ties: where they differ, both are feasible and reach the
    maximum of the objective within ``rtol`` (relative to max|v| and to the maximum)."""
    assert policy.shape == reference.shape == model.shape and policy.dtype == np.int64
    for i, s in zip(*np.nonzero(policy != reference), strict=True):
        best = max(objective(model, v_before, i, s, j) for j in range(model.n))
        tol = 4 * rtol * max(scale(v_before), abs(best))
        for j in (policy[i, s], reference[i, s]):
            assert 0 <= j < model.n
            assert consumption(model, i, s, j) > 0, f"state ({i}, {s}): choice {j} infeasible"
            value = objective(model, v_before, i, s, j)
            assert value >= best - tol, f"state ({i}, {s}): choice {j} is not a maximiser"
