"""The compiled re-run of the survivors, and the report (tools/mutation.sh).

    python mutation_report.py compiled SESSION --tree DIR --pristine DIR --selection S.json \\
        --timeout SECONDS --out compiled.json
    python mutation_report.py confirm SESSION --tree DIR --pristine DIR --tests FILE... \
        --rev COMMIT --timeout SECONDS --out confirmed.json
    python mutation_report.py report SESSION --module PATH --summary summary.json \\
        [--compiled compiled.json] --seconds T --equivalent tools/mutation-equivalent.json \\
        --json tools/mutation-report.json --md tools/mutation-report.md [--note TEXT]

``compiled``: every survivor of the uncompiled run (and of the confirm step, when
``--confirmed`` is given) that some test executes and that lies in a function Numba
compiles (``@njit``; the rest is Python either way) is applied to
the tree (a copy of the snapshot, not the checkout) and its tests run again with Numba
compiling (``mutation_runner.py --jit``); the file is restored from the pristine copy after.
A survivor the compiled run kills is a difference between the compiled kernels and their
Python source that the uncompiled run cannot see; it is reported as killed (compiled).

``confirm``: the survivors again, against property tests newer than the run's commit
(``--tests``, files of the checkout at ``--rev``, copied into a copy of the snapshot): a
survivor they fail on is reported as killed by them (``killed_confirmed``, with the
commit and the first failing test). The tests are first run on the unmutated snapshot;
a test that fails there stops the step (it would "kill" every mutant).

``report``: one module's counts go into the JSON report (other modules' entries are kept,
so modules can be run separately), and the Markdown report is written from the JSON.
A survivor is *equivalent* when ``--equivalent`` lists it (module, operator, the line's
text and the column, optionally ``mutant``: the line as the mutant has it, and the
reason): it cannot change what any caller observes.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from cosmic_ray.mutating import apply_mutation, mutate_code
from cosmic_ray.plugins import get_operator
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome

HERE = Path(__file__).resolve().parent


def outcomes(session: str):
    """(work item, result) of every item that ran (skipped ones left out)."""
    with use_db(session, WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            yield item, result


def untested(result) -> bool:
    return "no test executes this line" in (result.output or "")


def compiled_spans(source: str) -> list[tuple[int, int]]:
    """(first, last) lines of the functions Numba compiles (decorated njit, jit, ...)."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                target = d.func if isinstance(d, ast.Call) else d
                name = target.attr if isinstance(target, ast.Attribute) else getattr(
                    target, "id", "")
                if name in ("njit", "jit", "vectorize", "guvectorize", "generated_jit"):
                    spans.append((node.lineno, node.end_lineno))
    return spans


def compiled(args) -> int:
    tree, pristine = Path(args.tree), Path(args.pristine)
    if tree.resolve() == pristine.resolve():
        raise SystemExit("compiled: --tree must be a copy, not the pristine folder itself")
    done = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    confirmed = (json.loads(Path(args.confirmed).read_text())
                 if args.confirmed and Path(args.confirmed).exists() else {})
    equivalent = load_equivalent(args.equivalent)
    spans_of = {}
    for item, result in list(outcomes(args.session)):
        if result.test_outcome != TestOutcome.SURVIVED or untested(result):
            continue
        if item.job_id in done or confirmed.get(item.job_id, {}).get("status", 0) != 0:
            continue
        mutation = item.mutations[0]
        module = str(mutation.module_path)
        if module not in spans_of:
            spans_of[module] = compiled_spans((pristine / module).read_text())
        row = mutation.start_pos[0]
        source = (pristine / module).read_text()
        if equivalent_reason(equivalent, module, source, mutation):
            # judged by its reason (a compile per survivor costs minutes on a busy machine)
            done[item.job_id] = {"status": 0, "skipped": "listed equivalent"}
            Path(args.out).write_text(json.dumps(done, indent=1))
            continue
        if not any(lo <= row <= hi for lo, hi in spans_of[module]):
            # Python code: it runs the same whether the kernels it calls are compiled
            done[item.job_id] = {"status": 0, "skipped": "not in a compiled function"}
            Path(args.out).write_text(json.dumps(done, indent=1))
            continue
        operator = get_operator(mutation.operator_name)(**(mutation.operator_args or {}))
        apply_mutation(tree / module, operator, mutation.occurrence)
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, str(HERE / "mutation_runner.py"), args.selection,
                 str(pristine), "--jit"], cwd=tree, capture_output=True, text=True,
                timeout=args.timeout)
            status, output = proc.returncode, proc.stdout[-2000:]
        except subprocess.TimeoutExpired:
            status, output = "timeout", ""
        finally:
            shutil.copyfile(pristine / module, tree / module)
        done[item.job_id] = {"status": status, "seconds": round(time.perf_counter() - start, 1),
                             "output": output}
        verdict = {0: "survived", "timeout": "timed out"}.get(status, "killed")
        print(f"compiled: {module}:{mutation.start_pos[0]} {mutation.operator_name} "
              f"-> {verdict} ({status})", flush=True)
        Path(args.out).write_text(json.dumps(done, indent=1))
    if not Path(args.out).exists():
        Path(args.out).write_text("{}")
    return 0


