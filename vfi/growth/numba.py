r"""Growth-model kernels compiled with Numba; every step runs compiled.

Values, outputs and policies keep the API's layout, (capital, productivity): ``y[i, s]``
the output :math:`z_s k_i^\alpha`. The discounted expected continuation
:math:`w_{sj} = \beta \sum_t P_{st} V(k_j, z_t)` is computed once per step into one
contiguous row per productivity state, which the searches read; the objective of choice
j in state (i, s) is ``(1 - beta) log(y[i, s] - k_j) + w[s, j]``.

- ``numba-brute``: every feasible choice, first maximiser (the test oracle).
- ``numba-monotone``: the paper's search. The first maximiser is non-decreasing in k for
  any V, so each state starts at the previous state's optimum; where the row ``w[s]``
  is concave in k the objective is concave in k', and the search stops at the
  first decrease. Where it is not (the value of a policy, in Howard or MPI, has a few
  convex kinks), the stop is decided on the concave majorant of w, which keeps it
  exact; a column far from concave (an arbitrary v0) gets divide and conquer on the
  monotone policy, O(n log n).

Scratch arrays are kept between calls (:func:`_workspace`): a fresh 1 MB array costs
about as much as a whole step on the paper's grid. So two threads must not run these
kernels on the same shape at once.
"""
from __future__ import annotations

import functools

import numpy as np

from vfi.compile_cache import njit

#: Slack of the concavity check, in ulps of max|w| per unit of inverse grid spacing.
CONCAVE_SLACK = 16 * np.finfo(np.float64).eps

#: The envelope-guided scan is used while at most 1/ENVELOPE_FRACTION of a column lies
#: below its concave majorant; beyond that, divide and conquer (O(n log n) whatever w).
ENVELOPE_FRACTION = 8

BRUTE, MONOTONE = 0, 1


@functools.lru_cache(maxsize=8)  # a warm start's levels: 10^6 down to 100 is five
def _workspace(n: int, m: int):
    """Scratch reused across calls: continuation w (m, n), a spare value buffer, the envelope."""
    return np.empty((m, n)), np.empty((n, m)), np.empty(n)


@njit
def expect(P, beta, v, w):
    """w[s, j] = beta * sum_t P[s, t] v[j, t] (one contiguous row per productivity state)."""
    n, m = v.shape
    for j in range(n):
        for s in range(m):
            acc = 0.0
            for t in range(m):
                acc += P[s, t] * v[j, t]
            w[s, j] = beta * acc


@njit
def _brute_column(grid, y, w, s, omb, out, pol):
    n = grid.size
    for i in range(n):
        yi = y[i, s]
        best = -np.inf
        best_j = 0
        j = 0
        while j < n and grid[j] < yi:
            candidate = omb * np.log(yi - grid[j]) + w[j]
            if candidate > best:
                best = candidate
                best_j = j
            j += 1
        out[i, s] = best
        pol[i, s] = best_j


@njit
def _is_concave(grid, w, slack):
    """Slopes of w (one state's row) over the grid non-increasing, up to rounding of w's
    differences: s_j - s_{j-1} <= slack max|w| (1/h_{j-1} + 1/h_j), times h_{j-1} h_j."""
    n = grid.size
    scale = 0.0
    for j in range(n):
        scale = max(scale, abs(w[j]))
    tol = slack * max(scale, 1.0)
    bad = 0  # no early exit: the loop vectorises
    for j in range(1, n - 1):
        h0 = grid[j] - grid[j - 1]
        h1 = grid[j + 1] - grid[j]
        bad |= (w[j + 1] - w[j]) * h0 - (w[j] - w[j - 1]) * h1 > tol * (h0 + h1)
    return bad == 0


@njit
def _scan_column(grid, y, w, s, omb, out, pol):
    """The paper's search: from the previous optimum, rightwards until the first decrease."""
    n = grid.size
    j = 0
    for i in range(n):
        yi = y[i, s]
        best = omb * np.log(yi - grid[j]) + w[j]
        while j + 1 < n and grid[j + 1] < yi:
            candidate = omb * np.log(yi - grid[j + 1]) + w[j + 1]
            if candidate <= best:
                break
            best = candidate
            j += 1
        out[i, s] = best
        pol[i, s] = j


