"""Hypothesis strategies that build exact ties, for every member (no tests here).

A tie is exact when the competing choices' objectives are the same float64 number in every
variant's arithmetic, so that "the first maximiser" names one choice and no tolerance is
needed to compare a variant with the brute force.

- Cake eating: a grid of integers times h = 4^k (plus an offset of whole steps), so that
  x_i - x_j is exact and sqrt(x_i - x_j) is exact wherever i - j is a perfect square;
  beta = 2^-e and values that are multiples of 1/8, so beta v is exact and so is every
  sum. The tie is then exact in real arithmetic, and no variant can round it away. The
  concave kind plants a zero increment of the objective (beta (v_{j+1} - v_j) = sqrt(h))
  into a concave v, which the table scan and the max-plus merge see.
- Growth and savings: the utility (a logarithm, a power) is not exact, so the tie is built
  in float64: beta = 1/2 and a permutation matrix P make the expected continuation
  w = beta P v exact, and w_j2 is chosen so that fl(u(c_j1) + w_j1) = fl(u(c_j2) + w_j2),
  with both sums unchanged when either utility moves by 2 ulps (another backend's log or
  pow). The tied pair is the maximum at its state by a wide margin over every other choice,
  and at every other state the pair's objectives differ by far more than rounding, so the
  computed objective keeps the increasing differences the monotone searches rely on.
"""
from __future__ import annotations

import math

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import vfi.growth as growth
import vfi.savings as savings
from vfi.family.spec import feasible, utility

SQUARES = (0, 1, 4, 9, 16, 25)
#: Few sizes: the JAX variants compile once per shape.
CAKE_SIZES = st.sampled_from([2, 3, 5, 8, 13, 21])
FAMILY_SIZES = st.sampled_from([3, 7, 16])
FAMILY_STATES = st.sampled_from([1, 2, 3])


@st.composite
def cake_grid(draw, n):
    h = 4.0 ** draw(st.integers(-2, 1), label="log4 h")
    offset = draw(st.sampled_from([0, 1, 5]), label="offset in steps")
    return h, h * (offset + np.arange(n, dtype=np.float64))


dyadic_betas = st.integers(1, 4).map(lambda e: 2.0 ** -e)


@st.composite
def cake_ties(draw):
    """(grid, beta, v, i, j1): an arbitrary dyadic v with an exact tie planted at state i,
    between choices j1 < j2 at perfect-square distances, above every other choice."""
    n = draw(CAKE_SIZES, label="n")
    h, grid = draw(cake_grid(n))
    beta = draw(dyadic_betas, label="beta")
    v = np.array(draw(st.lists(st.integers(-64, 64), min_size=n, max_size=n)), float) / 8
    i = draw(st.integers(1, n - 1), label="i")
    d1, d2 = sorted(draw(st.lists(st.sampled_from([d for d in SQUARES if d <= i]),
                                  min_size=2, max_size=2, unique=True)), reverse=True)
    j1, j2 = i - d1, i - d2
    others = max((v[j] for j in range(i + 1) if j not in (j1, j2)), default=0.0)
    # Every other choice is below sqrt(x_i - x_0) + beta * others: lift the pair above it.
    lift = math.ceil(math.sqrt(h * i) / beta + others) + 1 + draw(st.integers(0, 3))
    v[j1] = lift
    v[j2] = lift + (math.sqrt(h * d1) - math.sqrt(h * d2)) / beta
    return grid, beta, v, i, j1


@st.composite
def concave_cake_ties(draw):
    """(grid, beta, v): v concave, multiples of 1/8 but for one planted increment
    sqrt(h) / beta, where eating one step ties with eating none (state j + 1)."""
    n = draw(CAKE_SIZES.filter(lambda size: size >= 2), label="n")
    h, grid = draw(cake_grid(n))
    beta = draw(dyadic_betas, label="beta")
    increments = draw(st.lists(st.integers(-32, 64), min_size=n - 1, max_size=n - 1))
    increments = [x / 8 for x in increments]
    increments[draw(st.integers(0, n - 2), label="tie at")] = math.sqrt(h) / beta
    start = draw(st.integers(-8, 8)) / 8
    v = start + np.concatenate([[0.0], np.cumsum(sorted(increments, reverse=True))])
    return grid, beta, v


def cake_brute_force(grid, beta, v):
    """One Bellman step by the definition, first maximiser (Python floats, math.sqrt)."""
    value, policy = [], []
    for i in range(grid.size):
        best, best_j = -math.inf, 0
        for j in range(i + 1):
            candidate = math.sqrt(grid[i] - grid[j]) + beta * v[j]
            if candidate > best:
                best, best_j = candidate, j
        value.append(best)
        policy.append(best_j)
    return np.array(value), np.array(policy, dtype=np.int64)


# --- the savings family: growth and savings -----------------------------------------------

FAMILY_BETA = 0.5


def _ulps_around(x, count=2):
    low = high = x
    for _ in range(count):
        low, high = np.nextafter(low, -np.inf), np.nextafter(high, np.inf)
    return low, high


