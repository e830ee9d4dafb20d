"""Cake-eating kernels compiled with Numba (``njit``); the whole iteration runs compiled."""
from __future__ import annotations

import numpy as np

from vfi.cake.grid_rule import EPS, ROUNDING_SLACK, TABLE_RTOL, UNIFORM_RTOL
from vfi.cake.problem import ONE_STATE, cake_spec
from vfi.compile_cache import njit
from vfi.family import numba as family_numba
from vfi.family.spec import SQRT


@njit
def _iterate_masked(grid, beta, v, num_iter):
    n = grid.size
    policy = np.zeros(n, dtype=np.int64)
    for _ in range(num_iter):
        new_v = np.zeros_like(v)
        for i in range(n):
            mask = grid <= grid[i]
            candidates = np.sqrt(grid[i] - grid[mask]) + beta * v[mask]
            policy[i] = np.argmax(candidates)
            new_v[i] = candidates[policy[i]]
        v = new_v
    return v, policy


@njit
def _iterate_loops(grid, beta, v, num_iter):
    n = grid.size
    policy = np.zeros(n, dtype=np.int64)
    out, spare = np.empty(n), np.empty(n)
    current = v
    for k in range(num_iter):
        new_v = family_numba.buffer_for_step(out, spare, k)
        for i in range(n):
            x = grid[i]
            best = -np.inf
            best_j = 0
            for j in range(i + 1):
                candidate = np.sqrt(x - grid[j]) + beta * current[j]
                if candidate > best:
                    best = candidate
                    best_j = j
            new_v[i] = best
            policy[i] = best_j
        current = new_v
    return family_numba.result_in_out(out, spare, num_iter, v), policy


def iterate_masked(grid, beta, v, num_iter):
    """The notebook's Numba formulation: a boolean mask per state, under ``njit``."""
    return _iterate_masked(grid, beta, v, num_iter)


def iterate_loops(grid, beta, v, num_iter):
    """Explicit triangular loops under ``njit``: no temporaries inside a step."""
    return _iterate_loops(grid, beta, v, num_iter)


# --- exact fast algorithms -------------------------------------------------------------
#
# sqrt(x - x') has increasing differences in (x, x'), so the first maximiser is
# non-decreasing in x on any grid (Topkis), whatever v is: the family's divide and
# conquer (vfi.family.numba) uses only that, O(n log n) per step, exact. On a uniform grid
# and a concave v the objective is also concave in the choice, and a scan from the
# previous state's optimum that stops at the first decrease finds the first maximiser in
# O(n) amortised; cake eating's own specialisation reads tabulated utilities there.

def _family_iterate(grid, beta, v, num_iter, algorithm):
    value, policy, _ = family_numba.iterate(cake_spec(grid, beta), v.reshape(-1, 1), num_iter,
                                            algorithm)
    return value.reshape(grid.shape), policy.reshape(grid.shape)


@njit
def _utility_table(grid):
    """u[k] = sqrt(x_k - x_0): on a uniform grid, the utility of eating k grid steps."""
    u = np.empty(grid.size)
    for k in range(grid.size):
        u[k] = np.sqrt(grid[k] - grid[0])
    return u


@njit
def grid_rule_pass(grid, rtol):
    """(uniform, table error): :func:`vfi.cake.grid_rule.is_uniform` ``(grid, rtol)`` and
    :func:`~vfi.cake.grid_rule.table_error` ``(grid)`` compiled, in one pass and with the
    same numbers (max and min are exact, so four running maxima give the same result as
    one, 3x faster; tests compare the two)."""
    n = grid.size
    if n < 2:
        return True, 0.0
    g0 = grid[0]
    mean = (grid[-1] - g0) / (n - 1)
    bad = False
    dev0 = dev1 = dev2 = dev3 = 0.0
    small0 = small1 = small2 = small3 = grid[1] - g0
    k = 1
    while k + 3 < n:
        s0 = grid[k] - grid[k - 1]
        s1 = grid[k + 1] - grid[k]
        s2 = grid[k + 2] - grid[k + 1]
        s3 = grid[k + 3] - grid[k + 2]
        bad |= ((abs(s0 - mean) > rtol * mean) | (abs(s1 - mean) > rtol * mean)
                | (abs(s2 - mean) > rtol * mean) | (abs(s3 - mean) > rtol * mean))
        dev0 = max(dev0, abs((grid[k] - g0) - k * mean))
        dev1 = max(dev1, abs((grid[k + 1] - g0) - (k + 1) * mean))
        dev2 = max(dev2, abs((grid[k + 2] - g0) - (k + 2) * mean))
        dev3 = max(dev3, abs((grid[k + 3] - g0) - (k + 3) * mean))
        small0 = min(small0, s0)
        small1 = min(small1, s1)
        small2 = min(small2, s2)
        small3 = min(small3, s3)
        k += 4
    while k < n:
        s0 = grid[k] - grid[k - 1]
        bad |= abs(s0 - mean) > rtol * mean
        dev0 = max(dev0, abs((grid[k] - g0) - k * mean))
        small0 = min(small0, s0)
        k += 1
    deviation = max(max(dev0, dev1), max(dev2, dev3))
    smallest = min(min(small0, small1), min(small2, small3))
    slack = 2.0 * deviation + 2.0 * EPS * max(abs(g0), abs(grid[-1]))
    return n < 3 or not bad, slack / (2.0 * np.sqrt(smallest))


