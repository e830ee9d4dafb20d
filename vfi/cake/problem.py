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

from vfi.validation import as_count, as_grid, as_unit_interval, as_vector

__all__ = ["CakeEating", "validate", "closed_form"]


@dataclass(frozen=True, eq=False)
class CakeEating:
    """Validated inputs: a read-only float64 ``grid`` and ``beta`` in (0, 1), checked
    when constructed (``CakeEating(np.linspace(1, 0.1, 40), 0.9)`` raises
    ``ValueError: grid must be strictly increasing``)."""

    grid: np.ndarray
    beta: float

    def __post_init__(self):
        object.__setattr__(self, "grid", as_grid("grid", self.grid))
        object.__setattr__(self, "beta", as_unit_interval("beta", self.beta))

    @property
    def n(self) -> int:
        return self.grid.size

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
