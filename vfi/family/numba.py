r"""The savings family's kernels compiled with Numba, written once for every member.

Values and policies have the layout (choice grid, exogenous state), (n, m). The discounted
expected continuation :math:`w_{sj} = \beta \sum_t P_{st} V(j, t)` is computed once per
step into one contiguous row per state, which the searches read; the objective of choice
j in state (i, s) is ``u(r[i, s] - k[j]) + w[s, j]`` (:func:`vfi.family.spec.utility`).

- brute force: every feasible choice, first maximiser (the test oracle);
- monotone: the first maximiser is non-decreasing in i for any V, so each state starts at
  the previous state's optimum. Where the row ``w[s]`` is concave in k the objective is
  concave in the choice, and the search stops at the first decrease. Where it is not (the
  value of a policy, in Howard or MPI, has a few convex kinks), the stop is decided on the
  concave majorant of w, which keeps it exact; a row far from concave (an arbitrary v0)
  gets divide and conquer on the monotone policy, O(n log n).

Every kernel allocates its own scratch and keeps nothing between calls, and all are
compiled with ``nogil=True``: threads may call them at once.
"""
from __future__ import annotations

import math

import numpy as np

from vfi.compile_cache import njit
from vfi.family import spec as family_spec
from vfi.solvers import span_midpoint

_utility = njit(inline="always")(family_spec.utility)
_feasible = njit(inline="always")(family_spec.feasible)
_span_midpoint = njit(span_midpoint)

#: Slack of the concavity check, in ulps of max|w| per unit of inverse grid spacing.
CONCAVE_SLACK = 16 * np.finfo(np.float64).eps

#: The envelope-guided scan is used while at most 1/ENVELOPE_FRACTION of a row lies
#: below its concave majorant; beyond that, divide and conquer (O(n log n) whatever w).
ENVELOPE_FRACTION = 8

#: Algorithms of :func:`step`: every choice; the monotone scan (guided where w is not
#: concave; log-free for a log utility); divide and conquer on the monotone policy alone;
#: the monotone scan with a logarithm per comparison (the log-free scan's reference).
BRUTE, MONOTONE, DIVIDE, MONOTONE_LOGS = 0, 1, 2, 3


@njit
def buffer_for_step(out, spare, step):
    """Step ``step`` of an iteration writes here: the buffers alternate from ``out``."""
    return out if step % 2 == 0 else spare


@njit
def result_in_out(out, spare, steps, start):
    """The result of ``steps`` alternating steps, in ``out`` (``start`` when none ran)."""
    if steps == 0:
        out[...] = start
    elif steps % 2 == 0:
        out[...] = spare
    return out


@njit
def expect(P, beta, v, w):
    """w[s, j] = beta * sum_t P[s, t] v[j, t] (one contiguous row per exogenous state).

    As AXPYs over contiguous rows of v's transpose, four states t at a time (one load and
    store of w per four products): long vectorised loops over j whatever m is.
    """
    n, m = v.shape
    rows = np.ascontiguousarray(v.T)
    for s in range(m):
        ws = w[s]
        ws[:] = 0.0
        t = 0
        while t + 4 <= m:
            p0, p1, p2, p3 = P[s, t], P[s, t + 1], P[s, t + 2], P[s, t + 3]
            a, b, c, d = rows[t], rows[t + 1], rows[t + 2], rows[t + 3]
            for j in range(n):
                ws[j] += (p0 * a[j] + p1 * b[j]) + (p2 * c[j] + p3 * d[j])
            t += 4
        while t < m:
            p, a = P[s, t], rows[t]
            for j in range(n):
                ws[j] += p * a[j]
            t += 1
        for j in range(n):
            ws[j] *= beta


@njit
def first_max(k, ri, w, kind, param, j_lo, j_hi):
    """First maximiser of u(ri - k_j) + w_j over feasible j_lo <= j <= j_hi."""
    best = -np.inf
    best_j = j_lo
    j = j_lo
    while j <= j_hi and _feasible(ri - k[j], kind):
        candidate = _utility(ri - k[j], kind, param) + w[j]
        if candidate > best:
            best = candidate
            best_j = j
        j += 1
    return best, best_j


