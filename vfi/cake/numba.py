"""Cake-eating kernels compiled with Numba (``njit``); the whole iteration runs compiled."""
from __future__ import annotations

import numpy as np

from vfi.compile_cache import njit


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
    current = v.copy()
    new_v = np.empty(n)
    for _ in range(num_iter):
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
        current, new_v = new_v, current
    return current, policy


def iterate_masked(grid, beta, v, num_iter):
    """The notebook's Numba formulation: a boolean mask per state, under ``njit``."""
    return _iterate_masked(grid, beta, v, num_iter)


def iterate_loops(grid, beta, v, num_iter):
    """Explicit triangular loops under ``njit``: no temporaries inside a step."""
    return _iterate_loops(grid, beta, v, num_iter)


# --- exact fast algorithms -------------------------------------------------------------
#
# sqrt(x - x') has increasing differences in (x, x'), so the first maximiser is
# non-decreasing in x on any grid (Topkis), whatever v is. The divide-and-conquer step
# below uses only that: O(n log n) per step, exact. On a uniform grid and a concave v the
# objective is also concave in the choice, and a scan from the previous state's optimum
# that stops at the first decrease finds the first maximiser in O(n) amortised.


@njit
def _first_max(grid, beta, v, i, j_lo, j_hi, u):
    """First maximiser of sqrt(x_i - x_j) + beta v_j over j_lo <= j <= j_hi.

    With a utility table ``u`` (``u[k]`` standing for sqrt(x_i - x_{i-k}), see
    :func:`_utility_table`) the search reads it instead of taking square roots, and the
    maximum is recomputed at the chosen j as the brute force computes it.
    """
    x = grid[i]
    best = -np.inf
    best_j = j_lo
    if u.size == 0:
        for j in range(j_lo, j_hi + 1):
            candidate = np.sqrt(x - grid[j]) + beta * v[j]
            if candidate > best:
                best = candidate
                best_j = j
        return best, best_j
    for j in range(j_lo, j_hi + 1):
        candidate = u[i - j] + beta * v[j]
        if candidate > best:
            best = candidate
            best_j = j
    return np.sqrt(x - grid[best_j]) + beta * v[best_j], best_j


@njit
def _solve_segment(grid, beta, v, new_v, policy, u, lo, hi, j_lo, j_hi):
    """Divide and conquer on states lo..hi, whose choices lie in j_lo..j_hi (explicit stack)."""
    if lo > hi:
        return
    stack = np.empty((128, 4), dtype=np.int64)  # depth <= 2 log2(n) + 2 < 128
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = lo, hi, j_lo, j_hi
    top = 1
    while top > 0:
        top -= 1
        lo, hi, j_lo, j_hi = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        mid = (lo + hi) // 2
        best, best_j = _first_max(grid, beta, v, mid, j_lo, min(mid, j_hi), u)
        new_v[mid] = best
        policy[mid] = best_j
        if mid + 1 <= hi:
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = mid + 1, hi, best_j, j_hi
            top += 1
        if lo <= mid - 1:
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = lo, mid - 1, j_lo, best_j
            top += 1


@njit
def _step_monotone(grid, beta, v, new_v, policy, u):
    """One Bellman step by divide and conquer over all states."""
    n = grid.size
    _solve_segment(grid, beta, v, new_v, policy, u, 0, n - 1, 0, n - 1)


NO_TABLE = np.empty(0)

#: Rounding slack, in units of max|v|, of the concavity check of v0 and of a guess's margin.
ROUNDING_SLACK = 64 * np.finfo(np.float64).eps


@njit
def _is_concave(v, slack):
    for j in range(1, v.size - 1):
        if (v[j + 1] - v[j]) - (v[j] - v[j - 1]) > slack:
            return False
    return True


@njit
def _buffers(n, num_iter):
    """Two value buffers, alternated so that the last step lands in the first and the
    caller's v is only ever read (one buffer suffices for a single step)."""
    out = np.empty(n)
    return out, (np.empty(n) if num_iter > 1 else out)


@njit
def _iterate_monotone(grid, beta, v, num_iter):
    policy = np.empty(grid.size, dtype=np.int64)
    out, spare = _buffers(grid.size, num_iter)
    current = v
    for k in range(num_iter):
        target = out if (num_iter - k) % 2 == 1 else spare
        _step_monotone(grid, beta, current, target, policy, NO_TABLE)
        current = target
    return current, policy


@njit
def _scan_from(grid, beta, v, i, start):
    """First maximum over j >= start of a concave objective, three candidates at a time.

    Within a window the first maximum is kept branch-free (the three square roots
    pipeline); the scan moves on only when the window's last candidate is the best. A
    bump of size eps that rounding puts on a flat top of curvature c (per grid step) can
    hide at most 2 eps^2 / c, far below float64's resolution.
    """
    x = grid[i]
    while True:
        best = np.sqrt(x - grid[start]) + beta * v[start]
        best_j = start
        last = min(start + 2, i)
        for j in range(start + 1, last + 1):
            candidate = np.sqrt(x - grid[j]) + beta * v[j]
            if candidate > best:
                best = candidate
                best_j = j
        if best_j < last or last == i:
            return best, best_j
        start = last


@njit
def _step_concave_scan(grid, beta, v, new_v, policy):
    """The concave step: each state scans from the previous state's optimum."""
    start = 0
    for i in range(grid.size):
        new_v[i], policy[i] = _scan_from(grid, beta, v, i, start)
        start = policy[i]


