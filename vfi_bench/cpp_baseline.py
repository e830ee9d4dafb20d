"""The paper's comparison: each variant and method on :func:`afv2015`, against C++.

Used by ``python -m vfi_bench afv`` and by ``benchmarks/bench_growth.py``. The C++ baseline
(``cpp/afv.cpp``, the paper's algorithm) is built with ``c++ -O3`` into a temporary
directory and times itself, so that process start-up is not counted.
"""
from __future__ import annotations

import argparse
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vfi.growth import api
from vfi.growth.model import AFV_N, afv2015
from vfi_bench import costs

PROBLEM = "growth"

#: The paper's C++ program, in the checkout that holds this package (and the benchmarks).
CPP_SOURCE = Path(__file__).resolve().parents[1] / "cpp" / "afv.cpp"

#: Rows per variant: "paper" is value iteration from 0 with the paper's rule (sup|dV| <
#: 1e-7); the others are ``solve`` to a guaranteed tolerance, "+c2f" from a coarse grid.
METHODS = ("paper", "vfi", "howard", "mpi", "howard+c2f", "mpi+c2f")

#: Rough cost model, to skip hopeless rows (never reported as a result): greedy steps per
#: method on the paper's case, times the seconds of a step from :mod:`vfi_bench.costs`.
STEPS = {"paper": 257, "vfi": 160, "howard": 30, "mpi": 12, "howard+c2f": 3, "mpi+c2f": 3}
#: Seconds per (state, choice) pair of the brute-force variants, and per state of the
#: monotone ones: read from :mod:`vfi_bench.costs`, which holds the numbers.
SECONDS_PER_PAIR = costs.brute_force_variants(PROBLEM)
SECONDS_PER_STATE = costs.cost(PROBLEM, "numba-monotone").pair


class CppUnavailable(RuntimeError):
    """No C++ compiler, or no ``cpp/afv.cpp`` beside this checkout."""


def compiler() -> str | None:
    return shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")


def build_cpp(directory) -> Path:
    """Compile ``cpp/afv.cpp`` with -O3 into ``directory``; CppUnavailable says why not."""
    cxx = compiler()
    if cxx is None:
        raise CppUnavailable("no C++ compiler (g++, c++ or clang++) on PATH")
    if not CPP_SOURCE.is_file():
        raise CppUnavailable(f"{CPP_SOURCE} not found (vfi is not run from its checkout)")
    binary = Path(directory) / "afv"
    subprocess.run([cxx, "-O3", "-o", str(binary), str(CPP_SOURCE)], check=True,
                   capture_output=True, text=True)
    return binary


def run_cpp(binary, n_capital: int = AFV_N) -> dict:
    """One run: ``{"iterations", "check", "seconds"}`` as the binary reports them."""
    out = subprocess.run([str(binary), str(n_capital)], check=True, capture_output=True,
                         text=True).stdout.split()
    return {"iterations": int(out[1]), "check": float(out[3]), "seconds": float(out[5])}


def check_index(n_capital: int) -> int:
    """Capital index of the paper's check (999 on its grid; the same point on others)."""
    return 999 if n_capital == AFV_N else int(round(999 * (n_capital - 1) / (AFV_N - 1)))


def seconds_per_step(variant: str, n: int, m: int = 5) -> float:
    r"""The cost model's seconds of one Bellman step on n capital points and m states.

    .. math:: c_{pair} \, n^2 m / 2 \text{ (brute force)} \quad \text{or} \quad
              c_{pair} \, n m \text{ (monotone)}

    with the constants of :mod:`vfi_bench.costs` (problem ``"growth"``).
    """
    return costs.seconds_per_step(PROBLEM, variant, n, m,
                                  order=costs.declared_order(PROBLEM, variant))


def estimated_seconds(variant: str, method: str, n: int, m: int = 5) -> float:
    return seconds_per_step(variant, n, m) * STEPS[method]


def run_case(model, variant: str, method: str, tol: float):
    """``(value, policy, iterations)`` of one row."""
    if method == "paper":
        return api.paper_vfi(model, tol=1e-7, variant=variant)
    name, _, warm = method.partition("+")
    result = api.solve(model, tol=tol, method=name, variant=variant, warm_start=bool(warm))
    return result.value, result.policy, result.iterations


@dataclass
class Row:
    """One row of the table: measured, estimated (``estimated``) or skipped (``skipped``).

    An estimate's ``seconds`` are scaled from ``measured_steps`` Bellman steps timed on
    ``measured_at`` capital points; its ``iterations`` are those the scaling assumes.
    A skipped row keeps the cost model's seconds per run in ``forecast_seconds``.
    """
    variant: str
    method: str
    seconds: float = math.nan
    iterations: int | None = None
    check: float = math.nan
    sup_error: float = math.nan
    skipped: str = ""
    estimated: bool = False
    measured_at: int | None = None
    measured_steps: int | None = None
    forecast_seconds: float = math.nan


def _timed(model, variant, method, tol, repeats):
    run_case(afv2015(200), variant, method, tol)  # compile outside the timings
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value, policy, iterations = run_case(model, variant, method, tol)
        times.append(time.perf_counter() - start)
    return statistics.median(times), value, policy, iterations


