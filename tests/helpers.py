"""Comparison helpers with the tolerances the agreement tests state."""
from __future__ import annotations

import numpy as np

#: Relative agreement of every variant with numpy-masked (float64). Absolute floor scaled
#: by the largest magnitude, since values at x = x_min can be exactly 0.
RTOL = 1e-12


def scale(reference):
    return max(1.0, float(np.max(np.abs(reference))))


def assert_values_agree(value, reference, rtol=RTOL):
    np.testing.assert_allclose(value, reference, rtol=rtol, atol=rtol * scale(reference))


def objective(grid, beta, v, i, j):
    return np.sqrt(grid[i] - grid[j]) + beta * v[j]


def assert_policies_agree(policy, reference, grid, beta, v_before, rtol=RTOL):
    """Equal policies, except at numerical ties: where they differ, both are feasible and
    reach the maximum of the objective within ``rtol`` (so the choice is a tie)."""
    assert policy.shape == reference.shape and policy.dtype == np.int64
    differ = np.flatnonzero(policy != reference)
    tol = rtol * scale(v_before) * 4
    for i in differ:
        j_a, j_b = policy[i], reference[i]
        assert 0 <= j_a <= i, f"policy[{i}] = {j_a} is infeasible"
        best = max(objective(grid, beta, v_before, i, j) for j in range(i + 1))
        assert objective(grid, beta, v_before, i, j_a) >= best - tol, \
            f"state {i}: policy {j_a} is not a maximiser (reference {j_b})"