def _pytest(tree: Path, tests, timeout: float, first_failure: bool = True):
    env = dict(os.environ, NUMBA_DISABLE_JIT="1",
               PYTHONPATH=os.pathsep.join([str(tree), str(HERE)]),
               VFI_CACHE_DIR=str(tree / ".cache"))
    env.setdefault("HYPOTHESIS_PROFILE", "mutation")
    command = [sys.executable, "-m", "pytest", *(["-x"] if first_failure else []), "-q",
               "-rf", "--tb=line", "--no-header", "-p", "no:cacheprovider", "-p",
               "mutation_plugin", *tests]
    try:
        proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", ""
    return proc.returncode, proc.stdout


def _failed(output: str) -> list[str]:
    return [line.split(" ")[1] for line in output.splitlines() if line.startswith("FAILED ")]


def confirm(args) -> int:
    tree, pristine = Path(args.tree), Path(args.pristine)
    if tree.resolve() == pristine.resolve():
        raise SystemExit("confirm: --tree must be a copy, not the pristine folder itself")
    tests = [str(Path(t)) for t in args.tests]
    # a test that fails on the unmutated snapshot would "kill" every mutant: left out
    status, output = _pytest(tree, tests, args.timeout, first_failure=False)
    broken = _failed(output)
    if status not in (0, 1) or (status == 1 and not broken):
        print(f"confirm: the tests do not run on the unmutated snapshot ({status}):\n"
              f"{output[-2000:]}")
        return 1
    for node in broken:
        print(f"confirm: left out, fails on the unmutated snapshot: {node}")
    tests = [*tests, *(f"--deselect={node}" for node in broken)]
    done = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    for item, result in list(outcomes(args.session)):
        if result.test_outcome != TestOutcome.SURVIVED or item.job_id in done:
            continue
        mutation = item.mutations[0]
        module = str(mutation.module_path)
        operator = get_operator(mutation.operator_name)(**(mutation.operator_args or {}))
        apply_mutation(tree / module, operator, mutation.occurrence)
        start = time.perf_counter()
        try:
            status, output = _pytest(tree, tests, args.timeout)
        finally:
            shutil.copyfile(pristine / module, tree / module)
        failed = _failed(output)
        done[item.job_id] = {"status": status, "rev": args.rev,
                             "tests": [t for t in tests if not t.startswith("--")],
                             "left_out": broken, "failed": failed[:3],
                             "seconds": round(time.perf_counter() - start, 1)}
        print(f"confirm: {module}:{mutation.start_pos[0]} {mutation.operator_name} -> "
              f"{'survived' if status == 0 else 'killed'} ({status}) {' '.join(failed[:1])}",
              flush=True)
        Path(args.out).write_text(json.dumps(done, indent=1))
    if not Path(args.out).exists():
        Path(args.out).write_text("{}")
    return 0


def equivalence_key(module, operator, line_text, column):
    return (module, operator, line_text.strip(), int(column))


def load_equivalent(path) -> dict:
    equivalent: dict = {}
    if path and Path(path).exists():
        for entry in json.loads(Path(path).read_text()):
            key = equivalence_key(entry["module"], entry["operator"], entry["line"],
                                  entry["column"])
            equivalent.setdefault(key, []).append((entry.get("mutant"), entry["reason"]))
    return equivalent


def equivalent_reason(equivalent: dict, module: str, source: str, mutation):
    """The reason the list gives for this mutant, or None. An entry without ``mutant``
    covers every mutant of its operator at its place."""
    row, col = mutation.start_pos
    lines = source.splitlines()
    text = lines[row - 1] if row <= len(lines) else ""
    candidates = equivalent.get(equivalence_key(module, mutation.operator_name, text, col), [])
    if not candidates:
        return None
    mutant = mutated_line(source, mutation)
    for wanted, why in candidates:
        if wanted is None or wanted.strip() == mutant:
            return why
    return None