@njit
def divide(k, r, w, s, kind, param, out, pol, lo, hi, j_lo, j_hi):
    """Divide and conquer on states lo..hi of column s, choices in j_lo..j_hi (explicit stack)."""
    if lo > hi:
        return
    stack = np.empty((128, 4), dtype=np.int64)  # depth <= 2 log2(n) + 2
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = lo, hi, j_lo, j_hi
    top = 1
    while top > 0:
        top -= 1
        lo, hi, j_lo, j_hi = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        mid = (lo + hi) // 2
        best, best_j = first_max(k, r[mid, s], w, kind, param, j_lo, j_hi)
        out[mid, s] = best
        pol[mid, s] = best_j
        if mid + 1 <= hi:
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = mid + 1, hi, best_j, j_hi
            top += 1
        if lo <= mid - 1:
            stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = lo, mid - 1, j_lo, best_j
            top += 1


@njit
def _brute_column(k, r, w, s, kind, param, out, pol):
    for i in range(k.size):
        out[i, s], pol[i, s] = first_max(k, r[i, s], w, kind, param, 0, k.size - 1)


@njit
def max_abs(w):
    """max |w| over an array of any shape, with four running maxima (exact, so the same
    as one; no temporary): the one home of this scale for every compiled kernel."""
    flat = w.ravel()
    m0 = m1 = m2 = m3 = 0.0
    j = 0
    while j + 3 < flat.size:
        m0 = max(m0, abs(flat[j]))
        m1 = max(m1, abs(flat[j + 1]))
        m2 = max(m2, abs(flat[j + 2]))
        m3 = max(m3, abs(flat[j + 3]))
        j += 4
    while j < flat.size:
        m0 = max(m0, abs(flat[j]))
        j += 1
    return max(max(m0, m1), max(m2, m3))


@njit
def is_concave(k, w, tol):
    """Slopes of w over the grid non-increasing, up to rounding of w's differences:
    s_j - s_{j-1} <= tol (1/h_{j-1} + 1/h_j), times h_{j-1} h_j."""
    n = k.size
    bad = 0  # no early exit: the loop vectorises
    for j in range(1, n - 1):
        h0 = k[j] - k[j - 1]
        h1 = k[j + 1] - k[j]
        bad |= (w[j + 1] - w[j]) * h0 - (w[j] - w[j - 1]) * h1 > tol * (h0 + h1)
    return bad == 0


@njit
def _scan_column(k, r, w, s, kind, param, out, pol):
    """The first-decrease scan: from the previous optimum, right until the objective falls."""
    n = k.size
    j = 0
    for i in range(n):
        ri = r[i, s]
        best = _utility(ri - k[j], kind, param) + w[j]
        while j + 1 < n and _feasible(ri - k[j + 1], kind):
            candidate = _utility(ri - k[j + 1], kind, param) + w[j + 1]
            if candidate <= best:
                break
            best = candidate
            j += 1
        out[i, s] = best
        pol[i, s] = j


# --- the log-free scan of a log utility ----------------------------------------------------
#
# With u = param log c the scan's question, is u(c_{j+1}) + w_{j+1} > u(c_j) + w_j, is
# c_{j+1} > c_j E_j with E_j = exp((w_j - w_{j+1}) / param), which depends on the
# continuation alone: E is computed once per column (a polynomial exp that vectorises)
# and the scan multiplies. The float64 objectives the log test compares carry rounding,
# so near a tie the two tests can disagree; there (a guard band around E) the scan takes
# the log test, and its decisions are the log scan's, one by one.

_EPS = np.finfo(np.float64).eps
_LOG2E = 1.4426950408889634
#: ln 2 in two parts (Cody and Waite): n * _LN2_HI is exact for |n| < 2^11.
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
#: 1/13!, 1/12!, ..., 1/1!, 1/0!: Horner's order.
_EXP_TAYLOR = tuple(1.0 / math.factorial(d) for d in range(13, -1, -1))
#: |x| beyond which exp(x) is not computed: E is then only a one-sided bound.
EXP_CAP = 700.0
#: Relative error of :func:`exp_poly` (|x| <= EXP_CAP), with a margin: measured below 2.
EXP_ERROR_EPS = 4.0
#: c below this takes the log test: the log's rounding, eps |log c|, grows as c -> 0.
LOG_FREE_MIN_C = 2.0 ** -10
#: The guard band, in multiples of the worst-case rounding it covers (0: no guard).
GUARD = 2.0


