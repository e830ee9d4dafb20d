r"""Cake eating on a uniform grid as max-plus algebra: K Bellman steps in one merge.

On a uniform grid (:math:`x_i - x_j = (i - j) h`) one Bellman step is a causal max-plus
convolution with the utility table :math:`S_k = u_k = \sqrt{x_k - x_0}`:

.. math::

    (T v)_i = \max_{0 \le j \le i} S_{i-j} + \beta v_j = (S \star \beta v)_i .

For two concave sequences a, b the max-plus convolution is concave, and its increments
are those of a and b merged in decreasing order: :math:`(a \star b)_i = a_0 + b_0 +` (the
sum of the i largest increments of a and b). Positive scaling distributes over
:math:`\star`, so from a concave :math:`v_0`

.. math::

    T^K v_0 = S \star \beta S \star \dots \star \beta^{K-1} S \star \beta^K v_0 ,

one (K+1)-way merge of the decreasing increment sequences :math:`\beta^m \Delta S_k`
(m < K) and :math:`\beta^K \Delta v_{0,k}`; with :math:`S_0 = 0`,
:math:`(T^K v_0)_i = \beta^K v_{0,0} +` (the first i merged increments). The last step is
:math:`S \star \beta (T^{K-1} v_0)`, so its first maximiser is
:math:`\sigma(i) = i -` (the number of m = 0 increments among the first i), ties taken
from m = 0 first. The merge costs O(n) (``_bands``) where K Bellman steps cost O(n K)
(the concave scan of :func:`vfi.cake.numba.iterate_concave`) or O(n^2 K) (brute force).

Exactness. Every comparison is between increments, so a choice can differ from the
brute force's only between candidates within rounding of each other (a tie). The values
are the brute force's up to (a) the utility table,
:math:`|u_{i-j} - \sqrt{x_i - x_j}| \le e` (``grid_rule.table_error``), which moves a K-step
value by at most :math:`e \sum_{m<K} \beta^m < e / (1 - \beta)`, and (b) rounding: each
increment :math:`\mathrm{fl}(\beta^m) \Delta S_k` is within 6 eps of its exact value
(:math:`\Delta S_k = u_{k+1} - u_k` is exact, by Sterbenz, so the table telescopes), and
the prefix sums are compensated (Neumaier),
:math:`|\hat s_i - s_i| \le (2\epsilon + O(n \epsilon^2)) \sum |x|`, where a plain running
sum would only guarantee :math:`n \epsilon \sum |x|` (2e-10 relative at n = 10^6).
"""
from __future__ import annotations

import math

import numpy as np

from vfi.cake import grid_rule
from vfi.cake import numba as cake_numba
from vfi.cake.problem import validate
from vfi.compile_cache import njit
from vfi.family import numba as family_numba

EPS = float(np.finfo(np.float64).eps)

#: Engines of the merge: bands (O(n); the heap where it gives up), or the heap alone.
BANDS, HEAP = 0, 1

#: The number of sequences of the fixed point's merge: more than any merge reaches.
EVERY_SEQUENCE = np.iinfo(np.int64).max


@njit(inline="always")
def neumaier_add(s, comp, x):
    """``s + x`` compensated (Neumaier): ``(sum, compensation)``, ``sum + compensation``
    the running total; the merge's every prefix sum goes through here."""
    t = s + x
    if abs(s) >= abs(x):
        comp += (s - t) + x
    else:
        comp += (x - t) + s
    return t, comp


@njit
def _applies(grid):
    """The utility table's grid rule, as :func:`vfi.cake.numba.iterate_concave` has it:
    uniform to ``UNIFORM_RTOL`` and ``_table_error`` within ``TABLE_RTOL`` of the scale."""
    uniform, table = cake_numba.grid_rule_pass(grid, grid_rule.UNIFORM_RTOL)
    return uniform and table <= grid_rule.TABLE_RTOL * max(1.0, np.sqrt(grid[-1] - grid[0]))


