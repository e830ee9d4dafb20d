"""The paper's comparison: each variant and method on :func:`afv2015`, against C++.

Used by ``python -m vfi afv`` and by ``benchmarks/bench_growth.py``. The C++ baseline
(``cpp/afv.cpp``, the paper's algorithm) is built with ``c++ -O3`` into a temporary
directory and times itself, so that process start-up is not counted.
"""
from __future__ import annotations

import math
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vfi.growth import api
from vfi.growth.model import AFV_N, afv2015

CPP_SOURCE = Path(__file__).resolve().parents[2] / "cpp" / "afv.cpp"

#: Rows per variant: "paper" is value iteration from 0 with the paper's rule (sup|dV| <
#: 1e-7); the others are ``solve`` to a guaranteed tolerance, "+c2f" from a coarse grid.
METHODS = ("paper", "vfi", "howard", "mpi", "howard+c2f", "mpi+c2f")

#: Rough cost model, to skip hopeless rows (never reported as a result): greedy steps per
#: method on the paper's case, and seconds per (state, choice) pair or per state.
STEPS = {"paper": 257, "vfi": 160, "howard": 30, "mpi": 12, "howard+c2f": 3, "mpi+c2f": 3}
SECONDS_PER_PAIR = {"python-loops": 3e-7, "numpy-blocked": 1.5e-8, "numba-brute": 8e-9,
                    "jax-vmap": 1.5e-8}
SECONDS_PER_STATE = 3e-8


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


def estimated_seconds(variant: str, method: str, n: int, m: int = 5) -> float:
    per_step = (SECONDS_PER_PAIR[variant] * n * n * m / 2 if variant in SECONDS_PER_PAIR
                else SECONDS_PER_STATE * n * m)
    return per_step * STEPS[method]


def run_case(model, variant: str, method: str, tol: float):
    """``(value, policy, iterations)`` of one row."""
    if method == "paper":
        return api.paper_vfi(model, tol=1e-7, variant=variant)
    name, _, warm = method.partition("+")
    result = api.solve(model, tol=tol, method=name, variant=variant, warm_start=bool(warm))
    return result.value, result.policy, result.iterations


@dataclass
class Row:
    variant: str
    method: str
    seconds: float = math.nan
    iterations: int | None = None
    check: float = math.nan
    sup_error: float = math.nan
    skipped: str = ""


def _timed(model, variant, method, tol, repeats):
    run_case(afv2015(200), variant, method, tol)  # compile outside the timings
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value, policy, iterations = run_case(model, variant, method, tol)
        times.append(time.perf_counter() - start)
    return statistics.median(times), value, policy, iterations


def afv_table(n_capital: int = AFV_N, repeats: int = 3, tol: float = 2e-6,
              budget: float = 5.0, variants=None, methods=METHODS):
    """Rows of the comparison, and the reference solution (guaranteed within 1e-12)."""
    model = afv2015(n_capital)
    reference = api.solve(model, tol=1e-12, method="vfi", warm_start=True, max_iter=100_000)
    rows = []
    for variant in variants or api.variants():
        for method in methods:
            row = Row(variant, method)
            estimate = estimated_seconds(variant, method, model.n, model.m)
            if estimate > budget:
                row.skipped = f"about {estimate:.0f} s per run, over the {budget:g} s budget"
            else:
                row.seconds, value, policy, row.iterations = _timed(model, variant, method,
                                                                    tol, repeats)
                row.check = float(model.grid[policy[check_index(model.n), 2]])
                row.sup_error = float(np.max(np.abs(value - reference.value)))
            rows.append(row)
    return rows, reference


def cpp_baseline(n_capital: int = AFV_N, repeats: int = 3) -> dict:
    """The C++ baseline's median self-timed seconds over ``repeats`` runs."""
    with tempfile.TemporaryDirectory() as directory:
        binary = build_cpp(directory)
        runs = [run_cpp(binary, n_capital) for _ in range(repeats)]
    return {**runs[0], "seconds": statistics.median(r["seconds"] for r in runs)}


def format_table(rows, baseline_seconds: float, baseline_name: str) -> str:
    lines = [f"{'variant':<16}{'method':<12}{'seconds':>10}{'iterations':>12}"
             f"{'x ' + baseline_name:>16}{'check':>11}{'sup error':>12}"]
    for r in rows:
        if r.skipped:
            lines.append(f"{r.variant:<16}{r.method:<12}  skipped: {r.skipped}")
            continue
        ratio = r.seconds / baseline_seconds if baseline_seconds > 0 else math.nan
        lines.append(f"{r.variant:<16}{r.method:<12}{r.seconds:>10.4f}{r.iterations:>12d}"
                     f"{ratio:>16.3f}{r.check:>11.6f}{r.sup_error:>12.2e}")
    return "\n".join(lines)
