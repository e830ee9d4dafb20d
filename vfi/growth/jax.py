"""Growth-model kernel in JAX, traced and run in float64 (``jax.enable_x64``).

``jax-vmap``: the brute-force step vmapped over productivity states and capital, the
steps inside one ``jit`` as a ``lax.fori_loop``. Capital rows go through ``lax.map`` in
batches, so XLA holds O(batch x m x n) candidates, never the full (n, m, n) array.
Infeasible choices (k_j >= y) are -inf, the policy is the first maximiser.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from vfi.compile_cache import configure_jax

configure_jax()

#: Candidates (row x state x choice) held per batch of capital rows.
BATCH_ELEMENTS = 1 << 21


def _best_choice(grid, y, w, omb):
    """Value and first maximiser over feasible choices for one state (y, w = w[:, s])."""
    feasible = grid < y
    candidates = jnp.where(feasible, omb * jnp.log(jnp.where(feasible, y - grid, 1.0)) + w,
                           -jnp.inf)
    best = jnp.argmax(candidates)
    return candidates[best], best


def _step(grid, output, P, beta, v, batch):
    w_by_state = (beta * (v @ P.T)).T                                # (m, n)
    omb = 1.0 - beta

    def row(y_row):  # one capital level, vmapped over productivity
        return jax.vmap(lambda y, w: _best_choice(grid, y, w, omb))(y_row, w_by_state)

    return lax.map(row, output, batch_size=batch)


@functools.partial(jax.jit, static_argnames=("batch",))
def _iterate(grid, output, P, beta, v, num_iter, batch):
    policy = jnp.zeros(v.shape, dtype=jnp.int64)

    def body(_, carry):
        return _step(grid, output, P, beta, carry[0], batch)

    return lax.fori_loop(0, num_iter, body, (v, policy))


def iterate_vmap(grid, output, P, beta, v, num_iter):
    """``num_iter`` brute-force steps, vmapped over states, in one ``jit``.

    .. math:: V'(k_i, z_s) = \\max_{k_j < y_{is}} (1-\\beta)\\log(y_{is} - k_j) + w_{js},
              \\quad w = \\beta V P^\\top
    """
    n, m = v.shape
    batch = int(max(1, min(n, BATCH_ELEMENTS // (n * m))))
    with jax.enable_x64(True):
        grid_d, output_d, P_d, v_d = jax.device_put((grid, output, P, v))
        value, policy = _iterate(grid_d, output_d, P_d, jnp.float64(beta), v_d, num_iter, batch)
        value, policy = jax.block_until_ready((value, policy))
        return np.asarray(value, dtype=np.float64), np.asarray(policy, dtype=np.int64)
