"""The peer: QuantEcon's ``quantecon.markov.DiscreteDP`` on the optimal savings problem.

The household problem of QuantEcon's *Optimal Savings* lectures, on a grid,

.. math::

    V(w_i, y_s) = \\max_{j:\\ c_{isj} > 0}
        u(c_{isj}) + \\beta \\sum_{s'} P[s, s'] \\, V(w_j, y_{s'}),
    \\qquad c_{isj} = R w_i + y_s - w_j,
    \\qquad u(c) = \\frac{c^{1-\\gamma}}{1-\\gamma},

written as a finite Markov decision problem in state-action-pairs form and
handed to :class:`quantecon.markov.DiscreteDP`, so that our own solvers can be
checked and timed against it. quantecon is an optional dependency: it is
imported inside the functions, never at module import.

State ``(i, s)`` (wealth index ``i``, income index ``s``) has index
``i * y_size + s``, so a value vector reshapes to ``(w_size, y_size)`` in C
order; the action is the next wealth index ``j``.
"""
from __future__ import annotations

import warnings

import numpy as np

from vfi.validation import as_choice

__all__ = ["discrete_dp", "solve_discrete_dp", "METHODS"]

#: Solution methods of ``DiscreteDP.solve`` that :func:`solve_discrete_dp` accepts.
METHODS = ("policy_iteration", "modified_policy_iteration", "value_iteration")


def _import_ddp():
    try:
        from quantecon.markov import DiscreteDP
    except ImportError as exc:
        raise ImportError(
            "the DiscreteDP peer needs the optional package quantecon "
            "(pip install quantecon)") from exc
    return DiscreteDP


def _utility(c, gamma):
    """CRRA utility, ``log`` at ``gamma == 1``."""
    if gamma == 1.0:
        return np.log(c)
    return c ** (1.0 - gamma) / (1.0 - gamma)


