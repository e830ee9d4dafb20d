"""Helpers shared by every benchmark file: variant params, skips, budgets, warm-up, data.

- ``variant_names(problem)``: the variants registered at the commit being measured, all
  of them (available or not), so that parameter lists are the same on every machine.
- ``prepare(problem, variant, ...)``: raises ``NotImplementedError`` (asv records a skip,
  with the reason) when the variant or the API does not exist at this commit, when an
  optional dependency is missing, or when the case is over the time budget; otherwise
  returns a zero-argument callable, already run once at the timed shapes and dtypes so
  JIT compilation stays out of the timings.
- ``BUDGET_SECONDS`` and ``estimated_seconds``: which sizes a variant is too slow for,
  by the cost model of ``vfi_bench/costs.py`` (the one place that holds its numbers).
- ``cake_grid(n)``: the cached, deterministic grid of the scaling cases.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np


def _cache_jit_of_old_commits() -> None:
    """Give a commit from before ``vfi.compile_cache`` the same on-disk Numba cache.

    Older commits compile every kernel with ``cache=False``, which costs seconds in every
    benchmark process of a history run. Their ``numba.njit`` is wrapped to cache under a
    folder named by a digest of the installed package's whole source (the rule of
    ``vfi.compile_cache``), so no process can load another source's code. Commits that
    have ``vfi.compile_cache`` are left alone.
    """
    spec = importlib.util.find_spec("vfi")
    if spec is None or spec.origin is None or os.environ.get("VFI_JIT_CACHE", "1") == "0":
        return
    package = Path(spec.origin).parent
    if (package / "compile_cache.py").is_file():
        return
    try:
        import numba
    except ImportError:
        return
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    numba.config.CACHE_DIR = os.path.join(os.environ.get("VFI_CACHE_DIR") or
                                          os.path.join(sys.prefix, ".vfi-cache"),
                                          "numba-old", digest.hexdigest()[:16])
    plain = numba.njit

    def njit(*args, **options):
        options["cache"] = True
        return plain(*args, **options)

    numba.njit = njit


_cache_jit_of_old_commits()

try:
    from vfi import registry
except ImportError:  # a commit before the registry existed
    registry = None

#: A benchmarked call that is expected to take longer than this is skipped, not timed.
BUDGET_SECONDS = 2.0
#: Multiplies every budget: the test suite's smoke run (tests/tracker/test_bench_suite.py) sets it
#: small so that only cheap cases run and the others record their skip.
BUDGET_SCALE = float(os.environ.get("VFI_BENCH_BUDGET_SCALE", "1"))


def tracker():
    """The tracker package (``vfi_bench``) of the checkout this suite lives in.

    asv imports the benchmarks from the checkout and ``vfi`` from the commit it measures,
    whose environment has no ``vfi_bench`` (or an older one). The suite's budgets and its
    C++ baseline must be the checkout's at every commit, so the package is loaded from
    ``../vfi_bench`` beside this folder, under its own name, once per process.
    """
    if "vfi_bench" in sys.modules:
        return sys.modules["vfi_bench"]
    folder = Path(__file__).resolve().parents[1] / "vfi_bench"
    if not (folder / "__init__.py").is_file():  # a copy of the suite alone: the installed one
        import vfi_bench

        return vfi_bench
    spec = importlib.util.spec_from_file_location(
        "vfi_bench", folder / "__init__.py", submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["vfi_bench"] = module
    spec.loader.exec_module(module)
    return module


tracker()
from vfi_bench import costs  # noqa: E402  (the checkout's, loaded just above)


def variant_names(problem: str) -> list[str]:
    """All variants registered for ``problem`` at this commit, available or not."""
    if registry is None:
        return []
    try:
        return registry.variants(problem, include_unavailable=True)
    except Exception:
        return []


def estimated_seconds(variant: str, n: int, num_iter: int) -> float:
    """A rough cost model (``vfi_bench/costs.py``, cake eating): enough to skip hopeless cases,
    never used as a result."""
    return costs.estimated_seconds("cake", variant, n, num_iter,
                                   order=costs.declared_order("cake", variant))


def skip_unless_runnable(problem: str, variant: str) -> None:
    """NotImplementedError (an asv skip) with the reason this variant cannot run here."""
    if registry is None:
        raise NotImplementedError("vfi.registry does not exist at this commit")
    try:
        record = registry.get_variant(problem, variant)
    except ValueError:
        raise NotImplementedError(f"{variant} is not registered at this commit") from None
    reason = record.unavailable_reason
    if reason is not None:
        raise NotImplementedError(f"{variant} unavailable: {reason}")


def skip_over_budget(variant: str, n: int, num_iter: int,
                     budget: float = BUDGET_SECONDS) -> None:
    seconds = estimated_seconds(variant, n, num_iter)
    budget *= BUDGET_SCALE
    if seconds > budget:
        raise NotImplementedError(f"{variant} at n={n}, {num_iter} steps: about {seconds:.0f} s,"
                                  f" over the {budget:g} s budget per call")


@functools.cache
def cake_grid(n: int, x_min: float = 0.1) -> np.ndarray:
    grid = np.linspace(x_min, 1.0, n)
    grid.flags.writeable = False
    return grid


def prepare_cake(variant: str, n: int, num_iter: int, beta: float = 0.95, *,
                 budget: float = BUDGET_SECONDS):
    """A warmed-up ``vfi.iterate`` call on ``linspace(0.1, 1, n)``, or an asv skip."""
    skip_unless_runnable("cake", variant)
    skip_over_budget(variant, n, num_iter, budget)
    import vfi

    grid = cake_grid(n)

    def run():
        return vfi.iterate(grid, beta, num_iter, variant=variant)

    try:
        vfi.iterate(grid, beta, 1, variant=variant)  # compile at the timed shapes and dtypes
    except MemoryError as exc:  # jax-vmap refusing an n x n working set that cannot fit
        raise NotImplementedError(str(exc)) from None
    return run


def seconds_of_one_call(run) -> float:
    """Wall seconds of one call of ``run``: for baselines too slow to sample (tracked once
    per commit with ``rounds = 1``, beside the sampled timings of the fast variants)."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start