@njit(inline="always")
def exp_poly(x):
    """exp(x) for |x| <= EXP_CAP, within EXP_ERROR_EPS eps: x = n ln 2 + t, |t| <= ln 2 / 2,
    a degree-13 Taylor polynomial of exp(t) (its remainder < eps / 50), times 2^n built
    from the exponent bits. Branch-free, so a loop of it vectorises."""
    n = np.floor(x * _LOG2E + 0.5)
    t = (x - n * _LN2_HI) - n * _LN2_LO
    p = _EXP_TAYLOR[0]
    for d in range(1, 14):
        p = p * t + _EXP_TAYLOR[d]
    return p, np.int64(n)


@njit
def exp_array(x, out):
    """out = exp(x) elementwise (|x| <= EXP_CAP), by :func:`exp_poly`."""
    bits = np.empty(x.size, dtype=np.int64)
    for j in range(x.size):
        out[j], power = exp_poly(x[j])
        bits[j] = (power + 1023) << 52
    scale = bits.view(np.float64)
    for j in range(x.size):
        out[j] *= scale[j]


@njit
def exp_bounds(k, r, w, s, param, guard, e_hi, e_lo):
    """Bounds of E_j = exp((w_j - w_{j+1}) / param), j < n - 1, widened by the guard band:
    c_{j+1} > c_j e_hi[j] proves the log test moves on, c_{j+1} <= c_j e_lo[j] that it
    stops, for every c_j, c_{j+1} in [LOG_FREE_MIN_C, r[n-1, s] - k[0]].

    The band covers, in eps: the rounding of each objective u(c) + w (2.5 (|log c| +
    |w| / param) each), the rounding of x_j (2 |x_j|), the exp's error and the products
    (EXP_ERROR_EPS + 4); ``guard`` multiplies it (0 disables the guard).
    """
    n = k.size
    if n < 2:
        return
    inv_param = 1.0 / param
    log_c = max(abs(np.log(LOG_FREE_MIN_C)), abs(np.log(max(r[n - 1, s] - k[0], 1e-300))))
    fixed = 5.0 * log_c + EXP_ERROR_EPS + 4.0
    x = np.empty(n - 1)
    for j in range(n - 1):
        x[j] = min(max((w[j] - w[j + 1]) * inv_param, -EXP_CAP), EXP_CAP)
    exp_array(x, e_hi)
    for j in range(n - 1):
        scale = 2.5 * (abs(w[j]) + abs(w[j + 1])) * inv_param + 2.0 * abs(x[j]) + fixed
        band = guard * _EPS * scale
        e = e_hi[j]
        e_lo[j] = 0.0 if x[j] <= -EXP_CAP else e * (1.0 - band)
        e_hi[j] = np.inf if x[j] >= EXP_CAP else e * (1.0 + band)


@njit
def _log_test_moves(ri, k, w, j, param):
    """The log scan's test: does choice j + 1 beat choice j (u = param log c)?"""
    here = param * np.log(ri - k[j]) + w[j]
    return not param * np.log(ri - k[j + 1]) + w[j + 1] <= here  # NaN moves, as there


@njit
def log_free_scan_column(k, r, w, s, param, out, pol, guard):
    """:func:`_scan_column` for u = param log c without a logarithm per comparison: the
    same decisions (the log test inside the guard band), then one log per state for the
    chosen value, the same float64 number as the log scan's. Returns how many comparisons
    took the log test."""
    n = k.size
    e_hi, e_lo = np.empty(max(n - 1, 1)), np.empty(max(n - 1, 1))
    exp_bounds(k, r, w, s, param, guard, e_hi, e_lo)
    chosen = np.empty(n)
    log_tests = 0
    j = 0
    for i in range(n):
        ri = r[i, s]
        c = ri - k[j]
        while j + 1 < n:
            c_next = ri - k[j + 1]
            if c_next >= LOG_FREE_MIN_C and c_next > c * e_hi[j]:
                pass  # surely better
            elif c_next >= LOG_FREE_MIN_C and c_next <= c * e_lo[j]:
                break  # surely not
            elif not c_next > 0.0:
                break  # infeasible
            else:  # in the band, or c small: the log test decides
                log_tests += 1
                if not _log_test_moves(ri, k, w, j, param):
                    break
            c = c_next
            j += 1
        chosen[i] = c
        pol[i, s] = j
    for i in range(n):
        out[i, s] = param * np.log(chosen[i]) + w[pol[i, s]]
    return log_tests


