"""Summarise one commit's asv results: the notebook-case table and a log-log scaling plot.

    python scripts/bench_report.py [--commit HASH] [--results .asv/results] [--html .asv/html]

Reads asv's own result files (through ``asv.results``), so what it prints is what the
published report shows: medians of the recorded samples.
"""
from __future__ import annotations

import argparse
import itertools
import subprocess
from pathlib import Path

from asv.results import iter_results

BASELINE = "numba-masked"
NOTEBOOK_KEY = "bench_cake.NotebookCase.time_iterate"
SCALING_KEY = "bench_scaling.Scaling.time_iterate"


def commit_results(results_dir: Path, commit: str):
    """The result files of ``commit``, newest last (one per machine and environment)."""
    found = [r for r in iter_results(str(results_dir)) if r.commit_hash.startswith(commit)]
    if not found:
        raise SystemExit(f"no asv results for commit {commit[:8]} under {results_dir}")
    return sorted(found, key=lambda r: r.date or 0)


def table(results, key):
    """``{params tuple: median seconds}`` for ``key``, skipped and failed cases left out."""
    for result in reversed(results):
        if key in result.get_all_result_keys():
            params = result.get_result_params(key)
            values = result.get_result_value(key, params)
            return {tuple(eval(p) for p in combo): value
                    for combo, value in zip(itertools.product(*params), values)
                    if value is not None and value == value}
    return {}


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.3f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"


def print_notebook_table(results) -> None:
    medians = {variant: t for (variant,), t in table(results, NOTEBOOK_KEY).items()}
    baseline = medians.get(BASELINE)
    print(f"\nNotebook case (n = 100, beta = 0.95, 100 steps), asv medians:")
    print(f"{'variant':<20} {'median':>12}  {'speed-up vs ' + BASELINE:>24}")
    for variant, seconds in sorted(medians.items(), key=lambda item: item[1]):
        ratio = f"{baseline / seconds:10.2f}x" if baseline else "n/a"
        print(f"{variant:<20} {format_seconds(seconds):>12}  {ratio:>24}")


def plot_scaling(results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = table(results, SCALING_KEY)
    if not times:
        print(f"\nNo scaling plot: {SCALING_KEY} has no results for this commit")
        return
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for variant in sorted({variant for variant, _ in times}):
        points = sorted((n, t) for (v, n), t in times.items() if v == variant)
        ax.loglog(*zip(*points), marker="o", label=variant)
    ax.set_xlabel("grid size n")
    ax.set_ylabel("seconds per 10 Bellman steps (asv median)")
    ax.set_title("Cake eating: time against n")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"\nScaling plot: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default=None, help="commit hash (default: HEAD)")
    parser.add_argument("--results", type=Path, default=Path(".asv/results"))
    parser.add_argument("--html", type=Path, default=Path(".asv/html"))
    args = parser.parse_args()
    commit = args.commit or subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()
    results = commit_results(args.results, commit)
    print_notebook_table(results)
    args.html.mkdir(parents=True, exist_ok=True)
    plot_scaling(results, args.html / "scaling.png")
    print(f"HTML report: {(args.html / 'index.html').resolve()}  (make preview serves it)")


if __name__ == "__main__":
    main()
