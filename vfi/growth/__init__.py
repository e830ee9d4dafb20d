"""The stochastic growth model of Aruoba & Fernández-Villaverde (2015): its variants (one
registry line each) and the API::

    model = vfi.growth.afv2015()                      # or StochasticGrowth(grid, z, P, alpha, beta)
    v, policy = vfi.growth.iterate(model, 10, variant="numba-monotone", return_policy=True)
    v, policy, its = vfi.growth.paper_vfi(model)      # the paper's rule: 257 steps
    result = vfi.growth.solve(model, tol=2e-6, method="mpi", warm_start=True)
    model = vfi.growth.case(n=1000)                   # the headline case on 1000 points
    value, next_capital = vfi.growth.closed_form(model)

``python -m vfi_bench afv`` compares every variant and method with the C++ baseline
(``cpp/afv.cpp``).
"""
from __future__ import annotations

from vfi import registry
from vfi.family import register_variants
from vfi.growth.model import PROBLEM

register_variants(PROBLEM)
registry.alias(PROBLEM, "jax-vmap", "jax-blocked")  # its name until the family refactor

from vfi.growth.api import (  # noqa: E402
                            GROWTH,
                            SOLVE_PREFERENCE,
                            bellman,
                            case,
                            default_variant,
                            iterate,
                            paper_vfi,
                            solve,
                            unavailable_variants,
                            variants,
)
from vfi.growth.model import StochasticGrowth, afv2015, closed_form  # noqa: E402

__all__ = ["GROWTH", "case", "StochasticGrowth", "afv2015", "closed_form", "iterate", "bellman",
           "solve",
           "paper_vfi", "variants", "unavailable_variants", "default_variant",
           "SOLVE_PREFERENCE", "PROBLEM"]
