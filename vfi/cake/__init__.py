"""Cake eating: the problem, its variants (one registry line each), and its member
(:class:`CakeMember`, the API of :mod:`vfi.member` on a :class:`CakeEating` model).

``vfi.iterate(grid, beta, num_iter)``, ``vfi.bellman`` and ``vfi.solve`` are thin fronts
on raw arrays (:mod:`vfi.cake.front`); this module's functions take the model."""
from __future__ import annotations

import numpy as np

from vfi import registry, solvers
from vfi.cake.policy import concave_majorant_or_none, evaluate_exact, evaluate_sweeps
from vfi.cake.problem import CakeEating, closed_form, validate
from vfi.member import Member
from vfi.validation import as_choice, as_count, as_positive, plain

PROBLEM = "cake"

# One line per variant: name (backend-algorithm), kernel, optional packages it needs.
registry.declare_problem(PROBLEM, registry.CakeKernel)
registry.register(PROBLEM, "python-loops", "vfi.cake.python:iterate_loops",
                  description="pure-Python double loop",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "numpy-masked", "vfi.cake.numpy:iterate_masked",
                  description="the notebook's mask and max per state",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "numpy-broadcast", "vfi.cake.numpy:iterate_broadcast",
                  description="(state, choice) broadcast in row blocks",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "numba-masked", "vfi.cake.numba:iterate_masked", requires=("numba",),
                  description="the notebook's Numba formulation",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "numba-loops", "vfi.cake.numba:iterate_loops", requires=("numba",),
                  description="triangular loops, no temporaries",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "numba-monotone", "vfi.cake.numba:iterate_monotone",
                  requires=("numba",), description="divide and conquer on the monotone policy",
                  cost=registry.N_LOG_N)
registry.register(PROBLEM, "numba-concave", "vfi.cake.numba:iterate_concave", requires=("numba",),
                  description="O(n) scan on uniform grids with concave v, else monotone",
                  cost=registry.N_LOG_N)
registry.register(PROBLEM, "jax-vmap", "vfi.cake.jax:iterate_vmap", requires=("jax",),
                  description="vmap over states, fori_loop, float64",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "numba-parallel", "vfi.cake.numba_parallel:iterate_brute",
                  requires=("numba",), description="brute force, prange over states",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "numba-parallel-monotone", "vfi.cake.numba_parallel:iterate_monotone",
                  requires=("numba",), description="divide and conquer, halves in parallel",
                  cost=registry.N_LOG_N)
registry.register(PROBLEM, "jax-blocked", "vfi.cake.jax:iterate_blocked", requires=("jax",),
                  description="lax.map over blocks of states, O(n x block) memory",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "jax-sharded", "vfi.cake.jax:iterate_sharded", requires=("jax",),
                  description="states split across jax.devices() with shard_map",
                  cost=registry.BRUTE_FORCE)
registry.register(PROBLEM, "numba-maxplus", "vfi.cake.maxplus:iterate_maxplus",
                  requires=("numba",), description="K steps as one max-plus merge (uniform "
                  "grid, concave v0), else numba-concave",
                  fast_path="vfi.cake.maxplus:iterate_default_if_valid",
                  cost=registry.N_LOG_N)
registry.register(PROBLEM, "jax-maxplus", "vfi.cake.jax_maxplus:iterate_maxplus",
                  requires=("jax",), description="the max-plus merge by lax.top_k, else "
                  "numba-concave",
                  cost=registry.N_LOG_N)

#: ``iterate``'s default: None, the fastest exact variant available
#: (:func:`default_variant`). The notebook's own formulation is ``"numpy-masked"``.
DEFAULT_VARIANT = None

#: Variants tried, in order, for ``iterate`` when none is named.
PREFERENCE = ("numba-maxplus", "numba-concave", "numba-monotone", "numba-loops",
              "numpy-broadcast")

#: Variants tried, in order, for ``solve``'s greedy steps when none is named (a step of
#: numba-maxplus is a step of numba-concave plus its checks).
SOLVE_PREFERENCE = ("numba-concave", "numba-monotone", "numba-loops", "numpy-broadcast")

#: solve's methods: the generic ones, the fixed point by one merge, and the fastest exact.
SOLVE_METHODS = (*solvers.METHODS, "exact", "auto")

_FLOAT64 = np.dtype(np.float64)

#: The fast path's kernel as last resolved (None: not available here), or _UNRESOLVED
#: until resolved and again after any variant is registered.
_UNRESOLVED = object()
_fast_kernel_cache = [_UNRESOLVED]
registry.on_register(lambda variant: _fast_kernel_cache.__setitem__(0, _UNRESOLVED))