@njit
def upper_envelope(k, w, hat):
    """hat >= w: the least concave majorant of the points (k_j, w_j).

    Returns how many points lie strictly below it. Hull vertices keep w exactly, and the
    interpolated values are raised to w where rounding put them below, so that
    ``f + w <= f + hat`` holds in float64 for any f.
    """
    n = k.size
    hull = np.empty(n, dtype=np.int64)
    top = 0
    for j in range(n):
        while top >= 2:
            a, b = hull[top - 2], hull[top - 1]
            if (w[b] - w[a]) * (k[j] - k[a]) > (w[j] - w[a]) * (k[b] - k[a]):
                break
            top -= 1
        hull[top] = j
        top += 1
    below = 0
    for h in range(top - 1):
        a, b = hull[h], hull[h + 1]
        hat[a] = w[a]
        slope = (w[b] - w[a]) / (k[b] - k[a])
        for j in range(a + 1, b):
            hat[j] = max(w[a] + slope * (k[j] - k[a]), w[j])
            below += hat[j] > w[j]
    hat[hull[top - 1]] = w[hull[top - 1]]
    return below


@njit
def warm_guess(coarse, value, grid, out):
    """out[:, s] = the least concave majorant of value[:, s] over ``coarse``, linearly
    interpolated at ``grid`` (both increasing, with the same ends up to rounding; past
    an end the end segment extends): the coarse-to-fine start, in one pass per column.

    A start only needs to be close (the bound comes from the greedy steps on ``grid``),
    and the majorant makes it concave, so the first greedy step is the first-decrease
    scan rather than the guided one.
    """
    nc, m = value.shape
    column, hat = np.empty(nc), np.empty(nc)
    slope = np.empty(nc - 1)
    for s in range(m):
        for j in range(nc):
            column[j] = value[j, s]
        upper_envelope(coarse, column, hat)
        for j in range(nc - 1):
            slope[j] = (hat[j + 1] - hat[j]) / (coarse[j + 1] - coarse[j])
        j = 0
        for i in range(grid.size):
            x = grid[i]
            while j < nc - 2 and coarse[j + 1] <= x:
                j += 1
            out[i, s] = hat[j] + slope[j] * (x - coarse[j])


@njit
def _envelope_scan_column(k, r, w, s, hat, kind, param, out, pol):
    """The first-decrease scan made exact for any w, guided by the concave majorant ``hat``.

    The objective g_j = f_j + w_j (f_j = u(r - k_j)) is bounded by the concave
    g^_j = f_j + hat_j. From the previous state's optimum, move right until g^ has started
    to fall and is no higher than the best g so far: no later choice can beat it. Where
    w is concave, hat = w and this is the stop at the first decrease.
    """
    n = k.size
    j = 0
    for i in range(n):
        ri = r[i, s]
        f = _utility(ri - k[j], kind, param)
        best = f + w[j]
        best_j = j
        hat_here = f + hat[j]
        while j + 1 < n and _feasible(ri - k[j + 1], kind):
            f = _utility(ri - k[j + 1], kind, param)
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
def step(k, r, P, beta, kind, param, v, out, pol, w, hat, algorithm):
    """One Bellman step from v into (out, pol); w (m, n) and hat (n,) are scratch."""
    n, m = v.shape
    expect(P, beta, v, w)
    for s in range(m):
        ws = w[s]
        if algorithm == BRUTE:
            _brute_column(k, r, ws, s, kind, param, out, pol)
        elif algorithm == DIVIDE:
            divide(k, r, ws, s, kind, param, out, pol, 0, n - 1, 0, n - 1)
        elif is_concave(k, ws, CONCAVE_SLACK * max(1.0, max_abs(ws))):
            if kind == family_spec.LOG and algorithm == MONOTONE:
                log_free_scan_column(k, r, ws, s, param, out, pol, GUARD)
            else:
                _scan_column(k, r, ws, s, kind, param, out, pol)
        elif upper_envelope(k, ws, hat) * ENVELOPE_FRACTION <= n:
            _envelope_scan_column(k, r, ws, s, hat, kind, param, out, pol)
        else:
            divide(k, r, ws, s, kind, param, out, pol, 0, n - 1, 0, n - 1)


