"""QuantEcon's optimal savings model, the savings family's third member, issue 13.

The lectures' two calibrations, named by their income states: ``"12"`` (w_max = 10,
12 income states) and ``"100"`` (w_max = 5, 100 income states), 150 wealth points.

- ``SavingsSteps``: ten Bellman steps of each variant;
- ``SavingsSolve``: ``vfi.savings.solve`` to 1e-8: the default (the fastest exact path)
  and each method with numba-monotone;
- ``SavingsOverDiscreteDP``: the peer, ``quantecon.markov.DiscreteDP`` (built in setup,
  its build not counted), solved by policy iteration and modified policy iteration
  (epsilon 1e-8), against our default solve, all in the same process: the ratio of
  medians (time of theirs over ours), whether the optimal policies are identical, and
  the largest value gap over our guaranteed bound (<= 1 when they agree).

Setups skip (NotImplementedError) at a commit without ``vfi.savings``, or without
quantecon, which the calibrations need.
"""
import statistics
import time

from . import common
from .common import skip_unless_runnable, variant_names

CALIBRATIONS = {"12": {"w_max": 10.0, "y_size": 12}, "100": {"w_max": 5.0, "y_size": 100}}
TOL = 1e-8

#: Seconds the peer comparison takes on this VM (DiscreteDP's build and repeated solves
#: dominate), and its budget: a calibration over it is skipped with its estimate.
PEER_SECONDS = {"12": 2.5, "100": 30.0}
#: The peer's runs per method: 100 states, its policy iteration takes about 8 s a run.
PEER_REPEATS = {"12": 9, "100": 1}
PEER_BUDGET = 300.0


def _model(calibration):
    try:
        from vfi import savings
    except ImportError:
        raise NotImplementedError("vfi.savings does not exist at this commit") from None
    try:
        return savings, savings.quantecon(**CALIBRATIONS[calibration])
    except ImportError as exc:
        raise NotImplementedError(str(exc)) from None


def median_seconds(run, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class SavingsSteps:
    params = [variant_names("savings") or ["none-registered"], list(CALIBRATIONS)]
    param_names = ["variant", "income_states"]
    repeat = (3, 10, 2.0)
    rounds = 1  # a process costs more than the samples: one round (asv's default is two)
    timeout = 120

    def setup(self, variant, income_states):
        skip_unless_runnable("savings", variant)
        if variant == "python-loops" and income_states == "100":
            raise NotImplementedError("python-loops at 150 x 100: about 20 s a step")
        savings, self.model = _model(income_states)
        self.iterate = savings.iterate
        self.iterate(self.model, 1, variant=variant)  # compile outside the timing

    def time_10_steps(self, variant, income_states):
        self.iterate(self.model, 10, variant=variant)


class SavingsSolve:
    params = [["default", "vfi", "howard", "mpi"], list(CALIBRATIONS)]
    param_names = ["method", "income_states"]
    repeat = (3, 10, 2.0)
    rounds = 1
    timeout = 120

    def setup(self, method, income_states):
        skip_unless_runnable("savings", "numba-monotone")
        savings, self.model = _model(income_states)
        options = {} if method == "default" else {"method": method,
                                                  "variant": "numba-monotone"}
        self.run = lambda: savings.solve(self.model, tol=TOL, **options)
        self.run()

    def time_solve(self, method, income_states):
        self.run()


def _peer_comparison(income_states):
    """{peer_method: (their median / our median, policies identical, gap / our bound)}."""
    savings, model = _model(income_states)
    from vfi.savings import peer

    ddp = peer.discrete_dp(model.grid, model.y, model.P, model.R, model.beta, model.gamma)
    ours = savings.solve(model, tol=TOL)
    our_seconds = median_seconds(lambda: savings.solve(model, tol=TOL), 9)
    rows = {}
    for method in peer.METHODS[:2]:
        times = []
        for _ in range(PEER_REPEATS[income_states]):  # DiscreteDP compiles nothing
            start = time.perf_counter()
            value, policy, _ = peer.solve_discrete_dp(ddp, method, epsilon=TOL,
                                                      max_iter=100_000)
            times.append(time.perf_counter() - start)
        rows[method] = (statistics.median(times) / our_seconds,
                        float((ours.policy == policy).all()),
                        float(abs(ours.value - value).max() / ours.error_bound))
    return rows


class SavingsOverDiscreteDP:
    """DiscreteDP's time over ours, medians in one process (9 runs each; one of the peer's
    on 100 states, where its policy iteration takes about 8 s). Everything is measured
    once, in ``setup_cache``; the methods report it."""

    params = [["policy_iteration", "modified_policy_iteration"], list(CALIBRATIONS)]
    param_names = ["peer_method", "income_states"]
    timeout = 900

    def setup_cache(self):
        rows = {}
        budget = PEER_BUDGET * getattr(common, "BUDGET_SCALE", 1.0)
        for calibration in CALIBRATIONS:
            try:
                skip_unless_runnable("savings", "numba-monotone")
                if PEER_SECONDS[calibration] > budget:
                    raise NotImplementedError(f"about {PEER_SECONDS[calibration]:g} s, over "
                                              f"the {budget:g} s budget")
                rows[calibration] = _peer_comparison(calibration)
            except NotImplementedError as exc:
                rows[calibration] = str(exc)
        return rows

    def setup(self, rows, peer_method, income_states):
        if isinstance(rows[income_states], str):
            raise NotImplementedError(rows[income_states])

    def track_peer_over_ours(self, rows, peer_method, income_states):
        return rows[income_states][peer_method][0]

    track_peer_over_ours.unit = "ratio"

    def track_policy_identical(self, rows, peer_method, income_states):
        return rows[income_states][peer_method][1]

    track_policy_identical.unit = "1 if identical"

    def track_value_gap_over_bound(self, rows, peer_method, income_states):
        return rows[income_states][peer_method][2]

    track_value_gap_over_bound.unit = "ratio"