@njit
def _concave(grid, beta, v):
    """v concave up to rounding, with the slack of ``iterate_concave``."""
    scale = family_numba.max_abs(v) + np.sqrt(grid[-1] - grid[0]) / (1.0 - beta)
    return family_numba.is_concave(grid, v, 0.5 * grid_rule.ROUNDING_SLACK * max(1.0, scale))


@njit
def _grow_powers(pw, filled, beta, need):
    """pw[m] = beta^m for m < need (pw[:filled] already there), growing pw by doubling.

    A running product refreshed by ``pow`` every 8 terms (so within 5 eps of beta^m),
    forced non-increasing, so that the rules that compare them are monotone.
    """
    if need > pw.size:
        bigger = np.empty(max(need, 2 * pw.size))
        bigger[:filled] = pw[:filled]
        pw = bigger
    for m in range(filled, need):
        p = math.pow(beta, float(m)) if m % 8 == 0 else pw[m - 1] * beta
        pw[m] = p if m == 0 else min(p, pw[m - 1])
    return pw


# --- the merge -------------------------------------------------------------------------
#
# Sequence m < num_seq: increments pw[m] * d[k], d[k] = u[k+1] - u[k]; the v0 stream:
# scale_v * (v[k+1] - v[k]) (absent when v is empty). Both engines write, for i >= 1,
# value[i] = start + (the first i merged increments, a compensated sum) and
# policy[i] = i - (how many of them came from m = 0); ties go to m = 0, the v0 stream last.
#
# No truncation. Only finitely many sequences ever matter, even for num_seq = EVERY_SEQUENCE (the
# fixed point): the m = 0 sequence alone has n - 1 increments >= min d, and a sequence
# with beta^m d[0] below that never gets one taken. More precisely, let M be the first m
# whose first increment beta^m d[0] is not among the first n - 1 merged: every increment
# of a sequence m' >= M is <= beta^{m'} d[0] <= beta^M d[0], and loses ties to it, so none
# is taken either. Hence the merges of the first K sequences agree for all K >= M
# (T^K 0 = T^M 0 in exact arithmetic: the iteration from 0 stops moving after M steps),
# and the fixed point is that merge, exactly. Both engines reach sequence m + 1 only
# after m's first increment is taken, so they never look at more than M + 1 sequences.