def _fast_kernel():
    """The default call in one compiled step, where numba-maxplus runs here (it is then
    the default variant), else None; cached until a variant is registered.

    At the notebook's size the Python around a kernel costs more than the kernel: for the
    plain call (a float64 1-D ndarray, a float beta, an int number of steps >= 1, no v0)
    ``iterate`` runs the checks of :func:`validate`, v0 = sqrt(grid) and the merge inside
    one compiled function (:func:`vfi.cake.maxplus.iterate_default_if_valid`); anything else, a
    broken rule, or a grid the merge does not apply to, takes the general path, which
    raises the named error or runs the fallback.
    """
    variant = registry.get_variant(PROBLEM, "numba-maxplus")
    _fast_kernel_cache[0] = variant.load(variant.fast_path) if variant.available else None
    return _fast_kernel_cache[0]


def with_fast_path(general):
    """``iterate(grid, beta, num_iter, *, variant, v0, return_policy)`` that runs the
    compiled fast path where the call is the plain one and the path applies, else returns
    ``general(grid, beta, num_iter, variant, v0, return_policy)``.

    The one home of the fast path's rule, for both ``vfi.iterate(grid, beta, n)`` (whose
    general path is the member's on ``CakeEating(grid, beta)``) and the member's hook
    (whose general path is None: the member's own then runs). Written as one function
    with the fallback inside, so the notebook's call costs no extra Python call.
    """
    def iterate(grid, beta, num_iter, *, variant=DEFAULT_VARIANT, v0=None, return_policy=False):
        if (v0 is None and (variant is None or variant == "numba-maxplus")
                and type(grid) is np.ndarray and type(beta) is float and type(num_iter) is int
                and num_iter >= 1 and grid.ndim == 1 and grid.dtype is _FLOAT64):
            fast = _fast_kernel_cache[0]
            if fast is _UNRESOLVED:
                fast = _fast_kernel()
            if fast is not None:
                value, policy = np.empty(grid.size), np.empty(grid.size, dtype=np.int64)
                if fast(grid, beta, num_iter, value, policy):
                    return (value, policy) if return_policy else value
        return general(grid, beta, num_iter, variant, v0, return_policy)

    return iterate


#: The fast path alone: its result, or None where the general path must run.
_fast_call = with_fast_path(lambda grid, beta, num_iter, variant, v0, return_policy: None)


def _exact(problem, tol):
    """The fixed point by one max-plus merge (``ValueError`` where it does not apply)."""
    if "numba-maxplus" not in CAKE.variants():
        raise registry.VariantUnavailable("method='exact' needs numba: " +
                                          CAKE.unavailable_variants()["numba-maxplus"])
    from vfi.cake.maxplus import fixed_point_maxplus

    value, policy, bound = fixed_point_maxplus(problem.grid, problem.beta)
    return solvers.result(value, policy, 1, bound, tol=tol, method="exact",
                          variant="numba-maxplus")


def _exact_applies(problem) -> bool:
    if "numba-maxplus" not in CAKE.variants():
        return False
    from vfi.cake.maxplus import applies

    return applies(problem.grid)


def case(n=1000, x_min=0.1, beta=0.95):
    """The headline model: ``n`` evenly spaced points on [x_min, 1], discount ``beta``."""
    n = as_count("n", n, minimum=1)
    return CakeEating(np.linspace(x_min, 1.0, n), beta)


