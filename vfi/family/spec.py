r"""What a member of the savings family is: arrays, a utility, and shared checks.

Every member solves, on a grid of choices :math:`k_0 < \dots < k_{n-1}` and exogenous
states :math:`s = 0, \dots, m-1` with transition matrix :math:`P`,

.. math::

    (T V)(i, s) = \max_{j \,:\, c_{isj} \text{ feasible}} u(c_{isj}) + \beta \sum_t P_{st} V(j, t),
    \qquad c_{isj} = r_{is} - k_j ,

with resources :math:`r` (an (n, m) array, increasing in i), a concave utility :math:`u`
and the feasibility rule of :math:`u` (:math:`c \ge 0` for sqrt, :math:`c > 0` for log and
CRRA). The policy :math:`\sigma(i, s)` is the smallest maximising j. :math:`u(r - k')`
has increasing differences in :math:`(r, k')`, so :math:`\sigma` is non-decreasing in i
for any V (Topkis); every exact fast kernel rests on that.

A member hands the kernels one :class:`FamilySpec`; the kernels (``vfi.family.numba``,
``numpy``, ``python``, ``jax``) are written once for all members.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vfi.validation import as_float_array, as_vector, plain

__all__ = ["FamilySpec", "GridModel", "read_only", "SQRT", "LOG", "CRRA", "UTILITY_NAMES",
           "utility", "utility_with", "feasible", "as_transition", "as_positive_levels",
           "ROW_SUM_TOL"]

#: Utility kinds: ``sqrt(c)``; ``param * log(c)``; ``c**(1 - param) / (1 - param)``.
SQRT, LOG, CRRA = 0, 1, 2
UTILITY_NAMES = {SQRT: "sqrt", LOG: "log", CRRA: "crra"}


class FamilySpec(NamedTuple):
    """The arrays every family kernel reads (validated by the member, read-only).

    choices : (n,) strictly increasing grid of choices :math:`k_j`
    resources : (n, m) :math:`r_{is}`, non-decreasing in i
    P : (m, m) row-stochastic
    beta : discount factor in (0, 1)
    kind, param : the utility (:data:`SQRT`, :data:`LOG` with its scale, :data:`CRRA` with
        its risk aversion gamma != 1)
    """

    choices: np.ndarray
    resources: np.ndarray
    P: np.ndarray
    beta: float
    kind: int
    param: float


def utility_with(sqrt, log, where=None):
    """u(c) of every kind, written once on the given square root and logarithm: NumPy's
    (:func:`utility`, which the Numba kernels compile), :mod:`math`'s (the pure-Python
    kernel's, about 20 times cheaper per call on floats) or ``jax.numpy``'s with
    ``where=jnp.where`` (the JAX kernel's ``param`` is traced, so the gamma = 2 branch is
    chosen by ``where``, not ``if``)."""

    def utility(c, kind, param):
        if kind == SQRT:
            return sqrt(c)
        if kind == LOG:
            return param * log(c)
        if where is not None:
            return where(param == 2.0, -1.0 / c, c ** (1.0 - param) / (1.0 - param))
        if param == 2.0:
            return -1.0 / c
        return c ** (1.0 - param) / (1.0 - param)

    utility.__doc__ = """u(c) of the given kind, for a float or an array (and, compiled,
    inside the kernels).

    CRRA with gamma = 2 is computed as -1/c: the same number as the power (a correctly
    rounded division against a power within an ulp), and several times cheaper.
    """
    return utility


utility = utility_with(np.sqrt, np.log)


def feasible(c, kind):
    """sqrt allows eating nothing (c >= 0); log and CRRA need c > 0."""
    return c >= 0.0 if kind == SQRT else c > 0.0


#: Rows of P must sum to 1 within this.
ROW_SUM_TOL = 1e-10


def as_transition(name: str, P: object, m: int, states: str) -> np.ndarray:
    """A read-only (m, m) non-negative matrix whose rows sum to 1 within ROW_SUM_TOL
    (``states`` names the parameter that sets m)."""
    P = as_float_array(name, P, ndim=2)
    if P.shape != (m, m):
        raise ValueError(f"{name} must be square and match {states}: shape ({m}, {m}), "
                         f"got {P.shape}")
    if np.any(P < 0):
        raise ValueError(f"{name} must be non-negative")
    worst = float(np.max(np.abs(P.sum(axis=1) - 1.0)))
    if worst > ROW_SUM_TOL:
        raise ValueError(f"{name} rows must sum to 1 within {ROW_SUM_TOL:g}, off by {worst:.3g}")
    P.flags.writeable = False
    return P


def as_positive_levels(name: str, levels: object) -> np.ndarray:
    """A read-only, non-empty, finite, positive 1-D array (productivity, income)."""
    levels = as_float_array(name, levels, ndim=1)
    if levels.size == 0:
        raise ValueError(f"{name} must not be empty")
    if np.any(levels <= 0):
        raise ValueError(f"{name} must be positive, got minimum {plain(levels.min())}")
    levels.flags.writeable = False
    return levels


class GridModel:
    """What the family's API reads from a member's model besides ``spec``: a frozen
    dataclass with ``grid`` and ``P`` mixes this in."""

    @property
    def n(self) -> int:
        return self.grid.size

    @property
    def m(self) -> int:
        return self.P.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.m)

    def initial_value(self, v0: object = None) -> np.ndarray:
        """A fresh float64 (n, m) start: zeros by default, else a checked copy of v0."""
        if v0 is None:
            return np.zeros(self.shape)
        return as_vector("v0", v0, self.shape)

    def _freeze(self, **fields) -> None:
        """Set the validated fields of the frozen dataclass."""
        for name, value in fields.items():
            object.__setattr__(self, name, value)


def read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