@njit
def _utility_table(grid):
    """u[k] = sqrt(x_k - x_0): on a uniform grid, the utility of eating k grid steps."""
    u = np.empty(grid.size)
    for k in range(grid.size):
        u[k] = np.sqrt(grid[k] - grid[0])
    return u


@njit
def _table_error(grid):
    """A bound on |u[i - j] - sqrt(x_i - x_j)| over feasible j < i (0 when j = i).

    With D = max_k |(x_k - x_0) - k h| (h the mean spacing), the two differences under
    the roots are within 2 D + 2 eps max|x| of each other, and both are >= the smallest
    spacing, so the roots are within that over 2 sqrt(min spacing).
    """
    n = grid.size
    if n < 2:
        return 0.0
    h = (grid[-1] - grid[0]) / (n - 1)
    deviation = 0.0
    smallest = grid[1] - grid[0]
    for k in range(1, n):
        deviation = max(deviation, abs((grid[k] - grid[0]) - k * h))
        smallest = min(smallest, grid[k] - grid[k - 1])
    slack = 2.0 * deviation + 2.0 * np.finfo(np.float64).eps * max(abs(grid[0]), abs(grid[-1]))
    return slack / (2.0 * np.sqrt(smallest))


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
    uniform = _is_uniform(grid, rtol)
    policy = np.zeros(n, dtype=np.int64)
    out, spare = _buffers(n, num_iter)
    current = v
    # |v_k| <= max|v_0| + max utility / (1 - beta) for every k: one slack serves all steps.
    utility_scale = np.sqrt(grid[-1] - grid[0])
    scale = np.max(np.abs(v)) + utility_scale / (1.0 - beta)
    # On a uniform grid T maps concave v to concave Tv, so checking v0 is enough.
    concave = uniform and _is_concave(v, ROUNDING_SLACK * max(1.0, scale))
    tabulated = uniform and _table_error(grid) <= TABLE_RTOL * max(1.0, utility_scale)
    u = _utility_table(grid) if tabulated else np.empty(0)
    for k in range(num_iter):
        target = out if (num_iter - k) % 2 == 1 else spare
        if concave and tabulated:
            _step_concave_table(grid, u, beta, current, target, policy)
        elif concave:
            _step_concave_scan(grid, beta, current, target, policy)
        else:
            _step_monotone(grid, beta, current, target, policy, u)
        current = target
    return current, policy


#: A grid is uniform when every spacing is within this relative distance of the mean one.
UNIFORM_RTOL = 1e-9

#: The utility table guides the search only where it is within this (relative to the
#: utility scale) of every sqrt(x_i - x_j): a linspace of 10^6 points passes (about 5e-13);
#: a choice can then differ from the brute force's only between candidates that close.
TABLE_RTOL = 1e-12


@njit
def _is_uniform(grid, rtol):
    n = grid.size
    if n < 3:
        return True
    mean = (grid[-1] - grid[0]) / (n - 1)
    for i in range(n - 1):
        if abs((grid[i + 1] - grid[i]) - mean) > rtol * mean:
            return False
    return True


def is_uniform(grid: np.ndarray, rtol: float = UNIFORM_RTOL) -> bool:
    """True when the grid is evenly spaced to ``rtol`` (a linspace passes; one point does too)."""
    return bool(_is_uniform(grid, rtol))


def iterate_monotone(grid, beta, v, num_iter):
    """Divide and conquer over states using the monotone policy: O(n log n) per step, any grid."""
    return _iterate_monotone(grid, beta, v, num_iter)


def iterate_concave(grid, beta, v, num_iter):
    """O(n) per step where the objective is concave in the choice (uniform grid, concave v).

    .. math:: j^*(i) = \\min \\operatorname{argmax}_{j \\le i} u_{i-j} + \\beta v_j,
              \\quad u_k = \\sqrt{x_k - x_0}, \\quad j^*(i - 1) \\le j^*(i)

    Each state scans right from the previous state's optimum and stops at the first
    decrease. On a uniform grid (spacings within ``UNIFORM_RTOL``) T maps concave v to
    concave Tv, so v0 is checked once (concave up to ``ROUNDING_SLACK``). Where the
    grid is uniform to rounding (``TABLE_RTOL``) the search reads tabulated utilities,
    with no square root, and each value is recomputed exactly once its choice is known;
    otherwise it takes square roots as it goes. On any other grid, or from a non-concave
    v0, every step is :func:`iterate_monotone`'s divide and conquer.
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


@njit
def _upper_hull(v):
    """Indices of the vertices of the upper concave hull of (k, v_k), k = 0..n-1."""
    hull = np.empty(v.size, dtype=np.int64)
    m = 0
    for k in range(v.size):
        # Drop the last vertex while it lies on or below the chord to the new point.
        while m >= 2 and ((v[hull[m - 1]] - v[hull[m - 2]]) * (k - hull[m - 2])
                          <= (v[k] - v[hull[m - 2]]) * (hull[m - 1] - hull[m - 2])):
            m -= 1
        hull[m] = k
        m += 1
    return hull[:m]


@njit
def _concave_majorant(v):
    hull = _upper_hull(v)
    out = np.empty(v.size)
    for s in range(hull.size - 1):
        a, b = hull[s], hull[s + 1]
        slope = (v[b] - v[a]) / (b - a)
        out[a] = v[a]
        for k in range(a + 1, b):
            out[k] = v[a] + slope * (k - a)
    out[hull[-1]] = v[hull[-1]]
    return out


def concave_majorant(v):
    """The least concave majorant of v on a uniform grid (the upper hull, interpolated): O(n).

    .. math:: \\hat v = \\min \\{ w \\text{ concave} : w \\ge v \\}
    """
    return _concave_majorant(v)
