"""The command line, over the registry's members (:func:`vfi.registry.members`)::

    python -m vfi solve {cake,growth,savings} [model options] [--plot FILE]
    python -m vfi time {cake,growth,savings} [--n N] [--steps K] [--json]
    python -m vfi variants

A member's model options are the parameters of its ``case``; a new member is a new
subcommand of each with no edit here.

Each command is a function ``add_<name>(subparsers)`` that registers its parser and sets
``handler``; a new command is one such function and one line in :data:`COMMANDS`.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time

import numpy as np

from vfi import registry


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def case_options(member):
    """``{parameter: default}`` of the member's ``case``: its model options."""
    return {name: p.default for name, p in inspect.signature(member.case).parameters.items()}


def add_model_options(parser, member):
    """One option per parameter of ``member.case`` (type from its default), and
    ``--grid-file``, which every member's model takes through ``with_grid``."""
    for name, default in case_options(member).items():
        kind = type(default) if isinstance(default, (int, float, str)) else float
        parser.add_argument(_flag(name), type=kind, default=default,
                            help=f"default {default}")
    parser.add_argument("--grid-file", help="text file of grid points (one per line), "
                                            "replacing the case's grid")


def _named(message: str, names) -> str:
    """The library's ``name must ...`` as the option the user typed: ``--name must ...``."""
    for name in sorted(names, key=len, reverse=True):
        if message.startswith(f"{name} "):
            return _flag(name) + message[len(name):]
    return message


def build_model(args, parser, member):
    options = {name: getattr(args, name) for name in case_options(member)}
    try:
        model = member.case(**options)
    except ImportError as exc:
        parser.error(str(exc))
    except (TypeError, ValueError) as exc:
        parser.error(_named(str(exc), options))
    if args.grid_file is not None:
        try:
            grid = np.loadtxt(args.grid_file, ndmin=1)
        except (OSError, ValueError) as exc:
            parser.error(f"--grid-file: cannot read {args.grid_file}: {exc}")
        try:
            model = model.with_grid(grid)
        except (TypeError, ValueError) as exc:
            parser.error(f"--grid-file: {exc}")
    return model


def continuous_value(model):
    """The closed form's value on the model's grid, where the model has one, else None."""
    closed_form = getattr(model, "closed_form", None)
    if closed_form is None:
        return None
    value = closed_form()
    return value[0] if isinstance(value, tuple) else value


