r"""The value of a fixed growth policy: sweeps of :math:`T_\sigma`, or its fixed point.

.. math::

    (T_\sigma v)(k_i, z_s) = (1-\beta)\log(y_{is} - k_{\sigma(i,s)})
                             + \beta \sum_t P_{st}\, v(k_{\sigma(i,s)}, z_t)

is a gather and an m-term expectation per state. Its fixed point :math:`v_\sigma` is
approached by sweeps; since :math:`T_\sigma` is monotone, a :math:`\beta`-contraction and
shifts constants by :math:`\beta`, the MacQueen-Porteus midpoint of the last sweep is
within the stated tolerance of :math:`v_\sigma`. (The solvers' error bound comes from a
greedy step, so it is a guarantee whatever the accuracy here.)
"""
from __future__ import annotations

import numpy as np

from vfi.growth import numpy as gnp

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
    model : StochasticGrowth
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
        from vfi.growth import numba as gnb
    except ImportError:
        return _evaluate_numpy(model, policy, v, sweeps, tol)
    return gnb.evaluate(model.grid, model.output, model.P, model.beta, policy, v, sweeps, tol,
                        MAX_SWEEPS)


def _evaluate_numpy(model, policy, v, sweeps, tol):
    beta = model.beta
    r = gnp.reward(model.grid, model.output, beta, policy)
    count = MAX_SWEEPS if sweeps is None else sweeps
    for _ in range(count):
        new = gnp.sweep(r, model.P, beta, policy, v)
        if sweeps is None:
            d = new - v
            low, high = float(d.min()), float(d.max())
            if beta / (1.0 - beta) * 0.5 * (high - low) < tol:
                return new + beta / (1.0 - beta) * 0.5 * (low + high)
        v = new
    return v
