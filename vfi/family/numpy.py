"""The family's kernel in NumPy: the (state, choice) objective broadcast in row blocks."""
from __future__ import annotations

import numpy as np

from vfi.family.spec import SQRT, feasible, utility

#: Elements of the (choice grid, state, choice) block held at once (8 MiB of float64).
BLOCK_ELEMENTS = 1 << 20


def expect(P: np.ndarray, beta: float, v: np.ndarray) -> np.ndarray:
    """w[j, s] = beta * sum_t P[s, t] v[j, t]: the discounted expected continuation."""
    return beta * (v @ P.T)


def _blocked_step(spec, w, rows, new_v, policy):
    k, resources, kind, param = spec.choices, spec.resources, spec.kind, spec.param
    for start in range(0, k.size, rows):
        r = resources[start:start + rows]                            # (rows, m)
        side = "right" if kind == SQRT else "left"                   # c >= 0 or c > 0
        cols = int(np.searchsorted(k, r.max(), side=side))           # feasible for some row
        c = r[:, :, None] - k[None, None, :cols]                     # (rows, m, cols)
        ok = feasible(c, kind)
        candidates = utility(np.where(ok, c, 1.0), kind, param) + w[:cols].T[None]
        candidates[~ok] = -np.inf
        best = np.argmax(candidates, axis=2)
        policy[start:start + rows] = best
        new_v[start:start + rows] = np.take_along_axis(candidates, best[:, :, None], 2)[:, :, 0]


def iterate_blocked(spec, v, num_iter, block_elements=BLOCK_ELEMENTS):
    """Each step one broadcast over (choice grid, state, choice), in blocks of rows.

    Infeasible choices are -inf; only choices feasible for some row of the block are
    formed, so memory is O(n m block_rows) with ``block_rows = block_elements // (n m)``.
    """
    n, m = v.shape
    rows = max(1, block_elements // (n * m))
    policy = np.zeros((n, m), dtype=np.int64)
    for _ in range(num_iter):
        new_v = np.empty_like(v)
        _blocked_step(spec, expect(spec.P, spec.beta, v), rows, new_v, policy)
        v = new_v
    return v, policy


def reward(spec, policy):
    """u(r - k_sigma): the period payoff of a policy."""
    return utility(spec.resources - spec.choices[policy], spec.kind, spec.param)


def sweep(r, P, beta, policy, v):
    """T_sigma v: r + beta sum_t P[s, t] v[sigma(i, s), t]."""
    return r + beta * np.einsum("ist,st->is", v[policy], P)
