"""How far identical code's instruction count moves with the heap's layout (issue 29).

    .venv/bin/python tools/heap_spread.py [SIZE ...]   # default 0 777 5000

Counts the notebook case of every CPU cake variant (python-loops at n = 30) in one
Callgrind process per SIZE, whose environment differs only by a variable of SIZE bytes
(a compare's two sides differ by their paths, which shifts the heap the same way), and
prints per variant: the share of heap-dependent instructions and the widest relative gap
between the processes' counts, with them ("total") and without (the count compare
judges). About a minute per process.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vfi import registry  # noqa: E402
from vfi_bench.asvkit import callgrind  # noqa: E402


def cpu_variants():
    return [v for v in registry.variants("cake") if not v.startswith("jax")]


def points():
    return [callgrind.Point(v, "benchmarks.bench_instructions:notebook_call",
                            (v, 30, 100) if v == "python-loops" else (v,))
            for v in cpu_variants()]


def gap(values):
    return (max(values) - min(values)) / min(values)


def main(sizes):
    runs = [callgrind.count(points(), env={"VFI_HEAP_SHIFT": "x" * size}) for size in sizes]
    print(f"{'variant':26s}{'heap share':>12s}{'total gap':>12s}{'count gap':>12s}")
    for variant in cpu_variants():
        counted = [run[variant] for run in runs]
        heap = [c.heap[0] for c in counted]
        counts = [c.instructions for c in counted]
        totals = [c + h for c, h in zip(counts, heap, strict=True)]
        print(f"{variant:26s}{heap[0] / totals[0]:12.1%}{gap(totals):12.4%}{gap(counts):12.4%}")


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [0, 777, 5000])
