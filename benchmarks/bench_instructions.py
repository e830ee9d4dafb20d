"""Instructions per call of the quick tier's headline cases, counted under Callgrind (issue 29).

A second metric beside wall time, one that does not wiggle with the machine's load: each
case's call runs in a Valgrind process (``vfi_bench.asvkit.callgrind``), after its
warm-up calls, inside a region marked by Callgrind's client requests, and the count per
call is tracked (``unit = "instructions"``). One process counts every notebook point, in
``setup_cache``; each headline case has a process of its own; the points' setups skip
with the reason when Valgrind (or a variant's dependency) is missing here.

- ``NotebookInstructions``: the notebook case (n = 100, 100 steps) of every registered
  cake variant (all run on this CPU); the JAX ones last, so that no JAX thread pool runs
  beside the other regions;
- ``HeadlineInstructions``: 100 steps at n = 10^4 of the default call, the exact fixed
  point at n = 10^6, the growth model's default solve (the paper's grid) and the savings
  model's (12 income states).

Deterministic code (Numba, NumPy, pure Python) gives the same count to the instruction
in every run; JAX's runtime does not (threads, dispatch): its points count ``JAX_CALLS``
calls in each of ``JAX_REGIONS`` regions, the count their median. Each point also sets
``instruction_spread`` (the widest log distance of a region from that median, 0 for one
region), which a compare reads to widen that point's limit (asvkit's README).
"""
import importlib

from .bench_cake import NOTEBOOK_N, NOTEBOOK_STEPS
from .common import cake_grid, prepare_cake, skip_unless_runnable, tracker, variant_names

# The checkout's tracker (common.tracker), not an older copy in the measured environment.
callgrind = importlib.import_module(f"{tracker().__name__}.asvkit.callgrind")

BETA = 0.95
GROWTH_TOL, SAVINGS_TOL = 2e-6, 1e-8
#: Seconds a class's Valgrind process may take (imports under Valgrind cost tens of them).
COUNT_TIMEOUT = 1500


#: Counted calls per region, and regions, of a JAX point: JAX's runtime varies from call
#: to call (its threads and dispatch), by 2-26 % over three single calls here and
#: 0.003-2.8 % over the means of five.
JAX_CALLS = 5
JAX_REGIONS = 5


def _is_jax(variant):
    return variant.split("-")[0] == "jax"


def _jax_last(variants):
    return sorted(variants, key=_is_jax)


def notebook_call(variant, n=NOTEBOOK_N, steps=NOTEBOOK_STEPS):
    return prepare_cake(variant, n, steps, budget=10.0)


def default_steps_call():
    """100 steps at n = 10^4 of the plain default call (no variant named)."""
    import vfi

    grid = cake_grid(10_000)
    vfi.iterate(grid, BETA, 1)
    return lambda: vfi.iterate(grid, BETA, 100)


def exact_fixed_point_call():
    import vfi

    if "exact" not in getattr(vfi.cake, "SOLVE_METHODS", ()):
        raise NotImplementedError("solve(method='exact') does not exist at this commit")
    skip_unless_runnable("cake", "numba-concave")
    grid = cake_grid(1_000_000)
    return lambda: vfi.solve(grid, BETA, tol=1e-10, method="exact")


def growth_default_call():
    try:
        from vfi import growth
    except ImportError:
        raise NotImplementedError("vfi.growth does not exist at this commit") from None
    model = growth.afv2015()
    return lambda: growth.solve(model, tol=GROWTH_TOL)


def savings_default_call():
    try:
        from vfi import savings
    except ImportError:
        raise NotImplementedError("vfi.savings does not exist at this commit") from None
    try:
        model = savings.quantecon(w_max=10.0, y_size=12)
    except ImportError as exc:  # quantecon, which the calibration needs
        raise NotImplementedError(str(exc)) from None
    return lambda: savings.solve(model, tol=SAVINGS_TOL)


HEADLINES = {
    "steps-10k-default": default_steps_call,
    "exact-fixed-point-1M": exact_fixed_point_call,
    "growth-default-solve": growth_default_call,
    "savings-default-solve": savings_default_call,
}


def count_points(points):
    """``{point name: outcome}`` from one Callgrind process, or the reason (a string)
    why nothing can be counted here."""
    reason = callgrind.unavailable_reason()
    if reason is not None:
        return reason
    try:
        return callgrind.count(points, timeout=COUNT_TIMEOUT)
    except callgrind.CallgrindUnavailable as exc:
        return str(exc)


def counted_of(counts, name):
    """The :class:`Counted` of point ``name``, or the asv skip (or failure) its outcome
    says."""
    if isinstance(counts, str):
        raise NotImplementedError(counts)
    outcome = counts[name]
    if isinstance(outcome, callgrind.Skipped):
        raise NotImplementedError(outcome.reason)
    if isinstance(outcome, callgrind.Failed):
        raise RuntimeError(outcome.message)
    return outcome


class Counts:
    """What the instruction classes share: ``setup`` keeps the count and its spread."""
    unit = "instructions"
    timeout = COUNT_TIMEOUT + 60

    def keep(self, counted):
        self.instructions = counted.instructions
        self.instruction_spread = counted.spread


class NotebookInstructions(Counts):
    params = [variant_names("cake")]
    param_names = ["variant"]
    size = (NOTEBOOK_N, NOTEBOOK_STEPS)  # (n, steps)

    def setup_cache(self):
        return count_points([callgrind.Point(name, f"{__name__}:notebook_call",
                                             (name, *self.size),
                                             calls=JAX_CALLS if _is_jax(name) else 1,
                                             regions=JAX_REGIONS if _is_jax(name) else 1)
                             for name in _jax_last(self.params[0])])

    def setup(self, counts, variant):
        self.keep(counted_of(counts, variant))

    def track_instructions(self, counts, variant):
        return self.instructions


class HeadlineInstructions(Counts):
    """Each case in a Callgrind process of its own, started by its ``setup``: a compare
    or run that selects one case (the drill's ``steps-10k-default``) counts only that
    one, and these calls (seconds each under Valgrind) outweigh a process start."""
    params = [list(HEADLINES)]
    param_names = ["case"]

    def setup(self, case):
        counts = count_points([callgrind.Point(case, f"{__name__}:{HEADLINES[case].__name__}")])
        self.keep(counted_of(counts, case))

    def track_instructions(self, case):
        return self.instructions
