"""Growth-model kernel in pure Python: the readable reference, and the slowest row."""
from __future__ import annotations

import math

import numpy as np


def _expect(P, beta, values):
    """w[j][s] = beta * sum_t P[s][t] values[j][t]."""
    m = len(P)
    return [[beta * sum(P[s][t] * row[t] for t in range(m)) for s in range(m)] for row in values]


def iterate_loops(grid, output, P, beta, v, num_iter):
    """``num_iter`` Bellman steps as loops over states (k_i, z_s) and feasible choices k_j.

    .. math:: V'(k_i, z_s) = \\max_{k_j < y_{is}} (1-\\beta)\\log(y_{is} - k_j)
              + \\beta \\sum_t P_{st} V(k_j, z_t)

    Returns the value after the last step and that step's policy (first maximum).
    """
    ks, ys, Ps = grid.tolist(), output.tolist(), P.tolist()
    values = v.tolist()
    n, m = len(ks), len(Ps)
    policy = [[0] * m for _ in range(n)]
    for _ in range(num_iter):
        w = _expect(Ps, beta, values)
        new_values = [[0.0] * m for _ in range(n)]
        for i in range(n):
            for s in range(m):
                y, best, best_j = ys[i][s], -math.inf, 0
                for j in range(n):
                    if not ks[j] < y:
                        break
                    candidate = (1.0 - beta) * math.log(y - ks[j]) + w[j][s]
                    if candidate > best:
                        best, best_j = candidate, j
                new_values[i][s], policy[i][s] = best, best_j
        values = new_values
    return np.array(values, dtype=np.float64), np.array(policy, dtype=np.int64)
