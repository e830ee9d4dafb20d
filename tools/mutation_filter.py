"""Skip the cosmic-ray work items outside chosen functions (a bounded mutation run).

    python tools/mutation_filter.py SESSION.sqlite vfi/solvers.py:solve_fixed_point ...

Each argument is ``path:function``; a work item is kept when its mutation starts inside
one of the named functions (nested code included), else it is marked skipped.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult


def function_lines(path: str, names: set[str]) -> list[tuple[int, int]]:
    tree = ast.parse(Path(path).read_text())
    return [(node.lineno, node.end_lineno) for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name in names]


def main(argv: list[str]) -> int:
    session, targets = argv[0], argv[1:]
    wanted: dict[str, set[str]] = {}
    for target in targets:
        path, name = target.split(":")
        wanted.setdefault(str(Path(path)), set()).add(name)
    spans = {path: function_lines(path, names) for path, names in wanted.items()}
    kept = skipped = 0
    with use_db(session, WorkDB.Mode.open) as db:
        for item in list(db.pending_work_items):
            mutation = item.mutations[0]
            line = mutation.start_pos[0]
            inside = any(lo <= line <= hi
                         for lo, hi in spans.get(str(Path(mutation.module_path)), []))
            if inside:
                kept += 1
            else:
                skipped += 1
                db.set_result(item.job_id, WorkResult(output="outside the chosen functions",
                                                      worker_outcome=WorkerOutcome.SKIPPED))
    print(f"mutation_filter: {kept} mutants kept, {skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
