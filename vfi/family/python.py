"""The family's kernel in pure Python: the readable reference, and the slowest row."""
from __future__ import annotations

import math

import numpy as np

from vfi.family.spec import feasible, utility_with

#: :func:`vfi.family.spec.utility` on ``math``'s functions (NumPy's scalar functions cost
#: about 20 times more per call on Python floats).
_utility = utility_with(math.sqrt, math.log)


def _expect(P, beta, values):
    """w[j][s] = beta * sum_t P[s][t] values[j][t]."""
    m = len(P)
    return [[beta * sum(P[s][t] * row[t] for t in range(m)) for s in range(m)] for row in values]


def iterate_loops(spec, v, num_iter):
    """``num_iter`` Bellman steps as loops over states (i, s) and feasible choices j.

    .. math:: V'(i, s) = \\max_{j:\\, r_{is} - k_j \\text{ feasible}} u(r_{is} - k_j)
              + \\beta \\sum_t P_{st} V(j, t)

    Returns the value after the last step and that step's policy (first maximum).
    """
    ks, rs, Ps = spec.choices.tolist(), spec.resources.tolist(), spec.P.tolist()
    kind, param = spec.kind, spec.param
    values = v.tolist()
    n, m = len(ks), len(Ps)
    policy = [[0] * m for _ in range(n)]
    for _ in range(num_iter):
        w = _expect(Ps, spec.beta, values)
        new_values = [[0.0] * m for _ in range(n)]
        for i in range(n):
            for s in range(m):
                r, best, best_j = rs[i][s], -math.inf, 0
                for j in range(n):
                    if not feasible(r - ks[j], kind):
                        break
                    candidate = _utility(r - ks[j], kind, param) + w[j][s]
                    if candidate > best:
                        best, best_j = candidate, j
                new_values[i][s], policy[i][s] = best, best_j
        values = new_values
    return np.array(values, dtype=np.float64), np.array(policy, dtype=np.int64)