@njit
def _upper_envelope(grid, w, hat):
    """hat >= w: the least concave majorant of the points (k_j, w_j) on the grid.

    Returns how many points lie strictly below it. Hull vertices keep w exactly, and the
    interpolated values are raised to w where rounding put them below, so that
    ``f + w <= f + hat`` holds in float64 for any f.
    """
    n = grid.size
    hull = np.empty(n, dtype=np.int64)
    top = 0
    for j in range(n):
        while top >= 2:
            a, b = hull[top - 2], hull[top - 1]
            if (w[b] - w[a]) * (grid[j] - grid[a]) > (w[j] - w[a]) * (grid[b] - grid[a]):
                break
            top -= 1
        hull[top] = j
        top += 1
    below = 0
    for h in range(top - 1):
        a, b = hull[h], hull[h + 1]
        hat[a] = w[a]
        slope = (w[b] - w[a]) / (grid[b] - grid[a])
        for j in range(a + 1, b):
            hat[j] = max(w[a] + slope * (grid[j] - grid[a]), w[j])
            below += hat[j] > w[j]
    hat[hull[top - 1]] = w[hull[top - 1]]
    return below


@njit
def _envelope_scan_column(grid, y, w, s, hat, omb, out, pol):
    """The paper's search made exact for any w, guided by the concave majorant ``hat``.

    The objective g_j = f_j + w_j (f_j = (1-beta) log(y - k_j)) is bounded by the concave
    g^_j = f_j + hat_j. From the previous state's optimum, move right until g^ has started
    to fall and is no higher than the best g so far: no later choice can beat it. Where
    w is concave, hat = w and this is the paper's stop at the first decrease.
    """
    n = grid.size
    j = 0
    for i in range(n):
        yi = y[i, s]
        f = omb * np.log(yi - grid[j])
        best = f + w[j]
        best_j = j
        hat_here = f + hat[j]
        while j + 1 < n and grid[j + 1] < yi:
            f = omb * np.log(yi - grid[j + 1])
            hat_next = f + hat[j + 1]
            if hat_next <= best and hat_next <= hat_here:
                break
            candidate = f + w[j + 1]
            if candidate > best:
                best = candidate
                best_j = j + 1
            hat_here = hat_next
            j += 1
        out[i, s] = best
        pol[i, s] = best_j
        j = best_j


@njit
def _first_max(grid, yi, w, s, omb, j_lo, j_hi):
    best = -np.inf
    best_j = j_lo
    j = j_lo
    while j <= j_hi and grid[j] < yi:
        candidate = omb * np.log(yi - grid[j]) + w[j]
        if candidate > best:
            best = candidate
            best_j = j
        j += 1
    return best, best_j


@njit
def _divide_column(grid, y, w, s, omb, out, pol):
    """Divide and conquer over states on the monotone policy (explicit stack)."""
    n = grid.size
    stack = np.empty((128, 4), dtype=np.int64)  # depth <= 2 log2(n) + 2
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = 0, n - 1, 0, n - 1
    top = 1
    while top > 0:
        top -= 1
        lo, hi, j_lo, j_hi = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        mid = (lo + hi) // 2
        best, best_j = _first_max(grid, y[mid, s], w, s, omb, j_lo, j_hi)
        out[mid, s] = best
        pol[mid, s] = best_j
        if mid + 1 <= hi:
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = mid + 1, hi, best_j, j_hi
            top += 1
        if lo <= mid - 1:
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = lo, mid - 1, j_lo, best_j
            top += 1


@njit
def _step(grid, y, P, beta, v, out, pol, w, hat, algorithm, slack):
    """One Bellman step from v into (out, pol)."""
    n, m = v.shape
    omb = 1.0 - beta
    expect(P, beta, v, w)
    for s in range(m):
        ws = w[s]
        if algorithm == BRUTE:
            _brute_column(grid, y, ws, s, omb, out, pol)
        elif _is_concave(grid, ws, slack):
            _scan_column(grid, y, ws, s, omb, out, pol)
        elif _upper_envelope(grid, ws, hat) * ENVELOPE_FRACTION <= n:
            _envelope_scan_column(grid, y, ws, s, hat, omb, out, pol)
        else:
            _divide_column(grid, y, ws, s, omb, out, pol)


@njit
def _sup_distance(a, b):
    d = 0.0
    for i in range(a.shape[0]):
        for s in range(a.shape[1]):
            d = max(d, abs(a[i, s] - b[i, s]))
    return d


@njit
def _iterate(grid, y, P, beta, v, num_iter, stop_below, algorithm, slack, w, spare, hat):
    """Up to num_iter steps (stopping early once sup|V_new - V| < stop_below, if > 0).

    The caller's v is only read; the steps alternate between a fresh ``out`` and
    ``spare``, and the result is copied to ``out`` if it landed in ``spare``.
    """
    out = np.empty_like(v)
    pol = np.zeros(v.shape, dtype=np.int64)
    previous = v
    in_out = False
    count = 0
    while count < num_iter:
        target = spare if in_out else out
        _step(grid, y, P, beta, previous, target, pol, w, hat, algorithm, slack)
        count += 1
        in_out = not in_out
        done = stop_below > 0.0 and _sup_distance(target, previous) < stop_below
        previous = target
        if done:
            break
    if count == 0:
        out[:] = v
    elif not in_out:
        out[:] = spare
    return out, pol, count