@njit
def _bands(grid, beta, num_seq, v, scale_v, start, value, policy, fwork, iwork):
    r"""The merge band by band: O(n). False (the outputs to be rewritten) where it would
    need over 4 n + 64 bands (beta within about 1/n of 1, few steps): then the heap.

    Base band b holds the k with d[k] in (theta_{b+1}, theta_b], theta_b = d[0] beta^b:
    a run of consecutive k, as d decreases. Increment (m, k) lies in merged band
    r = b(k) + m, and every increment of band r exceeds every one of band r + 1, so the
    merge goes band after band. Within band r, (m, k) compares as d[k] / beta^{b(k)}, the
    same in every band: band r's order is band r - 1's without base band r - num_seq
    (m would reach num_seq), with base band r (m = 0) merged in by one linear two-way
    merge. A band costs its own size plus the previous one's: O(n) in all. Each kept
    entry carries its increment for the next band, computed off the merge's path.

    ``fwork``: (4, n) float64 and ``iwork``: (2, n) int64 scratch (this band's order:
    increment, d, b; the next band's, being built).
    """
    n = value.size
    last = n - 1                      # increments per sequence
    g0 = grid[0]
    lx, ld, nx, nd = fwork[0], fwork[1], fwork[2], fwork[3]
    lb, nb = iwork[0], iwork[1]
    pw = _grow_powers(np.empty(64), 0, beta, 64)
    filled = 64
    d0 = np.sqrt(grid[1] - g0)
    # the m = 0 stream, read in order: xb = d[q] = u[q + 1] - u[q]
    q = 0
    u_hi = d0
    xb = d0
    # the v0 stream: xe = scale_v * (v[ie + 1] - v[ie])
    ie = 0
    xe = scale_v * (v[1] - v[0]) if v.size > 0 else -np.inf
    s = start                         # Neumaier: s + comp is the running sum
    comp = 0.0
    taken0 = 0
    value[0] = start
    policy[0] = 0
    i = 1
    r = 0
    cnt = 0                           # entries inherited by band r (lx, ld, lb)
    limit = 4 * n + 64
    while True:                       # band r
        if r + 3 > filled:
            if r + 3 > limit:
                return False
            pw = _grow_powers(pw, filled, beta, 2 * filled)
            filled = 2 * filled
        threshold = d0 * pw[r + 1]
        expire = r + 1 - num_seq      # base bands b <= expire leave after this band
        p = 0
        new = 0
        lx[cnt] = -np.inf             # sentinel
        xl = lx[0]
        in_band = xb > threshold
        while True:
            if in_band and xb >= xl:  # m = 0 first at ties: the first maximiser
                x = xb
                is0 = 1
                nx[new] = pw[1] * xb
                nd[new] = xb
                nb[new] = r
                new += r > expire
                q += 1
                if q < last:
                    u_lo = u_hi
                    u_hi = np.sqrt(grid[q + 1] - g0)
                    xb = u_hi - u_lo
                    in_band = xb > threshold
                else:
                    xb = -np.inf
                    in_band = False
            elif p < cnt:
                x = xl
                is0 = 0
                b = lb[p]
                dk = ld[p]
                nx[new] = pw[r + 1 - b] * dk
                nd[new] = dk
                nb[new] = b
                new += b > expire
                p += 1
                xl = lx[p]
            else:
                break
            while xe > x:             # the v0 stream after the others at ties
                s, comp = neumaier_add(s, comp, xe)
                value[i] = s + comp
                policy[i] = i - taken0
                i += 1
                if i == n:
                    return True
                ie += 1
                xe = scale_v * (v[ie + 1] - v[ie]) if ie < last else -np.inf
            s, comp = neumaier_add(s, comp, x)
            value[i] = s + comp
            taken0 += is0
            policy[i] = i - taken0
            i += 1
            if i == n:
                return True
        lx, nx = nx, lx
        ld, nd = nd, ld
        lb, nb = nb, lb
        cnt = new
        r += 1


@njit
def _increments(grid):
    """d[k] = u[k+1] - u[k], u the utility table (exact differences, by Sterbenz)."""
    u = cake_numba._utility_table(grid)
    d = np.empty(grid.size - 1)
    for k in range(d.size):
        d[k] = u[k + 1] - u[k]
    return d


@njit
def _better(ka, ma, kb, mb):
    """Head a is taken before head b: larger, or as large and from a smaller m."""
    return ka > kb or (ka == kb and ma < mb)


@njit
def _sift_down(hk, hm, size, key, m):
    """Put (key, m) at the root of the heap and let it sink to its place."""
    slot = 0
    while True:
        child = 2 * slot + 1
        if child >= size:
            break
        right = child + 1
        if right < size and _better(hk[right], hm[right], hk[child], hm[child]):
            child = right
        if _better(hk[child], hm[child], key, m):
            hk[slot] = hk[child]
            hm[slot] = hm[child]
            slot = child
        else:
            break
    hk[slot] = key
    hm[slot] = m


@njit
def _sift_up(hk, hm, slot, key, m):
    """Put (key, m) at ``slot`` (the heap's new last place) and let it rise."""
    while slot > 0:
        parent = (slot - 1) >> 1
        if _better(key, m, hk[parent], hm[parent]):
            hk[slot] = hk[parent]
            hm[slot] = hm[parent]
            slot = parent
        else:
            break
    hk[slot] = key
    hm[slot] = m


