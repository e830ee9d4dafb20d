"""The stochastic growth model of Aruoba & Fernández-Villaverde (2015), issue 7.

- ``GrowthSteps``: time and peak memory of each variant: one Bellman step on the paper's
  grid (17,820 x 5; the fast variants: brute force there costs 6-12 s a step, over the
  3 s budget), ten on 2,000 and on 200 points (python-loops only on 200);
- ``GrowthSolve``: ``solve`` to a guaranteed 2e-6 on the paper's case with numba-monotone,
  per method ("+c2f": from a coarse-grid solution), and the paper's own VFI (257 steps);
- ``GrowthCpp``: the C++ baseline, ``cpp/afv.cpp`` built with ``c++ -O3`` in setup. The
  binary times itself and ``track_cpp_seconds`` reports that: a ``time_`` benchmark of a
  subprocess would add process start-up and page-in, which the Python rows do not pay.
  ``GrowthMonotoneOverCpp`` is the ratio of numba-monotone's paper VFI to it, both
  measured in the same process (median of 5 each);
- ``GrowthDefaultOverCpp``: the C++ time over the default ``solve(model, tol=2e-6)``,
  and with ``exact_policy=True``, in the same run, and whether the check point's policy
  is the exact solution's;
- ``GrowthAccuracy``: greedy steps per method, and the sup distance of the solution to
  the continuous closed form;
- ``GrowthScaling``: n_capital = 10^5 and 10^6 (5 states) to a guaranteed 2e-6 with the
  fastest method (MPI from a coarse grid).

Every setup imports ``vfi.growth`` itself and skips (NotImplementedError) at a commit
without it. Cases the cost model (``vfi_bench.cpp_baseline.estimated_seconds``) puts over
``BUDGET_SECONDS`` times ``common.BUDGET_SCALE`` record a skip instead of running.
"""
import statistics
import tempfile
import time

from . import common
from .common import variant_names

TOL = 2e-6
PAPER_N = 17_820
BUDGET_SECONDS = 15.0
SOLVE_METHODS = ["paper", "vfi", "howard", "mpi", "howard+c2f", "mpi+c2f"]


def _skip_over_budget(report, variant, method, n, fraction=1.0, budget=BUDGET_SECONDS):
    """NotImplementedError when ``fraction`` of the row's estimated cost is over budget."""
    seconds = report.estimated_seconds(variant, method, n) * fraction
    budget *= getattr(common, "BUDGET_SCALE", 1.0)
    if seconds > budget:
        raise NotImplementedError(f"{variant} {method} at n={n}: about {seconds:.2g} s, "
                                  f"over the {budget:g} s budget")


def _growth():
    """The C++ baseline and cost model (``vfi_bench.cpp_baseline``), which need vfi.growth."""
    try:
        from vfi_bench import cpp_baseline
    except ImportError as exc:
        raise NotImplementedError(f"vfi.growth does not exist at this commit ({exc})") from None
    return cpp_baseline


def _runnable(variant):
    report = _growth()
    from vfi import registry

    try:
        reason = registry.get_variant("growth", variant).unavailable_reason
    except ValueError:
        raise NotImplementedError(f"{variant} is not registered at this commit") from None
    if reason is not None:
        raise NotImplementedError(f"{variant} unavailable: {reason}")
    return report


class GrowthSteps:
    # Brute force on the paper's grid costs 6-12 s a step: its rows are skipped by the
    # budget, and 2,000 points (a hundredth of the pairs) stand for them.
    params = [variant_names("growth") or ["none-registered"], [200, 2_000, PAPER_N]]
    param_names = ["variant", "n_capital"]
    number = 1
    rounds = 1  # a brute-force step on the paper's grid takes seconds: 1-3 samples
    repeat = (1, 3, 10.0)
    warmup_time = 0.0
    timeout = 300

    def setup(self, variant, n_capital):
        report = _runnable(variant)
        from vfi import growth

        steps = 1 if n_capital == PAPER_N else 10
        _skip_over_budget(report, variant, "paper", n_capital, steps / 257, budget=3.0)
        model = growth.afv2015(n_capital)
        # Compile at the timed shapes: JAX compiles per shape, numba per signature.
        warm = model if variant.startswith("jax") else growth.afv2015(50)
        growth.iterate(warm, 1, variant=variant)
        self.run = lambda: growth.iterate(model, steps, variant=variant)

    def time_steps(self, variant, n_capital):
        self.run()

    def peakmem_steps(self, variant, n_capital):
        self.run()


class GrowthSolve:
    params = [SOLVE_METHODS]
    param_names = ["method"]
    number = 1
    rounds = 1
    repeat = (3, 7, 10.0)
    warmup_time = 0.0
    timeout = 300

    def setup(self, method):
        report = _runnable("numba-monotone")
        from vfi import growth

        _skip_over_budget(report, "numba-monotone", method, PAPER_N)
        model = growth.afv2015()
        report.run_case(growth.afv2015(300), "numba-monotone", method, TOL)  # compile
        self.run = lambda: report.run_case(model, "numba-monotone", method, TOL)

    def time_solve(self, method):
        self.run()

    def peakmem_solve(self, method):
        self.run()