class CakeMember(Member):
    """Cake eating as a member: its kernels take ``(grid, beta, v, num_iter)``, the plain
    ``iterate`` call has a compiled fast path, and ``solve`` adds ``method="exact"`` (one
    max-plus merge) and an ``"auto"`` that takes it where it applies."""

    differences = {
        "solve.tol": "1e-10: the exact method's bound is at rounding level, so the "
                     "default asks for what the fastest path gives anyway",
        "iterate.v0": "sqrt(grid): the notebook's start, not 0",
    }
    methods = SOLVE_METHODS

    def run_kernel(self, kernel, model, v, num_iter):
        return kernel(model.grid, model.beta, v, num_iter)

    def fast_iterate(self, model, num_iter, variant, v0, return_policy):
        return _fast_call(model.grid, model.beta, num_iter, variant=variant, v0=v0,
                          return_policy=return_policy)

    def default_solve_variant(self):
        """The first of :data:`SOLVE_PREFERENCE` that is available here."""
        available = set(self.variants())
        return next(name for name in SOLVE_PREFERENCE if name in available)

    def iterate(self, model, num_iter, *, variant=DEFAULT_VARIANT, v0=None, return_policy=False):
        """Apply the Bellman operator ``num_iter`` times, from ``v0`` (default ``sqrt(grid)``,
        the notebook's start; the family's is 0).

        .. math:: v_{k+1}(x_i) = \\max_{x_j \\le x_i} \\sqrt{x_i - x_j} + \\beta v_k(x_j)

        Parameters
        ----------
        model : CakeEating
        num_iter : int
            Number of Bellman steps, >= 0 (>= 1 when ``return_policy``).
        variant : str, optional
            A name from :func:`vfi.variants`; default the fastest exact one available
            (:func:`default_variant`: ``numba-maxplus`` with numba).
        v0 : array_like, optional
            Starting value, same shape as grid, finite. Never modified.
        return_policy : bool
            Also return the policy of the last step (indices into grid, first maximum).

        Returns
        -------
        value : ndarray of float64
        policy : ndarray of int64, only when ``return_policy``
        """
        return super().iterate(model, num_iter, variant=variant, v0=v0,
                               return_policy=return_policy)

    def solve(self, model, *, tol=1e-10, method="auto", variant=None, max_iter=10_000,
              v0=None, sweeps=20):
        r"""Solve the Bellman equation to a guaranteed sup-norm error below ``tol``
        (default 1e-10, the family's 1e-8: the exact method's bound is at rounding level).

        Each greedy step :math:`(Tv, \sigma)` is taken by ``variant``; between them
        ``method`` updates v: ``"vfi"`` takes :math:`Tv`, ``"howard"`` the exact value of
        :math:`\sigma` (a triangular system, :mod:`vfi.cake.policy`), ``"mpi"``
        ``sweeps`` applications of :math:`T_\sigma` to :math:`Tv`. The stopping rule and
        ``error_bound`` are the MacQueen-Porteus bounds of :mod:`vfi.solvers`, which hold
        whatever v is.

        On a uniform grid (with numba) ``"howard"`` then takes the least concave majorant
        :math:`\hat v_\sigma` of the policy's value. Every policy's value is below the
        fixed point, :math:`v_\sigma \le v^*`, and :math:`v^*` is concave there, so
        :math:`v_\sigma \le \hat v_\sigma \le v^*`: the majorant is never farther from
        :math:`v^*`, and being concave it lets the greedy step use the O(n) concave scan
        (n = 10^6, tol = 1e-10: 18 greedy steps instead of 47).

        Parameters
        ----------
        model : CakeEating
        tol : float
            Positive, finite: the guaranteed sup-norm distance to the discrete fixed point.
        method : {"auto", "exact", "vfi", "howard", "mpi"}
            ``"exact"``: the discrete fixed point by one max-plus merge
            (:func:`vfi.cake.maxplus.fixed_point_maxplus`), no iteration, ``error_bound``
            at rounding level (the utility table's and the sums'); only on a grid uniform
            to the utility-table rule of ``numba-concave``, else ``ValueError`` naming the
            rule. ``"auto"`` (default): ``"exact"`` where it applies (and no variant is
            named), else ``"howard"``: the fastest exact method either way.
        variant : str, optional
            The variant taking the greedy steps; default the fastest available
            (:data:`SOLVE_PREFERENCE`).
        max_iter : int
            At most this many greedy steps; if the bound is still above ``tol`` the result
            has ``converged=False`` and a :class:`vfi.ConvergenceWarning` is issued.
        v0 : array_like, optional
            As for :meth:`iterate`.
        sweeps : int
            Policy-evaluation sweeps per improvement for ``"mpi"`` (>= 1).

        Returns
        -------
        vfi.SolveResult
            ``value``, ``policy``, ``iterations``, ``error_bound``, ``converged``.
        """
        problem = self.check_model(model)
        tol = as_positive("tol", tol)
        method = as_choice("method", method, SOLVE_METHODS)
        max_iter = as_count("max_iter", max_iter, minimum=1)
        sweeps = as_count("sweeps", sweeps, minimum=1)
        if method == "auto":
            method = "exact" if variant is None and _exact_applies(problem) else "howard"
        if method == "exact":
            if variant not in (None, "numba-maxplus"):
                raise ValueError(f"variant must be None with method='exact' (the fixed point "
                                 f"is one max-plus merge, numba-maxplus); got {plain(variant)}")
            problem.initial_value(v0)  # checked, though the fixed point does not depend on it
            return _exact(problem, tol)
        variant = self.default_solve_variant() if variant is None else variant
        kernel = registry.lookup(PROBLEM, variant)
        g, b = problem.grid, problem.beta
        v = problem.initial_value(v0)

        def bellman(values):
            return kernel(g, b, values, 1)

        majorant = concave_majorant_or_none(g)

        def evaluate(policy, values, count):
            if count is not None:
                return evaluate_sweeps(g, b, policy, values, count)
            exact = evaluate_exact(g, b, policy)
            return exact if majorant is None else majorant(exact)

        return solvers.solve_fixed_point(bellman, evaluate, v, b, tol=tol, method=method,
                                         max_iter=max_iter, sweeps=sweeps, variant=variant)


CAKE = registry.register_member(CakeMember(
    PROBLEM, CakeEating, PREFERENCE, case=case, timing=(1000, 10), reference="numpy-masked",
    summary="cake eating, the notebook's problem"))
__all__ = ["CAKE", "CakeMember", "CakeEating", "case", "validate", "closed_form",
           "DEFAULT_VARIANT", *CAKE.export(globals(), "default_solve_variant")]
