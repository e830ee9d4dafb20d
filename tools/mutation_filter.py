"""Bound a cosmic-ray session and give each mutant its tests (tools/mutation.sh).

    python tools/mutation_filter.py SESSION.sqlite --tree DIR --coverage .coverage \\
        --tests tests.json --selection selection.json [--sample N --seed S] \\
        [--budget SECONDS] [--functions path:function ...]

Three things, in this order:

1. ``--functions path:function ...``: work items outside the named functions (nested code
   included) are marked skipped (a bounded run of chosen functions).
2. ``--sample N``: per module, N of the remaining work items are kept, the others marked
   skipped: first one mutant of every function (so every function is mutated), then
   uniformly at random (seeded) up to N. 0 keeps all.
3. The selection written to ``--selection``: for every line of every mutated module, the
   tests that execute the statement containing that line (coverage.py data recorded with
   the node id of each test as its context, by tools/mutation_plugin.py), fastest first,
   cut when their measured durations add up to ``--budget`` seconds. Lines executed only
   at import (module level, ``def`` lines and their default values) get the fastest tests
   that execute anything in the module. Tests that failed, were skipped or were too slow
   in the coverage pass are left out. A line no test executes gets no tests: its mutants
   survive without running anything (``mutation_runner.py`` says so in their output).
"""
from __future__ import annotations

import argparse
import ast
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult


def functions_of(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function and method."""
    spans = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno, name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return spans


def function_at(spans, line: int) -> str:
    """The innermost function containing ``line``; ``<module>`` outside every function.
    A ``def`` line itself (decorators, default values) runs at import: ``<module>`` too."""
    best = None
    for lo, hi, name in spans:
        if lo < line <= hi and (best is None or lo >= best[0]):
            best = (lo, name)
    return best[1] if best else "<module>"


def statement_spans(source: str) -> dict[int, tuple[int, int]]:
    """Line -> (first, last) line of the innermost simple statement or compound header
    containing it, so a mutant on a continuation line gets the statement's tests."""
    spans: dict[int, tuple[int, int]] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.stmt):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            lo = min([d.lineno for d in node.decorator_list] + [node.lineno])
            hi = node.body[0].lineno - 1 if node.body else node.end_lineno
        elif hasattr(node, "body") and isinstance(node.body, list) and node.body:
            lo, hi = node.lineno, max(node.lineno, node.body[0].lineno - 1)
        else:
            lo, hi = node.lineno, node.end_lineno
        for line in range(lo, hi + 1):
            old = spans.get(line)
            if old is None or (hi - lo) < (old[1] - old[0]):
                spans[line] = (lo, hi)
    return spans


def mark_skipped(db, job_id, why):
    db.set_result(job_id, WorkResult(output=why, worker_outcome=WorkerOutcome.SKIPPED))


def bound_session(session: str, tree: Path, functions: list[str], sample: int, seed: int):
    wanted: dict[str, set[str]] = defaultdict(set)
    for target in functions:
        path, name = target.split(":")
        wanted[str(Path(path))].add(name)
    spans_of = {}
    kept: dict[str, list] = defaultdict(list)
    with use_db(session, WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            module = str(Path(mutation.module_path))
            if module not in spans_of:
                spans_of[module] = functions_of((tree / module).read_text())
            name = function_at(spans_of[module], mutation.start_pos[0])
            if wanted and not (name in wanted.get(module, ()) or
                               name.split(".")[0] in wanted.get(module, ())):
                mark_skipped(db, item.job_id, "outside the chosen functions")
                continue
            kept[module].append((name, item.job_id))
        summary = {}
        for module, items in sorted(kept.items()):
            chosen = items
            if sample and len(items) > sample:
                rng = random.Random(f"{seed}:{module}")
                order = items[:]
                rng.shuffle(order)
                first, rest, seen = [], [], set()
                for name, job in order:
                    (rest if name in seen else first).append((name, job))
                    seen.add(name)
                chosen = (first + rest)[:max(sample, len(first))]
                keep = {job for _, job in chosen}
                for _, job in items:
                    if job not in keep:
                        mark_skipped(db, job, f"not in the sample of {len(chosen)}")
            summary[module] = {"mutants": len(items), "run": len(chosen),
                               "functions": sorted({n for n, _ in items}),
                               "functions_run": sorted({n for n, _ in chosen})}
    return summary


def write_selection(tree: Path, coverage_file: str, tests_json: str, modules: list[str],
                    budget: float, out: str) -> dict:
    from coverage import CoverageData

    tests = json.loads(Path(tests_json).read_text())
    good = {node: info["seconds"] for node, info in tests.items()
            if info.get("outcome") == "passed"}
    data = CoverageData(basename=coverage_file)
    data.read()
    by_file = {str(Path(f).resolve()): f for f in data.measured_files()}

    def cut(nodes):
        ordered = sorted(nodes, key=lambda n: (good[n], n))
        chosen, total = [], 0.0
        for node in ordered:
            if chosen and total + good[node] > budget:
                break
            chosen.append(node)
            total += good[node]
        return chosen

    selection = {"budget": budget, "modules": {}}
    for module in modules:
        path = (tree / module).resolve()
        source = path.read_text()
        measured = by_file.get(str(path))
        if measured is None:  # a pass made in another copy of the snapshot (another WORK)
            measured = next((f for f in data.measured_files()
                             if Path(f).as_posix().endswith("/" + module)), None)
        contexts = data.contexts_by_lineno(measured) if measured else {}
        runs = {line: {c for c in ctxs if c in good} for line, ctxs in contexts.items()}
        imported = {line for line, ctxs in contexts.items() if "" in ctxs}
        module_tests = set().union(*runs.values()) if runs else set()
        fallback = cut(module_tests)
        lines = {}
        for line, (lo, hi) in statement_spans(source).items():
            nodes = set().union(*(runs.get(k, set()) for k in range(lo, hi + 1)))
            at_import = any(k in imported for k in range(lo, hi + 1))
            if nodes:
                lines[line] = cut(nodes)
            elif at_import:
                lines[line] = fallback
        selection["modules"][module] = {
            "lines": {str(k): v for k, v in sorted(lines.items())},
            "tests": len(module_tests),
            "covered_lines": sum(1 for v in runs.values() if v)}
    Path(out).write_text(json.dumps(selection, indent=0))
    return selection


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("session")
    parser.add_argument("--tree", type=Path, default=Path("."))
    parser.add_argument("--functions", nargs="*", default=[])
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--coverage")
    parser.add_argument("--tests")
    parser.add_argument("--selection")
    parser.add_argument("--budget", type=float, default=30.0)
    parser.add_argument("--modules", nargs="*", default=[])
    parser.add_argument("--summary", help="write the per-module counts here (JSON)")
    args = parser.parse_args(argv)
    summary = bound_session(args.session, args.tree, args.functions, args.sample, args.seed)
    for module, info in summary.items():
        print(f"mutation_filter: {module}: {info['run']} of {info['mutants']} mutants, "
              f"{len(info['functions_run'])} of {len(info['functions'])} functions")
    if args.summary:
        Path(args.summary).write_text(json.dumps(summary, indent=1))
    if args.selection:
        selection = write_selection(args.tree, args.coverage, args.tests,
                                    args.modules or sorted(summary), args.budget,
                                    args.selection)
        for module, info in selection["modules"].items():
            print(f"mutation_filter: {module}: {info['tests']} tests execute it, "
                  f"{info['covered_lines']} lines covered")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