@njit
def _heap(grid, beta, num_seq, v, scale_v, start, value, policy):
    """The merge by a binary heap over the sequences' heads: O(n log M), any beta.

    Sequences enter lazily: m + 1 only once m's first increment is taken (before that,
    its head beta^{m+1} d[0] is below m's head beta^m d[0], and loses ties to it), so at
    most n - 1 sequences are ever in the heap, whatever ``num_seq`` (infinite for the
    fixed point). The v0 stream has the largest id, ``num_seq``: it loses every tie.
    """
    n = value.size
    last = n - 1
    d = _increments(grid)
    capacity = min(num_seq, last) + 2
    hk = np.empty(capacity)
    hm = np.empty(capacity, dtype=np.int64)
    pos = np.zeros(capacity, dtype=np.int64)
    pw = _grow_powers(np.empty(64), 0, beta, 64)
    filled = 64
    hk[0] = d[0]
    hm[0] = 0
    size = 1
    ie = 0
    if v.size > 0:
        _sift_up(hk, hm, size, scale_v * (v[1] - v[0]), num_seq)
        size += 1
    s = start
    comp = 0.0
    taken0 = 0
    value[0] = start
    policy[0] = 0
    for i in range(1, n):
        x = hk[0]
        m = hm[0]
        s, comp = neumaier_add(s, comp, x)
        value[i] = s + comp
        if m == 0:
            taken0 += 1
        policy[i] = i - taken0
        activate = False
        if m == num_seq:
            ie += 1
            key = scale_v * (v[ie + 1] - v[ie]) if ie < last else -np.inf
        else:
            p = pos[m] + 1
            pos[m] = p
            key = pw[m] * d[p] if p < last else -np.inf
            activate = p == 1 and m + 1 < num_seq
        _sift_down(hk, hm, size, key, m)
        if activate:
            if m + 2 > filled:
                pw = _grow_powers(pw, filled, beta, 2 * filled)
                filled = 2 * filled
            _sift_up(hk, hm, size, pw[m + 1] * d[0], m + 1)
            size += 1




@njit
def _merge(grid, beta, num_seq, v, scale_v, start, value, policy, fwork, iwork, engine):
    """Bands where they can (see ``_bands``), else the heap."""
    if engine == BANDS and _bands(grid, beta, num_seq, v, scale_v, start, value, policy,
                                  fwork, iwork):
        return
    _heap(grid, beta, num_seq, v, scale_v, start, value, policy)


@njit
def _scratch(n):
    """The band engine's scratch, from Numba: only the pages it touches are faulted in
    (a band holds about (1 - beta^2) n increments, not n)."""
    return np.empty((4, n)), np.empty((2, n), dtype=np.int64)


@njit
def _iterate_into(grid, beta, v, num_iter, engine, value, policy):
    """K steps by the merge into value and policy; False where it does not apply."""
    n = grid.size
    if not _applies(grid) or not _concave(grid, beta, v):
        return False
    # On a uniform grid T maps concave v to concave Tv: v0 is checked once.
    scale_v = math.pow(beta, float(num_iter))
    start = scale_v * v[0]
    if n == 1:
        value[0] = start
        policy[0] = 0
        return True
    fwork, iwork = _scratch(n)
    _merge(grid, beta, num_iter, v, scale_v, start, value, policy, fwork, iwork, engine)
    return True


@njit
def _valid(grid, beta):
    """The rules of :func:`vfi.cake.problem.validate`, compiled: a non-empty, finite,
    non-negative, strictly increasing grid and beta in (0, 1) (NaN fails every test)."""
    n = grid.size
    if n == 0 or not (0.0 < beta < 1.0) or not (grid[0] >= 0.0):
        return False
    rising = True  # no early exit: the loop vectorises
    for i in range(1, n):
        rising &= grid[i] > grid[i - 1]
    return rising and np.isfinite(grid[n - 1])


@njit
def iterate_default_if_valid(grid, beta, num_iter, value, policy):
    """The default path of ``vfi.iterate`` in one compiled call: the checks, v0 = sqrt(x)
    and the merge into value and policy; False where a rule fails or the merge does not
    apply (the caller then takes the general path, which raises the named error or runs
    the fallback)."""
    if not _valid(grid, beta):
        return False
    return _iterate_into(grid, beta, np.sqrt(grid), num_iter, BANDS, value, policy)


def _iterate(grid, beta, v, num_iter, engine):
    """(value, policy, applies): the outputs allocated by NumPy (huge pages for large n,
    and cheaper to hand back than Numba's own arrays for small n)."""
    n = grid.size
    if num_iter == 0:
        return v.copy(), np.zeros(n, dtype=np.int64), True
    value, policy = np.empty(n), np.empty(n, dtype=np.int64)
    return value, policy, _iterate_into(grid, beta, v, num_iter, engine, value, policy)


