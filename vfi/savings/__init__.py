"""QuantEcon's optimal savings model, the savings family's third member, and its API::

    model = vfi.savings.quantecon(w_max=10, y_size=12)   # the lectures' calibrations
    model = vfi.savings.OptimalSavings(R=1.01, beta=0.98, gamma=2.0, grid=w, y=y, P=P)
    result = vfi.savings.solve(model)                    # .value, .policy: (w_size, y_size)
    v, policy = vfi.savings.iterate(model, 10, return_policy=True)

The kernels are the family's (:mod:`vfi.family`); :mod:`vfi.savings.peer` builds the same
problem as a ``quantecon.markov.DiscreteDP``, the benchmark's peer.
"""
from __future__ import annotations

from vfi import registry
from vfi.family import register_variants
from vfi.family.api import PREFERENCE, Member
from vfi.savings.model import OptimalSavings, quantecon

PROBLEM = "savings"

register_variants(PROBLEM)

#: Variants tried, in order, when none is named: the family's.
SOLVE_PREFERENCE = PREFERENCE

SAVINGS = Member(PROBLEM, OptimalSavings, SOLVE_PREFERENCE)
variants, unavailable_variants, default_variant, iterate, bellman, solve = SAVINGS.api()

__all__ = ["OptimalSavings", "quantecon", "iterate", "bellman", "solve", "variants",
           "unavailable_variants", "default_variant", "SOLVE_PREFERENCE", "PROBLEM", "registry"]