def _robust_sum(a, w):
    """fl(a + w), or None where moving a by 2 ulps would change it."""
    total = a + w
    low, high = _ulps_around(a)
    return total if (low + w == total and high + w == total) else None


@st.composite
def permutations(draw, m):
    order = draw(st.permutations(range(m)), label="P as a permutation")
    P = np.zeros((m, m))
    P[np.arange(m), order] = 1.0
    return P, np.array(order)


@st.composite
def family_ties(draw, build):
    """(model, v, (i, s), j1): ``build(draw, m, P)`` makes a model with beta = 1/2 and the
    permutation P; v is arbitrary (multiples of 1/16 in [64, 128]) with a float64-exact tie
    planted at state (i, s) between feasible choices j1 < j2, the maximum there."""
    m = draw(FAMILY_STATES, label="m")
    P, order = draw(permutations(m))
    model = build(draw, m, P)
    spec, n = model.spec, model.n
    v = np.array(draw(st.lists(st.integers(1024, 2048), min_size=n * m, max_size=n * m)),
                 float).reshape(n, m) / 16
    s = draw(st.integers(0, m - 1), label="s")
    i_options = [i for i in range(n)
                 if sum(feasible(spec.resources[i, s] - k, spec.kind) for k in spec.choices) >= 2]
    assume(i_options)
    i = draw(st.sampled_from(i_options), label="i")
    r = spec.resources[i, s]
    feasible_j = [j for j in range(n) if feasible(r - spec.choices[j], spec.kind)]
    j1, j2 = sorted(draw(st.lists(st.sampled_from(feasible_j), min_size=2, max_size=2,
                                  unique=True), label="tied pair"))
    u = {j: float(utility(r - spec.choices[j], spec.kind, spec.param)) for j in feasible_j}
    t = order[s]  # w[s, j] = beta * v[j, t], exactly
    w = {j: FAMILY_BETA * v[j, t] for j in feasible_j}
    others = max((u[j] + w[j] for j in feasible_j if j not in (j1, j2)), default=-math.inf)
    top = max(others, u[j2] + 64.0) - u[j1] + 1.0
    w1 = math.ceil(top * 16) / 16 + draw(st.integers(0, 16)) / 16
    total = _robust_sum(u[j1], w1)
    assume(total is not None)
    w2 = total - u[j2]
    assume(_robust_sum(u[j2], w2) == total)
    # the pair beats every other choice by far more than rounding
    assume(total - others > 1.0)
    v[j1, t], v[j2, t] = w1 / FAMILY_BETA, w2 / FAMILY_BETA
    return model, v, (i, s), j1


def build_growth(draw, m, P):
    alpha = draw(st.floats(0.2, 0.45), label="alpha")
    z = np.array(draw(st.lists(st.floats(0.85, 1.15), min_size=m, max_size=m)), float)
    kss = (alpha * FAMILY_BETA) ** (1.0 / (1.0 - alpha))
    n = draw(FAMILY_SIZES, label="n")
    steps = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n - 1, max_size=n - 1)))
    low, high = 0.3 * kss, 3.0 * kss
    grid = low + (high - low) * np.concatenate([[0.0], np.cumsum(steps)]) / steps.sum()
    assume(np.all(np.diff(grid) > 0) and grid[0] < z.min() * grid[0] ** alpha)
    return growth.StochasticGrowth(grid, z, P, alpha, FAMILY_BETA)


def build_savings(draw, m, P):
    gamma = draw(st.one_of(st.sampled_from([1.0, 2.0]), st.floats(0.5, 4.0)), label="gamma")
    R = draw(st.floats(0.9, 1.1), label="R")
    y = np.array(draw(st.lists(st.floats(0.2, 3.0), min_size=m, max_size=m)), float)
    n = draw(FAMILY_SIZES, label="n")
    steps = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n - 1, max_size=n - 1)))
    grid = 0.1 + 4.0 * np.concatenate([[0.0], np.cumsum(steps)]) / steps.sum()
    assume(np.all(np.diff(grid) > 0) and R * grid[0] + y.min() > grid[0])
    return savings.OptimalSavings(R=R, beta=FAMILY_BETA, gamma=gamma, grid=grid, y=y, P=P)


def family_brute_force(model, v):
    """One Bellman step by the definition, first maximiser: objectives as the kernels'
    utility computes them, the expectation as a plain sum (exact for a permutation P)."""
    spec = model.spec
    n, m = model.shape
    value, policy = np.empty((n, m)), np.zeros((n, m), dtype=np.int64)
    for i in range(n):
        for s in range(m):
            best, best_j = -math.inf, 0
            for j in range(n):
                c = spec.resources[i, s] - spec.choices[j]
                if not feasible(c, spec.kind):
                    break
                w = spec.beta * sum(spec.P[s, t] * v[j, t] for t in range(m))
                candidate = float(utility(c, spec.kind, spec.param)) + w
                if candidate > best:
                    best, best_j = candidate, j
            value[i, s], policy[i, s] = best, best_j
    return value, policy
