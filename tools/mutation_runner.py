"""The test command of one mutant (cosmic-ray runs it in the mutated tree, tools/mutation.sh).

    python mutation_runner.py SELECTION.json PRISTINE_DIR [--jit]

Finds the mutated module and line by comparing the tree's modules (the current directory)
with their unmutated copies in PRISTINE_DIR, then runs the tests the selection gives that
line (fastest first, ``-x``: a killed mutant stops at its first failure). Exit status 0:
the mutant survived. A line no test executes runs nothing and exits 0, saying so.

The kernels run as Python (``NUMBA_DISABLE_JIT=1``) unless ``--jit``: the compiled re-run
of the survivors, which rules out a difference between the two.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def mutated_line(tree: Path, pristine: Path, modules) -> tuple[str, int] | None:
    for module in modules:
        new = (tree / module).read_text().splitlines()
        old = (pristine / module).read_text().splitlines()
        if new == old:
            continue
        for number, (a, b) in enumerate(zip(new, old, strict=False), start=1):
            if a != b:
                return module, number
        return module, min(len(new), len(old)) + 1
    return None


def main(argv: list[str]) -> int:
    selection = json.loads(Path(argv[0]).read_text())
    pristine = Path(argv[1])
    jit = "--jit" in argv[2:]
    tree = Path.cwd()
    found = mutated_line(tree, pristine, selection["modules"])
    if found is None:
        print("mutation_runner: no module differs from its pristine copy")
        return 2
    module, line = found
    nodes = selection["modules"][module]["lines"].get(str(line), [])
    print(f"mutation_runner: {module}:{line}: {len(nodes)} tests")
    if not nodes:
        print("mutation_runner: no test executes this line (survives untested)")
        return 0
    env = dict(os.environ)
    tools = str(Path(__file__).resolve().parent)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), tools, env.get("PYTHONPATH", "")])
    env.setdefault("HYPOTHESIS_PROFILE", "mutation")
    env.setdefault("VFI_CACHE_DIR", str(tree / ".cache"))
    if jit:
        env.pop("NUMBA_DISABLE_JIT", None)
    else:
        env["NUMBA_DISABLE_JIT"] = "1"
    command = [sys.executable, "-m", "pytest", "-x", "-q", "--tb=native", "--no-header", "-p",
               "no:cacheprovider", "-p", "mutation_plugin", *nodes]
    return subprocess.call(command, env=env, cwd=tree)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
