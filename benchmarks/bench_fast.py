"""The targets of the fast exact algorithms, each against its baseline in the same run.

- 100 steps at n = 10,000: the fast variants sampled (``Steps10k``); the brute-force
  baselines, numba-masked (the notebook's Numba, about 20 s a call) and numba-loops
  (9 s), timed by one call per commit (``Steps10kBaseline``, a ``track_`` in seconds):
  sampling them cost minutes per run and the ratio needs only their order of magnitude;
- 100 steps at n = 1,000,000: time and peak memory of the fast variants;
- solve to tol = 1e-10 at n = 1,000,000: time, peak memory and iterations per method,
  and the exact fixed point by one max-plus merge (``"exact"``).
"""
from .common import (
    cake_grid,
    costs,
    prepare_cake,
    seconds_of_one_call,
    skip_over_budget,
    skip_unless_runnable,
)

BETA = 0.95
FAST = costs.fast_variants("cake")  # by the cost class each register line declares


class Steps10k:
    params = [FAST or ["none-registered"]]
    param_names = ["variant"]
    rounds = 1
    repeat = (5, 20, 4.0)
    timeout = 600

    def setup(self, variant):
        self.run = prepare_cake(variant, 10_000, 100, BETA, budget=30.0)

    def time_100_steps(self, variant):
        self.run()


class Steps10kBaseline:
    """Seconds of one call of 100 steps at n = 10,000 (one call per commit)."""

    params = [["numba-masked", "numba-loops"]]
    param_names = ["variant"]
    unit = "seconds (one call)"
    timeout = 600

    def setup(self, variant):
        self.run = prepare_cake(variant, 10_000, 100, BETA, budget=120.0)

    def track_seconds(self, variant):
        return seconds_of_one_call(self.run)


class Steps1M:
    params = [FAST or ["none-registered"]]
    param_names = ["variant"]
    number = 1
    # Calls of 0.3-6 s: one round of 3-5 samples (two rounds doubled the cost, and at
    # this length the spread between rounds is below the spread within one).
    rounds = 1
    repeat = (3, 5, 20.0)
    warmup_time = 0.0
    timeout = 600

    def setup(self, variant):
        self.run = prepare_cake(variant, 1_000_000, 100, BETA, budget=30.0)

    def time_100_steps(self, variant):
        self.run()

    def peakmem_100_steps(self, variant):
        self.run()


class Solve1M:
    params = [["exact", "howard", "mpi", "vfi"]]
    param_names = ["method"]
    number = 1
    rounds = 1
    repeat = (3, 5, 8.0)
    warmup_time = 0.0
    timeout = 600
    n = 1_000_000

    def setup(self, method):
        import vfi

        if not hasattr(vfi, "solve"):
            raise NotImplementedError("vfi.solve does not exist at this commit")
        if method not in getattr(vfi.cake, "SOLVE_METHODS", ("howard", "mpi", "vfi")):
            raise NotImplementedError(f"method {method!r} does not exist at this commit")
        skip_unless_runnable("cake", "numba-concave")
        skip_over_budget("numba-concave", self.n, 50, budget=30.0)
        grid = cake_grid(self.n)
        self.run = lambda: vfi.solve(grid, BETA, tol=1e-10, method=method)
        vfi.solve(cake_grid(1000), BETA, tol=1e-10, method=method)  # compile

    def time_solve(self, method):
        self.run()

    def peakmem_solve(self, method):
        self.run()


class SolveIterations:
    """Greedy steps each method needs to reach tol = 1e-10 (a change in them is a change
    in the algorithm, not in the machine)."""

    params = [["howard", "mpi", "vfi"], [100, 10_000, 1_000_000]]
    param_names = ["method", "n"]
    unit = "greedy steps"
    timeout = 600

    def setup(self, method, n):
        import vfi

        if not hasattr(vfi, "solve"):
            raise NotImplementedError("vfi.solve does not exist at this commit")
        if method not in getattr(vfi.cake, "SOLVE_METHODS", ("howard", "mpi", "vfi")):
            raise NotImplementedError(f"method {method!r} does not exist at this commit")
        skip_unless_runnable("cake", "numba-concave")
        skip_over_budget("numba-concave", n, 150, budget=30.0)
        self.iterations = vfi.solve(cake_grid(n), BETA, tol=1e-10, method=method).iterations

    def track_iterations(self, method, n):
        return self.iterations