@njit
def _sup_distance(a, b):
    d = 0.0
    for i in range(a.shape[0]):
        for s in range(a.shape[1]):
            d = max(d, abs(a[i, s] - b[i, s]))
    return d


@njit
def _iterate(k, r, P, beta, kind, param, v, num_iter, stop_below, algorithm):
    """Up to num_iter steps, stopping early once sup|V_new - V| < stop_below (if > 0)."""
    n, m = v.shape
    out, spare = np.empty_like(v), np.empty_like(v)
    pol = np.zeros(v.shape, dtype=np.int64)
    w, hat = np.empty((m, n)), np.empty(n)
    previous = v
    count = 0
    while count < num_iter:
        new = buffer_for_step(out, spare, count)
        step(k, r, P, beta, kind, param, previous, new, pol, w, hat, algorithm)
        count += 1
        done = stop_below > 0.0 and _sup_distance(new, previous) < stop_below
        previous = new
        if done:
            break
    return result_in_out(out, spare, count, v), pol, count


def iterate(spec, v, num_iter, algorithm, stop_below=0.0):
    """``(value, policy, steps)`` after up to ``num_iter`` steps of ``algorithm``."""
    return _iterate(*spec, v, num_iter, stop_below, algorithm)


def iterate_brute(spec, v, num_iter):
    """Every feasible choice, first maximiser: O(n^2 m) per step (the oracle)."""
    value, policy, _ = iterate(spec, v, num_iter, BRUTE)
    return value, policy


def iterate_monotone(spec, v, num_iter):
    """The monotone search with early stop, exact for any V (see the module notes).

    .. math:: \\sigma(i-1, s) \\le \\sigma(i, s) = \\min \\operatorname{argmax}_{j}
              u(r_{is} - k_j) + w_{sj}
    """
    value, policy, _ = iterate(spec, v, num_iter, MONOTONE)
    return value, policy


def iterate_until(spec, v, tol, max_iter, monotone=True):
    """Steps until sup|V_new - V| < tol (the AFV paper's rule): ``(value, policy, steps)``."""
    return iterate(spec, v, max_iter, MONOTONE if monotone else BRUTE, tol)


# --- policy evaluation -------------------------------------------------------------------


@njit
def _reward(k, r, pol, kind, param):
    n, m = pol.shape
    out = np.empty((n, m))
    for i in range(n):
        for s in range(m):
            out[i, s] = _utility(r[i, s] - k[pol[i, s]], kind, param)
    return out


@njit
def _sweep(reward, P, beta, pol, v, out, w):
    """out = T_sigma v: out[i, s] = reward[i, s] + beta sum_t P[s, t] v[pol[i, s], t],
    through the expectation w of every choice (w is scratch, (m, n))."""
    n, m = reward.shape
    expect(P, beta, v, w)
    for i in range(n):
        for s in range(m):
            out[i, s] = reward[i, s] + w[s, pol[i, s]]


@njit
def _span(a, b):
    low, high = np.inf, -np.inf
    for i in range(a.shape[0]):
        for s in range(a.shape[1]):
            d = a[i, s] - b[i, s]
            low = min(low, d)
            high = max(high, d)
    return low, high


#: Sweeps without a new smallest bound after which an exact evaluation stops: it has hit
#: float64 rounding.
STALL_SWEEPS = 32


