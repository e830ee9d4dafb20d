"""QuantEcon's optimal savings model, the savings family's third member, and its API::

    model = vfi.savings.quantecon(w_max=10, y_size=12)   # the lectures' calibrations
    model = vfi.savings.OptimalSavings(w, y, P, R=1.01, beta=0.98, gamma=2.0)  # grid first
    result = vfi.savings.solve(model)                    # .value, .policy: (w_size, y_size)
    v, policy = vfi.savings.iterate(model, 10, return_policy=True)

The kernels are the family's (:mod:`vfi.family`); :mod:`vfi.savings.peer` builds the same
problem as a ``quantecon.markov.DiscreteDP``, the benchmark's peer.
"""
from __future__ import annotations

from vfi import registry
from vfi.family import register_variants
from vfi.family.api import PREFERENCE, FamilyMember
from vfi.savings.model import OptimalSavings, quantecon

PROBLEM = "savings"

register_variants(PROBLEM)

#: Variants tried, in order, when none is named: the family's.
SOLVE_PREFERENCE = PREFERENCE



def case(n=150, w_max=5.0, y_size=100, R=1.01, beta=0.98, gamma=2.0):
    """The headline model: the lectures' calibration on n wealth points (needs quantecon)."""
    return quantecon(w_max=w_max, w_size=n, y_size=y_size, R=R, beta=beta, gamma=gamma)


SAVINGS = registry.register_member(FamilyMember(
    PROBLEM, OptimalSavings, SOLVE_PREFERENCE, case=case, timing=(150, 10),
    summary="optimal savings, QuantEcon's lectures"))
__all__ = ["SAVINGS", "case", "OptimalSavings", "quantecon", "SOLVE_PREFERENCE", "PROBLEM",
           *SAVINGS.export(globals())]
