"""Cake-eating kernels that use every core Numba is given (``parallel=True``, ``prange``).

Both kernels return exactly what their serial counterparts in :mod:`vfi.cake.numba`
return, bit for bit: each state's first maximiser is computed by the same arithmetic in
the same order; only which thread computes it changes. The thread count is Numba's,
``numba.get_num_threads()`` (at most ``NUMBA_NUM_THREADS``, default the number of cores),
and can be lowered with ``numba.set_num_threads``.
"""
from __future__ import annotations

import numba
import numpy as np

from vfi.compile_cache import njit
from vfi.family.numba import buffer_for_step, divide, first_max, result_in_out
from vfi.family.spec import SQRT


@njit(parallel=True)
def _step_brute(grid, w, new_v, policy):
    """One brute-force Bellman step (w = beta v), states in parallel.

    State i costs i + 1 evaluations, so a static split of 0..n-1 would leave the first
    thread a quarter of the work; iteration k takes the pair (k, n - 1 - k) instead,
    n + 1 evaluations for every k.
    """
    n = grid.size
    for k in numba.prange((n + 1) // 2):
        new_v[k], policy[k] = first_max(grid, grid[k], w, SQRT, 1.0, 0, k)
        mirror = n - 1 - k
        if mirror != k:
            new_v[mirror], policy[mirror] = first_max(grid, grid[mirror], w, SQRT, 1.0, 0,
                                                      mirror)


@njit
def _iterate_brute(grid, beta, v, num_iter):
    n = grid.size
    policy = np.zeros(n, dtype=np.int64)
    out, spare = np.empty(n), np.empty(n)
    current = v
    for k in range(num_iter):
        new_v = buffer_for_step(out, spare, k)
        _step_brute(grid, beta * current, new_v, policy)
        current = new_v
    return result_in_out(out, spare, num_iter, v), policy


def iterate_brute(grid, beta, v, num_iter):
    """Brute force with ``prange`` over states: bit-identical to ``numba-loops``.

    .. math:: v_{k+1}(x_i) = \\max_{j \\le i} \\sqrt{x_i - x_j} + \\beta v_k(x_j)

    Parameters
    ----------
    grid : ndarray of float64, strictly increasing
    beta : float, in (0, 1)
    v : ndarray of float64, same shape as grid (not modified)
    num_iter : int, >= 1

    Returns
    -------
    value : ndarray of float64
    policy : ndarray of int64, the first maximiser of the last step
    """
    return _iterate_brute(grid, beta, v, num_iter)


# --- divide and conquer on the monotone policy, in parallel ----------------------------
#
# The first maximiser is non-decreasing in the state (see vfi.cake.numba), so solving the
# middle state of a range of states brackets the choices of both halves, and the halves
# are independent. The top levels are solved breadth first, one prange per level, until
# there are SEGMENTS independent (states, choices) ranges; each is then finished by the
# serial divide and conquer on its own thread. The split points and brackets are those of
# the serial numba-monotone, so the results are identical to it.

#: Independent segments handed to the threads after the breadth-first levels (a power of
#: two, several per thread so that uneven segments even out under dynamic scheduling).
SEGMENTS = 64


@njit(parallel=True)
def _split_level(grid, w, new_v, policy, segments):
    """Solve the middle state of every segment; return the two halves of each (lo > hi
    marks an empty one)."""
    count = segments.shape[0]
    halves = np.empty((2 * count, 4), dtype=np.int64)
    for s in numba.prange(count):
        lo, hi, j_lo, j_hi = segments[s, 0], segments[s, 1], segments[s, 2], segments[s, 3]
        mid = (lo + hi) // 2
        best_j = j_lo
        if lo <= hi:
            best, best_j = first_max(grid, grid[mid], w, SQRT, 1.0, j_lo, min(mid, j_hi))
            new_v[mid] = best
            policy[mid] = best_j
        halves[2 * s, 0], halves[2 * s, 1] = lo, mid - 1
        halves[2 * s, 2], halves[2 * s, 3] = j_lo, best_j
        halves[2 * s + 1, 0], halves[2 * s + 1, 1] = mid + 1, hi
        halves[2 * s + 1, 2], halves[2 * s + 1, 3] = best_j, j_hi
        if lo > hi:  # both halves of an empty segment are empty
            halves[2 * s, 1] = lo - 1
            halves[2 * s + 1, 0] = hi + 1
    return halves


@njit(parallel=True)
def _finish_segments(grid, w, new_v, policy, segments, threads):
    """Every segment finished by divide and conquer, dealt round-robin to ``threads``
    workers (uneven segments: neighbours go to different threads). The thread count comes
    from the caller: ``numba.get_num_threads`` and ``set_parallel_chunksize`` inside a
    kernel go through pointers Numba cannot cache, which cost every process a compile."""
    n = grid.size
    r, out, pol = grid.reshape(n, 1), new_v.reshape(n, 1), policy.reshape(n, 1)
    count = segments.shape[0]
    for t in numba.prange(threads):
        for s in range(t, count, threads):
            divide(grid, r, w, 0, SQRT, 1.0, out, pol, segments[s, 0], segments[s, 1],
                   segments[s, 2], segments[s, 3])


@njit
def _step_monotone(grid, w, new_v, policy, num_segments, threads):
    n = grid.size
    segments = np.empty((1, 4), dtype=np.int64)
    segments[0, 0], segments[0, 1], segments[0, 2], segments[0, 3] = 0, n - 1, 0, n - 1
    while segments.shape[0] < num_segments and segments.shape[0] < n:
        segments = _split_level(grid, w, new_v, policy, segments)
    _finish_segments(grid, w, new_v, policy, segments, threads)


@njit
def _iterate_monotone(grid, beta, v, num_iter, num_segments, threads):
    n = grid.size
    policy = np.zeros(n, dtype=np.int64)
    out, spare = np.empty(n), np.empty(n)
    current = v
    for k in range(num_iter):
        new_v = buffer_for_step(out, spare, k)
        _step_monotone(grid, beta * current, new_v, policy, num_segments, threads)
        current = new_v
    return result_in_out(out, spare, num_iter, v), policy


def iterate_monotone(grid, beta, v, num_iter):
    """Divide and conquer on the monotone policy, independent halves in parallel.

    .. math:: j^*(i) = \\min \\operatorname{argmax}_{j \\le i} \\sqrt{x_i - x_j}
              + \\beta v_k(x_j), \\quad i < i' \\Rightarrow j^*(i) \\le j^*(i')

    O(n log n) work per step, O(n) of it serial (the first split); identical to
    ``numba-monotone``. Parameters and returns as :func:`iterate_brute`.
    """
    return _iterate_monotone(grid, beta, v, num_iter, SEGMENTS, numba.get_num_threads())