@njit
def _evaluate(k, r, P, beta, kind, param, pol, v, sweeps, tol, max_sweeps):
    """``sweeps`` applications of T_sigma, or (sweeps < 0) until the MacQueen-Porteus
    bound of the evaluation is below tol (or stalls, or max_sweeps): the midpoint."""
    reward = _reward(k, r, pol, kind, param)
    out, spare = np.empty_like(v), np.empty_like(v)
    w = np.empty((v.shape[1], v.shape[0]))
    limit = max_sweeps if sweeps < 0 else sweeps
    smallest, stalled = np.inf, 0
    previous = v
    count = 0
    while count < limit:
        new = buffer_for_step(out, spare, count)
        _sweep(reward, P, beta, pol, previous, new, w)
        count += 1
        if sweeps < 0:
            low, high = _span(new, previous)
            shift, bound = _span_midpoint(low, high, beta)
            stalled = 0 if bound < smallest else stalled + 1
            smallest = min(smallest, bound)
            if bound < tol or stalled >= STALL_SWEEPS:
                new += shift
                break
        previous = new
    return result_in_out(out, spare, count, v)


@njit
def _apply(P, beta, pol, x, out, w):
    """out = (I - beta P_sigma) x: x minus the discounted expectation at the policy."""
    n, m = x.shape
    expect(P, beta, x, w)
    for i in range(n):
        for s in range(m):
            out[i, s] = x[i, s] - w[s, pol[i, s]]


@njit
def _dot(a, b):
    total = 0.0
    for i in range(a.shape[0]):
        for s in range(a.shape[1]):
            total += a[i, s] * b[i, s]
    return total


@njit
def _bicgstab(reward, P, beta, pol, x, residual, target, max_products, w):
    """BiCGSTAB (two products an iteration) on (I - beta P_sigma) x = reward, x in place
    from ``residual`` = reward - A x, until the recursive residual's MacQueen-Porteus
    bound is below ``target``, a breakdown, or max_products. Returns the products taken.
    The vector updates are fused into one pass each (no temporaries)."""
    n, m = x.shape
    shadow = residual.copy()
    p, v = np.zeros_like(x), np.zeros_like(x)
    s, t = np.empty_like(x), np.empty_like(x)
    alpha = omega = 1.0
    rho = rho_new = _dot(shadow, residual)
    products = 0
    while products + 2 <= max_products and rho_new != 0.0 and omega != 0.0:
        direction = (rho_new / rho) * (alpha / omega)
        rho = rho_new
        for i in range(n):
            for j in range(m):
                p[i, j] = residual[i, j] + direction * (p[i, j] - omega * v[i, j])
        _apply(P, beta, pol, p, v, w)
        alpha = rho / _dot(shadow, v)
        for i in range(n):
            for j in range(m):
                s[i, j] = residual[i, j] - alpha * v[i, j]
        _apply(P, beta, pol, s, t, w)
        products += 2
        ts, tt = 0.0, 0.0
        for i in range(n):
            for j in range(m):
                ts += t[i, j] * s[i, j]
                tt += t[i, j] * t[i, j]
        omega = ts / tt if tt > 0.0 else 0.0
        low, high, rho_new = np.inf, -np.inf, 0.0
        for i in range(n):
            for j in range(m):
                x[i, j] += alpha * p[i, j] + omega * s[i, j]
                residual[i, j] = s[i, j] - omega * t[i, j]
                low = min(low, residual[i, j])
                high = max(high, residual[i, j])
                rho_new += shadow[i, j] * residual[i, j]
        if _span_midpoint(low, high, beta)[1] < target:
            break
    return products


#: Products at most between two true sweeps of :func:`_evaluate_krylov` (BiCGSTAB can
#: stagnate: the sweep then measures where it is, and the stall rule ends it).
KRYLOV_PRODUCTS = 48


