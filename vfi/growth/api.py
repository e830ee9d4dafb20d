"""Fixed steps, solving to a tolerance, and the paper's own stopping rule."""
from __future__ import annotations

import numpy as np

from vfi import registry, solvers
from vfi.growth import policy as growth_policy
from vfi.growth.model import StochasticGrowth
from vfi.validation import as_count, as_positive

PROBLEM = "growth"

#: Variants tried, in order, when none is named.
SOLVE_PREFERENCE = ("numba-monotone", "numba-brute", "jax-vmap", "numpy-blocked", "python-loops")

#: Variants whose steps and the paper's stopping rule run in one compiled loop (value:
#: whether that loop uses the monotone search).
COMPILED_STOP = {"numba-monotone": True, "numba-brute": False}

#: Warm start: the coarse grid has 1/WARM_RATIO of the points, down to WARM_MIN_POINTS.
WARM_RATIO, WARM_MIN_POINTS = 10, 100


def variants():
    """Names of the growth variants that can run in this environment."""
    return registry.variants(PROBLEM)


def unavailable_variants():
    """``{name: reason}`` for the known growth variants that cannot run here."""
    return registry.unavailable_variants(PROBLEM)


def default_variant() -> str:
    """The first of :data:`SOLVE_PREFERENCE` available here."""
    available = set(variants())
    return next(name for name in SOLVE_PREFERENCE if name in available)


def _model(model) -> StochasticGrowth:
    if not isinstance(model, StochasticGrowth):
        raise TypeError(f"model must be a vfi.growth.StochasticGrowth, got {type(model).__name__}")
    return model


def _kernel(model, variant):
    kernel = registry.lookup(PROBLEM, default_variant() if variant is None else variant)

    def step(v, num_iter=1):
        value, policy = kernel(model.grid, model.output, model.P, model.beta, v, num_iter)
        return np.asarray(value, dtype=np.float64), np.asarray(policy, dtype=np.int64)

    return step


def iterate(model, num_iter, *, variant=None, v0=None, return_policy=False):
    r"""Apply the Bellman operator ``num_iter`` times from ``v0`` (default 0).

    .. math:: V_{k+1}(k_i, z_s) = \max_{k_j < z_s k_i^\alpha} (1-\beta)\log(z_s k_i^\alpha - k_j)
              + \beta \sum_t P_{st} V_k(k_j, z_t)

    Parameters
    ----------
    model : StochasticGrowth
    num_iter : int
        Number of Bellman steps, >= 0 (>= 1 when ``return_policy``).
    variant : str, optional
        A name from :func:`variants`; default :func:`default_variant`.
    v0 : array_like, optional
        Shape (n_capital, n_z), finite; never modified.
    return_policy : bool
        Also return the last step's policy: indices into the grid, first maximiser.

    Returns
    -------
    value : ndarray of float64, shape (n_capital, n_z)
    policy : ndarray of int64, shape (n_capital, n_z), only when ``return_policy``
    """
    model = _model(model)
    num_iter = as_count("num_iter", num_iter)
    if return_policy and num_iter == 0:
        raise ValueError("num_iter must be >= 1 when return_policy=True "
                         "(the policy is the argmax of the last Bellman step)")
    v = model.initial_value(v0)
    step = _kernel(model, variant)
    if num_iter == 0:
        return v
    value, policy = step(v, num_iter)
    return (value, policy) if return_policy else value


def bellman(model, v, *, variant=None):
    """One Bellman step: ``(TV, policy)``, with the checks of :func:`iterate`."""
    return iterate(model, 1, variant=variant, v0=v, return_policy=True)


