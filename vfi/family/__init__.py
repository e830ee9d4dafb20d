r"""The savings family: one Bellman equation, many members, kernels written once.

.. math::

    V(k, z) = \max_{k' \text{ on the grid}:\; c = r(k, z) - k' \text{ feasible}}
              u(c) + \beta \sum_{z'} P_{z z'} V(k', z')

A member is numbers and two functions, its resources :math:`r(k, z)` and its utility
:math:`u` (with the feasibility rule of u), handed to the kernels as one
:class:`~vfi.family.spec.FamilySpec`:

============================  ======================  ===========================  =======
member                        :math:`r(k, z)`         :math:`u(c)`                 states
============================  ======================  ===========================  =======
cake eating (``vfi``)         :math:`k`               :math:`\sqrt c`, c >= 0      1
AFV growth (``vfi.growth``)   :math:`z k^\alpha`      :math:`(1-\beta)\log c`      5
savings (``vfi.savings``)     :math:`R w + y`         :math:`c^{1-\gamma}/(1-\gamma)`  Tauchen
============================  ======================  ===========================  =======

Layout: :mod:`~vfi.family.spec` (the spec, the utility, shared checks), one module of
kernels per backend (``python``, ``numpy``, ``numba``, ``jax``), :mod:`~vfi.family.policy`
(policy evaluation) and :mod:`~vfi.family.api` (the public API every member exposes).
A member registers the family's kernels with :func:`register_variants` and adds its own
specialisations (cake eating's uniform-grid table, for one) with ordinary register lines.
"""
from __future__ import annotations

from vfi import registry

#: The family's kernels: (name, target, optional packages, cost class, description).
FAMILY_VARIANTS = (
    ("python-loops", "vfi.family.python:iterate_loops", (), registry.BRUTE_FORCE,
     "pure-Python loops over states and choices"),
    ("numpy-blocked", "vfi.family.numpy:iterate_blocked", (), registry.BRUTE_FORCE,
     "(state, choice) broadcast in row blocks"),
    ("numba-brute", "vfi.family.numba:iterate_brute", ("numba",), registry.BRUTE_FORCE,
     "every feasible choice, first maximiser (the oracle)"),
    ("numba-monotone", "vfi.family.numba:iterate_monotone", ("numba",), registry.LINEAR,
     "monotone search, first-decrease stop, exact for any V"),
    ("jax-blocked", "vfi.family.jax:iterate_blocked", ("jax",), registry.BRUTE_FORCE,
     "brute force, lax.map over row batches, vmap over states, float64"),
    ("jax-sharded", "vfi.family.jax:iterate_sharded", ("jax",), registry.BRUTE_FORCE,
     "jax-blocked with the grid's rows split across jax.devices() (shard_map)"),
)


def register_variants(problem: str) -> None:
    """Register every family kernel for ``problem`` (a member's one register line)."""
    registry.declare_problem(problem, registry.FamilyKernel)
    for name, kernel, requires, cost, description in FAMILY_VARIANTS:
        registry.register(problem, name, kernel, requires=requires, description=description,
                          cost=cost)
