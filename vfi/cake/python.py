"""Cake-eating kernels in pure Python: the readable reference, and the slowest row."""
from __future__ import annotations

import math

import numpy as np


def iterate_loops(grid: np.ndarray, beta: float, v: np.ndarray, num_iter: int):
    """``num_iter`` Bellman steps as a double loop over states and feasible choices.

    Returns the value after the last step and that step's policy (first maximum).
    """
    xs = grid.tolist()
    values = v.tolist()
    policy = [0] * len(xs)
    for _ in range(num_iter):
        new_values = [0.0] * len(xs)
        for i, x in enumerate(xs):
            best, best_j = -math.inf, 0
            for j in range(i + 1):  # x_j <= x_i exactly for j <= i on an increasing grid
                candidate = math.sqrt(x - xs[j]) + beta * values[j]
                if candidate > best:
                    best, best_j = candidate, j
            new_values[i], policy[i] = best, best_j
        values = new_values
    return np.array(values, dtype=np.float64), np.array(policy, dtype=np.int64)
