"""Summarise one commit's asv results: the front page people read first.

    python -m vfi_bench frontpage [--commit HASH] [--results .asv/results] [--html .asv/html]

Prints, and writes as ``<html>/vfi.html`` beside asv's report (which links to it):

- the notebook case (n = 100, beta = 0.95, 100 steps): variant, median, ratio to
  numba-masked;
- 100 steps at n = 10^4: the fast variants' medians against the brute-force baselines'
  single timed call;
- the growth model (Aruoba & Fernandez-Villaverde): each solve method's median against
  the C++ baseline;
- the log-log scaling plot (``scaling.png``), one colour and marker per variant, colour
  families by backend.

Reads asv's own result files (through ``asv.results``), so what it shows is what the
published report shows: medians of the recorded samples.
"""
from __future__ import annotations

import argparse
import ast
import html
import itertools
import subprocess
from pathlib import Path

from asv.results import iter_results

BASELINE = "numba-masked"
NOTEBOOK_KEY = "bench_cake.NotebookCase.time_iterate"
SCALING_KEY = "bench_scaling.Scaling.time_iterate"
STEPS10K_KEY = "bench_fast.Steps10k.time_100_steps"
BASELINE10K_KEY = "bench_fast.Steps10kBaseline.track_seconds"
GROWTH_SOLVE_KEY = "bench_growth.GrowthSolve.time_solve"
GROWTH_CPP_KEY = "bench_growth.GrowthCpp.track_cpp_seconds"

#: Colour families per backend (light to dark within a family) and one marker per
#: variant: twelve variants no longer share the ten colours of matplotlib's cycle.
BACKEND_COLOURS = {"python": "Greys", "numpy": "Oranges", "numba": "Blues", "jax": "Greens"}
MARKERS = "osD^v<>ph*XP"


def commit_results(results_dir: Path, commit: str, machine: str | None = None,
                   fallback: bool = False):
    """The result files of ``commit``, newest last (one per machine and environment).

    With ``fallback``, a commit without results (a history run that ended before HEAD)
    gives the newest commit that has some, and says so.
    """
    every = [r for r in iter_results(str(results_dir))
             if machine is None or r.params.get("machine") == machine]
    found = [r for r in every if r.commit_hash.startswith(commit)]
    if not found and fallback and every:
        newest = max(every, key=lambda r: r.date or 0)
        print(f"No asv results for {commit[:8]}: the front page shows {newest.commit_hash[:8]}")
        found = [r for r in every if r.commit_hash == newest.commit_hash]
    if not found:
        raise SystemExit(f"no asv results for commit {commit[:8]} under {results_dir}")
    return sorted(found, key=lambda r: r.date or 0)


def table(results, key):
    """``{params tuple: value}`` for ``key``, skipped and failed cases left out."""
    for result in reversed(results):
        if key in result.get_all_result_keys():
            params = result.get_result_params(key)
            values = result.get_result_value(key, params)
            return {tuple(ast.literal_eval(p) for p in combo): value
                    for combo, value in zip(itertools.product(*params), values, strict=True)
                    if value is not None and value == value}
    return {}


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3f} {unit}"
    return f"{seconds / 1e-9:.1f} ns"


def ratio(numerator: float | None, denominator: float) -> str:
    return f"{numerator / denominator:,.2f}x" if numerator else "n/a"


def notebook_rows(results):
    medians = {variant: t for (variant,), t in table(results, NOTEBOOK_KEY).items()}
    baseline = medians.get(BASELINE)
    return [(variant, format_seconds(t), ratio(baseline, t))
            for variant, t in sorted(medians.items(), key=lambda item: item[1])]


def steps10k_rows(results):
    baselines = {variant: t for (variant,), t in table(results, BASELINE10K_KEY).items()}
    fast = {variant: t for (variant,), t in table(results, STEPS10K_KEY).items()}
    rows = [(v, format_seconds(t) + " (one call)", ratio(baselines.get(BASELINE), t))
            for v, t in sorted(baselines.items(), key=lambda item: item[1], reverse=True)]
    rows += [(v, format_seconds(t), ratio(baselines.get(BASELINE), t))
             for v, t in sorted(fast.items(), key=lambda item: item[1])]
    return rows


