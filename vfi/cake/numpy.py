"""Cake-eating kernels in NumPy: the notebook's masked step and a blocked broadcast."""
from __future__ import annotations

import numpy as np

#: Elements of the (state, choice) block that one broadcast step holds at once (8 MiB of float64).
BLOCK_ELEMENTS = 1 << 20


def iterate_masked(grid: np.ndarray, beta: float, v: np.ndarray, num_iter: int):
    """The notebook's formulation: one boolean mask and one argmax per state."""
    policy = np.zeros(grid.size, dtype=np.int64)
    for _ in range(num_iter):
        new_v = np.empty_like(v)
        for i, x in enumerate(grid):
            mask = grid <= x
            candidates = np.sqrt(x - grid[mask]) + beta * v[mask]
            policy[i] = np.argmax(candidates)
            new_v[i] = candidates[policy[i]]
        v = new_v
    return v, policy


def _broadcast_step(grid, beta, v, block_rows, new_v, policy):
    for start in range(0, grid.size, block_rows):
        stop = min(start + block_rows, grid.size)
        # Choices beyond the block's last state are infeasible for every row of it.
        gap = grid[start:stop, None] - grid[None, :stop]
        candidates = np.sqrt(np.maximum(gap, 0.0)) + beta * v[None, :stop]
        candidates[gap < 0.0] = -np.inf
        policy[start:stop] = np.argmax(candidates, axis=1)
        new_v[start:stop] = np.take_along_axis(candidates, policy[start:stop, None], 1)[:, 0]


def iterate_broadcast(grid: np.ndarray, beta: float, v: np.ndarray, num_iter: int,
                      block_elements: int = BLOCK_ELEMENTS):
    """A whole Bellman step as one broadcast over (state, choice), in row blocks.

    Infeasible pairs (x_j > x_i) are -inf. Memory is O(n * block_rows), with
    ``block_rows = block_elements // n``: never a full n x n matrix for large n.
    """
    block_rows = max(1, block_elements // grid.size)
    policy = np.zeros(grid.size, dtype=np.int64)
    for _ in range(num_iter):
        new_v = np.empty_like(v)
        _broadcast_step(grid, beta, v, block_rows, new_v, policy)
        v = new_v
    return v, policy