def iterate_maxplus(grid, beta, v, num_iter):
    r"""K Bellman steps of cake eating as one max-plus merge: O(n) instead of O(n K).

    .. math::

        T^K v_0 = S \star \beta S \star \dots \star \beta^{K-1} S \star \beta^K v_0,
        \quad (a \star b)_i = \max_{j \le i} a_{i-j} + b_j, \quad S_k = \sqrt{x_k - x_0}

    On a uniform grid the Bellman operator is the max-plus convolution
    :math:`Tv = S \star \beta v`; for concave sequences that convolution merges their
    increments in decreasing order, so K steps merge the K + 1 increment sequences
    :math:`\beta^m \Delta S` (m < K) and :math:`\beta^K \Delta v_0`, and
    :math:`(T^K v_0)_i = \beta^K v_{0,0} +` the first i merged increments. The policy of
    the last step is i minus the number of m = 0 increments among them (the first
    maximiser: ties go to m = 0). The merge goes by bands of ratio beta, in which every
    sequence's increments are runs (see ``_bands``): O(n) whatever K.

    Where it applies: the grid is uniform to the utility-table rule of
    :func:`vfi.cake.numba.iterate_concave` (spacings within ``UNIFORM_RTOL`` of the
    mean, ``table_error`` within ``TABLE_RTOL`` of the utility scale) and v0 is concave
    up to ``ROUNDING_SLACK``. Elsewhere it falls back to
    :func:`vfi.cake.numba.iterate_concave`, exact on any grid. Values agree with the brute
    force to the table error times :math:`1/(1-\beta)` plus rounding (the prefix sums
    are compensated), choices except at rounding-level ties.

    Parameters
    ----------
    grid : ndarray of float64
        Strictly increasing, shape (n,).
    beta : float
        Discount factor in (0, 1).
    v : ndarray of float64
        Starting value, shape (n,). Never modified.
    num_iter : int
        Number of Bellman steps K >= 0 (K = 0 returns a copy of v).

    Returns
    -------
    value : ndarray of float64, shape (n,)
    policy : ndarray of int64, shape (n,)
        First maximiser of the last step (zeros when K = 0).

    Example
    -------
    >>> import numpy as np
    >>> from vfi.cake.numba import iterate_concave
    >>> grid = np.linspace(0.1, 1.0, 100)
    >>> value, policy = iterate_maxplus(grid, 0.95, np.sqrt(grid), 100)
    >>> steps, choices = iterate_concave(grid, 0.95, np.sqrt(grid), 100)
    >>> bool(np.allclose(value, steps, rtol=1e-12)), bool(np.all(policy == choices))
    (True, True)
    """
    value, policy, done = _iterate(grid, beta, v, num_iter, BANDS)
    if done:
        return value, policy
    return cake_numba.iterate_concave(grid, beta, v, num_iter)


@njit
def _fixed_point_into(grid, beta, engine, value, policy):
    """The fixed point into value and policy, and its error bound (-1: does not apply)."""
    n = grid.size
    value[0] = 0.0
    policy[0] = 0
    if n == 1:
        return 0.0
    if not _applies(grid):
        return -1.0
    fwork, iwork = _scratch(n)
    _merge(grid, beta, EVERY_SEQUENCE, np.empty(0), 0.0, 0.0, value, policy, fwork, iwork, engine)
    # every increment is >= 0, so sum |x| is the last value (up to its own rounding)
    table = cake_numba.grid_rule_pass(grid, grid_rule.UNIFORM_RTOL)[1]
    table += EPS * np.sqrt(grid[-1] - grid[0])
    return table / (1.0 - beta) + (8.0 * EPS + 4.0 * n * EPS * EPS) * value[-1]


def _fixed_point(grid, beta, engine):
    """(value, policy, error bound), the bound -1 where the grid rule fails."""
    value, policy = np.empty(grid.size), np.empty(grid.size, dtype=np.int64)
    return value, policy, _fixed_point_into(grid, beta, engine, value, policy)


