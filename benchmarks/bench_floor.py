"""How far each headline case is from a floor measured on the same machine, in the same
process: the case's time over the floor's, medians of interleaved batches.

- ``OverStore``: over the time to write the case's value and policy once into memory
  already mapped (``ndarray.fill``, a streaming store at this machine's bandwidth, plus
  one Python call): no algorithm returns its answer faster;
- ``OverGreedyStep``: for the savings family, over one greedy step at the full size
  (the compiled step from the solution, its scratch prepared): the default solve must take
  at least one, to bound its error.

A ratio near 1 is a case at its limit; the front page shows these beside the peers.
Setups skip (NotImplementedError) at a commit without the case's API.
"""
import statistics
import time

import numpy as np

from . import common
from .common import cake_grid, skip_unless_runnable

BETA = 0.95
#: Seconds each ratio's interleaved batches take, and the shortest batch timed.
SECONDS, MIN_BATCH = 1.0, 2e-4
CAKE = ["notebook", "cake-1e4-100-steps", "cake-1e6-100-steps", "cake-fixed-point-1e6"]
FAMILY = ["growth-default", "savings-12", "savings-100"]
#: About how long one default call takes here (a case over its budget is skipped), and
#: that budget, before common.BUDGET_SCALE.
CALL_SECONDS = {"notebook": 1e-5, "cake-1e4-100-steps": 1e-3, "cake-1e6-100-steps": 0.1,
                "cake-fixed-point-1e6": 0.1, "growth-default": 5e-3, "savings-12": 2e-3,
                "savings-100": 0.05}
CALL_BUDGET = 1.0


def _skip_over_budget(case):
    budget = CALL_BUDGET * getattr(common, "BUDGET_SCALE", 1.0)
    if CALL_SECONDS[case] > budget:
        raise NotImplementedError(f"{case}: about {CALL_SECONDS[case]:g} s a call, over "
                                  f"the {budget:g} s budget")


def _cake(case):
    """``(call, value, policy)``: the default call and its answer."""
    import vfi

    skip_unless_runnable("cake", "numba-concave")
    if case == "cake-fixed-point-1e6":
        if not hasattr(vfi, "solve"):
            raise NotImplementedError("vfi.solve does not exist at this commit")
        grid = cake_grid(1_000_000)
        call = lambda: vfi.solve(grid, BETA, tol=1e-10)  # noqa: E731
        result = call()
        return call, result.value, result.policy
    n = {"notebook": 100, "cake-1e4-100-steps": 10_000, "cake-1e6-100-steps": 1_000_000}[case]
    grid = cake_grid(n)
    call = lambda: vfi.iterate(grid, BETA, 100)  # noqa: E731
    value = call()
    return call, value, np.zeros(value.shape, dtype=np.int64)


def _family(case):
    """``(call, value, policy, model)``: the member's default solve and its answer."""
    skip_unless_runnable(case.split("-")[0], "numba-monotone")
    try:
        if case == "growth-default":
            from vfi import growth as member

            model, tol = member.afv2015(), 2e-6
        else:
            from vfi import savings as member

            w_max, y_size = {"savings-12": (10.0, 12), "savings-100": (5.0, 100)}[case]
            model, tol = member.quantecon(w_max=w_max, y_size=y_size), 1e-8
    except ImportError as exc:
        raise NotImplementedError(f"{case}: {exc}") from None
    call = lambda: member.solve(model, tol=tol)  # noqa: E731
    result = call()
    return call, result.value, result.policy, model


def _store(value, policy):
    """The floor of writing ``value`` and ``policy`` once (their buffers mapped already)."""
    value, policy = np.empty_like(value), np.empty_like(policy)
    value.fill(1.0)
    policy.fill(1)

    def store():
        value.fill(0.5)
        policy.fill(2)
    return store


def _greedy_step(model, value):
    """One compiled greedy step of the family from ``value``, its scratch prepared."""
    try:
        from vfi.family import numba as family_numba
    except ImportError as exc:
        raise NotImplementedError(f"the family's compiled step: {exc}") from None
    n, m = value.shape
    out, policy = np.empty_like(value), np.zeros(value.shape, dtype=np.int64)
    scratch, hat = np.empty((m, n)), np.empty(n)
    spec = model.spec

    def step():
        family_numba.step(*spec, value, out, policy, scratch, hat, family_numba.MONOTONE)
    step()
    return step


def _per_call(run):
    """Calls per batch so that a batch lasts at least MIN_BATCH seconds."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            run()
        if time.perf_counter() - start >= MIN_BATCH:
            return calls
        calls *= 2


def ratio_over_floor(case, floor) -> float:
    """Median seconds per call of ``case`` over ``floor``'s, batches alternating."""
    batches = {run: _per_call(run) for run in (case, floor)}
    times = {run: [] for run in batches}
    deadline = time.perf_counter() + SECONDS * min(1.0, getattr(common, "BUDGET_SCALE", 1.0))
    while time.perf_counter() < deadline or len(times[case]) < 5:
        for run, calls in batches.items():
            start = time.perf_counter()
            for _ in range(calls):
                run()
            times[run].append((time.perf_counter() - start) / calls)
    return statistics.median(times[case]) / statistics.median(times[floor])


class OverStore:
    """The default call's time over the time to write its value and policy once."""

    params = [CAKE + FAMILY]
    param_names = ["case"]
    unit = "ratio"
    timeout = 300

    def setup(self, case):
        _skip_over_budget(case)
        prepared = _cake(case) if case in CAKE else _family(case)
        self.call, self.floor = prepared[0], _store(*prepared[1:3])

    def track_time_over_store(self, case):
        return ratio_over_floor(self.call, self.floor)


class OverGreedyStep:
    """The family's default solve over one greedy step at its full size."""

    params = [FAMILY]
    param_names = ["case"]
    unit = "ratio"
    timeout = 300

    def setup(self, case):
        _skip_over_budget(case)
        self.call, value, _, model = _family(case)
        self.floor = _greedy_step(model, value)

    def track_time_over_greedy_step(self, case):
        return ratio_over_floor(self.call, self.floor)