def discrete_dp(grid, y, P, R, beta, gamma):
    """Build the optimal savings problem as a ``quantecon.markov.DiscreteDP``.

    .. math::

        V(w_i, y_s) = \\max_{j:\\ c > 0} u(c) + \\beta \\sum_{s'} P[s, s'] V(w_j, y_{s'}),
        \\qquad c = R w_i + y_s - w_j

    State ``i * y_size + s`` is the pair (wealth ``grid[i]``, income ``y[s]``);
    action ``j`` chooses next wealth ``grid[j]``. Only feasible pairs
    (``c > 0``) are listed, sorted by state then action. The transition
    matrix is sparse CSR of shape ``(n_pairs, n_states)``: row ``(i, s, j)``
    holds ``P[s, s']`` at column ``j * y_size + s'`` for every ``s'`` with
    ``P[s, s'] != 0``.

    Parameters
    ----------
    grid : array_like
        Wealth grid, 1-D, finite, length ``w_size``.
    y : array_like
        Income levels, 1-D, finite, length ``y_size``.
    P : array_like
        Income transition matrix, ``(y_size, y_size)``, rows summing to one.
    R : float
        Gross interest rate.
    beta : float
        Discount factor in [0, 1).
    gamma : float
        Coefficient of relative risk aversion, > 0 (``log`` utility at 1).

    Returns
    -------
    ddp : quantecon.markov.DiscreteDP
        In state-action-pairs form with ``w_size * y_size`` states, with an
        extra attribute ``grid_shape = (w_size, y_size)``.

    Raises
    ------
    ImportError
        When quantecon is not installed.
    ValueError
        On bad shapes, or when some state has no feasible action.

    Examples
    --------
    >>> import numpy as np, quantecon as qe
    >>> mc = qe.tauchen(12, 0.9, 0.1)
    >>> grid = np.linspace(0.01, 10.0, 150)
    >>> ddp = discrete_dp(grid, np.exp(mc.state_values), mc.P, 1.01, 0.98, 2.0)
    >>> ddp.num_states
    1800
    """
    DiscreteDP = _import_ddp()
    import scipy.sparse as sp

    grid = np.asarray(grid, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    if grid.ndim != 1 or y.ndim != 1 or grid.size == 0 or y.size == 0:
        raise ValueError("grid and y must be non-empty 1-D arrays")
    w_size, y_size = grid.size, y.size
    if P.shape != (y_size, y_size):
        raise ValueError(f"P must have shape ({y_size}, {y_size}), got {P.shape}")
    if not (np.isfinite(grid).all() and np.isfinite(y).all() and np.isfinite(P).all()):
        raise ValueError("grid, y and P must be finite")
    gamma = float(gamma)
    if not gamma > 0:
        raise ValueError("gamma must be positive")

    # Consumption of every (state, action): rows are states i * y_size + s.
    cash = (R * grid[:, None] + y[None, :]).ravel()          # (n_states,)
    c = cash[:, None] - grid[None, :]                         # (n_states, w_size)
    feasible = c > 0
    if not feasible.any(axis=1).all():
        state = int(np.flatnonzero(~feasible.any(axis=1))[0])
        i, s = divmod(state, y_size)
        raise ValueError(f"no feasible next wealth (c > 0) at state w[{i}], y[{s}]")
    s_indices, a_indices = np.nonzero(feasible)               # sorted: state, then action
    rewards = _utility(c[s_indices, a_indices], gamma)

    # Pair (i, s, j) moves like row j * y_size + s of kron(I_w, P): pick those rows.
    P_csr = sp.csr_matrix(P)
    P_csr.eliminate_zeros()
    K = sp.kron(sp.identity(w_size, format="csr"), P_csr, format="csr")
    rows = a_indices * y_size + s_indices % y_size
    Q = K[rows]
    ddp = DiscreteDP(rewards, Q, beta, s_indices, a_indices)
    ddp.grid_shape = (w_size, y_size)  # read back by solve_discrete_dp
    return ddp


def solve_discrete_dp(ddp, method, epsilon=1e-8, *, max_iter=None, k=20):
    """Solve a :func:`discrete_dp` problem with ``ddp.solve``.

    .. math::

        v^* = \\max_\\sigma \\, (I - \\beta Q_\\sigma)^{-1} r_\\sigma

    Policy iteration is exact (it stops when the greedy policy repeats);
    value iteration and modified policy iteration stop at an
    ``epsilon``-optimal value (QuantEcon's span and sup-norm rules).

    Parameters
    ----------
    ddp : quantecon.markov.DiscreteDP
        From :func:`discrete_dp` (states ``i * y_size + s``; its
        ``grid_shape`` attribute gives the output shape).
    method : str
        One of ``"policy_iteration"``, ``"modified_policy_iteration"``,
        ``"value_iteration"``.
    epsilon : float
        Tolerance for epsilon-optimality (ignored by policy iteration).
    max_iter : int, optional
        Iteration cap; ``None`` keeps ``ddp.max_iter`` (QuantEcon's default
        250). Value iteration at ``epsilon=1e-8`` and ``beta=0.98`` needs
        about 1,140, so pass a larger cap for it. A ``RuntimeWarning`` is
        issued when the cap is hit.
    k : int
        Partial evaluation sweeps of modified policy iteration.

    Returns
    -------
    value : ndarray of float64, shape ``(w_size, y_size)``
    policy : ndarray of int64, shape ``(w_size, y_size)``
        Index of next wealth in the grid.
    iterations : int
        ``res.num_iter`` of QuantEcon's result.

    Examples
    --------
    >>> import numpy as np, quantecon as qe
    >>> mc = qe.tauchen(12, 0.9, 0.1)
    >>> grid = np.linspace(0.01, 10.0, 150)
    >>> ddp = discrete_dp(grid, np.exp(mc.state_values), mc.P, 1.01, 0.98, 2.0)
    >>> v, policy, n = solve_discrete_dp(ddp, "policy_iteration")
    >>> v.shape, policy.dtype
    ((150, 12), dtype('int64'))
    """
    method = as_choice("method", method, METHODS)
    shape = getattr(ddp, "grid_shape", None)
    if shape is None:
        raise ValueError("ddp has no grid_shape: build it with discrete_dp")
    res = ddp.solve(method=method, epsilon=epsilon, max_iter=max_iter, k=k)
    cap = ddp.max_iter if max_iter is None else max_iter
    if res.num_iter >= cap:
        warnings.warn(f"{method} stopped at max_iter={cap}, possibly before converging",
                      RuntimeWarning, stacklevel=2)
    # In state-action-pairs form res.sigma already holds action (next wealth) indices.
    value = np.asarray(res.v, dtype=np.float64).reshape(shape)
    policy = np.asarray(res.sigma, dtype=np.int64).reshape(shape)
    return value, policy, int(res.num_iter)