class _CppBinary:
    """Setup and teardown of the compiled baseline (no benchmarks of its own)."""

    timeout = 300
    repeats = 5

    def setup(self, *params):
        report = _growth()
        self.directory = tempfile.TemporaryDirectory()
        try:
            self.binary = report.build_cpp(self.directory.name)
        except report.CppUnavailable as exc:
            self.directory.cleanup()
            raise NotImplementedError(f"C++ baseline skipped: {exc}") from None

    def teardown(self, *params):
        # asv runs teardown after a skip in setup too, when there may be no directory.
        directory = getattr(self, "directory", None)
        if directory is not None:
            directory.cleanup()

    def cpp_seconds(self):
        report = _growth()
        return statistics.median(report.run_cpp(self.binary)["seconds"]
                                 for _ in range(self.repeats))


class GrowthCpp(_CppBinary):
    unit = "seconds"

    def track_cpp_seconds(self):
        return self.cpp_seconds()


class GrowthMonotoneOverCpp(_CppBinary):
    """numba-monotone's paper VFI (257 steps, compiled stopping rule) over C++, same run."""

    unit = "ratio"

    def setup(self):
        report = _runnable("numba-monotone")
        _skip_over_budget(report, "numba-monotone", "paper", PAPER_N, 2 * self.repeats)
        super().setup()

    def track_monotone_over_cpp(self):
        report = _growth()
        from vfi import growth

        model = growth.afv2015()
        growth.paper_vfi(growth.afv2015(300), variant="numba-monotone")  # compile
        python, cpp = [], []
        for _ in range(self.repeats):  # interleaved: both see the same machine load
            cpp.append(report.run_cpp(self.binary)["seconds"])
            start = time.perf_counter()
            report.run_case(model, "numba-monotone", "paper", TOL)
            python.append(time.perf_counter() - start)
        return statistics.median(python) / statistics.median(cpp)


class GrowthDefaultOverCpp(_CppBinary):
    """The C++ baseline's time over ``growth.solve(model, tol=2e-6)`` with no other
    option (the default path: coarse-to-fine MPI), and with ``exact_policy=True``, medians
    of interleaved runs in one process; and whether each one's policy at the paper's check
    point, policy[999, 2], is the exact solution's (a solve to 1e-12)."""

    params = [["default", "exact_policy"]]
    param_names = ["options"]

    def setup(self, options):
        _runnable("numba-monotone")
        super().setup()
        from vfi import growth

        self.model = growth.afv2015()
        self.options = {} if options == "default" else {"exact_policy": True}
        try:
            growth.solve(growth.afv2015(3000), tol=TOL, **self.options)  # compile
        except TypeError:
            raise NotImplementedError(f"{options} does not exist at this commit") from None

    def track_cpp_over_solve(self, options):
        report = _growth()
        from vfi import growth

        ours, cpp = [], []
        for _ in range(self.repeats):
            cpp.append(report.run_cpp(self.binary)["seconds"])
            start = time.perf_counter()
            growth.solve(self.model, tol=TOL, **self.options)
            ours.append(time.perf_counter() - start)
        return statistics.median(cpp) / statistics.median(ours)

    track_cpp_over_solve.unit = "ratio"

    def track_check_point_is_exact(self, options):
        from vfi import growth

        exact = growth.solve(self.model, tol=1e-12, method="howard", warm_start=True)
        ours = growth.solve(self.model, tol=TOL, **self.options)
        return float(ours.policy[999, 2] == exact.policy[999, 2])

    track_check_point_is_exact.unit = "1 if exact"


class GrowthAccuracy:
    params = [SOLVE_METHODS]
    param_names = ["method"]
    timeout = 300

    def setup(self, method):
        self.report = _runnable("numba-monotone")
        _skip_over_budget(self.report, "numba-monotone", method, PAPER_N)

    def _result(self, method):
        from vfi import growth

        model = growth.afv2015()
        return model, self.report.run_case(model, "numba-monotone", method, TOL)

    def track_iterations(self, method):
        return self._result(method)[1][2]

    track_iterations.unit = "greedy steps"

    def track_sup_error_to_closed_form(self, method):
        import numpy as np

        from vfi import growth

        model, (value, _, _) = self._result(method)
        return float(np.max(np.abs(value - growth.closed_form(model)[0])))

    track_sup_error_to_closed_form.unit = "sup |V - V_closed|"


class GrowthScaling:
    params = [[100_000, 1_000_000]]
    param_names = ["n_capital"]
    number = 1
    rounds = 1
    repeat = (2, 5, 20.0)
    warmup_time = 0.0
    timeout = 600

    def setup(self, n_capital):
        report = _runnable("numba-monotone")
        from vfi import growth

        _skip_over_budget(report, "numba-monotone", "mpi+c2f", n_capital)
        model = growth.afv2015(n_capital)
        report.run_case(growth.afv2015(300), "numba-monotone", "mpi+c2f", TOL)  # compile
        self.run = lambda: report.run_case(model, "numba-monotone", "mpi+c2f", TOL)

    def time_solve(self, n_capital):
        self.run()

    def peakmem_solve(self, n_capital):
        self.run()

    def track_iterations(self, n_capital):
        return self.run()[2]

    track_iterations.unit = "greedy steps on the finest grid"
