#!/usr/bin/env python
"""Regression drill: prove that `asv continuous` catches a real slowdown, and only that.

In a temporary clone of this repository (HEAD as committed, not the working tree):

1. branch ``drill-slow``: one commit that makes the ``numba-loops`` kernel do its work
   three times (``vfi.cake.numba.iterate_loops``, the function the registry names);
2. branch ``drill-null``: one commit that changes a comment only (identical code).

Both are measured against the base commit with ``asv continuous --factor 1.5`` (samples
recorded, so asv compares with its Mann-Whitney test, not only the medians), in asv's own
virtualenv environment built from asv.conf.json: each commit is built into a wheel and
installed there, as in ``make bench-history``. The drill passes when

- slow run: asv exits non-zero, says PERFORMANCE DECREASED, and ``asv compare
  --only-changed`` flags exactly ``time_iterate('numba-loops')``, worse by >= 1.5x;
- null run: asv exits 0 and ``asv compare --only-changed`` flags nothing.

Timings are only as good as the machine is quiet: before each run the drill waits (up to
``--wait-idle`` s) for the load average to drop to ``--max-load``, and marks a run measured
on a busy machine in its output, where false alarms are to be expected.

Usage: python scripts/regression_drill.py [--env-dir DIR] [--keep] [--wait-idle S]
(``make regression-drill`` caches the environment in .asv/drill-env). Exit status 0 when
the drill passes, 1 when it fails, 2 when it could not run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = r"^bench_cake\.NotebookCase\.time_iterate"
VARIANT = "numba-loops"
EXPECTED = f"bench_cake.NotebookCase.time_iterate('{VARIANT}')"
FACTOR = 1.5
SLOWDOWN = 3
MACHINE = "vfi-drill"
REGISTER_LINE = '"numba-loops", "vfi.cake.numba:iterate_loops"'
KERNEL_RE = re.compile(
    r'(def iterate_loops\(grid, beta, v, num_iter\):\n    """[^\n]*"""\n)'
    r'(    return _iterate_loops\(grid, beta, v, num_iter\)\n)')
ROW_RE = re.compile(r"^\|\s*([+\-!])\s*\|([^|]*)\|([^|]*)\|\s*([^|]*?)\s*\|\s*(.*?)\s*\|\s*$")


class DrillError(Exception):
    """The drill could not be set up or run (exit status 2)."""


def sh(cmd, cwd, env=None, check=True, echo=False):
    if echo:
        print("$", " ".join(map(str, cmd)), flush=True)
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise DrillError(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def git(clone, *args):
    return sh(["git", "-c", "user.name=regression drill", "-c", "user.email=drill@invalid",
               *args], cwd=clone).stdout.strip()


def make_branches(clone: Path) -> tuple[str, str, str]:
    base = git(clone, "rev-parse", "HEAD")
    registry_src = (clone / "vfi/cake/__init__.py").read_text()
    if REGISTER_LINE not in registry_src:
        raise DrillError(f"vfi/cake/__init__.py no longer registers {REGISTER_LINE}")
    kernel = clone / "vfi/cake/numba.py"
    src = kernel.read_text()
    if not KERNEL_RE.search(src):
        raise DrillError("vfi/cake/numba.py: iterate_loops no longer has the expected shape")

    git(clone, "checkout", "-q", "-b", "drill-null", base)
    kernel.write_text(src.replace("def iterate_loops(grid, beta, v, num_iter):",
                                  "# regression drill: a comment, no code change\n"
                                  "def iterate_loops(grid, beta, v, num_iter):", 1))
    git(clone, "commit", "-q", "-am", "drill: comment only (no performance change)")
    null = git(clone, "rev-parse", "HEAD")

    git(clone, "checkout", "-q", "-b", "drill-slow", base)
    slowed = KERNEL_RE.sub(
        lambda m: m.group(1)
        + f"    for _ in range({SLOWDOWN - 1}):  # regression drill: the same work again\n"
        + "        _iterate_loops(grid, beta, v.copy(), num_iter)\n" + m.group(2),
        src, count=1)
    kernel.write_text(slowed)
    git(clone, "commit", "-q", "-am", f"drill: numba-loops does its work {SLOWDOWN} times")
    slow = git(clone, "rev-parse", "HEAD")
    git(clone, "checkout", "-q", base)
    return base, slow, null


def flagged(compare_out: str) -> list[tuple[str, str, str]]:
    """(mark, ratio, benchmark) of each row of an `asv compare --only-changed` table."""
    rows = []
    for line in compare_out.splitlines():
        m = ROW_RE.match(line.strip())
        if m:
            rows.append((m.group(1), m.group(4), m.group(5)))
    return rows


def wait_for_quiet(max_load: float, wait: float) -> float:
    """Wait up to ``wait`` s for the 1-minute load average to drop to ``max_load``."""
    deadline = time.monotonic() + wait
    load = os.getloadavg()[0]
    if load > max_load and wait > 0:
        print(f"load average {load:.1f} > {max_load:.1f}: waiting up to {wait:.0f} s for a"
              " quieter machine", flush=True)
    while load > max_load and time.monotonic() < deadline:
        time.sleep(10)
        load = os.getloadavg()[0]
    return load


def continuous(asv, conf, env, base, head, label, max_load):
    t0, load0 = time.monotonic(), os.getloadavg()[0]
    print(f"\n== {label}: asv continuous --factor {FACTOR} {base[:8]} {head[:8]}", flush=True)
    proc = sh(asv + ["continuous", "--config", conf, "--machine", MACHINE,
                     "--factor", str(FACTOR), "--split", "--only-changed", "--record-samples",
                     "--interleave-rounds", "--bench", BENCH, base, head],
              cwd=conf.parent, env=env, check=False)
    seconds = time.monotonic() - t0
    if "Traceback" in proc.stderr or proc.returncode not in (0, 1):
        raise DrillError(f"asv continuous exited {proc.returncode}\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    comp = sh(asv + ["compare", "--config", conf, "--machine", MACHINE,
                     "--factor", str(FACTOR), "--split", "--only-changed", base, head],
              cwd=conf.parent, env=env)
    print(comp.stdout.strip() or "(asv compare --only-changed: empty)")
    decreased = "PERFORMANCE DECREASED" in proc.stdout
    load1 = os.getloadavg()[0]
    busy = max(load0, load1) > max_load
    print(f"asv continuous exit {proc.returncode}"
          f"{', PERFORMANCE DECREASED' if decreased else ''}; {seconds:.0f} s;"
          f" load average {load0:.1f} before, {load1:.1f} after"
          f"{' (BUSY MACHINE)' if busy else ''}", flush=True)
    return proc.returncode, decreased, flagged(comp.stdout), seconds, busy


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--env-dir", type=Path,
                    help="asv environments (reused between drills); default: in the temp dir")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ncpu = os.cpu_count() or 1
    ap.add_argument("--max-load", type=float, default=max(1.5, 0.6 * ncpu),
                    help="1-minute load average above which the machine counts as busy"
                         " (default %(default).1f)")
    ap.add_argument("--wait-idle", type=float, default=300,
                    help="seconds to wait for a quiet machine before each run (default 300)")
    args = ap.parse_args(argv)

    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="vfi-regression-drill-"))
    failures: list[str] = []
    busy = False
    try:
        clone = tmp / "repo"
        sh(["git", "clone", "-q", str(REPO), str(clone)], cwd=tmp)
        base, slow, null = make_branches(clone)
        print(f"clone {clone}\nbase {base[:8]}  drill-slow {slow[:8]}  drill-null {null[:8]}")

        conf = json.loads((clone / "asv.conf.json").read_text())
        conf.update(repo=str(clone), benchmark_dir=str(clone / "benchmarks"),
                    env_dir=str((args.env_dir or tmp / "env").resolve()),
                    results_dir=str(tmp / "results"), html_dir=str(tmp / "html"))
        conf_path = tmp / "asv.conf.json"
        conf_path.write_text(json.dumps(conf, indent=4))
        # The machine entry goes to a HOME of its own, not the user's ~/.asv-machine.json;
        # pip keeps the user's cache so that building the environment can reuse wheels.
        pip_cache = sh([sys.executable, "-m", "pip", "cache", "dir"], cwd=tmp,
                       check=False).stdout.strip()
        env = dict(os.environ, HOME=str(tmp / "home"))
        if pip_cache and "PIP_CACHE_DIR" not in env:
            env["PIP_CACHE_DIR"] = pip_cache
        (tmp / "home").mkdir()
        asv = [sys.executable, "-m", "asv"]
        sh(asv + ["machine", "--yes", "--machine", MACHINE, "--config", str(conf_path)],
           cwd=tmp, env=env)

        wait_for_quiet(args.max_load, args.wait_idle)
        rc, decreased, rows, s_slow, busy1 = continuous(asv, conf_path, env, base, slow,
                                                        "slowed numba-loops", args.max_load)
        names = [name for _, _, name in rows]
        if rc == 0 or not decreased:
            failures.append("slow run: asv continuous did not report a regression")
        if names != [EXPECTED] or rows[0][0] != "+":
            failures.append(f"slow run: flagged {rows}, expected only + {EXPECTED}")
        else:
            ratio = float(rows[0][1].lstrip("~"))
            if ratio < FACTOR:
                failures.append(f"slow run: ratio {ratio} below {FACTOR}")
        slow_rows = rows

        wait_for_quiet(args.max_load, args.wait_idle)
        rc, decreased, rows, s_null, busy2 = continuous(
            asv, conf_path, env, base, null, "comment-only change (false-alarm check)",
            args.max_load)
        busy = busy1 or busy2
        if rc != 0 or decreased or rows:
            failures.append(f"null run: false alarm, exit {rc}, flagged {rows}")

        print("\n== regression drill summary")
        for mark, ratio, name in slow_rows:
            print(f"slow run flagged: {mark} {name} ratio {ratio}")
        for mark, ratio, name in rows:
            print(f"null run flagged: {mark} {name} ratio {ratio}")
        print(f"slow run {s_slow:.0f} s; null run flagged {len(rows)} benchmark(s),"
              f" {s_null:.0f} s")
    except DrillError as exc:
        print(f"regression drill could not run: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"total {time.monotonic() - t0:.0f} s")
    if failures:
        print("REGRESSION DRILL FAILED:\n  " + "\n  ".join(failures))
        if busy:
            print("note: other processes loaded the CPUs while asv measured (BUSY MACHINE"
                  " above); false alarms are expected then. Rerun on a quiet machine"
                  " before concluding that the suite cannot tell a slowdown from noise.")
        return 1
    print("REGRESSION DRILL PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