def _run(grid, output, P, beta, v, num_iter, algorithm, stop_below=0.0):
    w, spare, hat = _workspace(*v.shape)
    return _iterate(grid, output, P, beta, v, num_iter, stop_below, algorithm, CONCAVE_SLACK,
                    w, spare, hat)


def iterate_brute(grid, output, P, beta, v, num_iter):
    """Every feasible choice, first maximiser: O(n^2 m) per step."""
    value, policy, _ = _run(grid, output, P, beta, v, num_iter, BRUTE)
    return value, policy


def iterate_monotone(grid, output, P, beta, v, num_iter):
    """The paper's monotone search with early stop (exact for any V, see the module notes).

    .. math:: \\sigma(i-1, s) \\le \\sigma(i, s) = \\min \\operatorname{argmax}_{k_j < y_{is}}
              (1-\\beta)\\log(y_{is} - k_j) + w_{sj}
    """
    value, policy, _ = _run(grid, output, P, beta, v, num_iter, MONOTONE)
    return value, policy


def iterate_until(grid, output, P, beta, v, tol, max_iter, monotone=True):
    """The paper's stopping rule compiled in: steps until sup|V_new - V| < tol.

    Returns ``(value, policy, iterations)``.
    """
    return _run(grid, output, P, beta, v, max_iter, MONOTONE if monotone else BRUTE, tol)


# --- policy evaluation -------------------------------------------------------------------


@njit
def _reward(grid, y, pol, omb):
    n, m = pol.shape
    r = np.empty((n, m))
    for i in range(n):
        for s in range(m):
            r[i, s] = omb * np.log(y[i, s] - grid[pol[i, s]])
    return r


@njit
def _sweep(r, P, beta, pol, v, out):
    """out = T_sigma v: out[i, s] = r[i, s] + beta sum_t P[s, t] v[pol[i, s], t]."""
    n, m = r.shape
    for i in range(n):
        for s in range(m):
            j = pol[i, s]
            acc = 0.0
            for t in range(m):
                acc += P[s, t] * v[j, t]
            out[i, s] = r[i, s] + beta * acc


#: Sweeps without a new smallest bound after which the exact evaluation stops: it has hit
#: float64 rounding.
STALL_SWEEPS = 32


@njit
def _evaluate(r, P, beta, pol, v, sweeps, tol, max_sweeps, spare):
    """``sweeps`` applications of T_sigma, or (sweeps < 0) until the MacQueen-Porteus
    bound of the evaluation is below tol (or stalls, or max_sweeps), returning the midpoint."""
    n, m = r.shape
    out = np.empty_like(v)
    previous = v
    in_out = False
    limit = max_sweeps if sweeps < 0 else sweeps
    scale = beta / (1.0 - beta)
    smallest = np.inf
    stalled = 0
    for _ in range(limit):
        target = spare if in_out else out
        _sweep(r, P, beta, pol, previous, target)
        in_out = not in_out
        if sweeps < 0:
            low, high = np.inf, -np.inf
            for i in range(n):
                for s in range(m):
                    d = target[i, s] - previous[i, s]
                    low = min(low, d)
                    high = max(high, d)
            bound = scale * 0.5 * (high - low)
            stalled = 0 if bound < smallest else stalled + 1
            smallest = min(smallest, bound)
            if bound < tol or stalled >= STALL_SWEEPS:
                shift = scale * 0.5 * (low + high)
                for i in range(n):
                    for s in range(m):
                        target[i, s] += shift
                previous = target
                break
        previous = target
    if limit > 0 and not in_out:
        out[:] = spare
    elif limit == 0:
        out[:] = v
    return out


def evaluate(grid, output, P, beta, policy, v, sweeps, tol=1e-12, max_sweeps=100_000):
    """``sweeps`` applications of :math:`T_\\sigma` to v, or with ``sweeps=None`` its fixed
    point to within ``tol`` (sup norm), by sweeps and a MacQueen-Porteus midpoint.

    .. math:: (T_\\sigma v)(k_i, z_s) = (1-\\beta)\\log(y_{is} - k_{\\sigma(i,s)})
              + \\beta \\sum_t P_{st} v(k_{\\sigma(i,s)}, z_t)
    """
    _, spare, _ = _workspace(*v.shape)
    r = _reward(grid, output, policy, 1.0 - beta)
    return _evaluate(r, P, beta, policy, v, -1 if sweeps is None else sweeps, tol, max_sweeps,
                     spare)
