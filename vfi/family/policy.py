r"""The value of a fixed policy of a family member: sweeps of :math:`T_\sigma`, or its
fixed point.

.. math::

    (T_\sigma v)(i, s) = u(r_{is} - k_{\sigma(i,s)}) + \beta \sum_t P_{st}\, v(\sigma(i,s), t)

is a gather and an m-term expectation per state. Its fixed point :math:`v_\sigma` is
found by BiCGSTAB where numba is installed (:func:`vfi.family.numba._evaluate_krylov`),
else approached by sweeps; each is checked by a sweep: since :math:`T_\sigma` is
monotone, a :math:`\beta`-contraction and shifts constants by :math:`\beta`, the
MacQueen-Porteus midpoint of the last sweep is within the stated tolerance of
:math:`v_\sigma`. (The solvers' error bound comes from a greedy step, so it is a
guarantee whatever the accuracy here.)
"""
from __future__ import annotations

import numpy as np

from vfi.family import numpy as fnp
from vfi.solvers import span_midpoint

#: Sweeps at most in an "exact" evaluation (a guard: the tolerance is normally met first).
MAX_SWEEPS = 100_000


def exact_tolerance(tol: float, value_scale: float) -> float:
    """Evaluation tolerance for Howard: well under the solve's, above float64 rounding."""
    return max(1e-3 * tol, 1e3 * np.finfo(np.float64).eps * max(1.0, value_scale))


def evaluate(model, policy, v, sweeps, tol=None):
    """``sweeps`` applications of :math:`T_\\sigma` to v, or (``sweeps=None``) its fixed point
    to within ``tol`` in the sup norm.

    Parameters
    ----------
    model : a family member (``model.spec``: :class:`vfi.family.spec.FamilySpec`)
    policy : ndarray of int64, shape (n, m)
    v : ndarray of float64, shape (n, m); not modified
    sweeps : int or None
    tol : float, optional
        For ``sweeps=None``; default :func:`exact_tolerance` of 1e-12.

    Returns
    -------
    ndarray of float64, shape (n, m)
    """
    if tol is None:
        tol = exact_tolerance(1e-12, float(np.max(np.abs(v))))
    try:
        from vfi.family import numba as family_numba
    except ImportError:
        return _evaluate_numpy(model, policy, v, sweeps, tol)
    return family_numba.evaluate(model.spec, policy, v, sweeps, tol, MAX_SWEEPS)


def _evaluate_numpy(model, policy, v, sweeps, tol):
    spec = model.spec
    r = fnp.reward(spec, policy)
    for _ in range(MAX_SWEEPS if sweeps is None else sweeps):
        new = fnp.sweep(r, spec.P, spec.beta, policy, v)
        if sweeps is None:
            d = new - v
            shift, bound = span_midpoint(float(d.min()), float(d.max()), spec.beta)
            if bound < tol:
                return new + shift
        v = new
    return v
