"""The command line: ``python -m vfi solve ...`` and ``python -m vfi variants``.

Each command is a function ``add_<name>(subparsers)`` that registers its parser and sets
``handler``; a new command is one such function and one line in :data:`COMMANDS`.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from vfi import registry


def _load_grid(args, parser):
    if args.grid_file is not None:
        try:
            return np.loadtxt(args.grid_file, ndmin=1)
        except (OSError, ValueError) as exc:
            parser.error(f"--grid-file: cannot read {args.grid_file}: {exc}")
    if args.n < 1:
        parser.error("--n must be >= 1")
    return np.linspace(args.x_min, 1.0, args.n)


def _plot(path, grid, result, exact):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(grid, result.value, label="discrete fixed point")
    left.plot(grid, exact, "--", label="closed form sqrt((x - x_min)/(1 - beta^2))")
    left.set(xlabel="cake x", ylabel="value V(x)", title="Value")
    left.legend()
    right.plot(grid, grid[result.policy], label="x' (policy)")
    right.plot(grid, grid, ":", color="grey", label="x' = x")
    right.set(xlabel="cake x", ylabel="cake kept x'", title="Policy")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot:           {path}")


def _timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def time_first_and_warm(call, repeat=True):
    """``(result, first, warm)``: the first call's seconds (loading and JIT compilation
    included) and a second call's (None when not ``repeat``)."""
    result, first = _timed(call)
    if not repeat:
        return result, first, None
    result, warm = _timed(call)
    return result, first, warm


def print_times(first, warm):
    if warm is not None:
        print(f"time:           {warm:.4f} s warm (the same solve again)")
    print(f"first call:     {first:.4f} s (loading and JIT compilation included)")


def run_solve(args, parser):
    import vfi

    grid = _load_grid(args, parser)
    try:
        result, first, warm = time_first_and_warm(lambda: vfi.solve(
            grid, args.beta, tol=args.tol, method=args.method, variant=args.variant,
            max_iter=args.max_iter, sweeps=args.sweeps), repeat=not args.once)
        exact = vfi.closed_form(grid, args.beta)
    except (ValueError, TypeError, registry.VariantUnavailable) as exc:
        parser.error(str(exc))
    print(f"grid:           {grid.size} points in [{grid[0]:g}, {grid[-1]:g}]")
    print(f"method:         {result.method} with {result.variant}")
    print(f"iterations:     {result.iterations}")
    print(f"converged:      {result.converged}")
    print(f"error bound:    {result.error_bound:.3e} (guaranteed sup distance to the fixed point)")
    print(f"closed form:    sup |V - V_continuous| = {np.max(np.abs(result.value - exact)):.3e}")
    print_times(first, warm)
    if args.plot:
        _plot(args.plot, grid, result, exact)
    return 0 if result.converged else 1


def add_once(parser):
    parser.add_argument("--once", action="store_true",
                        help="solve once: time only the first call, not the warm one")


def add_solve(subparsers):
    from vfi.cake import SOLVE_METHODS

    parser = subparsers.add_parser("solve", help="solve the cake-eating problem to a tolerance")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--n", type=int, default=1000, help="grid points (default 1000)")
    source.add_argument("--grid-file", help="text file of grid points (one per line)")
    parser.add_argument("--x-min", type=float, default=0.1, help="smallest point with --n")
    parser.add_argument("--beta", type=float, default=0.95)
    parser.add_argument("--method", choices=SOLVE_METHODS, default="auto",
                        help="default auto: the exact fixed point where it applies, else howard")
    parser.add_argument("--variant", default=None, help="default: fastest available")
    parser.add_argument("--tol", type=float, default=1e-10)
    parser.add_argument("--max-iter", type=int, default=10_000)
    parser.add_argument("--sweeps", type=int, default=20, help="evaluation sweeps for mpi")
    parser.add_argument("--plot", metavar="FILE.png", help="draw value and policy")
    add_once(parser)
    parser.set_defaults(handler=lambda args: run_solve(args, parser))


def variant_rows(problem):
    """``(name, status, description)`` of every registered variant of ``problem``; the
    reason a variant cannot run here ends its description."""
    for name in registry.variants(problem, include_unavailable=True):
        variant = registry.get_variant(problem, name)
        reason = variant.unavailable_reason
        status = "available" if reason is None else "unavailable"
        yield name, status, variant.description + ("" if reason is None else f" ({reason})")


def run_variants(args):
    table = {problem: list(variant_rows(problem)) for problem in registry.problems()}
    rows = [row for problem_rows in table.values() for row in problem_rows]
    name_width = max(len(name) for name, _, _ in rows)
    status_width = max(len(status) for _, status, _ in rows)
    for problem, problem_rows in table.items():
        print(f"{problem}:")
        for name, status, description in problem_rows:
            print(f"  {name:<{name_width}}  {status:<{status_width}}  {description}")
    return 0


def add_variants(subparsers):
    parser = subparsers.add_parser("variants", help="list the variants and their availability")
    parser.set_defaults(handler=run_variants)


def run_savings(args, parser):
    from vfi import savings

    try:
        model = savings.quantecon(w_max=args.w_max, w_size=args.w_size, y_size=args.y_size)
    except ImportError as exc:
        parser.error(str(exc))
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    options = {} if args.method is None else {"method": args.method}
    try:
        result, first, warm = time_first_and_warm(lambda: savings.solve(
            model, tol=args.tol, variant=args.variant, **options), repeat=not args.once)
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    print(f"optimal savings (QuantEcon): {model.n} wealth points x {model.m} income states, "
          f"R={model.R:g}, beta={model.beta:g}, gamma={model.gamma:g}")
    print(f"{result.method} with {result.variant}: {result.iterations} iterations, "
          f"error bound {result.error_bound:.2e}, converged {result.converged}")
    print_times(first, warm)
    middle = model.m // 2
    print(f"next wealth at w = {model.grid[-1]:g}, median income: "
          f"{model.grid[result.policy[-1, middle]]:.4f}")
    return 0 if result.converged else 1


def add_savings(subparsers):
    from vfi.solvers import METHODS

    parser = subparsers.add_parser("savings", help="QuantEcon's optimal savings model, solved to "
                                                   "a guaranteed tolerance")
    parser.add_argument("--w-max", type=float, default=5.0, help="largest wealth (default 5)")
    parser.add_argument("--w-size", type=int, default=150, help="wealth points (default 150)")
    parser.add_argument("--y-size", type=int, default=100, help="income states (default 100)")
    parser.add_argument("--method", choices=METHODS, default=None, help="default: fastest")
    parser.add_argument("--variant", default=None, help="default: fastest available")
    parser.add_argument("--tol", type=float, default=1e-8)
    add_once(parser)
    parser.set_defaults(handler=lambda args: run_savings(args, parser))


COMMANDS = [add_solve, add_variants, add_savings]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vfi",
                                     description="Value function iteration, every way.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add_command in COMMANDS:
        add_command(subparsers)
    args = parser.parse_args(argv)
    return args.handler(args)


def main_closing_quietly() -> int:
    """:func:`main`, ending quietly when the reader closes the pipe (``| head``), as the
    Python docs advise: the rest of the output goes to devnull instead of a traceback."""
    try:
        status = main()
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main_closing_quietly())
