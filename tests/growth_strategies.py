"""Hypothesis strategies and comparison helpers for the growth tests (no tests here).

Random small models: 2-5 productivity states, a random stochastic P (some zeros),
alpha in [0.2, 0.45], beta in [0.8, 0.98], an uneven grid of 2-200 points around the
steady state; every state has a feasible choice.
"""
from __future__ import annotations

import helpers
import numpy as np
from helpers import scale
from hypothesis import assume
from hypothesis import strategies as st

import vfi.growth as growth

#: Agreement of every variant with numba-brute (relative to max|V|, floor 1).
RTOL = 1e-10
#: The default grid sizes and numbers of productivity states of :func:`grids` and
#: :func:`models` (strategies are immutable, so one of each serves every call).
SIZES = st.integers(2, 200)
STATES = st.integers(2, 5)


@st.composite
def transition_matrices(draw, m):
    weights = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=m * m, max_size=m * m)))
    weights = weights.reshape(m, m)
    weights[weights < 0.2] = 0.0                      # some exact zeros, as in Tauchen
    weights[np.arange(m), np.arange(m)] += 0.1        # every row has mass
    return weights / weights.sum(axis=1, keepdims=True)


@st.composite
def grids(draw, kss, sizes=SIZES):
    n = draw(sizes)
    low = kss * draw(st.floats(0.2, 0.9))
    high = kss * draw(st.floats(1.1, 3.0))
    steps = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n - 1, max_size=n - 1)))
    grid = low + (high - low) * np.concatenate([[0.0], np.cumsum(steps)]) / max(steps.sum(), 1.0)
    assume(np.all(np.diff(grid) > 0))
    return grid


@st.composite
def models(draw, sizes=SIZES, states=STATES):
    m = draw(states)
    alpha = draw(st.floats(0.2, 0.45))
    beta = draw(st.floats(0.8, 0.98))
    z = np.array(draw(st.lists(st.floats(0.85, 1.15), min_size=m, max_size=m)))
    kss = (alpha * beta) ** (1.0 / (1.0 - alpha))
    grid = draw(grids(kss, sizes))
    assume(grid[0] < z.min() * grid[0] ** alpha)
    return growth.StochasticGrowth(grid, z, draw(transition_matrices(m)), alpha, beta)


@st.composite
def start_values(draw, model):
    """Zero, arbitrary, or concave with sparse bumps (the majorant-guided search)."""
    kind = draw(st.sampled_from(["zero", "arbitrary", "bumpy-concave"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "zero":
        return np.zeros(model.shape)
    if kind == "arbitrary":
        return rng.normal(size=model.shape)
    density = draw(st.sampled_from([0.02, 0.1]))  # sparse: majorant scan; dense: divide
    bumps = 1e-3 * rng.normal(size=model.shape) * (rng.random(model.shape) < density)
    return np.log(model.grid)[:, None] + rng.normal(size=model.m)[None, :] + bumps


def objective(model, v, i, s, j):
    """(1 - beta) log(y_is - k_j) + beta sum_t P_st v(k_j, z_t); -inf when infeasible."""
    y = model.output[i, s]
    if not model.grid[j] < y:
        return -np.inf
    return (1.0 - model.beta) * np.log(y - model.grid[j]) + model.beta * (model.P[s] @ v[j])


def assert_values_agree(value, reference, rtol=RTOL):
    """:func:`helpers.assert_values_agree` at this member's tolerance, absolute only."""
    helpers.assert_values_agree(value, reference, rtol, absolute_only=True)


def assert_policies_agree(policy, reference, model, v_before, rtol=RTOL):
    """Equal policies, except at ties: where they differ, both are feasible and reach the
    maximum of the objective within ``rtol`` (relative to max|v|)."""
    assert policy.shape == reference.shape == model.shape and policy.dtype == np.int64
    tol = 4 * rtol * scale(v_before)
    for i, s in zip(*np.nonzero(policy != reference), strict=True):
        best = max(objective(model, v_before, i, s, j) for j in range(model.n))
        for j in (policy[i, s], reference[i, s]):
            value = objective(model, v_before, i, s, j)
            assert value >= best - tol, f"state ({i}, {s}): choice {j} is not a maximiser"
