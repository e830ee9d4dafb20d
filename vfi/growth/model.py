r"""The stochastic growth model of Aruoba and Fernández-Villaverde (JEDC 2015) on a grid.

Capital :math:`k_0 < \dots < k_{n-1}` (choices are grid points), productivity
:math:`z_0, \dots, z_{m-1}` with transition matrix :math:`P`, output :math:`y = z k^\alpha`:

.. math::

    (T V)(k_i, z_s) = \max_{j \,:\, k_j < z_s k_i^\alpha} (1-\beta) \log(z_s k_i^\alpha - k_j)
                      + \beta \sum_t P_{st} V(k_j, z_t) .

The policy :math:`\sigma(i, s)` is the smallest maximising :math:`j`. :math:`T` is monotone,
a :math:`\beta`-contraction in the sup norm and shifts constants by :math:`\beta`. Since
:math:`\log(y - k')` has increasing differences in :math:`(y, k')`, :math:`\sigma` is
non-decreasing in :math:`k` for any :math:`V`.

With continuous choices (full depreciation, log utility) the solution is known:

.. math::

    k' = \alpha\beta z k^\alpha, \qquad V(k, z) = (1-\beta)\,(B \log k + E(z)),
    \qquad B = \frac{\alpha}{1 - \alpha\beta}, \qquad E = (I - \beta P)^{-1} c,

    c(z) = \log(1 - \alpha\beta) + \beta B \log(\alpha\beta) + \frac{\log z}{1 - \alpha\beta}.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from vfi.family.spec import LOG, FamilySpec, GridModel, as_positive_levels, as_transition, read_only
from vfi.validation import as_grid, as_unit_interval, plain

#: The member's registry key (its variants' ``problem``).
PROBLEM = "growth"

__all__ = ["PROBLEM", "StochasticGrowth", "afv2015", "closed_form", "AFV_Z", "AFV_PAPER_P", "AFV_N",
           "afv_grid", "afv_transition"]

#: The paper's productivity levels and transition matrix (Tauchen, 5 states), as printed.
#: Its middle row sums to 1.0001, so :func:`afv2015` divides each row by its sum; with the
#: printed matrix the paper's check value is 0.1465491, with the stochastic one 0.1465391
#: (one grid step lower), in the same 257 iterations.
AFV_Z = (0.9792, 0.9896, 1.0000, 1.0106, 1.0212)
AFV_PAPER_P = ((0.9727, 0.0273, 0.0, 0.0, 0.0),
         (0.0041, 0.9806, 0.0153, 0.0, 0.0),
         (0.0, 0.0082, 0.9837, 0.0082, 0.0),
         (0.0, 0.0, 0.0153, 0.9806, 0.0041),
         (0.0, 0.0, 0.0, 0.0273, 0.9727))
AFV_ALPHA, AFV_BETA, AFV_N, AFV_STEP = 1.0 / 3.0, 0.95, 17820, 1e-5


def afv_transition() -> np.ndarray:
    """The paper's P with each row divided by its sum (only the middle row changes)."""
    P = np.array(AFV_PAPER_P)
    return P / P.sum(axis=1, keepdims=True)

def _check_feasible(grid: np.ndarray, z: np.ndarray, alpha: float) -> None:
    if not grid[0] < z.min() * grid[0] ** alpha:
        raise ValueError("grid and z must leave every state a feasible choice: grid[0] < "
                         f"min(z) * grid[0]**alpha, got {plain(grid[0])} >= "
                         f"{plain(z.min() * grid[0] ** alpha)}")