def mutated_line(source: str, mutation) -> str:
    """The mutant's line as the mutant has it (two mutants of one operator at one place,
    NumberReplacer's +1 and -1, differ only there)."""
    operator = get_operator(mutation.operator_name)(**(mutation.operator_args or {}))
    new = mutate_code(source, operator, mutation.occurrence)
    if new is None:
        return ""
    row = mutation.start_pos[0]
    new_lines = new.splitlines()
    return new_lines[row - 1].strip() if row <= len(new_lines) else ""


def report(args) -> int:
    tree = Path(args.tree)
    equivalent = load_equivalent(args.equivalent)
    summary = json.loads(Path(args.summary).read_text()).get(args.module, {})
    compiled_runs = (json.loads(Path(args.compiled).read_text())
                     if args.compiled and Path(args.compiled).exists() else {})
    confirmed = (json.loads(Path(args.confirmed).read_text())
                 if args.confirmed and Path(args.confirmed).exists() else {})
    source = (tree / args.module).read_text()
    lines = source.splitlines()
    counts = {"killed": 0, "killed_timeout": 0, "killed_compiled": 0,
              "killed_confirmed": 0, "incompetent": 0,
              "equivalent": 0, "survived": 0, "untested": 0}
    survivors = []
    run = 0
    for item, result in outcomes(args.session):
        mutation = item.mutations[0]
        if str(mutation.module_path) != args.module:
            continue
        run += 1
        row, col = mutation.start_pos
        text = lines[row - 1] if row <= len(lines) else ""
        if result.worker_outcome != WorkerOutcome.NORMAL:
            counts["incompetent"] += 1  # the mutant could not be applied or run
            continue
        if result.test_outcome == TestOutcome.KILLED:
            counts["killed_timeout" if result.output == "timeout" else "killed"] += 1
            continue
        if result.test_outcome == TestOutcome.INCOMPETENT:
            counts["incompetent"] += 1
            continue
        jit = compiled_runs.get(item.job_id)
        if jit is not None and jit["status"] not in (0, "timeout"):
            counts["killed_compiled"] += 1  # (a compile past the limit proves nothing)
            continue
        reason = equivalent_reason(equivalent, args.module, source, mutation)
        mutant = mutated_line(source, mutation)
        later = confirmed.get(item.job_id)
        entry = {"line": row, "column": col, "operator": mutation.operator_name,
                 "occurrence": mutation.occurrence, "function": mutation.definition_name,
                 "source": text.strip(), "mutant": mutant}
        if later is not None and later["status"] != 0:
            counts["killed_confirmed"] += 1
            entry["killed_by"] = {"rev": later["rev"], "tests": later.get("failed")
                                  or later["tests"]}
        elif reason:
            counts["equivalent"] += 1
            entry["equivalent"] = reason
        else:
            counts["survived"] += 1
            if untested(result):
                counts["untested"] += 1
                entry["untested"] = True
            entry["compiled"] = ("not run" if jit is None else
                                 "not needed (Python code)" if jit.get("skipped") ==
                                 "not in a compiled function" else
                                 "not run (listed equivalent)" if "skipped" in jit else
                                 "timed out" if jit["status"] == "timeout" else
                                 "survived")
        survivors.append(entry)
    killed = (counts["killed"] + counts["killed_timeout"] + counts["killed_compiled"]
              + counts["killed_confirmed"])
    live = run - counts["equivalent"] - counts["incompetent"]
    entry = {"module": args.module, "mutants": summary.get("mutants", run), "run": run,
             "sampled": run < summary.get("mutants", run),
             "functions": len(summary.get("functions", [])),
             "functions_run": len(summary.get("functions_run", [])),
             **counts, "killed_total": killed,
             "score": round(killed / live, 4) if live else None,
             "seconds": round(args.seconds), "commit": args.commit, "date": args.date,
             "note": args.note, "survivors": sorted(survivors, key=lambda s: s["line"])}
    data = json.loads(Path(args.json).read_text()) if Path(args.json).exists() else {}
    data.setdefault("modules", {})[args.module] = entry
    if args.command_line:
        data["command"] = args.command_line
    if args.coverage_id:
        entry["coverage"] = {"id": args.coverage_id, "seconds": round(args.coverage_seconds)}
    Path(args.json).write_text(json.dumps(data, indent=1) + "\n")
    Path(args.md).write_text(markdown(data))
    print(f"report: {args.module}: {run} run, {killed} killed, {counts['equivalent']} "
          f"equivalent, {counts['survived']} survived, score {entry['score']}")
    return 0