def measured_row(model, reference, variant, method, tol, repeats) -> Row:
    """Time one row (median of ``repeats``) and compare it with ``reference``."""
    seconds, value, policy, iterations = _timed(model, variant, method, tol, repeats)
    return Row(variant, method, seconds, iterations,
               check=float(model.grid[policy[check_index(model.n), 2]]),
               sup_error=float(np.max(np.abs(value - reference.value))))


def skipped_row(variant, method, forecast, budget) -> Row:
    return Row(variant, method, skipped=f"over the {budget:g} s budget",
               forecast_seconds=forecast)


def is_estimable(row: Row) -> bool:
    """A skipped paper row of a brute-force variant, whose cost is quadratic in n."""
    return (bool(row.skipped) and row.method == "paper"
            and costs.is_brute_force(PROBLEM, row.variant,
                                     costs.declared_order(PROBLEM, row.variant)))


def paper_iterations(rows) -> int:
    """Iterations of the paper's rule: numba-monotone's measured paper row, else 257."""
    for row in rows:
        if (row.variant, row.method) == ("numba-monotone", "paper") and not row.skipped:
            return row.iterations
    return STEPS["paper"]


def estimate_grid(variant: str, n: int, m: int, budget: float, steps: int,
                  smallest: int = 100) -> int:
    r"""The largest grid :math:`n_s < n` whose ``steps`` Bellman steps fit the budget.

    .. math:: n_s = \max\left(n_{min}, \min\left(n - 1, \left\lfloor
              \sqrt{2 B / (c_{pair} \, m \, k)} \right\rfloor\right)\right)

    with B the budget, k the steps and :math:`c_{pair} n^2 m / 2` the cost model's
    seconds per brute-force step (:func:`seconds_per_step`).
    """
    fitting = math.isqrt(int(budget / seconds_per_step(variant, 1, m) / steps))
    return max(smallest, min(n - 1, fitting))


def measured_step_seconds(model, variant: str, steps: int, repeats: int,
                          clock=time.perf_counter) -> float:
    """Median over ``repeats`` of the seconds of ``steps`` Bellman steps, per step.

    One untimed step first, so that JIT compilation is not counted.
    """
    api.iterate(model, 1, variant=variant)
    times = []
    for _ in range(repeats):
        start = clock()
        api.iterate(model, steps, variant=variant)
        times.append(clock() - start)
    return statistics.median(times) / steps


def scaled_seconds(step_seconds: float, n: int, n_small: int, iterations: int) -> float:
    r"""Seconds of a brute-force run on n points from a step timed on :math:`n_s` points.

    .. math:: t_n = t_{step}(n_s) \, (n / n_s)^2 \, I

    Each step evaluates :math:`n^2 m / 2` (state, choice) pairs; I is the iterations.
    """
    return step_seconds * (n / n_small) ** 2 * iterations


def estimated_paper_row(variant: str, n: int, m: int, budget: float, iterations: int,
                        steps: int = 3, repeats: int = 3, step_seconds=None) -> Row:
    """The paper row of a brute-force variant, scaled from a smaller grid (an estimate).

    ``step_seconds(model, variant, steps, repeats)`` times the steps; default
    :func:`measured_step_seconds`.
    """
    n_small = estimate_grid(variant, n, m, budget, steps)
    timer = measured_step_seconds if step_seconds is None else step_seconds
    per_step = timer(afv2015(n_small), variant, steps, repeats)
    return Row(variant, "paper", scaled_seconds(per_step, n, n_small, iterations),
               iterations, estimated=True, measured_at=n_small, measured_steps=steps)


def afv_table(n_capital: int = AFV_N, repeats: int = 3, tol: float = 2e-6,
              budget: float = 5.0, variants=None, methods=METHODS, estimate_steps: int = 3):
    """Rows of the comparison, and the reference solution (guaranteed within 1e-12).

    Rows the cost model puts over ``budget`` are skipped, except the brute-force paper
    rows: those are estimated by :func:`estimated_paper_row` with ``estimate_steps``.
    """
    model = afv2015(n_capital)
    reference = api.solve(model, tol=1e-12, method="vfi", warm_start=True, max_iter=100_000)
    rows = []
    for variant in variants or api.variants():
        for method in methods:
            forecast = estimated_seconds(variant, method, model.n, model.m)
            rows.append(skipped_row(variant, method, forecast, budget) if forecast > budget
                        else measured_row(model, reference, variant, method, tol, repeats))
    iterations = paper_iterations(rows)
    rows = [estimated_paper_row(row.variant, model.n, model.m, budget, iterations,
                                estimate_steps, repeats) if is_estimable(row) else row
            for row in rows]
    return rows, reference


def cpp_baseline(n_capital: int = AFV_N, repeats: int = 3) -> dict:
    """The C++ baseline's median self-timed seconds over ``repeats`` runs."""
    with tempfile.TemporaryDirectory() as directory:
        binary = build_cpp(directory)
        runs = [run_cpp(binary, n_capital) for _ in range(repeats)]
    return {**runs[0], "seconds": statistics.median(r["seconds"] for r in runs)}


