"""Growth-model kernel in NumPy: the (state, choice) objective broadcast in row blocks."""
from __future__ import annotations

import numpy as np

#: Elements of the (capital, productivity, choice) block held at once (8 MiB of float64).
BLOCK_ELEMENTS = 1 << 20


def expect(P: np.ndarray, beta: float, v: np.ndarray) -> np.ndarray:
    """w[j, s] = beta * sum_t P[s, t] v[j, t]: the discounted expected continuation."""
    return beta * (v @ P.T)


def _blocked_step(grid, output, w, beta, rows, new_v, policy):
    omb = 1.0 - beta
    n = grid.size
    for start in range(0, n, rows):
        y = output[start:start + rows]                           # (rows, m)
        cols = int(np.searchsorted(grid, y.max(), side="left"))  # feasible for some row
        gap = y[:, :, None] - grid[None, None, :cols]            # (rows, m, cols)
        feasible = gap > 0.0
        candidates = omb * np.log(np.where(feasible, gap, 1.0)) + w[:cols].T[None]
        candidates[~feasible] = -np.inf
        best = np.argmax(candidates, axis=2)
        policy[start:start + rows] = best
        new_v[start:start + rows] = np.take_along_axis(candidates, best[:, :, None], 2)[:, :, 0]


def iterate_blocked(grid, output, P, beta, v, num_iter, block_elements=BLOCK_ELEMENTS):
    """Each step one broadcast over (capital, productivity, choice), in blocks of rows.

    Infeasible choices (k_j >= y) are -inf; only choices below the block's largest output
    are formed, so memory is O(n m block_rows) with ``block_rows = block_elements // (n m)``.
    """
    n, m = v.shape
    rows = max(1, block_elements // (n * m))
    policy = np.zeros((n, m), dtype=np.int64)
    for _ in range(num_iter):
        new_v = np.empty_like(v)
        _blocked_step(grid, output, expect(P, beta, v), beta, rows, new_v, policy)
        v = new_v
    return v, policy


def reward(grid, output, beta, policy):
    """(1 - beta) log(y - k_sigma): the period payoff of a policy."""
    return (1.0 - beta) * np.log(output - grid[policy])


def sweep(r, P, beta, policy, v):
    """T_sigma v: r + beta sum_t P[s, t] v[sigma(i, s), t]."""
    return r + beta * np.einsum("ist,st->is", v[policy], P)
