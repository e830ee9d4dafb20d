"""vfi: value function iteration in Python, every way of writing it, measured.

The public API for cake eating (the first member of the savings family, :mod:`vfi.family`;
the others are :mod:`vfi.growth` and :mod:`vfi.savings`)::

    vfi.iterate(grid, beta, num_iter, variant=None, v0=None, return_policy=False)
    vfi.bellman(grid, beta, v, variant=None)         # one step: (Tv, policy)
    vfi.variants()                                   # names runnable here
    vfi.unavailable_variants()                       # {name: why not}
    vfi.closed_form(grid, beta)                      # the continuous problem's value
    vfi.solve(grid, beta, tol=1e-10, method="auto")  # to a guaranteed sup error

``variant=None`` is the fastest exact variant available (``numba-maxplus`` with numba;
the notebook's own formulation is ``"numpy-masked"``); ``method="auto"`` is the exact
fixed point by one max-plus merge where the grid allows it, else Howard.

Every model is a member (:mod:`vfi.member`): ``vfi.cake``, ``vfi.growth``, ``vfi.savings``
expose the same ``iterate(model, num_iter, ...)``, ``bellman``, ``solve(model, ...)``,
``variants()``, ``case(n)``; :func:`vfi.registry.members` lists them. The functions above
are the cake member's on raw arrays (:mod:`vfi.cake.front`).

Kernels live per problem and backend (``vfi/cake/numba.py``, ...) and are found
through :mod:`vfi.registry`; numba and jax are optional and imported lazily.
"""
from vfi import growth, savings  # the savings family's other members, by name
from vfi.cake import (
    CAKE,
    DEFAULT_VARIANT,
    CakeEating,
    closed_form,
    unavailable_variants,
    validate,
    variants,
)
from vfi.cake.front import bellman, iterate, solve
from vfi.registry import VariantUnavailable
from vfi.solvers import ConvergenceWarning, SolveResult

__version__ = "0.1.0"

__all__ = ["iterate", "bellman", "solve", "SolveResult", "ConvergenceWarning", "variants",
           "unavailable_variants", "closed_form", "validate", "CakeEating", "VariantUnavailable",
           "DEFAULT_VARIANT", "CAKE", "growth", "savings"]
