"""The uniform-grid and utility-table rule of cake eating's fast paths, in one place and
without Numba, for the Numba kernels (:mod:`vfi.cake.numba`, :mod:`vfi.cake.maxplus`)
and the JAX one (:mod:`vfi.cake.jax_maxplus`) to import.

On a uniform grid (spacings within :data:`UNIFORM_RTOL` of the mean) the objective
:math:`\\sqrt{x_i - x_j} + \\beta v_j` is concave in the choice wherever v is, and T maps
concave v to concave Tv. Where the grid is also uniform to rounding, so that the table
:math:`u_k = \\sqrt{x_k - x_0}` is within :data:`TABLE_RTOL` of the utility scale of every
:math:`\\sqrt{x_i - x_j}` (:func:`table_error`), the kernels read the table instead of
taking roots, and the max-plus merge applies. The compiled kernels run the same
operations in one loop (``vfi.cake.numba.grid_rule_pass``); ``tests/test_maxplus.py``
checks that it gives these functions' numbers.
"""
from __future__ import annotations

import numpy as np

__all__ = ["UNIFORM_RTOL", "TABLE_RTOL", "ROUNDING_SLACK", "EPS", "is_uniform",
           "table_error", "table_limit", "within_table_rule", "is_concave"]

EPS = float(np.finfo(np.float64).eps)

#: A grid is uniform when every spacing is within this relative distance of the mean one.
UNIFORM_RTOL = 1e-9

#: The utility table guides the search only where it is within this (relative to the
#: utility scale) of every sqrt(x_i - x_j): a linspace of 10^6 points passes (about 5e-13);
#: a choice can then differ from the brute force's only between candidates that close.
TABLE_RTOL = 1e-12

#: Rounding slack, in units of max|v|, of the concavity check of v0 and of a guess's margin.
ROUNDING_SLACK = 64 * EPS


def is_uniform(grid: np.ndarray, rtol: float = UNIFORM_RTOL) -> bool:
    """True when the grid is evenly spaced to ``rtol`` (a linspace passes; one point does too)."""
    if grid.size < 3:
        return True
    mean = (grid[-1] - grid[0]) / (grid.size - 1)
    return bool(np.all(np.abs(np.diff(grid) - mean) <= rtol * mean))


def table_error(grid: np.ndarray) -> float:
    """A bound on |u[i - j] - sqrt(x_i - x_j)| over feasible j < i (0 when j = i).

    With D = max_k |(x_k - x_0) - k h| (h the mean spacing), the two differences under
    the roots are within 2 D + 2 eps max|x| of each other, and both are >= the smallest
    spacing, so the roots are within that over 2 sqrt(min spacing).
    """
    n = grid.size
    if n < 2:
        return 0.0
    h = (grid[-1] - grid[0]) / (n - 1)
    deviation = np.max(np.abs((grid[1:] - grid[0]) - np.arange(1, n) * h))
    smallest = np.min(np.diff(grid))
    slack = 2.0 * deviation + 2.0 * EPS * max(abs(grid[0]), abs(grid[-1]))
    return float(slack / (2.0 * np.sqrt(smallest)))


def table_limit(grid: np.ndarray) -> float:
    """The largest :func:`table_error` the rule allows: TABLE_RTOL of the utility scale."""
    return TABLE_RTOL * max(1.0, float(np.sqrt(grid[-1] - grid[0])))


def within_table_rule(grid: np.ndarray) -> bool:
    """Uniform to :data:`UNIFORM_RTOL` and the table within :func:`table_limit`."""
    return is_uniform(grid) and table_error(grid) <= table_limit(grid)


def is_concave(grid: np.ndarray, w: np.ndarray, tol: float) -> bool:
    """``vfi.family.numba.is_concave`` in NumPy: no slope rises by more than ``tol``."""
    if grid.size < 3:
        return True
    h = np.diff(grid)
    dw = np.diff(w)
    return not bool(np.any(dw[1:] * h[:-1] - dw[:-1] * h[1:] > tol * (h[:-1] + h[1:])))