@njit
def _step_concave_table(grid, u, beta, v, new_v, policy):
    """The concave step with tabulated utilities: no square root in the search.

    Each state starts at the previous state's optimum and moves right while the next
    choice is strictly better (the objective is concave, so the first decrease ends
    it). The value is then recomputed as the brute force computes it, so it is the same
    float64 number whenever the choice is the same.
    """
    j = 0
    for i in range(grid.size):
        best = u[i - j] + beta * v[j]
        if j < i:
            # The usual move is zero or one step: taken branch-free, as the two are
            # hard to predict; longer moves are rare and loop.
            candidate = u[i - j - 1] + beta * v[j + 1]
            up = candidate > best
            best = candidate if up else best
            j += up
            while up and j < i:
                candidate = u[i - j - 1] + beta * v[j + 1]
                up = candidate > best
                if up:
                    best = candidate
                    j += 1
        new_v[i] = np.sqrt(grid[i] - grid[j]) + beta * v[j]
        policy[i] = j


@njit
def _iterate_concave(grid, beta, v, num_iter, rtol):
    n = grid.size
    uniform, table = grid_rule_pass(grid, rtol)
    # |v_k| <= max|v_0| + max utility / (1 - beta) for every k: one slack serves all steps.
    utility_scale = np.sqrt(grid[-1] - grid[0])
    scale = np.max(np.abs(v)) + utility_scale / (1.0 - beta)
    # On a uniform grid T maps concave v to concave Tv, so checking v0 is enough.
    concave = uniform and family_numba.is_concave(grid, v, 0.5 * ROUNDING_SLACK * max(1.0, scale))
    tabulated = concave and table <= TABLE_RTOL * max(1.0, utility_scale)
    u = _utility_table(grid) if tabulated else np.empty(0)
    out, spare = np.empty(n), np.empty(n)
    policy = np.zeros(n, dtype=np.int64)
    r, w, hat = grid.reshape(n, 1), np.empty((1, n)), np.empty(n)
    current = v
    for k in range(num_iter):
        new = family_numba.buffer_for_step(out, spare, k)
        if tabulated:
            _step_concave_table(grid, u, beta, current, new, policy)
        else:  # the family's step: the scan where w is concave, else guided or divided
            family_numba.step(grid, r, ONE_STATE, beta, SQRT, 1.0, current.reshape(n, 1),
                              new.reshape(n, 1), policy.reshape(n, 1), w, hat,
                              family_numba.MONOTONE)
        current = new
    return family_numba.result_in_out(out, spare, num_iter, v), policy



def is_uniform(grid: np.ndarray, rtol: float = UNIFORM_RTOL) -> bool:
    """True when the grid is evenly spaced to ``rtol`` (a linspace passes; one point does too)."""
    return bool(grid_rule_pass(grid, rtol)[0])


def table_error(grid: np.ndarray) -> float:
    """:func:`vfi.cake.grid_rule.table_error`, compiled."""
    return float(grid_rule_pass(grid, UNIFORM_RTOL)[1])


def iterate_monotone(grid, beta, v, num_iter):
    """Divide and conquer over states using the monotone policy: O(n log n) per step, any grid."""
    return _family_iterate(grid, beta, v, num_iter, family_numba.DIVIDE)


def iterate_concave(grid, beta, v, num_iter):
    """O(n) per step where the objective is concave in the choice (uniform grid, concave v).

    .. math:: j^*(i) = \\min \\operatorname{argmax}_{j \\le i} u_{i-j} + \\beta v_j,
              \\quad u_k = \\sqrt{x_k - x_0}, \\quad j^*(i - 1) \\le j^*(i)

    Each state scans right from the previous state's optimum and stops at the first
    decrease. On a uniform grid (spacings within ``UNIFORM_RTOL``) T maps concave v to
    concave Tv, so v0 is checked once (concave up to ``ROUNDING_SLACK``). Where the
    grid is uniform to rounding (``TABLE_RTOL``) the search reads tabulated utilities,
    with no square root, and each value is recomputed exactly once its choice is known.
    Elsewhere every step is the family's monotone step (``vfi.family.numba.step``): the
    scan where v is concave, guided by its concave majorant or divide and conquer where
    it is not.
    """
    return _iterate_concave(grid, beta, v, num_iter, UNIFORM_RTOL)


@njit
def _evaluate_policy(grid, beta, policy):
    value = np.empty(grid.size)
    for i in range(grid.size):
        j = policy[i]
        value[i] = 0.0 if j == i else np.sqrt(grid[i] - grid[j]) + beta * value[j]
    return value


def evaluate_policy(grid, beta, policy):
    """The exact value of a policy with policy[i] <= i, by forward substitution: O(n)."""
    return _evaluate_policy(grid, beta, policy)


def concave_majorant(v):
    """The least concave majorant of v on a uniform grid (the upper hull, interpolated): O(n).

    .. math:: \\hat v = \\min \\{ w \\text{ concave} : w \\ge v \\}
    """
    hat = np.empty(v.size)
    family_numba.upper_envelope(np.arange(v.size, dtype=np.float64), v, hat)
    return hat
