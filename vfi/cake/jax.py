"""Cake-eating kernels in JAX, always traced and run in float64.

Unlike the notebook's version, infeasible choices (x_j > x_i) are masked to -inf
instead of entering at utility ``sqrt(max(x_i - x_j, 0)) = 0``, and the steps run
inside the compiled function (``lax.fori_loop``), not unrolled into the trace.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def _greedy_vmap(grid, beta, v):
    def one_state(x):
        feasible = grid <= x
        candidates = jnp.where(feasible, jnp.sqrt(jnp.where(feasible, x - grid, 0.0)) + beta * v,
                               -jnp.inf)
        best = jnp.argmax(candidates)
        return candidates[best], best

    return jax.vmap(one_state)(grid)


@jax.jit
def _iterate_vmap(grid, beta, v, num_iter):
    def body(_, carry):
        return _greedy_vmap(grid, beta, carry[0])

    policy = jnp.zeros(grid.shape, dtype=jnp.int64)
    return lax.fori_loop(0, num_iter, body, (v, policy))


def iterate_vmap(grid, beta, v, num_iter):
    """vmap over states of a masked max, ``num_iter`` steps in one ``jit`` (n x n working set)."""
    with jax.enable_x64(True):
        value, policy = _iterate_vmap(jnp.asarray(grid), jnp.float64(beta), jnp.asarray(v),
                                      num_iter)
        value, policy = jax.block_until_ready((value, policy))
        return np.asarray(value, dtype=np.float64), np.asarray(policy, dtype=np.int64)