@njit
def _evaluate_krylov(k, r, P, beta, kind, param, pol, v, tol, max_products):
    """v_sigma to within tol (sup norm), guaranteed: BiCGSTAB until its recursive residual
    says so, then a true sweep and its MacQueen-Porteus midpoint (the bound holds whatever
    the solver's accuracy); again from there while the bound is above tol, up to
    max_products, or until the bound stalls."""
    reward = _reward(k, r, pol, kind, param)
    w = np.empty((v.shape[1], v.shape[0]))
    x = v.copy()
    swept = np.empty_like(v)
    smallest, stalled, products = np.inf, 0, 0
    while True:
        _sweep(reward, P, beta, pol, x, swept, w)
        products += 1
        low, high = _span(swept, x)
        shift, bound = _span_midpoint(low, high, beta)
        stalled = 0 if bound < 0.5 * smallest else stalled + 1
        smallest = min(smallest, bound)
        if bound < tol or products >= max_products or stalled >= 2:
            return swept + shift
        residual = swept - x
        products += _bicgstab(reward, P, beta, pol, x, residual, 0.5 * tol,
                              min(KRYLOV_PRODUCTS, max_products - products), w)


def evaluate(spec, policy, v, sweeps, tol, max_sweeps):
    """``sweeps`` applications of :math:`T_\\sigma` to v, or with ``sweeps=None`` its fixed
    point to within ``tol`` (sup norm): BiCGSTAB, checked by a sweep's MacQueen-Porteus
    midpoint (:func:`_evaluate_krylov`; at most ``max_sweeps`` products).

    .. math:: (T_\\sigma v)(i, s) = u(r_{is} - k_{\\sigma(i,s)})
              + \\beta \\sum_t P_{st} v(\\sigma(i,s), t)
    """
    if sweeps is None:
        return _evaluate_krylov(*spec, policy, v, tol, max_sweeps)
    return _evaluate(*spec, policy, v, sweeps, tol, max_sweeps)


# --- solving to a tolerance, the whole loop compiled ---------------------------------------

#: Methods of :func:`solve`, numbered as in :data:`vfi.solvers.METHODS`; MPI_KRYLOV is
#: modified policy iteration whose evaluation, once the policy repeats, is BiCGSTAB (at
#: most 2 x sweeps products) instead of the sweeps: they crawl at the optimal policy's
#: |lambda_2| (0.96 on the savings model's 12 income states), while the policy still
#: changes exact evaluation is wasted.
VFI, HOWARD, MPI, MPI_KRYLOV = 0, 1, 2, 3
#: What "mpi" runs: measured faster on both savings calibrations (tools/bench_family.py).
MPI_DEFAULT = MPI_KRYLOV


@njit
def _exact_tolerance(tol, tv):
    """:func:`vfi.family.policy.exact_tolerance` of max|tv|."""
    return max(1e-3 * tol, 1e3 * np.finfo(np.float64).eps * max(1.0, max_abs(tv)))


@njit
def _repeats(pol, previous):
    """Whether pol equals previous; previous becomes pol."""
    same = True
    for i in range(pol.shape[0]):
        for s in range(pol.shape[1]):
            same &= pol[i, s] == previous[i, s]
            previous[i, s] = pol[i, s]
    return same


@njit
def _solve(k, r, P, beta, kind, param, v0, tol, method, sweeps, max_iter, algorithm,
           max_sweeps):
    """:func:`vfi.solvers.solve_fixed_point` with every step compiled: the same greedy
    steps, MacQueen-Porteus midpoint and bound (rounding term included), updates and
    Howard evaluation tolerance (:func:`vfi.family.policy.exact_tolerance`), and the same
    early stop where ``tol`` is below the rounding floor (:func:`vfi.solvers.rounding_floor`)."""
    n, m = v0.shape
    eps = np.finfo(np.float64).eps
    v = v0.copy()
    tv = np.empty_like(v0)
    pol = np.zeros(v0.shape, dtype=np.int64)
    previous = np.full(v0.shape, -1, dtype=np.int64)
    w, hat = np.empty((m, n)), np.empty(n)
    for iteration in range(1, max_iter + 1):
        step(k, r, P, beta, kind, param, v, tv, pol, w, hat, algorithm)
        low, high = _span(tv, v)
        shift, bound = _span_midpoint(low, high, beta)
        floor = 2.0 * eps * max_abs(tv) / (1.0 - beta)
        bound += floor
        if (bound < tol or iteration == max_iter
                or (floor >= tol and bound <= 2.0 * floor)):
            return tv + shift, pol, iteration, bound, floor
        if method == VFI:
            v[...] = tv
        elif method == HOWARD:
            v = _evaluate_krylov(k, r, P, beta, kind, param, pol, tv,
                                 _exact_tolerance(tol, tv), max_sweeps)
        elif method == MPI_KRYLOV and _repeats(pol, previous):
            v = _evaluate_krylov(k, r, P, beta, kind, param, pol, tv,
                                 _exact_tolerance(tol, tv), 2 * sweeps)
        else:
            v = _evaluate(k, r, P, beta, kind, param, pol, tv, sweeps, 0.0, 0)
    return tv, pol, 0, np.inf, 0.0  # not reached: max_iter >= 1


