"""Cake-eating kernels compiled with Numba (``njit``); the whole iteration runs compiled."""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=False)
def _iterate_masked(grid, beta, v, num_iter):
    n = grid.size
    policy = np.zeros(n, dtype=np.int64)
    for _ in range(num_iter):
        new_v = np.zeros_like(v)
        for i in range(n):
            mask = grid <= grid[i]
            candidates = np.sqrt(grid[i] - grid[mask]) + beta * v[mask]
            policy[i] = np.argmax(candidates)
            new_v[i] = candidates[policy[i]]
        v = new_v
    return v, policy


@numba.njit(cache=False)
def _iterate_loops(grid, beta, v, num_iter):
    n = grid.size
    policy = np.zeros(n, dtype=np.int64)
    current = v.copy()
    new_v = np.empty(n)
    for _ in range(num_iter):
        for i in range(n):
            x = grid[i]
            best = -np.inf
            best_j = 0
            for j in range(i + 1):
                candidate = np.sqrt(x - grid[j]) + beta * current[j]
                if candidate > best:
                    best = candidate
                    best_j = j
            new_v[i] = best
            policy[i] = best_j
        current, new_v = new_v, current
    return current, policy


def iterate_masked(grid, beta, v, num_iter):
    """The notebook's Numba formulation: a boolean mask per state, under ``njit``."""
    return _iterate_masked(grid, beta, v, num_iter)


def iterate_loops(grid, beta, v, num_iter):
    """Explicit triangular loops under ``njit``: no temporaries inside a step."""
    return _iterate_loops(grid, beta, v, num_iter)