def growth_rows(results):
    cpp = table(results, GROWTH_CPP_KEY).get(())
    solves = {method: t for (method,), t in table(results, GROWTH_SOLVE_KEY).items()}
    rows = [("C++ (cpp/afv.cpp, -O3)", format_seconds(cpp), "1.00x")] if cpp else []
    rows += [(f"numba-monotone {m}", format_seconds(t), ratio(cpp, t))
             for m, t in sorted(solves.items(), key=lambda item: item[1])]
    return rows


def _colours(variants):
    import matplotlib

    colours = {}
    for backend, family in BACKEND_COLOURS.items():
        members = [v for v in variants if v.split("-", 1)[0] == backend]
        cmap = matplotlib.colormaps[family]
        for k, variant in enumerate(members):
            colours[variant] = cmap(0.3 + 0.7 * (k + 1) / (len(members) + 1))
    return colours


def plot_scaling(results, path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = table(results, SCALING_KEY)
    if not times:
        print(f"\nNo scaling plot: {SCALING_KEY} has no results for this commit")
        return False
    variants = sorted({variant for variant, _ in times},
                      key=lambda v: (list(BACKEND_COLOURS).index(v.split("-")[0])
                                     if v.split("-")[0] in BACKEND_COLOURS else 99, v))
    colours = _colours(variants)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for k, variant in enumerate(variants):
        points = sorted((n, t) for (v, n), t in times.items() if v == variant)
        ax.loglog(*zip(*points, strict=True), marker=MARKERS[k % len(MARKERS)], label=variant,
                  color=colours.get(variant))
    ax.set_xlabel("grid size n")
    ax.set_ylabel("seconds per 10 Bellman steps (asv median)")
    ax.set_title("Cake eating: time against n")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncols=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"\nScaling plot: {path}")
    return True


SECTIONS = (
    ("Notebook case (n = 100, beta = 0.95, 100 steps)", ("variant", "median",
                                                         f"speed-up vs {BASELINE}"),
     notebook_rows),
    ("100 steps at n = 10,000", ("variant", "median", f"speed-up vs {BASELINE}"),
     steps10k_rows),
    ("Growth model (AFV 2015, 17,820 x 5), solve to 2e-6", ("method", "median",
                                                             "speed-up vs C++"),
     growth_rows),
)


def print_section(title, header, rows) -> None:
    print(f"\n{title}, asv medians:")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)
                        for i, (x, w) in enumerate(zip(row, widths, strict=True))))


def html_section(title, header, rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in row) + "</tr>"
                   for row in rows)
    return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def write_front_page(path: Path, commit: str, machine: str, sections, plot: bool) -> None:
    parts = [html_section(*s) for s in sections if s[2]]
    if plot:
        parts.append('<h2>Scaling</h2><img src="scaling.png" alt="time against n, per variant">')
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<title>vfi: results at a glance</title><link rel="icon" href="swallow.ico"><style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; }} td + td {{ text-align: right; }}
</style></head><body>
<h1>vfi: results at a glance</h1>
<p>Commit {html.escape(commit[:10])} on machine {html.escape(machine)}: asv medians.
<a href="index.html">The full asv report</a> has every benchmark, its history and its
machines.</p>
{''.join(parts)}
</body></html>
""")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default=None, help="commit hash (default: HEAD)")
    parser.add_argument("--machine", default=None, help="asv machine (default: newest)")
    parser.add_argument("--results", type=Path, default=Path(".asv/results"))
    parser.add_argument("--html", type=Path, default=Path(".asv/html"))
    args = parser.parse_args(argv)
    commit = args.commit or subprocess.check_output(["git", "rev-parse", "HEAD"], text=True).strip()
    results = commit_results(args.results, commit, args.machine, fallback=args.commit is None)
    machine = results[-1].params.get("machine", "?")
    results = [r for r in results if r.params.get("machine") == machine]
    sections = [(title, header, rows(results)) for title, header, rows in SECTIONS]
    for section in sections:
        if section[2]:
            print_section(*section)
    args.html.mkdir(parents=True, exist_ok=True)
    plot = plot_scaling(results, args.html / "scaling.png")
    write_front_page(args.html / "vfi.html", commit, machine, sections, plot)
    print(f"Front page: {(args.html / 'vfi.html').resolve()} ({machine}, {commit[:8]})")
    print(f"HTML report: {(args.html / 'index.html').resolve()}  (make preview serves it)")
    return 0


if __name__ == "__main__":
    main()