def solve(spec, v0, tol, method, sweeps, max_iter, monotone, max_sweeps):
    """``(value, policy, iterations, error_bound, rounding_floor)`` of the compiled loop
    (``method`` MPI runs :data:`MPI_DEFAULT`)."""
    method = MPI_DEFAULT if method == MPI else method
    return _solve(*spec, v0, tol, method, sweeps, max_iter, MONOTONE if monotone else BRUTE,
                  max_sweeps)


# --- is the policy the exact optimum? ------------------------------------------------------


@njit
def _peak(k, ri, hat, kind, param, start):
    """First maximiser of the concave g^_j = u(ri - k_j) + hat_j over feasible j >= start."""
    n = k.size
    j = start
    best = _utility(ri - k[j], kind, param) + hat[j]
    while j + 1 < n and _feasible(ri - k[j + 1], kind):
        candidate = _utility(ri - k[j + 1], kind, param) + hat[j + 1]
        if candidate <= best:
            break
        best = candidate
        j += 1
    return j


@njit
def _bound_of_others(k, ri, hat, kind, param, best_j, peak):
    """An upper bound on g_j = u(ri - k_j) + w_j over feasible j != best_j, from the
    concave majorant g^ >= g: its peak where that is another choice, else the larger of
    its two neighbours (g^ is unimodal); -inf where best_j is the only choice."""
    if peak != best_j:
        return _utility(ri - k[peak], kind, param) + hat[peak]
    other = -np.inf
    if best_j > 0:
        other = _utility(ri - k[best_j - 1], kind, param) + hat[best_j - 1]
    if best_j + 1 < k.size and _feasible(ri - k[best_j + 1], kind):
        other = max(other, _utility(ri - k[best_j + 1], kind, param) + hat[best_j + 1])
    return other


@njit
def _smallest_margin(k, r, P, beta, kind, param, v):
    """The greedy policy of v and the smallest margin, over states, by which its choice
    beats every other feasible choice (a lower bound, through the concave majorant)."""
    n, m = v.shape
    out = np.empty_like(v)
    pol = np.zeros(v.shape, dtype=np.int64)
    w, hat = np.empty((m, n)), np.empty(n)
    step(k, r, P, beta, kind, param, v, out, pol, w, hat, MONOTONE)
    smallest = np.inf
    for s in range(m):
        upper_envelope(k, w[s], hat)
        peak = 0
        for i in range(n):
            peak = _peak(k, r[i, s], hat, kind, param, peak)
            other = _bound_of_others(k, r[i, s], hat, kind, param, pol[i, s], peak)
            smallest = min(smallest, out[i, s] - other)
    return pol, smallest, max_abs(out)


def certify(spec, value, bound):
    """``(policy, exact)``: the greedy policy of ``value`` and whether it is provably the
    exact optimum of the discrete problem, given sup|value - v*| <= bound.

    With Q_v(i, s, j) = u(r_is - k_j) + beta sum_t P_st v(j, t), |Q_value - Q_v*| <=
    beta bound for every choice; a choice that beats every other by more than twice that
    (plus the rounding of the objectives, 8 eps of their size) is the only maximiser of
    Q_v*, so the policy is the optimal one.
    """
    policy, margin, scale = _smallest_margin(*spec, value)
    rounding = 8.0 * np.finfo(np.float64).eps * max(1.0, scale)
    return policy, bool(margin > 2.0 * spec.beta * bound + rounding)
