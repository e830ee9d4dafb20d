r"""K cake-eating Bellman steps as one max-plus merge, in JAX (float64): a top-k and a sum.

The algebra is that of :mod:`vfi.cake.maxplus`: on a uniform grid, from a concave v0,

.. math::

    (T^K v_0)_i = \beta^K v_{0,0} + (\text{the sum of the } i \text{ largest of }
    \{\beta^m \Delta S_k\}_{m < K} \cup \{\beta^K \Delta v_{0,k}\}),
    \qquad S_k = \sqrt{x_k - x_0},

and the last step's first maximiser is i minus the number of m = 0 increments among those
i. Here the merge is a selection: all the increments are formed, ``lax.top_k`` takes the
n - 1 largest (equal ones in order of position: m = 0 first, the v0 stream last, so ties
go to the first maximiser), and cumulative sums give the values and the policy.

Only sequences that can reach the first n - 1 are formed: the m = 0 sequence alone has
n - 1 increments >= min dS, so a sequence with :math:`\beta^m \max \Delta S < \min
\Delta S` has none among them (nor has any later one). The rest is
:math:`(M + 1)(n - 1)` increments, with :math:`M \approx \log(\min \Delta S / \max
\Delta S) / \log\beta` (149 for ``linspace(0.1, 1, n = 10**6)`` at beta = 0.95); over
``MAX_ELEMENTS`` it falls back, as it does where the grid or v0 do not qualify.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from vfi.cake.grid_rule import (  # the rule, written once (re-exported: tests read them)
    ROUNDING_SLACK,
    TABLE_RTOL,  # noqa: F401
    UNIFORM_RTOL,  # noqa: F401
    is_concave,
    is_uniform,
    table_error,
    table_limit,
)
from vfi.compile_cache import configure_jax

configure_jax()

try:  # the fastest exact fallback
    from vfi.cake.numba import iterate_concave as _fallback
except ImportError:  # no numba: a NumPy fallback
    from vfi.cake.numpy import iterate_broadcast as _fallback

#: At most this many increments are formed (512 MiB of float64 with the top-k's copies).
MAX_ELEMENTS = 1 << 26


def applies(grid: np.ndarray, beta: float, v: np.ndarray) -> bool:
    """The rule of :func:`vfi.cake.maxplus.iterate_maxplus`: the utility table's grid rule
    and v concave up to ``ROUNDING_SLACK`` (as ``iterate_concave`` checks it)."""
    if not is_uniform(grid) or table_error(grid) > table_limit(grid):
        return False
    scale = np.max(np.abs(v)) + np.sqrt(grid[-1] - grid[0]) / (1.0 - beta)
    return is_concave(grid, v, 0.5 * ROUNDING_SLACK * max(1.0, scale))


def sequences(d: np.ndarray, beta: float, num_iter: int) -> np.ndarray:
    """beta^m for the m < num_iter whose sequence beta^m d can reach the first n - 1
    increments (fl(beta^m) max d >= min d; beta^m forced non-increasing)."""
    big, small = float(d.max()), float(d.min())
    count = num_iter
    if small > 0.0:
        # beta^m max d < min d from m = log(min/max) / log(beta) on: a few more, then test
        count = min(count, int(np.log(small / big) / np.log(beta)) + 4)
    if (count + 1) * d.size > MAX_ELEMENTS:
        return np.empty(0)  # too many: the caller falls back
    pw = np.minimum.accumulate(np.power(beta, np.arange(count, dtype=np.float64)))
    return pw[pw * big >= small]


@functools.partial(jax.jit, static_argnames=("count",))
def _merge(d, pw, e, start, count):
    """The count largest of pw[m] d (m-major) and e, in order, summed and counted."""
    increments = jnp.concatenate([(pw[:, None] * d[None, :]).reshape(-1), e])
    top, where = lax.top_k(increments, count)
    first = jnp.zeros(1, dtype=top.dtype)
    value = start + jnp.concatenate([first, jnp.cumsum(top)])
    from_s = (where < d.size).astype(jnp.int64)  # m = 0: the first block
    taken = jnp.concatenate([jnp.zeros(1, dtype=jnp.int64), jnp.cumsum(from_s)])
    return value, jnp.arange(count + 1, dtype=jnp.int64) - taken


def iterate_maxplus(grid, beta, v, num_iter):
    r"""K Bellman steps of cake eating as one selection of increments, in JAX (float64).

    .. math::

        (T^K v_0)_i = \beta^K v_{0,0} + \sum_{\ell \le i} x_{(\ell)}, \qquad
        x_{(1)} \ge x_{(2)} \ge \dots \text{ the increments }
        \beta^m \Delta S_k \;(m < K),\; \beta^K \Delta v_{0,k}

    The max-plus form of :func:`vfi.cake.maxplus.iterate_maxplus`, with the merge done as
    ``lax.top_k`` over the increments of the sequences that can reach the first n - 1
    (equal increments in order m = 0 first, so the policy is the first maximiser:
    i minus the number of m = 0 increments among the first i).

    It applies where :func:`vfi.cake.maxplus.iterate_maxplus` does (uniform grid to the
    utility-table rule, v0 concave up to rounding; checked on the host) and where at most
    ``MAX_ELEMENTS`` increments are needed. Elsewhere it falls back to
    :func:`vfi.cake.numba.iterate_concave` (:func:`vfi.cake.numpy.iterate_broadcast`
    without numba).

    Parameters and returns as :func:`vfi.cake.maxplus.iterate_maxplus`.
    """
    grid = np.asarray(grid, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    n = grid.size
    if num_iter == 0:
        return v.copy(), np.zeros(n, dtype=np.int64)
    if not applies(grid, beta, v):
        return _fallback(grid, beta, v, num_iter)
    scale_v = beta ** float(num_iter)
    start = scale_v * v[0]
    if n == 1:
        return np.array([start]), np.zeros(1, dtype=np.int64)
    d = np.diff(np.sqrt(grid - grid[0]))
    pw = sequences(d, beta, num_iter)
    if pw.size == 0:
        return _fallback(grid, beta, v, num_iter)
    with jax.enable_x64(True):
        value, policy = _merge(d, pw, scale_v * np.diff(v), np.float64(start), count=n - 1)
        value, policy = jax.block_until_ready((value, policy))
        return np.asarray(value, dtype=np.float64), np.asarray(policy, dtype=np.int64)
