r"""The cost model of the benchmark budgets: enough to skip hopeless cases, never a result.

One Bellman step of ``variant`` on ``problem``, with n grid points (cake sizes, capital or
assets) and m exogenous states, takes about

.. math:: t = c_{pair}(problem, variant) \cdot pairs + c_{state}(problem, variant) \cdot states

seconds, where states = n m and pairs are the (state, choice) pairs the step evaluates:

- brute-force-like variants (every feasible choice of every state): pairs = n^2 / 2 x m;
- the fast ones: n log2 n x m (cake eating: the monotone and concave searches) or n x m
  (growth and savings: the monotone scan, a few choices per state).

Problems: ``"cake"`` (m = 1), ``"growth"`` (m = productivity states) and ``"savings"``
(the growth variants and constants, m = income states). A variant's order is the cost
class its register line declares (``order``, from :mod:`vfi.registry`); the tables give
measured constants. A variant declared brute force but not in its problem's table gets
the slowest compiled constant of that table, so a new register line is budgeted as what
it says it is; only a variant of a commit from before cost classes, not in the table,
is taken to be a fast one. The constants were measured
on a 2-core x86 machine and rounded up. Used by ``benchmarks/common.py`` (cake eating)
and :mod:`vfi_bench.cpp_baseline` (growth); this module imports nothing from the package, so
the benchmarks can load it from the checkout when the commit they measure predates it.
"""
from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["Cost", "PROBLEMS", "BRUTE_FORCE", "N_LOG_N", "LINEAR", "cost", "is_brute_force",
           "brute_force_variants", "pairs", "seconds_per_step", "estimated_seconds"]

#: How the pairs of one step grow with n (times m): brute force, and the two fast orders.
BRUTE_FORCE, N_LOG_N, LINEAR = "n^2/2", "n log2 n", "n"


class Cost(NamedTuple):
    """One variant's constants: ``order`` of its pairs, seconds per pair and per state."""

    order: str
    pair: float
    state: float = 0.0


_CAKE = {
    "python-loops": Cost(BRUTE_FORCE, 150e-9, 200e-9),
    # the per-state formulations pay a mask and a NumPy call (or a loop set-up) per state
    "numpy-masked": Cost(BRUTE_FORCE, 40e-9, 6000e-9),
    "numpy-broadcast": Cost(BRUTE_FORCE, 12e-9),
    "numba-masked": Cost(BRUTE_FORCE, 6e-9, 60e-9),
    "numba-loops": Cost(BRUTE_FORCE, 4e-9),
    "numba-parallel": Cost(BRUTE_FORCE, 4e-9),
    "jax-vmap": Cost(BRUTE_FORCE, 8e-9),
    "jax-blocked": Cost(BRUTE_FORCE, 10e-9),
    "jax-sharded": Cost(BRUTE_FORCE, 10e-9),
}
#: numba-monotone measured at 2 ns per n log2 n: 100 steps at n = 10^6 in about 4 s.
_CAKE_FAST = Cost(N_LOG_N, 3e-9)

_JAX_BLOCKED_GROWTH = Cost(BRUTE_FORCE, 1.5e-8)
_GROWTH = {
    "python-loops": Cost(BRUTE_FORCE, 3e-7),
    "numpy-blocked": Cost(BRUTE_FORCE, 1.5e-8),
    "numba-brute": Cost(BRUTE_FORCE, 8e-9),
    "jax-blocked": _JAX_BLOCKED_GROWTH,
    "jax-vmap": _JAX_BLOCKED_GROWTH,  # the old name of jax-blocked, kept as an alias
}
_GROWTH_FAST = Cost(LINEAR, 3e-8)

_TABLES = {"cake": (_CAKE, _CAKE_FAST), "growth": (_GROWTH, _GROWTH_FAST),
           "savings": (_GROWTH, _GROWTH_FAST)}
PROBLEMS = tuple(_TABLES)


def _is_family_member(problem: str) -> bool:
    """Whether ``problem`` is a registered member whose kernels are the family's (a new
    member then has the family's constants with no edit here)."""
    try:
        from vfi import registry

        return registry.kernel_protocol(problem) is registry.FamilyKernel
    except Exception:  # no such problem, or a commit before kernel protocols
        return False


def _table(problem: str):
    if problem not in _TABLES and _is_family_member(problem):
        return _TABLES["growth"]
    try:
        return _TABLES[problem]
    except KeyError:
        raise ValueError(f"problem must be one of {', '.join(PROBLEMS)}; "
                         f"got {problem!r}") from None


def cost(problem: str, variant: str, order: str | None = None) -> Cost:
    """The constants of ``variant`` on ``problem``, whose declared cost class is ``order``.

    Examples
    --------
    >>> cost("cake", "numba-loops").order, cost("cake", "numba-new", BRUTE_FORCE).order
    ('n^2/2', 'n^2/2')
    >>> cost("cake", "numba-new", LINEAR).order, cost("cake", "numba-new").order
    ('n', 'n log2 n')
    """
    brute, fast = _table(problem)
    if variant in brute:
        return brute[variant]
    if order == BRUTE_FORCE:
        slowest = max((c for name, c in brute.items() if name.split("-")[0] != "python"),
                      key=lambda c: c.pair)
        return Cost(BRUTE_FORCE, slowest.pair, slowest.state)
    if order is not None:
        return Cost(order, fast.pair, fast.state)
    return fast


def is_brute_force(problem: str, variant: str, order: str | None = None) -> bool:
    """Whether ``variant`` evaluates every feasible choice of every state (n^2 / 2 pairs)."""
    return cost(problem, variant, order).order == BRUTE_FORCE


def brute_force_variants(problem: str) -> dict[str, float]:
    """``{variant: seconds per pair}`` of the brute-force-like variants of ``problem``."""
    return {name: c.pair for name, c in _table(problem)[0].items()}


def pairs(order: str, n: int, m: int = 1) -> float:
    """(state, choice) pairs of one step of order ``order`` on n points and m states."""
    if order == BRUTE_FORCE:
        return n * n * m / 2
    if order == N_LOG_N:
        return n * max(1.0, math.log2(n)) * m
    if order == LINEAR:
        return n * m
    raise ValueError(f"unknown order {order!r}")


def seconds_per_step(problem: str, variant: str, n: int, m: int = 1,
                     order: str | None = None) -> float:
    """The model's seconds of one Bellman step: c_pair * pairs + c_state * n * m."""
    c = cost(problem, variant, order)
    return c.pair * pairs(c.order, n, m) + c.state * n * m


def estimated_seconds(problem: str, variant: str, n: int, steps: int, m: int = 1,
                      order: str | None = None) -> float:
    """The model's seconds of ``steps`` Bellman steps."""
    return seconds_per_step(problem, variant, n, m, order) * steps


def declared_order(problem: str, variant: str) -> str | None:
    """The cost class ``variant``'s register line declares, from the installed ``vfi``
    (None when unregistered, or at a commit from before cost classes)."""
    try:
        from vfi import registry

        return getattr(registry.get_variant(problem, variant), "cost", None)
    except (ImportError, ValueError, AttributeError):
        return None


def fast_variants(problem: str) -> list[str]:
    """The registered variants of ``problem`` (available or not) whose declared cost
    class is not brute force: the suite's "fast" rows."""
    try:
        from vfi import registry

        names = registry.variants(problem, include_unavailable=True)
    except (ImportError, ValueError):
        return []
    return [v for v in names if declared_order(problem, v) not in (None, BRUTE_FORCE)]
