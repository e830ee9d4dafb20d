"""The growth model's API: the family's (:mod:`vfi.family.api`), plus the paper's rule."""
from __future__ import annotations

from vfi import registry
from vfi.family.api import PREFERENCE, FamilyMember
from vfi.growth.model import AFV_N, PROBLEM, StochasticGrowth, afv2015
from vfi.validation import as_count, as_positive

#: Variants tried, in order, when none is named: the family's.
SOLVE_PREFERENCE = PREFERENCE


def case(n=AFV_N):
    """The headline model: the paper's calibration on n capital points (17820: its grid)."""
    return afv2015(as_count("n", n, minimum=2))


GROWTH = registry.register_member(FamilyMember(
    PROBLEM, StochasticGrowth, SOLVE_PREFERENCE, case=case, timing=(1000, 10),
    summary="stochastic growth, Aruoba & Fernandez-Villaverde (2015)"))
API = GROWTH.export(globals())


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
