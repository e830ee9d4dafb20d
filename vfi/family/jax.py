"""The family's kernel in JAX, traced and run in float64 (``jax.enable_x64``).

``jax-blocked``: the brute-force step vmapped over exogenous states within a row, and
``lax.map`` over the rows in batches, so XLA holds O(batch x m x n) candidates, never
the full (n, m, n) array; the steps run inside one ``jit`` as a ``lax.fori_loop``.
Infeasible choices are -inf, the policy is the first maximiser.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from vfi.compile_cache import configure_jax
from vfi.family.spec import LOG, SQRT

configure_jax()

#: Candidates (row x state x choice) held per batch of rows.
BATCH_ELEMENTS = 1 << 21


def _utility(c, kind, param):
    """:func:`vfi.family.spec.utility` in jnp (``kind`` is static)."""
    if kind == SQRT:
        return jnp.sqrt(c)
    if kind == LOG:
        return param * jnp.log(c)
    return jnp.where(param == 2.0, -1.0 / c, c ** (1.0 - param) / (1.0 - param))


def _best_choice(k, r, w, kind, param):
    """Value and first maximiser over feasible choices for one state (r, w = w[:, s])."""
    ok = k <= r if kind == SQRT else k < r
    candidates = jnp.where(ok, _utility(jnp.where(ok, r - k, 1.0), kind, param) + w, -jnp.inf)
    best = jnp.argmax(candidates)
    return candidates[best], best


def _step(k, resources, P, beta, param, v, kind, batch):
    w_by_state = (beta * (v @ P.T)).T                                # (m, n)

    def row(r_row):  # one row of the choice grid, vmapped over exogenous states
        return jax.vmap(lambda r, w: _best_choice(k, r, w, kind, param))(r_row, w_by_state)

    return lax.map(row, resources, batch_size=batch)


@functools.partial(jax.jit, static_argnames=("kind", "batch"))
def _iterate(k, resources, P, beta, param, v, num_iter, kind, batch):
    policy = jnp.zeros(v.shape, dtype=jnp.int64)

    def body(_, carry):
        return _step(k, resources, P, beta, param, carry[0], kind, batch)

    return lax.fori_loop(0, num_iter, body, (v, policy))


def iterate_blocked(spec, v, num_iter):
    """``num_iter`` brute-force steps, rows in ``lax.map`` batches, in one ``jit``.

    .. math:: V'(i, s) = \\max_{j \\text{ feasible}} u(r_{is} - k_j) + w_{js},
              \\quad w = \\beta V P^\\top
    """
    n, m = v.shape
    batch = int(max(1, min(n, BATCH_ELEMENTS // (n * m))))
    with jax.enable_x64(True):
        arrays = jax.device_put((spec.choices, spec.resources, spec.P, v))
        k, resources, P, v_d = arrays
        value, policy = _iterate(k, resources, P, jnp.float64(spec.beta),
                                 jnp.float64(spec.param), v_d, num_iter, int(spec.kind), batch)
        value, policy = jax.block_until_ready((value, policy))
        return np.asarray(value, dtype=np.float64), np.asarray(policy, dtype=np.int64)
