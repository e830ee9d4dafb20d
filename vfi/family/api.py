"""The public API every member of the savings family exposes, written once.

A member module makes one :class:`FamilyMember` (the contract is :mod:`vfi.member`),
registers it and binds its methods to module names (:meth:`vfi.member.Member.export`)::

    GROWTH = registry.register_member(FamilyMember("growth", StochasticGrowth, case=case,
                                                   timing=(1000, 10)))
    __all__ = ["GROWTH", *GROWTH.export(globals())]   # iterate, bellman, solve, ...
"""
from __future__ import annotations

import dataclasses

import numpy as np

from vfi import registry, solvers
from vfi.family import policy as family_policy
from vfi.member import Member
from vfi.validation import as_choice, as_count, as_positive

#: Variants tried, in order, when none is named (a member may pass its own).
PREFERENCE = ("numba-monotone", "numba-brute", "jax-blocked", "numpy-blocked", "python-loops")

#: solve's methods: the generic ones, and "auto" (the fastest exact: "mpi").
SOLVE_METHODS = (*solvers.METHODS, "auto")

#: Warm start: the coarse grid has 1/WARM_RATIO of the points, down to WARM_MIN_POINTS.
WARM_RATIO, WARM_MIN_POINTS = 10, 100

#: Variants whose steps and the stopping rule sup|V_new - V| < tol run in one compiled
#: loop (value: whether that loop uses the monotone search).
COMPILED_STOP = {"numba-monotone": True, "numba-brute": False}


def _guess(coarse_model, coarse_value, grid):
    """The fine grid's start from a coarse solution: each exogenous state's column
    replaced by its least concave majorant, linearly interpolated onto ``grid`` (same
    ends), in one compiled pass where numba is installed (else np.interp, unchanged).

    A guess is only a starting point (the bound comes from the greedy steps), and a
    solution's midpoint has small convex kinks: from a concave start the greedy step is
    the first-decrease scan, from a kinked one the guided scan or divide and conquer
    (22 ms instead of 1.5 on the paper's grid).
    """
    try:
        from vfi.family.numba import warm_guess
    except ImportError:
        return np.stack([np.interp(grid, coarse_model.grid, coarse_value[:, s])
                         for s in range(coarse_value.shape[1])], axis=1)
    out = np.empty((grid.size, coarse_value.shape[1]))
    warm_guess(coarse_model.grid, np.ascontiguousarray(coarse_value), grid, out)
    return out


