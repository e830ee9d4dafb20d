r"""Solving to a tolerance, generic over problems: value iteration, Howard, modified PI.

Every method alternates a greedy step :math:`(Tv, \sigma) = \text{bellman}(v)` with an
update of :math:`v`, and stops on the MacQueen-Porteus bounds. For an operator that is
monotone, a :math:`\beta`-contraction, and shifts constants by :math:`\beta`
(:math:`T(v + c) = Tv + \beta c`; true of both problems here), with :math:`d = Tv - v`,

.. math::

    Tv + \tfrac{\beta}{1-\beta} \min d \;\le\; v^* \;\le\; Tv + \tfrac{\beta}{1-\beta} \max d ,

so the midpoint :math:`\hat v = Tv + \tfrac{\beta}{1-\beta}\tfrac{\min d + \max d}{2}` is within
:math:`\tfrac{\beta}{1-\beta}\tfrac{\max d - \min d}{2}` of the fixed point :math:`v^*` in the sup
norm. That bound is returned as ``error_bound``, and it is a guarantee, not an estimate.

Methods
-------
``"vfi"``: :math:`v \leftarrow Tv`.
``"howard"``: :math:`v \leftarrow v_\sigma`, the exact value of the greedy policy.
``"mpi"``: :math:`v \leftarrow T_\sigma^k (Tv)`, ``k = sweeps`` evaluation sweeps per improvement.
"""
from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["SolveResult", "ConvergenceWarning", "METHODS", "solve_fixed_point",
           "macqueen_porteus", "rounding_floor", "span_midpoint", "result"]

METHODS = ("vfi", "howard", "mpi")


class ConvergenceWarning(RuntimeWarning):
    """``max_iter`` was reached before the error bound fell below ``tol``."""


@dataclass(frozen=True)
class SolveResult:
    """``value`` within ``error_bound`` of the fixed point (sup norm), and its greedy ``policy``.

    ``policy_exact`` says whether the policy is proven to be the exact optimum of the
    discrete problem (True), checked and not proven (False), or not checked (None).
    """

    value: np.ndarray
    policy: np.ndarray
    iterations: int
    error_bound: float
    converged: bool
    method: str
    variant: str
    policy_exact: bool | None = None


def span_midpoint(low: float, high: float, beta: float) -> tuple[float, float]:
    """From min and max of Tv - v: the shift that takes Tv to the MacQueen-Porteus midpoint,
    and the midpoint's sup-norm distance bound to the fixed point (the family's compiled
    evaluation uses this same function)."""
    scale = beta / (1.0 - beta)
    return scale * 0.5 * (low + high), scale * 0.5 * (high - low)


def macqueen_porteus(v: np.ndarray, tv: np.ndarray, beta: float) -> tuple[np.ndarray, float]:
    """The midpoint estimate of the fixed point and its guaranteed sup-norm error bound.

    The bound adds what float64 rounding in computing Tv can hide, a few ulps of max|Tv|
    per step summed over the contraction (2 eps max|Tv| / (1 - beta)), so that it is never
    reported as exactly 0.
    """
    d = tv - v
    shift, bound = span_midpoint(float(d.min()), float(d.max()), beta)
    return tv + shift, bound + rounding_floor(tv, beta)


def rounding_floor(tv: np.ndarray, beta: float) -> float:
    """2 eps max|Tv| / (1 - beta): the part of the error bound that no number of further
    steps removes, so a ``tol`` at or below it cannot be met in float64."""
    return 2.0 * np.finfo(np.float64).eps * float(np.max(np.abs(tv))) / (1.0 - beta)


def solve_fixed_point(bellman: Callable, evaluate: Callable, v0: np.ndarray, beta: float, *,
                      tol: float, method: str, max_iter: int, sweeps: int,
                      variant: str = "") -> SolveResult:
    """Run ``method`` from ``v0`` until the MacQueen-Porteus bound is below ``tol``.

    Parameters
    ----------
    bellman : callable
        ``bellman(v) -> (Tv, policy)``: one greedy Bellman step.
    evaluate : callable
        ``evaluate(policy, v, sweeps) -> v``: ``sweeps`` applications of the policy's
        operator :math:`T_\\sigma` to ``v``, or with ``sweeps=None`` the exact value of
        the policy (``v`` is then only a starting guess).
    v0 : ndarray
        Starting value (any shape the callables agree on).
    beta, tol, method, max_iter, sweeps
        Discount factor, target bound, one of :data:`METHODS`, the most greedy steps,
        evaluation sweeps per improvement for ``"mpi"``.

    Returns
    -------
    SolveResult
        ``converged`` is False (and a :class:`ConvergenceWarning` is issued) when
        ``max_iter`` greedy steps did not bring the bound below ``tol``, or as soon as
        the bound has come down to :func:`rounding_floor` where that floor is itself at
        or above ``tol`` (beta near 1 with a tight ``tol``): more steps cannot help there.
    """
    v = v0
    floor = 0.0
    for iteration in range(1, max_iter + 1):  # noqa: B007  (read after the loop)
        tv, policy = bellman(v)
        value, bound = macqueen_porteus(v, tv, beta)
        if bound < tol:
            break
        floor = rounding_floor(tv, beta)
        if floor >= tol and bound <= 2.0 * floor:
            break
        if method == "vfi":
            v = tv
        elif method == "howard":
            v = evaluate(policy, tv, None)
        else:
            v = evaluate(policy, tv, sweeps)
    return result(value, policy, iteration, bound, tol=tol, method=method, variant=variant,
                  floor=floor)


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def caller_stacklevel() -> int:
    """``warnings.warn``'s stacklevel, for the function calling this one, that names the
    first frame outside the vfi package: the user's line, whichever front (``vfi.solve``,
    ``vfi.cake.solve``, a member's) and path led here."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def result(value, policy, iterations, bound, *, tol, method, variant,
           floor: float = 0.0) -> SolveResult:
    """The :class:`SolveResult`; ``converged`` is ``bound < tol``, and a
    :class:`ConvergenceWarning` is issued when it is not, saying why: ``max_iter`` ran
    out, or ``tol`` is at or below the rounding ``floor``."""
    converged = bool(bound < tol)
    if not converged and floor >= tol:
        warnings.warn(f"{method} cannot reach tol={tol:g}: float64 rounding alone bounds the "
                      f"error at {floor:.3g} here (2 eps max|Tv| / (1 - beta)); stopped after "
                      f"{iterations} greedy steps at error bound {bound:.3g}; ask for "
                      f"tol > {floor:.3g}", ConvergenceWarning, stacklevel=caller_stacklevel())
    elif not converged:
        warnings.warn(f"{method} did not reach tol={tol:g} in max_iter={iterations} greedy "
                      f"steps (error bound {bound:.3g})", ConvergenceWarning,
                      stacklevel=caller_stacklevel())
    return SolveResult(value, policy, iterations, float(bound), converged, method, variant)
