r"""The value of a fixed cake-eating policy, exactly or by sweeps.

A policy :math:`\sigma` with :math:`\sigma(i) \le i` defines the linear operator
:math:`(T_\sigma v)_i = \sqrt{x_i - x_{\sigma(i)}} + \beta v_{\sigma(i)}`. Its fixed point
is a triangular system: a state that keeps its cake (:math:`\sigma(i) = i`) has value 0,
and every other state's value follows from a smaller one's. Pointer doubling solves it
with whole-array operations in :math:`\lceil \log_2 n \rceil` rounds:

.. math::

    v_i = a_i + b_i v_{p_i} \;\Rightarrow\; (a, b, p) \leftarrow (a + b\, a_p,\; b\, b_p,\; p_p),

starting from :math:`(a, b, p) = (\sqrt{x - x_\sigma}, \beta, \sigma)` and ending when
every :math:`p_i` is a state that keeps its cake, where :math:`v = 0`, so :math:`v = a`.
"""
from __future__ import annotations

import numpy as np


def policy_utility(grid: np.ndarray, policy: np.ndarray) -> np.ndarray:
    return np.sqrt(grid - grid[policy])


def evaluate_exact(grid: np.ndarray, beta: float, policy: np.ndarray) -> np.ndarray:
    """The fixed point of :math:`T_\\sigma`: forward substitution compiled with numba when
    it is installed (O(n)), else pointer doubling in NumPy (O(n log n))."""
    try:
        from vfi.cake.numba import evaluate_policy
    except ImportError:
        return evaluate_doubling(grid, beta, policy)
    return evaluate_policy(grid, beta, policy)


def concave_majorant_or_none(grid: np.ndarray):
    """``vfi.cake.numba.concave_majorant`` where it applies (numba installed and a uniform
    grid, on which the fixed point is concave), else None."""
    try:
        from vfi.cake.numba import concave_majorant, is_uniform
    except ImportError:
        return None
    return concave_majorant if is_uniform(grid) else None


def evaluate_doubling(grid: np.ndarray, beta: float, policy: np.ndarray) -> np.ndarray:
    """The fixed point of :math:`T_\\sigma` by pointer doubling (see the module docstring)."""
    a = policy_utility(grid, policy)
    b = np.full(grid.size, beta)
    p = policy.copy()
    while True:
        a_next = a + b * a[p]
        pointer_next = p[p]
        if np.array_equal(pointer_next, p):
            return a
        a, b, p = a_next, b * b[p], pointer_next


def evaluate_sweeps(grid: np.ndarray, beta: float, policy: np.ndarray, v: np.ndarray,
                    sweeps: int) -> np.ndarray:
    """``sweeps`` applications of :math:`T_\\sigma` to ``v``."""
    utility = policy_utility(grid, policy)
    for _ in range(sweeps):
        v = utility + beta * v[policy]
    return v