def markdown(data) -> str:
    out = ["# Mutation report", "",
           "Written by `make mutation` (tools/mutation.sh; tools/mutation_report.py writes "
           "this file from mutation-report.json). Score = killed / (run - equivalent - "
           "incompetent). *Run* < *mutants* means a seeded random sample (one mutant of "
           "every function first, then uniform). Killed counts timeouts, the compiled "
           "re-run of the survivors, and the survivors that property tests committed "
           "after the run's commit kill (the confirm step, its commit in the survivor's "
           "row). Equivalent mutants are listed in tools/mutation-equivalent.json with "
           "the reason.", ""]
    if data.get("command"):
        out += [f"Command: `{data['command']}`", ""]
    mods = data.get("modules", {})
    passes = {m["coverage"]["id"]: m["coverage"]["seconds"] for m in mods.values()
              if m.get("coverage")}
    total = sum(m["seconds"] for m in mods.values()) + sum(passes.values())
    out += [f"Whole run: {total} s ({total / 60:.0f} min) for {len(mods)} modules: the "
            f"per-module times below (mutants uncompiled, the compiled re-run and the "
            f"confirm step of the survivors) and {len(passes)} coverage passes "
            f"({sum(passes.values())} s; one per commit and module set, shared by the "
            "modules run together).", ""]
    if data.get("wall"):
        out += [data["wall"], ""]
    out += ["| module | mutants | run | killed | equivalent | survived | score | time | "
           "commit |", "|---|---|---|---|---|---|---|---|---|"]
    for name, m in mods.items():
        score = "-" if m["score"] is None else f"{100 * m['score']:.1f}%"
        out.append(f"| `{name}` | {m['mutants']} | {m['run']} | {m['killed_total']} | "
                   f"{m['equivalent']} | {m['survived']} | {score} | {m['seconds']} s | "
                   f"{m['commit']} |")
    for name, m in mods.items():
        out += ["", f"## `{name}`", "",
                f"{m['run']} of {m['mutants']} mutants run ({m['functions_run']} of "
                f"{m['functions']} functions), {m['date']}: killed {m['killed']}, by "
                f"timeout {m['killed_timeout']}, only by the compiled re-run "
                f"{m['killed_compiled']}, by the later property tests "
                f"{m.get('killed_confirmed', 0)}, incompetent {m['incompetent']}, equivalent "
                f"{m['equivalent']}, survived {m['survived']} (of them executed by no "
                f"test: {m['untested']})."]
        if m.get("note"):
            out += ["", m["note"]]
        if m["survivors"]:
            out += ["", "| line | operator | source | mutant | status |",
                    "|---|---|---|---|---|"]
            for s in m["survivors"]:
                killer = s.get("killed_by")
                status = (f"killed by {', '.join(killer['tests'])} ({killer['rev']})"
                          if killer else
                          f"equivalent: {s['equivalent']}" if "equivalent" in s else
                          "survived" + (" (no test executes it)" if s.get("untested") else
                                        f", compiled: {s['compiled']}"))
                source = s["source"].replace("|", "\\|")
                mutant = s.get("mutant", "").replace("|", "\\|")
                out.append(f"| {s['line']} | {s['operator'].replace('core/', '')} | "
                           f"`{source}` | `{mutant}` | {status.replace('|', chr(92) + '|')} |")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compiled")
    c.add_argument("session")
    c.add_argument("--tree", required=True)
    c.add_argument("--pristine", required=True)
    c.add_argument("--selection", required=True)
    c.add_argument("--timeout", type=float, default=900)
    c.add_argument("--out", required=True)
    c.add_argument("--confirmed", help="the confirm step's results: its kills are not rerun")
    c.add_argument("--equivalent", default=str(HERE / "mutation-equivalent.json"),
                   help="survivors listed here are not rerun")
    k = sub.add_parser("confirm")
    k.add_argument("session")
    k.add_argument("--tree", required=True)
    k.add_argument("--pristine", required=True)
    k.add_argument("--tests", nargs="+", required=True)
    k.add_argument("--rev", required=True)
    k.add_argument("--timeout", type=float, default=600)
    k.add_argument("--out", required=True)
    r = sub.add_parser("report")
    r.add_argument("session")
    r.add_argument("--module", required=True)
    r.add_argument("--tree", required=True)
    r.add_argument("--summary", required=True)
    r.add_argument("--compiled")
    r.add_argument("--seconds", type=float, default=0)
    r.add_argument("--confirmed")
    r.add_argument("--command", dest="command_line", default="",
                   help="the command line, for the report")
    r.add_argument("--coverage-id", default="", help="the coverage pass (its folder name)")
    r.add_argument("--coverage-seconds", type=float, default=0)
    r.add_argument("--equivalent")
    r.add_argument("--json", required=True)
    r.add_argument("--md", required=True)
    r.add_argument("--commit", default="")
    r.add_argument("--date", default="")
    r.add_argument("--note", default="")
    args = parser.parse_args(argv)
    return {"compiled": compiled, "confirm": confirm, "report": report}[args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