def paper_vfi(model, *, tol=1e-7, variant=None, max_iter=10_000):
    """Value iteration from V = 0 with the paper's stopping rule, sup|V_new - V| < tol.

    Returns
    -------
    value, policy : ndarray, shape (n_capital, n_z)
    iterations : int
        Bellman steps taken, the last included (257 on the paper's case).
    """
    model = _model(model)
    tol = as_positive("tol", tol)
    max_iter = as_count("max_iter", max_iter, minimum=1)
    variant = default_variant() if variant is None else variant
    step = _kernel(model, variant)  # checks the name and availability
    v = model.initial_value()
    if variant in COMPILED_STOP:  # the loop and the rule compiled with the steps
        from vfi.growth.numba import iterate_until

        return iterate_until(model.grid, model.output, model.P, model.beta, v, tol, max_iter,
                             monotone=COMPILED_STOP[variant])
    for iteration in range(1, max_iter + 1):
        new, policy = step(v)
        if np.max(np.abs(new - v)) < tol:
            break
        v = new
    return new, policy, iteration


def _interpolate(coarse_model, coarse_value, grid):
    """Linear interpolation of each productivity column onto ``grid`` (same end points)."""
    return np.stack([np.interp(grid, coarse_model.grid, coarse_value[:, s])
                     for s in range(coarse_value.shape[1])], axis=1)


def _warm_start(model, **options):
    """Coarse-to-fine start: solve on a grid WARM_RATIO times coarser, interpolate."""
    n = model.n // WARM_RATIO
    if n < WARM_MIN_POINTS:
        return None
    coarse = model.with_grid(np.linspace(model.grid[0], model.grid[-1], n))
    result = solve(coarse, warm_start=True, **options)
    return _interpolate(coarse, result.value, model.grid)


def solve(model, *, tol=1e-8, method="mpi", variant=None, max_iter=10_000, v0=None, sweeps=20,
          warm_start=False):
    r"""Solve the Bellman equation to a guaranteed sup-norm error below ``tol``.

    Greedy steps :math:`(TV, \sigma)` are taken by ``variant``; between them ``method``
    updates V: ``"vfi"`` takes :math:`TV`, ``"howard"`` the value of :math:`\sigma`
    (sweeps to well under ``tol``), ``"mpi"`` ``sweeps`` applications of :math:`T_\sigma`
    to :math:`TV`. The stopping rule and ``error_bound`` are the MacQueen-Porteus bounds
    of :func:`vfi.solvers.solve_fixed_point`, computed from the last greedy step.

    Parameters
    ----------
    model : StochasticGrowth
    tol : float
        Positive: the guaranteed sup-norm distance to the discrete fixed point.
    method : {"vfi", "howard", "mpi"}
    variant : str, optional
        Default :func:`default_variant`.
    max_iter : int
        At most this many greedy steps (per grid with ``warm_start``).
    v0 : array_like, optional
        Starting value, shape (n_capital, n_z); default 0 (or the warm start).
    sweeps : int
        Evaluation sweeps per improvement for ``"mpi"``.
    warm_start : bool
        Start from the solution on a grid 10 times coarser (recursively, down to
        100 points), linearly interpolated; ignored when ``v0`` is given. The bound is
        still computed on this grid, so the result is as guaranteed.

    Returns
    -------
    vfi.SolveResult
        ``value`` and ``policy`` of shape (n_capital, n_z), ``iterations`` (greedy steps
        on this grid), ``error_bound``, ``converged``.
    """
    model = _model(model)
    tol = as_positive("tol", tol)
    if method not in solvers.METHODS:
        raise ValueError(f"method must be one of {', '.join(solvers.METHODS)}; got {method!r}")
    max_iter = as_count("max_iter", max_iter, minimum=1)
    sweeps = as_count("sweeps", sweeps, minimum=1)
    variant = default_variant() if variant is None else variant
    step = _kernel(model, variant)
    v = model.initial_value(v0)
    if v0 is None and warm_start:
        guess = _warm_start(model, tol=tol, method=method, variant=variant, max_iter=max_iter,
                            sweeps=sweeps)
        v = v if guess is None else guess

    def evaluate(policy, values, count):
        scale = float(np.max(np.abs(values)))
        return growth_policy.evaluate(model, policy, values, count,
                                      growth_policy.exact_tolerance(tol, scale))

    return solvers.solve_fixed_point(step, evaluate, v, model.beta, tol=tol, method=method,
                                     max_iter=max_iter, sweeps=sweeps, variant=variant)