@dataclass(frozen=True, eq=False)
class StochasticGrowth(GridModel):
    """Validated, read-only copies of the model's inputs.

    Parameters
    ----------
    grid : array_like
        Capital grid: 1-D, finite, positive, strictly increasing.
    z : array_like
        Productivity levels: 1-D, finite, positive.
    P : array_like
        Transition matrix, shape (len(z), len(z)), non-negative, rows summing to 1.
    alpha : float
        Capital share in (0, 1).
    beta : float
        Discount factor in (0, 1).

    Raises
    ------
    TypeError, ValueError
        Naming the parameter and the rule it breaks; also when some state has no
        feasible choice (``grid[0] >= min(z) * grid[0]**alpha``).
    """

    grid: np.ndarray
    z: np.ndarray
    P: np.ndarray
    alpha: float
    beta: float
    output: np.ndarray = field(init=False, repr=False)

    def __init__(self, grid, z, P, alpha, beta):
        grid = as_grid("grid", grid, positive=True)
        z = as_positive_levels("z", z)
        P = as_transition("P", P, z.size, states="z")
        alpha = as_unit_interval("alpha", alpha)
        beta = as_unit_interval("beta", beta)
        _check_feasible(grid, z, alpha)
        output = read_only(grid[:, None] ** alpha * z[None, :])
        self._freeze(grid=grid, z=z, P=P, alpha=alpha, beta=beta, output=output)

    @property
    def spec(self) -> FamilySpec:
        """The family's arrays: resources z k^alpha, utility (1 - beta) log, c > 0."""
        return FamilySpec(self.grid, self.output, self.P, self.beta, LOG, 1.0 - self.beta)

    def with_grid(self, grid) -> StochasticGrowth:
        """The same model on another capital grid."""
        return StochasticGrowth(grid, self.z, self.P, self.alpha, self.beta)

    def closed_form(self) -> tuple[np.ndarray, np.ndarray]:
        """``(value, next_capital)`` of the continuous-choice problem on the grid."""
        return closed_form(self)


def afv_grid(n_capital: int = AFV_N) -> np.ndarray:
    """The paper's grid ``0.5 kss + 1e-5 i`` (n = 17820), or n evenly spaced points on it."""
    kss = (AFV_ALPHA * AFV_BETA) ** (1.0 / (1.0 - AFV_ALPHA))
    if n_capital == AFV_N:
        return 0.5 * kss + AFV_STEP * np.arange(AFV_N)
    return np.linspace(0.5 * kss, 0.5 * kss + AFV_STEP * (AFV_N - 1), n_capital)


@functools.lru_cache(maxsize=8)
def _afv2015(n_capital: int) -> StochasticGrowth:
    return StochasticGrowth(afv_grid(n_capital), AFV_Z, afv_transition(), AFV_ALPHA,
                            AFV_BETA)


def afv2015(n_capital: int = AFV_N) -> StochasticGrowth:
    """The paper's calibration: alpha = 1/3, beta = 0.95, 5 productivity states.

    The transition matrix is the paper's with its middle row (summing to 1.0001)
    divided by its sum, so that P is stochastic (see :data:`AFV_PAPER_P`).

    Parameters
    ----------
    n_capital : int
        17820 (default) gives the paper's grid exactly, ``0.5 kss + 1e-5 i``; any other
        count (>= 2) spans the same interval evenly.
    """
    from vfi.validation import as_count

    return _afv2015(as_count("n_capital", n_capital, minimum=2))


def closed_form(model: StochasticGrowth) -> tuple[np.ndarray, np.ndarray]:
    """The continuous-choice solution on the model's grid, each of shape (n, m).

    Returns
    -------
    value : ndarray
        :math:`(1-\\beta)(B \\log k + E(z))`.
    next_capital : ndarray
        :math:`\\alpha\\beta z k^\\alpha` (a capital level, not a grid index).
    """
    a, b = model.alpha, model.beta
    B = a / (1.0 - a * b)
    c = np.log(1.0 - a * b) + b * B * np.log(a * b) + np.log(model.z) / (1.0 - a * b)
    E = np.linalg.solve(np.eye(model.m) - b * model.P, c)
    value = (1.0 - b) * (B * np.log(model.grid)[:, None] + E[None, :])
    return value, a * b * model.output