def applies(grid) -> bool:
    """Whether a validated grid passes the uniform, utility-table rule of the merge."""
    return bool(_applies(grid))


def fixed_point_maxplus(grid, beta):
    r"""The discrete fixed point of cake eating on a uniform grid, by one merge: O(n).

    .. math::

        v^* = S \star \beta S \star \beta^2 S \star \cdots, \qquad
        v^*_i = \text{the sum of the } i \text{ largest of }
        \{\beta^m \Delta S_k\}_{m \ge 0,\; k < n-1}

    From :math:`v_0 = 0` (concave) :math:`T^K 0` merges :math:`\beta^m \Delta S` for
    m < K. The m = 0 sequence alone has n - 1 increments, each at least
    :math:`\min_k \Delta S_k > 0`, so only finitely many sequences reach the first
    n - 1: with M the first m whose largest increment :math:`\beta^m \Delta S_0` does not,
    no later one does either, :math:`T^K 0 = T^M 0` for every K >= M, and the merge *is*
    the fixed point, with no truncation (M = 126 for ``linspace(0.1, 1, 10**6)`` and
    beta = 0.95). The policy is the first maximiser of :math:`T v^* = S \star \beta v^*`:
    i minus the number of m = 0 increments among the first i.

    ``error_bound`` bounds the sup-norm distance to the exact fixed point of the Bellman
    equation with :math:`\sqrt{x_i - x_j}` (real arithmetic on the float64 grid):

    - the utility table: :math:`e =` ``table_error(grid)`` + eps sqrt(x_{n-1} - x_0)
      bounds :math:`|u_{i-j} - \sqrt{x_i - x_j}|`, so the two Bellman operators differ by
      at most e and their fixed points by :math:`e / (1 - \beta)`;
    - rounding: each increment :math:`\mathrm{fl}(\beta^m)\,\Delta S_k` is within 6 eps
      of :math:`\beta^m \Delta S_k` (:math:`\Delta S_k = u_{k+1} - u_k` exactly), and the
      prefix sums are compensated (Neumaier),
      :math:`|\hat s_i - s_i| \le (2\epsilon + O(n\epsilon^2)) \sum |x|`; with every
      increment positive, :math:`\sum |x| = v^*_{n-1}`, and
      :math:`(8\epsilon + 4 n \epsilon^2)\, v^*_{n-1}` covers both (a plain running sum
      would need :math:`n \epsilon\, v^*_{n-1}`).

    The table term dominates: 6e-12 for ``linspace(0.1, 1, 10**6)`` at beta = 0.95, where
    the rounding term is 5e-15.

    Parameters
    ----------
    grid : array_like
        1-D, finite, non-negative, strictly increasing (checked as by :func:`vfi.iterate`),
        and uniform to the utility-table rule of :func:`vfi.cake.numba.iterate_concave`.
    beta : float
        Discount factor in (0, 1).

    Returns
    -------
    value : ndarray of float64
    policy : ndarray of int64
    error_bound : float

    Raises
    ------
    ValueError
        Where the grid does not pass that rule (or the checks of :func:`vfi.iterate`).

    Example
    -------
    >>> import numpy as np
    >>> import vfi
    >>> grid = np.linspace(0.1, 1.0, 1000)
    >>> value, policy, bound = fixed_point_maxplus(grid, 0.95)
    >>> howard = vfi.solve(grid, 0.95, tol=1e-12, method="howard")
    >>> bool(np.max(np.abs(value - howard.value)) <= bound + howard.error_bound)
    True
    """
    problem = validate(grid, beta)
    value, policy, bound = _fixed_point(problem.grid, problem.beta, BANDS)
    if bound < 0.0:
        raise ValueError(
            f"grid must be uniform (spacings within UNIFORM_RTOL = {grid_rule.UNIFORM_RTOL:g} of "
            f"the mean, the utility table sqrt(x_k - x_0) within TABLE_RTOL = "
            f"{grid_rule.TABLE_RTOL:g} of every sqrt(x_i - x_j)) for the max-plus fixed point")
    return value, policy, bound
