"""The suite's tiers, as asv ``--bench`` regular expressions (one place for all of them).

- ``full``: everything (``make bench``).
- ``quick``: the per-commit tier (``make bench-quick``, ``make bench-history``): the
  notebook case for every variant, the headline points of the fast exact variants, the
  growth model's fastest solves, the savings model's default solve (12 states), and the
  cost of ``import vfi`` and of a first call loaded from the compile cache (one variant
  per kind of kernel).
- ``gate``: what a comparison of two commits measures by default (``make compare``,
  ``calibrate``): the quick tier without the first-call points. Each of their samples is
  a fresh process of seconds: under the drill's load a quick-tier compare took 480 s
  here, the gate's 175 s; the history still tracks them, and its steps are checked point
  by point (``make bench-history``).

asv matches a parameterised benchmark as ``name(param, ...)`` with each parameter's
repr, which is how the patterns below pick single points.
"""

WARM = "(?:numba-concave|numba-parallel-monotone|numba-maxplus|jax-vmap)"

QUICK = (
    r"^bench_cake\.NotebookCase\.time_iterate",
    # Every fast variant (by its declared cost class) at n = 10^4: bench_fast.Steps10k
    # has exactly those.
    r"^bench_fast\.Steps10k\.time_100_steps",
    r"^bench_fast\.Steps1M\.time_100_steps\('numba-(?:concave|maxplus)'\)",
    r"^bench_fast\.Solve1M\.time_solve\('(?:howard|exact)'\)",
    r"^bench_growth\.GrowthSolve\.time_solve\('(?:howard|mpi)\+c2f'\)",
    r"^bench_savings\.SavingsSolve\.time_solve\('default', '12'\)",
    # Compile cost: loaded from the cache (warm) for one variant of each kind of kernel
    # (serial and parallel Numba, JAX) and the default; the full tier has every variant,
    # cold and warm. Each sample is a fresh process of seconds (a cold compile tens of
    # seconds), so this is where a tier's minutes go.
    rf"^bench_compile\.FirstCall\.timeraw_import_compile_call\('{WARM}', 'warm'\)",
    r"^bench_compile\.ImportVfi\.",
)

#: A first call's cost (``bench_compile``: ``timeraw_``, one process per sample).
FIRST_CALL = r"^bench_compile\."
GATE = tuple(pattern for pattern in QUICK if not pattern.startswith(FIRST_CALL))

TIERS = {"full": (".",), "quick": QUICK, "gate": GATE}


def regex(tier: str) -> str:
    """One regex for asv's ``--bench`` that selects ``tier``."""
    patterns = TIERS[tier]
    return patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)

