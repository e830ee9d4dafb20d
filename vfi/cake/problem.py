r"""The cake-eating problem on a grid.

The Bellman operator on a strictly increasing grid :math:`x_0 < \dots < x_{n-1}` is

.. math::

    (T v)_i = \max_{j \,:\, x_j \le x_i} \; \sqrt{x_i - x_j} + \beta v_j ,

and the policy :math:`\sigma(i)` is the smallest maximising :math:`j` (the first
maximum, as ``numpy.argmax`` picks it). :math:`T` is monotone, a
:math:`\beta`-contraction in the sup norm, and shifts constants by
:math:`\beta`: :math:`T(v + c) = Tv + \beta c`.

Eating continuously from :math:`x_{\min}` on, the value of the continuous problem is

.. math::

    V(x) = \sqrt{(x - x_{\min}) / (1 - \beta^2)} ,

which the discrete fixed point approaches from below as the grid is refined.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vfi.family.spec import SQRT, FamilySpec, GridModel, read_only
from vfi.validation import as_count, as_grid, as_unit_interval, as_vector

__all__ = ["CakeEating", "validate", "closed_form"]


#: Cake eating has no exogenous process: one state that stays.
ONE_STATE = read_only(np.ones((1, 1)))


def cake_spec(grid: np.ndarray, beta: float) -> FamilySpec:
    """Cake eating as a member of the savings family: r = x, u = sqrt, one state."""
    return FamilySpec(grid, grid.reshape(-1, 1), ONE_STATE, beta, SQRT, 1.0)


@dataclass(frozen=True, eq=False)
class CakeEating(GridModel):
    """Validated inputs: a read-only float64 ``grid`` and ``beta`` in (0, 1), checked
    when constructed (``CakeEating(np.linspace(1, 0.1, 40), 0.9)`` raises
    ``ValueError: grid must be strictly increasing``).

    A member's model (:mod:`vfi.member`) with one exogenous state: ``shape`` is (n,),
    ``P`` is [[1]], and the default start is ``sqrt(grid)`` (the notebook's), not 0.
    """

    grid: np.ndarray
    beta: float

    def __post_init__(self):
        self._freeze(grid=as_grid("grid", self.grid), beta=as_unit_interval("beta", self.beta))

    @property
    def P(self) -> np.ndarray:
        return ONE_STATE

    @property
    def shape(self) -> tuple[int]:
        """A value function is one number per grid point."""
        return (self.n,)

    @property
    def spec(self) -> FamilySpec:
        """The family's arrays: resources k (the cake), utility sqrt, c >= 0."""
        return cake_spec(self.grid, self.beta)

    def with_grid(self, grid) -> CakeEating:
        """The same problem on another grid."""
        return CakeEating(grid, self.beta)

    def initial_value(self, v0: object = None) -> np.ndarray:
        """A fresh float64 starting value: ``sqrt(grid)`` by default, else a checked copy of v0."""
        if v0 is None:
            return np.sqrt(self.grid)
        return as_vector("v0", v0, self.grid.shape)

    def closed_form(self) -> np.ndarray:
        return closed_form(self.grid, self.beta)


def validate(grid: object, beta: object) -> CakeEating:
    """The one door into every cake-eating kernel: checks and copies the inputs.

    Raises
    ------
    TypeError
        grid of non-numeric dtype; beta not a real number.
    ValueError
        grid not 1-D, empty, non-finite, negative or not strictly increasing;
        beta NaN or outside (0, 1).
    """
    return CakeEating(grid, beta)


def closed_form(grid: object, beta: object) -> np.ndarray:
    """The continuous problem's value on ``grid``:
    :math:`\\sqrt{(x - x_{\\min}) / (1 - \\beta^2)}`."""
    problem = validate(grid, beta)
    return np.sqrt((problem.grid - problem.grid[0]) / (1.0 - problem.beta ** 2))


def check_num_iter(num_iter: object) -> int:
    return as_count("num_iter", num_iter)