def three_digits(x: float) -> str:
    """``x`` to three significant digits, without an exponent (1234, 5.13, 0.0123)."""
    if not math.isfinite(x) or x <= 0:
        return f"{x:g}"
    return f"{x:.{max(0, 2 - math.floor(math.log10(x)))}f}"


def _measured_line(r: Row, ratio: float) -> str:
    return (f"{r.variant:<16}{r.method:<12}{r.seconds:>10.4f}{r.iterations:>12d}"
            f"{ratio:>16.3f}{r.check:>11.6f}{r.sup_error:>12.2e}")


def _estimated_line(r: Row, ratio: float) -> str:
    return (f"{r.variant:<16}{r.method:<12}{'~' + three_digits(r.seconds):>10}{'-':>12}"
            f"{'~' + three_digits(ratio):>16}{'-':>11}{'-':>12}")


def estimate_footnote(rows) -> str | None:
    """How the ``~`` rows were estimated, or None when there are none."""
    estimates = [r for r in rows if r.estimated]
    if not estimates:
        return None
    grids = ", ".join(f"{r.variant} {r.measured_at}" for r in estimates)
    return (f"~ estimate: {estimates[0].measured_steps} Bellman steps timed on n_small "
            f"capital points, scaled by (n/n_small)^2 x {estimates[0].iterations} "
            f"iterations\n  (n_small: {grids})")


def skipped_summary(rows) -> list[str]:
    """One line per skip reason: the cost model's range and the rows, by variant."""
    lines = []
    for reason in dict.fromkeys(r.skipped for r in rows if r.skipped):
        skipped = [r for r in rows if r.skipped == reason]
        by_variant = {}
        for r in skipped:
            by_variant.setdefault(r.variant, []).append(r.method)
        forecasts = [r.forecast_seconds for r in skipped]
        listing = "; ".join(f"{v} {', '.join(ms)}" for v, ms in by_variant.items())
        lines.append(f"skipped: about {three_digits(min(forecasts))}-"
                     f"{three_digits(max(forecasts))} s per run, {reason}: {listing}")
    return lines


def format_table(rows, baseline_seconds: float, baseline_name: str) -> str:
    """The table: measured rows, ``~`` estimates, then its footnote and the skipped rows."""
    lines = [f"{'variant':<16}{'method':<12}{'seconds':>10}{'iterations':>12}"
             f"{'x ' + baseline_name:>16}{'check':>11}{'sup error':>12}"]
    for r in rows:
        if r.skipped:
            continue
        ratio = r.seconds / baseline_seconds if baseline_seconds > 0 else math.nan
        lines.append(_estimated_line(r, ratio) if r.estimated else _measured_line(r, ratio))
    footnote = estimate_footnote(rows)
    return "\n".join(lines + ([footnote] if footnote else []) + skipped_summary(rows))


def run_afv(args, parser):
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    if args.n_capital < 1000:
        parser.error("--n-capital must be >= 1000 (the check value is at capital index 999)")
    print(f"Aruoba & Fernandez-Villaverde (2015): {args.n_capital} capital points x 5 states; "
          f"solve to a guaranteed {args.tol:g}; median of {args.repeats}")
    try:
        cpp = cpp_baseline(args.n_capital, args.repeats)
        baseline, name = cpp["seconds"], "C++"
        print(f"C++ baseline (cpp/afv.cpp, -O3): {cpp['seconds']:.4f} s, "
              f"{cpp['iterations']} iterations, check {cpp['check']:.6f}")
    except (CppUnavailable, OSError, subprocess.CalledProcessError) as exc:
        baseline, name = None, "monotone"
        print(f"C++ baseline unavailable ({exc}); ratios are to numba-monotone's paper VFI")
    rows, reference = afv_table(args.n_capital, args.repeats, args.tol, args.budget)
    if baseline is None:
        paper = [r for r in rows if r.variant == "numba-monotone" and r.method == "paper"]
        baseline = paper[0].seconds if paper and not paper[0].skipped else float("nan")
    print(f"sup error: to a solution guaranteed within {reference.error_bound:.1e}")
    print(format_table(rows, baseline, name))
    print("check: k' at capital index 999, productivity index 2 (paper: 0.146549 with its P; "
          "within tol, a flat objective\nlets a solve pick a maximiser a few grid steps off)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vfi_bench afv",
        description="the growth model of Aruoba & Fernandez-Villaverde (2015): every variant "
                    "and method against C++")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per row (median)")
    parser.add_argument("--n-capital", type=int, default=17820, help="capital grid points")
    parser.add_argument("--tol", type=float, default=2e-6, help="guaranteed tolerance of solve")
    parser.add_argument("--budget", type=float, default=5.0,
                        help="skip rows estimated to take longer than this (seconds per run); "
                             "brute-force paper rows are scaled from a smaller grid instead")
    args = parser.parse_args(argv)
    return run_afv(args, parser)


if __name__ == "__main__":
    sys.exit(main())
