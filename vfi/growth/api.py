"""The growth model's API: the family's (:mod:`vfi.family.api`), plus the paper's rule."""
from __future__ import annotations

from vfi.family.api import PREFERENCE, Member
from vfi.growth.model import StochasticGrowth
from vfi.validation import as_positive

PROBLEM = "growth"

#: Variants tried, in order, when none is named: the family's.
SOLVE_PREFERENCE = PREFERENCE

GROWTH = Member(PROBLEM, StochasticGrowth, SOLVE_PREFERENCE)
variants, unavailable_variants, default_variant, iterate, bellman, solve = GROWTH.api()


def paper_vfi(model, *, tol=1e-7, variant=None, max_iter=10_000):
    """Value iteration from V = 0 with the paper's stopping rule, sup|V_new - V| < tol.

    Returns
    -------
    value, policy : ndarray, shape (n_capital, n_z)
    iterations : int
        Bellman steps taken, the last included (257 on the paper's case).
    """
    return GROWTH.iterate_until(model, tol=as_positive("tol", tol), variant=variant,
                                max_iter=max_iter)