class FamilyMember(Member):
    """A member of the savings family: its kernels are the family's (``kernel(spec, v, n)``),
    its solve has the warm start, the compiled stopping loop and the policy proof."""

    methods = SOLVE_METHODS

    def __init__(self, name: str, model_type: type, preference: tuple[str, ...] = PREFERENCE,
                 **member):
        member.setdefault("reference", "numpy-blocked")
        super().__init__(name, model_type, preference, **member)

    def iterate_until(self, model, *, tol, variant=None, max_iter=10_000, v0=None):
        """Steps until sup|V_new - V| < tol: ``(value, policy, steps)`` (compiled where the
        variant allows)."""
        model = self.model(model)
        tol = as_positive("tol", tol)
        max_iter = as_count("max_iter", max_iter, minimum=1)
        variant = self.variant_name(variant)
        step = self.kernel(model, variant)  # checks the name and availability
        v = model.initial_value(v0)
        if variant in COMPILED_STOP:
            from vfi.family.numba import iterate_until

            return iterate_until(model.spec, v, tol, max_iter, monotone=COMPILED_STOP[variant])
        for iteration in range(1, max_iter + 1):  # noqa: B007  (read after the loop)
            new, policy = step(v)
            if np.max(np.abs(new - v)) < tol:
                break
            v = new
        return new, policy, iteration

    def _warm_start(self, model, **options):
        """Coarse-to-fine start: solve on a grid WARM_RATIO times coarser, interpolate."""
        n = model.n // WARM_RATIO
        if n < WARM_MIN_POINTS:
            return None
        coarse = model.with_grid(np.linspace(model.grid[0], model.grid[-1], n))
        result = self.solve_to(coarse, warm_start=True, **options)
        return _guess(coarse, result.value, model.grid)

    def warm_start_applies(self, model) -> bool:
        """Whether the coarse-to-fine start has a coarse grid to start from."""
        return model.n // WARM_RATIO >= WARM_MIN_POINTS

    def solve(self, model, *, tol=1e-8, method="auto", variant=None, max_iter=10_000, v0=None,
              sweeps=20, warm_start=None, exact_policy=False):
        r"""Solve to a guaranteed sup-norm error below ``tol``; with ``exact_policy``, also
        prove the policy the exact optimum (tightening ``tol`` until the proof holds).

        The defaults are the fastest exact path measured on the members' calibrations
        (``benchmarks/bench_growth.py``, ``bench_savings.py``): ``method="auto"`` is
        modified policy iteration (``"mpi"``) with 20 sweeps, from the coarse-to-fine
        start wherever the grid has one.

        The proof (:func:`vfi.family.numba.certify`): with :math:`|\hat v - v^*| \le
        \epsilon` every choice's objective is within :math:`\beta\epsilon` of its value
        under :math:`v^*`, so a greedy choice that beats every other by more than
        :math:`2\beta\epsilon` (plus rounding) is the only optimal one. Where two choices
        tie to float64 rounding nothing proves which is optimal: the tightest policy is
        returned with ``policy_exact=False``.

        Parameters and returns as :meth:`solve_to`, plus ``exact_policy`` (bool) and
        ``result.policy_exact`` (True, False, or None when not checked).
        """
        result = self.solve_to(model, tol=tol, method=method, variant=variant,
                               max_iter=max_iter, v0=v0, sweeps=sweeps, warm_start=warm_start)
        if not exact_policy:
            return result
        return self._prove_policy(model, result, max_iter=max_iter, sweeps=sweeps)

    def _prove_policy(self, model, result, **options):
        try:
            from vfi.family.numba import certify
        except ImportError as exc:
            raise registry.VariantUnavailable(f"exact_policy=True needs numba (the proof is "
                                              f"compiled): {exc}") from exc

        floor = 1e3 * np.finfo(np.float64).eps * max(1.0, float(np.max(np.abs(result.value))))
        tol = result.error_bound
        while True:
            policy, exact = certify(model.spec, result.value, result.error_bound)
            if exact or tol <= floor:
                return dataclasses.replace(result, policy=policy, policy_exact=exact)
            tol = max(floor, result.error_bound / 100.0)
            result = self.solve_to(model, tol=tol, method=result.method,
                                   variant=result.variant, v0=result.value, **options)

    def solve_to(self, model, *, tol=1e-8, method="auto", variant=None, max_iter=10_000,
                 v0=None, sweeps=20, warm_start=None):
        r"""Solve the Bellman equation to a guaranteed sup-norm error below ``tol``.

        Greedy steps :math:`(TV, \sigma)` are taken by ``variant``; between them ``method``
        updates V: ``"vfi"`` takes :math:`TV`, ``"howard"`` the value of :math:`\sigma`
        (sweeps to well under ``tol``), ``"mpi"`` ``sweeps`` applications of
        :math:`T_\sigma` to :math:`TV`. The stopping rule and ``error_bound`` are the
        MacQueen-Porteus bounds of :func:`vfi.solvers.solve_fixed_point`, computed from
        the last greedy step.

        Parameters
        ----------
        model : the member's model class
        tol : float
            Positive: the guaranteed sup-norm distance to the discrete fixed point.
        method : {"auto", "vfi", "howard", "mpi"}
            ``"auto"`` (default) is ``"mpi"``, the fastest measured.
        variant : str, optional
            Default ``default_variant()``.
        max_iter : int
            At most this many greedy steps (per grid with ``warm_start``).
        v0 : array_like, optional
            Starting value, shape ``model.shape``; default 0 (or the warm start).
        sweeps : int
            Evaluation sweeps per improvement for ``"mpi"``.
        warm_start : bool, optional
            Start from the solution on a grid 10 times coarser (recursively, down to
            100 points), its columns' concave majorants linearly interpolated; ignored
            when ``v0`` is given. The bound is still computed on this grid, so the result
            is as guaranteed. Default: wherever such a coarse grid exists.

        Returns
        -------
        vfi.SolveResult
            ``value`` and ``policy`` of shape ``model.shape``, ``iterations`` (greedy
            steps on this grid), ``error_bound``, ``converged``.
        """
        model = self.model(model)
        tol = as_positive("tol", tol)
        method = as_choice("method", method, SOLVE_METHODS)
        if method == "auto":
            method = "mpi"
        max_iter = as_count("max_iter", max_iter, minimum=1)
        sweeps = as_count("sweeps", sweeps, minimum=1)
        variant = self.variant_name(variant)
        step = self.kernel(model, variant)
        v = model.initial_value(v0)
        if warm_start is None:
            warm_start = self.warm_start_applies(model)
        if v0 is None and warm_start:
            guess = self._warm_start(model, tol=tol, method=method, variant=variant,
                                     max_iter=max_iter, sweeps=sweeps)
            v = v if guess is None else guess
        if variant in COMPILED_STOP:  # the same loop, compiled with the steps
            from vfi.family import numba as family_numba

            value, policy, iterations, bound, floor = family_numba.solve(
                model.spec, v, tol, solvers.METHODS.index(method), sweeps, max_iter,
                COMPILED_STOP[variant], family_policy.MAX_SWEEPS)
            return solvers.result(value, policy, iterations, bound, tol=tol, method=method,
                                  variant=variant, floor=floor)

        def evaluate(policy, values, count):
            scale = float(np.max(np.abs(values)))
            return family_policy.evaluate(model, policy, values, count,
                                          family_policy.exact_tolerance(tol, scale))

        return solvers.solve_fixed_point(step, evaluate, v, model.beta, tol=tol, method=method,
                                         max_iter=max_iter, sweeps=sweeps, variant=variant)
