"""The notebook's calls on raw arrays: ``vfi.iterate(grid, beta, num_iter)``, ``vfi.bellman``,
``vfi.solve``, thin fronts on the cake member (:data:`vfi.cake.CAKE`).

Each builds the :class:`~vfi.cake.problem.CakeEating` model and calls the member; the
plain ``iterate`` call first tries the member's compiled fast path on the raw arrays, so
the notebook's call costs what it did before the member existed.
"""
from __future__ import annotations

from vfi.cake import CAKE, DEFAULT_VARIANT, with_fast_path
from vfi.cake.problem import CakeEating

__all__ = ["iterate", "bellman", "solve"]


def _general(grid, beta, num_iter, variant, v0, return_policy):
    return CAKE.general_iterate(CakeEating(grid, beta), num_iter, variant, v0, return_policy)


iterate = with_fast_path(_general)
iterate.__module__, iterate.__qualname__ = __name__, "iterate"
iterate.__doc__ = """:meth:`vfi.cake.CakeMember.iterate` on ``CakeEating(grid, beta)``.

    Parameters
    ----------
    grid : array_like
        1-D, finite, non-negative, strictly increasing.
    beta : float
        Discount factor in (0, 1).
    num_iter, variant, v0, return_policy
        As for :meth:`vfi.cake.CakeMember.iterate` (default start ``sqrt(grid)``).
    """


def bellman(grid, beta, v, *, variant=DEFAULT_VARIANT):
    """One Bellman step: ``(Tv, policy)``, with the same checks as :func:`iterate`."""
    return CAKE.bellman(CakeEating(grid, beta), v, variant=variant)


def solve(grid, beta, *, tol=1e-10, method="auto", variant=None, max_iter=10_000, v0=None,
          sweeps=20):
    """:meth:`vfi.cake.CakeMember.solve` on ``CakeEating(grid, beta)``."""
    return CAKE.solve(CakeEating(grid, beta), tol=tol, method=method, variant=variant,
                      max_iter=max_iter, v0=v0, sweeps=sweeps)
