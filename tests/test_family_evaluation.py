"""The family's policy evaluation by BiCGSTAB (``vfi.family.numba._evaluate_krylov``, what
``vfi.family.policy.evaluate(..., sweeps=None)`` and Howard run): within the stated
sup-norm tolerance of v_sigma, checked against a dense linear solve of
(I - beta P_sigma) v = r_sigma on random models, random feasible monotone policies and
random starts; the start is never modified."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from savings_strategies import models

import vfi.savings as savings
from vfi.family import policy as family_policy
from vfi.family.spec import utility

pytestmark = pytest.mark.skipif("numba-brute" not in savings.variants(),
                                reason="the BiCGSTAB evaluation is a numba kernel")


def dense_value(model, policy):
    """v_sigma by numpy.linalg.solve on the assembled (n m) x (n m) system."""
    spec = model.spec
    n, m = model.shape
    size = n * m
    A = np.eye(size)
    reward = np.empty(size)
    for i in range(n):
        for s in range(m):
            row = i * m + s
            j = policy[i, s]
            reward[row] = utility(spec.resources[i, s] - spec.choices[j], spec.kind, spec.param)
            A[row, j * m:(j + 1) * m] -= spec.beta * spec.P[s]
    return np.linalg.solve(A, reward).reshape(n, m)


@st.composite
def policies(draw, model):
    """A feasible policy: each state's choice drawn among its feasible ones."""
    spec = model.spec
    n, m = model.shape
    policy = np.zeros((n, m), dtype=np.int64)
    for i in range(n):
        for s in range(m):
            feasible = int(np.sum(spec.resources[i, s] - spec.choices > 0.0))
            policy[i, s] = draw(st.integers(0, max(feasible - 1, 0)))
    return policy


@given(data=st.data())
def test_krylov_evaluation_is_within_tol_of_the_policy_value(data):
    model = data.draw(models(sizes=st.integers(2, 40)), label="model")
    policy = data.draw(policies(model), label="policy")
    exact = dense_value(model, policy)
    scale = max(1.0, float(np.max(np.abs(exact))))
    tol = data.draw(st.sampled_from([1e-4, 1e-8, 1e-10]), label="relative tol") * scale
    v = exact + np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).normal(
        scale=data.draw(st.sampled_from([1e-6, 1.0])) * scale, size=model.shape)
    keep = v.copy()
    value = family_policy.evaluate(model, policy, v, None, tol)
    np.testing.assert_array_equal(v, keep)
    # the dense solve itself carries rounding of about cond * eps * scale
    slack = 1e3 * np.finfo(np.float64).eps * scale / (1.0 - model.beta)
    assert np.max(np.abs(value - exact)) <= tol + slack


def test_krylov_evaluation_of_the_calibration_needs_far_fewer_products_than_sweeps():
    """On 12 income states (|lambda_2| of the optimal chain 0.96) to 1e-9: the answer of
    BiCGSTAB within 200 products, sweeps with the MacQueen-Porteus midpoint not yet."""
    from vfi.family import numba as family_numba

    model = savings.quantecon(w_max=10, y_size=12)
    result = savings.solve(model, tol=1e-8)
    exact = dense_value(model, result.policy)
    start = result.value + 1e-2 * np.random.default_rng(0).normal(size=model.shape)
    krylov = family_numba._evaluate_krylov(*model.spec, result.policy, start, 1e-9, 200)
    sweeps = family_numba._evaluate(*model.spec, result.policy, start, -1, 1e-9, 200)  # midpoint
    assert np.max(np.abs(krylov - exact)) <= 1e-9
    assert np.max(np.abs(sweeps - exact)) > 1e-9