#: Columns drawn for a model with several exogenous states: first, middle, last.
def _columns(value):
    value = value.reshape(value.shape[0], -1)
    m = value.shape[1]
    return value, sorted({0, m // 2, m - 1})


def _plot(path, member, model, result, exact):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = model.grid
    value, columns = _columns(result.value)
    policy, _ = _columns(result.policy)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for s in columns:
        suffix = "" if value.shape[1] == 1 else f", state {s}"
        left.plot(grid, value[:, s], label="discrete fixed point" + suffix)
        right.plot(grid, grid[policy[:, s]], label="policy" + suffix)
    if exact is not None:
        exact, _ = _columns(exact)
        for s in columns:
            left.plot(grid, exact[:, s], "--", label="closed form" if s == columns[0] else None)
    right.plot(grid, grid, ":", color="grey", label="next = today")
    left.set(xlabel="grid", ylabel="value", title=f"{member.name}: value")
    right.set(xlabel="grid", ylabel="next grid point", title=f"{member.name}: policy")
    left.legend()
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


def solve_options(member):
    """The parameters of the member's solve (its class's, whatever wraps the method)."""
    return inspect.signature(type(member).solve).parameters


def run_solve(args, parser, member):
    model = build_model(args, parser, member)
    options = dict(tol=args.tol, method=args.method, variant=args.variant,
                   max_iter=args.max_iter, sweeps=args.sweeps)
    if getattr(args, "exact_policy", False):
        options["exact_policy"] = True
    def call():
        return member.solve(model, **options)
    try:
        result, first, warm = time_first_and_warm(call, repeat=not args.once)
        exact = continuous_value(model)
    except (ValueError, TypeError, registry.VariantUnavailable) as exc:
        parser.error(_named(str(exc), options))
    grid = model.grid
    print(f"model:          {member.summary}, value shape {model.shape}")
    print(f"grid:           {grid.size} points in [{grid[0]:g}, {grid[-1]:g}]")
    print(f"method:         {result.method} with {result.variant}")
    print(f"iterations:     {result.iterations}")
    print(f"converged:      {result.converged}")
    print(f"error bound:    {result.error_bound:.3e} (guaranteed sup distance to the fixed point)")
    if exact is not None:
        print(f"closed form:    sup |V - V_continuous| = "
              f"{np.max(np.abs(result.value - exact)):.3e}")
    print_times(first, warm)
    if args.plot:
        _plot(args.plot, member, model, result, exact)
    return 0 if result.converged else 1


def add_once(parser):
    parser.add_argument("--once", action="store_true",
                        help="solve once: time only the first call, not the warm one")


def add_solve_options(parser, member):
    defaults = solve_options(member)
    parser.add_argument("--method", choices=member.methods, default=defaults["method"].default,
                        help="default auto: the fastest exact method")
    parser.add_argument("--variant", default=None, help="default: fastest available")
    parser.add_argument("--tol", type=float, default=defaults["tol"].default,
                        help=f"default {defaults['tol'].default:g}")
    parser.add_argument("--max-iter", type=int, default=defaults["max_iter"].default)
    parser.add_argument("--sweeps", type=int, default=defaults["sweeps"].default,
                        help="evaluation sweeps for mpi")
    if "exact_policy" in defaults:
        parser.add_argument("--exact-policy", action="store_true",
                            help="also prove the policy optimal where it can be")


def add_solve(subparsers):
    parser = subparsers.add_parser("solve", help="solve a member's model to a tolerance")
    members = parser.add_subparsers(dest="member", required=True, metavar="MEMBER",
                                    help=", ".join(m.name for m in registry.members()))
    for member in registry.members():
        sub = members.add_parser(member.name, help=f"{member.summary}")
        add_model_options(sub, member)
        add_solve_options(sub, member)
        sub.add_argument("--plot", metavar="FILE.png", help="draw value and policy")
        add_once(sub)
        sub.set_defaults(handler=lambda args, sub=sub, member=member:
                         run_solve(args, sub, member))


# ---- time: every available variant on the member's headline case ----------------------

def _progress(items):
    """``tqdm`` or ``rich``'s bar where installed, else one line per item on stderr."""
    try:
        from tqdm import tqdm

        return tqdm(items, file=sys.stderr, unit="variant")
    except ImportError:
        pass
    try:
        from rich.console import Console
        from rich.progress import track

        return track(items, description="timing", console=Console(stderr=True))
    except ImportError:
        pass

    def plain_bar():
        for k, item in enumerate(items, 1):
            done = int(30 * (k - 1) / len(items))
            print(f"\r[{'#' * done}{'.' * (30 - done)}] {k}/{len(items)} {item:<28}",
                  end="", file=sys.stderr, flush=True)
            yield item
        print(f"\r[{'#' * 30}] {len(items)}/{len(items)}{' ' * 30}", file=sys.stderr)
    return plain_bar()


def estimated_call(member, model, variant, steps):
    """Seconds one timed call would take, from one step on a grid half as fine (at least
    20 points, compilation excluded) scaled by the variant's declared cost class."""
    n = model.grid.size
    probe_n = min(n, max(20, n // 2))
    probe = model if probe_n == n else model.with_grid(
        np.linspace(model.grid[0], model.grid[-1], probe_n))
    member.iterate(probe, 1, variant=variant)  # compile
    _, seconds = _timed(lambda: member.iterate(probe, 1, variant=variant))
    growth = n / probe_n
    cost = registry.get_variant(member.name, variant).cost
    factor = growth ** 2 if cost == registry.BRUTE_FORCE else growth * max(1.0, np.log2(growth))
    return seconds * factor * steps


def time_variant(member, model, variant, steps, repeat, budget):
    """``(first, times, value)``: the first call (compilation included), then up to
    ``repeat`` samples of warm calls, fewer when they would take more than ``budget``
    seconds; a sample loops over enough calls to last a millisecond, and counts per call."""
    def call():
        return member.iterate(model, steps, variant=variant)

    value, first = _timed(call)
    value, once = _timed(call)
    number = max(1, int(1e-3 / max(once, 1e-9)))
    times = []
    while len(times) < repeat and (not times or (sum(times) + times[0]) * number <= budget):
        start = time.perf_counter()
        for _ in range(number):
            call()
        times.append((time.perf_counter() - start) / number)
    return first, times, value


def run_time(args, parser, member):
    import statistics

    model = build_model(args, parser, member)
    steps = member.timing[1] if args.steps is None else args.steps
    if steps < 1:
        parser.error(f"--steps must be >= 1, got {steps}")
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")
    names = member.variants()
    if args.variant:
        for name in args.variant:
            try:
                registry.get_variant(member.name, name)
            except ValueError as exc:
                parser.error(f"--variant: {exc}")
        names = [n for n in names if n in set(args.variant)]
    reference = member.reference
    rows = []
    ref_value = member.iterate(model, steps, variant=reference)
    scale = max(1.0, float(np.max(np.abs(ref_value))))
    for name in _progress(names):
        estimate = estimated_call(member, model, name, steps)  # also compiles
        if estimate > args.max_call:
            rows.append({"variant": name, "median_s": None, "skipped": (
                f"about {estimate:.3g} s a call, over --max-call {args.max_call:g}")})
            continue
        first, times, value = time_variant(member, model, name, steps, args.repeat, args.budget)
        median = statistics.median(times)
        rows.append({"variant": name, "median_s": median, "first_s": first,
                     "spread": (max(times) - min(times)) / median if median > 0 else 0.0,
                     "repeats": len(times),
                     "agreement": float(np.max(np.abs(value - ref_value))) / scale})
    timed = [row for row in rows if row["median_s"] is not None]
    fastest = min(row["median_s"] for row in timed) if timed else 1.0
    for row in timed:
        row["ratio"] = row["median_s"] / fastest
    rows.sort(key=lambda row: (row["median_s"] is None, row["median_s"] or 0.0))
    case = {"member": member.name, "shape": list(model.shape), "steps": steps,
            "reference": reference}
    if args.json:
        print(json.dumps({**case, "variants": rows}, indent=1))
        return 0
    print(f"{member.summary}: value shape {model.shape}, {steps} Bellman steps per call, "
          f"agreement = max |v - v_{reference}| / max(1, max |v_{reference}|)")
    width = max([len("variant")] + [len(row["variant"]) for row in rows])
    print(f"{'variant':<{width}}  {'median':>10}  {'spread':>7}  {'ratio':>8}  "
          f"{'runs':>4}  {'first call':>10}  {'agreement':>9}")
    for row in rows:
        if row["median_s"] is None:
            print(f"{row['variant']:<{width}}  skipped: {row['skipped']}")
            continue
        print(f"{row['variant']:<{width}}  {row['median_s']:>9.4g}s  {row['spread']:>6.1%}  "
              f"{row['ratio']:>7.1f}x  {row['repeats']:>4}  {row['first_s']:>9.4g}s  "
              f"{row['agreement']:>9.1e}")
    return 0


def add_time(subparsers):
    parser = subparsers.add_parser("time", help="time every available variant of a member on "
                                                "its headline case")
    members = parser.add_subparsers(dest="member", required=True, metavar="MEMBER",
                                    help=", ".join(m.name for m in registry.members()))
    for member in registry.members():
        sub = members.add_parser(member.name, help=f"{member.summary}")
        add_model_options(sub, member)
        sub.set_defaults(n=member.timing[0])
        sub.add_argument("--steps", type=int, default=None,
                         help=f"Bellman steps per timed call (default {member.timing[1]})")
        sub.add_argument("--repeat", type=int, default=5, help="warm calls per variant")
        sub.add_argument("--budget", type=float, default=2.0,
                         help="seconds of warm calls per variant, at least one call")
        sub.add_argument("--max-call", type=float, default=10.0,
                         help="skip a variant whose call would take longer (estimated)")
        sub.add_argument("--variant", action="append", help="only this variant (repeatable)")
        sub.add_argument("--json", action="store_true", help="the table as JSON, for machines")
        sub.set_defaults(handler=lambda args, sub=sub, member=member:
                         run_time(args, sub, member))


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


def add_savings(subparsers):
    """``python -m vfi savings ...``: the name before ``solve savings``, kept working."""
    member = registry.member("savings")
    parser = subparsers.add_parser("savings", help="the same as: solve savings")
    add_model_options(parser, member)
    add_solve_options(parser, member)
    parser.add_argument("--plot", metavar="FILE.png", help="draw value and policy")
    add_once(parser)
    parser.set_defaults(handler=lambda args: run_solve(args, parser, member))


COMMANDS = [add_solve, add_time, add_variants, add_savings]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vfi",
                                     description="Value function iteration, every way.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add_command in COMMANDS:
        add_command(subparsers)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["solve"] and argv[1:2] and argv[1].startswith("-") \
            and argv[1] not in ("-h", "--help"):
        argv.insert(1, "cake")  # ``solve --n 300``: the cake command before members
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
