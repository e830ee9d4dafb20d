"""Comparison helpers with the tolerances the agreement tests state."""
from __future__ import annotations

import numpy as np

#: Relative agreement of every variant with numpy-masked (float64). Absolute floor scaled
#: by the largest magnitude, since values at x = x_min can be exactly 0.
RTOL = 1e-12


def scale(reference):
    return max(1.0, float(np.max(np.abs(reference))))


def assert_values_agree(value, reference, rtol=RTOL, *, absolute_only=False):
    """|value - reference| <= rtol max(1, max |reference|) (+ rtol |reference| unless
    ``absolute_only``: the growth and savings tests' stricter form)."""
    np.testing.assert_allclose(value, reference, rtol=0.0 if absolute_only else rtol,
                               atol=rtol * scale(reference))


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


def family_objective(model, v, i, s, j):
    """u(r[i, s] - k[j]) + beta sum_t P[s, t] v[j, t] of any member's ``spec``; -inf where
    infeasible (cake eating's v is one column)."""
    from vfi.family.spec import feasible, utility

    spec = model.spec
    c = spec.resources[i, s] - spec.choices[j]
    if not feasible(c, spec.kind):
        return -np.inf
    v = np.asarray(v).reshape(spec.choices.size, -1)
    return float(utility(c, spec.kind, spec.param)) + spec.beta * float(spec.P[s] @ v[j])


def assert_family_policies_agree(policy, reference, model, v_before, rtol=RTOL):
    """Equal policies of any member, except at ties: where they differ, both choices are
    feasible and reach the maximum of :func:`family_objective` within ``rtol`` (relative
    to max |v| and to the maximum)."""
    assert policy.shape == reference.shape == model.shape and policy.dtype == np.int64
    n = model.grid.size
    flat, ref = policy.reshape(n, -1), reference.reshape(n, -1)
    for i, s in zip(*np.nonzero(flat != ref), strict=True):
        best = max(family_objective(model, v_before, i, s, j) for j in range(n))
        tol = 4 * rtol * max(scale(v_before), abs(best))
        for j in (flat[i, s], ref[i, s]):
            assert 0 <= j < n
            value = family_objective(model, v_before, i, s, j)
            assert value >= best - tol, f"state ({i}, {s}): choice {j} is not a maximiser"
