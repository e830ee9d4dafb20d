r"""QuantEcon's optimal savings (income fluctuation) problem on a grid.

A household with wealth :math:`w_i` (a grid point) and income :math:`y_s` (a Markov
chain with transition matrix :math:`P`) chooses next period's wealth on the grid:

.. math::

    V(w_i, y_s) = \max_{j \,:\, c > 0} \frac{c^{1-\gamma}}{1-\gamma}
                  + \beta \sum_t P_{st} V(w_j, y_t), \qquad c = R w_i + y_s - w_j ,

the discrete household problem of QuantEcon's JAX lectures "Optimal Savings I/II" and
"IFP", with :math:`y = \exp(\cdot)` of a Tauchen-discretised AR(1) in logs. It is a member
of the savings family (:mod:`vfi.family`) with resources :math:`r = R w + y` and CRRA
utility (:math:`\log c` when :math:`\gamma = 1`).
"""
from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from vfi.family.spec import (
    CRRA,
    LOG,
    FamilySpec,
    GridModel,
    as_positive_levels,
    as_transition,
    read_only,
)
from vfi.validation import as_count, as_grid, as_positive, as_unit_interval, plain

__all__ = ["OptimalSavings", "quantecon"]


def _as_real(name: str, value: object) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


@dataclass(frozen=True, eq=False)
class OptimalSavings(GridModel):
    """Validated, read-only copies of the household's problem.

    Parameters, in the members' order (grid, the exogenous process, the parameters)
    ----------
    grid : array_like
        Wealth grid: 1-D, finite, non-negative, strictly increasing.
    y : array_like
        Income levels: 1-D, finite, positive.
    P : array_like
        Income transition matrix, shape (len(y), len(y)), non-negative, rows summing to 1.
    R : float
        Gross interest rate, positive and finite.
    beta : float
        Discount factor in (0, 1).
    gamma : float
        Relative risk aversion, positive and finite (1 is log utility).

    Raises
    ------
    TypeError, ValueError
        Naming the parameter and the rule it breaks; also when some state cannot afford
        the smallest wealth with positive consumption (``R grid[0] + min(y) > grid[0]``).

    Examples
    --------
    >>> import numpy as np, vfi.savings
    >>> model = vfi.savings.OptimalSavings(np.linspace(0.01, 5, 50), [0.5, 1.5],
    ...     [[0.9, 0.1], [0.1, 0.9]], R=1.01, beta=0.96, gamma=2.0)
    >>> vfi.savings.solve(model).policy.shape
    (50, 2)
    """

    grid: np.ndarray
    y: np.ndarray
    P: np.ndarray
    R: float
    beta: float
    gamma: float
    resources: np.ndarray = field(init=False, repr=False)

    def __init__(self, grid, y, P, R, beta, gamma):
        R = as_positive("R", R)
        beta = as_unit_interval("beta", beta)
        gamma = as_positive("gamma", gamma)
        grid = as_grid("grid", grid)
        y = as_positive_levels("y", y)
        P = as_transition("P", P, y.size, states="y")
        resources = read_only(R * grid[:, None] + y[None, :])
        if not np.all(resources[0] > grid[0]):
            raise ValueError("grid, R and y must leave every state a feasible choice: "
                             f"R * grid[0] + min(y) > grid[0], got "
                             f"{plain(resources[0].min())} <= {plain(grid[0])}")
        self._freeze(R=R, beta=beta, gamma=gamma, grid=grid, y=y, P=P, resources=resources)

    @property
    def spec(self) -> FamilySpec:
        """The family's arrays: resources R w + y, CRRA utility (log at gamma = 1), c > 0."""
        if self.gamma == 1.0:
            return FamilySpec(self.grid, self.resources, self.P, self.beta, LOG, 1.0)
        return FamilySpec(self.grid, self.resources, self.P, self.beta, CRRA, self.gamma)

    def with_grid(self, grid) -> OptimalSavings:
        """The same household on another wealth grid."""
        return OptimalSavings(grid, self.y, self.P, self.R, self.beta, self.gamma)


def _tauchen(y_size: int, rho: float, nu: float):
    try:
        import quantecon as qe
    except ImportError as exc:
        raise ImportError("vfi.savings.quantecon needs the optional package quantecon for "
                          "its Tauchen routine (pip install 'vfi[quantecon]'); "
                          f"importing it failed: {exc}") from exc
    chain = qe.tauchen(y_size, rho, nu)
    return np.exp(chain.state_values), chain.P


@functools.lru_cache(maxsize=8)
def _quantecon(w_max, w_size, y_size, R, beta, gamma, rho, nu) -> OptimalSavings:
    y, P = _tauchen(y_size, rho, nu)
    return OptimalSavings(np.linspace(0.01, w_max, w_size), y, P, R, beta, gamma)


def quantecon(w_max=5.0, w_size=150, y_size=100, R=1.01, beta=0.98, gamma=2.0, rho=0.9,
              nu=0.1) -> OptimalSavings:
    r"""The QuantEcon lectures' calibration: w in linspace(0.01, w_max, w_size), and
    :math:`\log y` an AR(1), :math:`\log y' = \rho \log y + \nu \varepsilon`, discretised
    by ``quantecon.tauchen`` on ``y_size`` states.

    The lectures use (w_max, y_size) = (5, 100) and (10, 12), with the defaults otherwise.

    Raises
    ------
    ImportError
        quantecon is not installed (it is an optional dependency), saying so.
    """
    w_max = as_positive("w_max", w_max)
    if not w_max > 0.01:
        raise ValueError(f"w_max must be above the grid's lower end 0.01, got {w_max!r}")
    R, beta = as_positive("R", R), as_unit_interval("beta", beta)
    gamma = as_positive("gamma", gamma)
    w_size = as_count("w_size", w_size, minimum=2)
    y_size = as_count("y_size", y_size, minimum=1)
    rho = _as_real("rho", rho)
    if not (math.isfinite(rho) and abs(rho) < 1.0):
        raise ValueError(f"rho must be in the open interval (-1, 1), got {rho!r}")
    nu = as_positive("nu", nu)
    return _quantecon(w_max, w_size, y_size, R, beta, gamma, rho, nu)
