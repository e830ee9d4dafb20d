"""The front page people read first: the headline cases, machines side by side.

    python -m vfi_bench frontpage --machine NAME [--commit HASH] [--results DIR] [--html DIR]

Writes ``<html>/vfi.html`` beside asv's report (which links to it) and prints the same
tables: a table of the machines (each machine's commit and date, CPU, cores, memory,
accelerator, OS), then one table per headline case with one column per machine (yours
first, at ``--commit``; every other machine at its newest commit), each cell the asv
median with the interquartile range of its samples, rows only for what some machine
measured, ranked where the ranges separate:

- the notebook case (n = 100, beta = 0.95, 100 steps), and the ratio to numba-masked;
- 100 steps at n = 10^4 against the brute-force baselines' single timed call;
- the growth model (Aruoba & Fernandez-Villaverde): each solve method against the C++;
- the optimal savings model (QuantEcon): the solve per method and calibration.

And one figure (``frontpage.png``): the notebook case per machine on a log axis, and,
where a machine ran the full tier, cake eating's time against n.

Reads asv's own result files (through ``asv.results``), so what it shows is what the
published report shows.
"""
from __future__ import annotations

import argparse
import ast
import datetime
import html
import itertools
import json
import math
import subprocess
import sys
from pathlib import Path

from asv.results import iter_results

BASELINE = "numba-masked"
NOTEBOOK_KEY = "bench_cake.NotebookCase.time_iterate"
SCALING_KEY = "bench_scaling.Scaling.time_iterate"
STEPS10K_KEY = "bench_fast.Steps10k.time_100_steps"
BASELINE10K_KEY = "bench_fast.Steps10kBaseline.track_seconds"
GROWTH_SOLVE_KEY = "bench_growth.GrowthSolve.time_solve"
GROWTH_CPP_KEY = "bench_growth.GrowthCpp.track_cpp_seconds"
SAVINGS_SOLVE_KEY = "bench_savings.SavingsSolve.time_solve"
SAVINGS_PEER_KEY = "bench_savings.SavingsOverDiscreteDP.track_peer_over_ours"

#: Colour families per backend (light to dark within a family) and one marker per
#: variant: twelve variants no longer share the ten colours of matplotlib's cycle.
BACKEND_COLOURS = {"python": "Greys", "numpy": "Oranges", "numba": "Blues", "jax": "Greens"}
MARKERS = "osD^v<>ph*XP"


def newest_results(results_dir: Path, machine: str, commit: str | None = None):
    """``machine``'s result files of ``commit`` (default: its newest commit), newest last."""
    every = [r for r in iter_results(str(results_dir)) if r.params.get("machine") == machine]
    if not every:
        return []
    if commit is None or not any(r.commit_hash.startswith(commit) for r in every):
        if commit is not None:
            print(f"No asv results for {commit[:8]} on {machine}: its newest commit is shown")
        commit = max(every, key=lambda r: r.date or 0).commit_hash
    return sorted((r for r in every if r.commit_hash.startswith(commit)),
                  key=lambda r: r.date or 0)


class Cell(float):
    """A median with its interquartile range (``low``, ``high``), as asv recorded them."""

    def __new__(cls, median, low=None, high=None):
        cell = super().__new__(cls, median)
        cell.low, cell.high = low, high
        return cell


def table(results, key):
    """``{params tuple: Cell}`` for ``key``, skipped and failed cases left out."""
    for result in reversed(results):
        if key in result.get_all_result_keys():
            params = result.get_result_params(key)
            values = result.get_result_value(key, params)
            spreads = result.get_result_stats(key, params)
            out = {}
            for combo, value, spread in zip(itertools.product(*params), values, spreads,
                                            strict=True):
                if value is not None and value == value:
                    spread = spread or {}
                    out[tuple(ast.literal_eval(p) for p in combo)] = Cell(
                        value, spread.get("q_25"), spread.get("q_75"))
            return out
    return {}


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def format_cell(cell: Cell | None) -> str:
    """``median (IQR low-high)``; the median alone when asv kept no spread."""
    if cell is None:
        return "-"
    if cell.low is None or cell.high is None:
        return format_seconds(cell)
    return (f"{format_seconds(cell)} ({format_seconds(cell.low)}-"
            f"{format_seconds(cell.high)})")


def ranks(cells: list[Cell]) -> list[str]:
    """Ranks by median where the interquartile ranges separate; "=k" where a range
    overlaps the one ranked before it (no order is claimed there).

    Examples
    --------
    >>> ranks([Cell(1, 0.9, 1.1), Cell(2, 1.9, 2.1), Cell(2.05, 2.0, 2.2)])
    ['1', '2', '=2']
    """
    out, rank, previous = [], 0, None
    for k, cell in enumerate(cells):
        overlaps = (previous is not None and None not in (cell.low, previous.high)
                    and cell.low <= previous.high)
        if not overlaps:
            rank = k + 1
        out.append(f"={rank}" if overlaps else str(rank))
        previous = cell
    return out


def notebook_rows(results):
    return {variant: t for (variant,), t in table(results, NOTEBOOK_KEY).items()}


def steps10k_rows(results):
    rows = {f"{v} (one call)": t for (v,), t in table(results, BASELINE10K_KEY).items()}
    rows.update({v: t for (v,), t in table(results, STEPS10K_KEY).items()})
    return rows


def growth_rows(results):
    rows = {f"numba-monotone {m}": t for (m,), t in table(results, GROWTH_SOLVE_KEY).items()}
    cpp = table(results, GROWTH_CPP_KEY).get(())
    if cpp:
        rows["C++ (cpp/afv.cpp, -O3)"] = cpp
    return rows


def savings_rows(results):
    rows = {f"{m}, {y} income states": t
            for (m, y), t in table(results, SAVINGS_SOLVE_KEY).items()}
    return rows


#: Each headline case: title, what a row is, rows of one machine's results, and the row
#: the others are divided by (None: no ratio column).
SECTIONS = (
    ("Notebook case (n = 100, beta = 0.95, 100 steps)", "variant", notebook_rows, BASELINE),
    ("100 steps at n = 10,000", "variant", steps10k_rows, f"{BASELINE} (one call)"),
    ("Growth model (AFV 2015, 17,820 x 5), solve to 2e-6", "method", growth_rows,
     "C++ (cpp/afv.cpp, -O3)"),
    ("Optimal savings (QuantEcon), solve to 1e-8", "method", savings_rows, None),
)


def section(title, what, rows_of, baseline, machines):
    """One headline case across machines: header and rows, or None when nobody has it.

    ``machines`` is ``[(name, results)]``, yours first. Rows are ordered by your median
    (then by the first machine that has the row), only rows somebody measured appear;
    the rank and the ratio to ``baseline`` are your machine's.
    """
    per_machine = [(name, rows_of(results)) for name, results in machines]
    names = sorted({row for _, rows in per_machine for row in rows},
                   key=lambda row: next((float(rows[row]) for _, rows in per_machine
                                         if row in rows), math.inf))
    if not names:
        return None
    mine = per_machine[0][1]
    measured = [row for row in names if row in mine]
    rank = dict(zip(measured, ranks([mine[row] for row in measured]), strict=True))
    base = mine.get(baseline) if baseline else None
    header = [what] + [name for name, _ in per_machine] + ["rank here"]
    if base:
        header.append(f"{baseline} / this, here")
    table_rows = []
    for row in sorted(names, key=lambda r: (r not in mine, float(mine.get(r, math.inf)))):
        line = [row] + [format_cell(rows.get(row)) for _, rows in per_machine]
        line.append(rank.get(row, "-"))
        if base:
            line.append(f"{base / mine[row]:,.2f}x" if row in mine else "-")
        table_rows.append(line)
    return title, header, table_rows


def _colours(variants):
    import matplotlib

    colours = {}
    for backend, family in BACKEND_COLOURS.items():
        members = [v for v in variants if v.split("-", 1)[0] == backend]
        cmap = matplotlib.colormaps[family]
        for k, variant in enumerate(members):
            colours[variant] = cmap(0.3 + 0.7 * (k + 1) / (len(members) + 1))
    return colours


def _ordered(variants):
    return sorted(variants, key=lambda v: (list(BACKEND_COLOURS).index(v.split("-")[0])
                                           if v.split("-")[0] in BACKEND_COLOURS else 99, v))


def plot(machines, path: Path) -> bool:
    """The notebook case per machine (median and interquartile range, log axis), and
    cake eating's time against n where a machine measured it (the full tier)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    notebook = [(name, notebook_rows(results)) for name, results in machines]
    notebook = [(name, rows) for name, rows in notebook if rows]
    scaling = [(name, table(results, SCALING_KEY)) for name, results in machines]
    scaling = [(name, times) for name, times in scaling if times]
    panels = len(notebook) + len(scaling)
    if not panels:
        return False
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 5.5), squeeze=False)
    axes = list(axes[0])
    for ax, (name, rows) in zip(axes, notebook, strict=False):
        variants = sorted(rows, key=lambda v: float(rows[v]))
        medians = [float(rows[v]) for v in variants]
        # asv's median and quartiles come from different estimators: clamp at zero.
        low = [max(0.0, m - (rows[v].low if rows[v].low is not None else m))
               for v, m in zip(variants, medians, strict=True)]
        high = [max(0.0, (rows[v].high if rows[v].high is not None else m) - m)
                for v, m in zip(variants, medians, strict=True)]
        colours = _colours(_ordered(variants))
        ax.barh(variants, medians, xerr=[low, high], color=[colours.get(v) for v in variants])
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_xlabel("seconds per call (median, interquartile range)")
        ax.set_title(f"Notebook case on {name}", fontsize=10)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    for ax, (name, times) in zip(axes[len(notebook):], scaling, strict=True):
        variants = _ordered({variant for variant, _ in times})
        colours = _colours(variants)
        for k, variant in enumerate(variants):
            points = sorted((n, float(t)) for (v, n), t in times.items() if v == variant)
            ax.loglog(*zip(*points, strict=True), marker=MARKERS[k % len(MARKERS)],
                      label=variant, color=colours.get(variant))
        ax.set_xlabel("grid size n")
        ax.set_ylabel("seconds per 10 Bellman steps (median)")
        ax.set_title(f"Cake eating, time against n, on {name}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7, ncols=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nPlot: {path}")
    return True


def step_section(path: Path | None, machine: str):
    """The steps of your history that are not refuted, confirmed ones first."""
    if path is None or not path.is_file():
        return None
    checks = [c for c in json.loads(path.read_text()).values() if c["status"] != "refuted"]
    if not checks:
        return None
    rows = [[c["point"], c["commit"][:8], f"{c['old']:.3g} -> {c['new']:.3g}",
             f"{c['new'] / c['old']:.2f}x" if c["old"] else "-", c["status"]]
            for c in sorted(checks, key=lambda c: (c["status"] != "confirmed", c["point"]))]
    return (f"Steps in {machine}'s history (asv's detection; refuted ones left out)",
            ["benchmark", "commit", "before -> after", "ratio", "paired check"], rows)


def print_section(title, header, rows) -> None:
    print(f"\n{title}: medians (interquartile range)")
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(x).ljust(w) if i == 0 else str(x).rjust(w)
                        for i, (x, w) in enumerate(zip(row, widths, strict=True))))


def html_section(title, header, rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(x))}</td>" for x in row) + "</tr>"
                   for row in rows)
    return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


MACHINE_COLUMNS = ("commit", "date", "cpu", "num_cpu", "ram", "gpu", "os")


def machine_rows(machines) -> list[list[str]]:
    """Per machine: its commit and date, and its record (the accelerator in ``gpu``)."""
    rows = []
    for name, results in machines:
        newest = results[-1]
        params = newest.params
        date = (datetime.datetime.fromtimestamp(newest.date / 1000, datetime.UTC)
                .strftime("%Y-%m-%d") if newest.date else "unrecorded")
        ram = params.get("ram", "unrecorded")
        if str(ram).isdigit():
            ram = f"{int(ram) / 2**30:.0f} GiB"
        rows.append([name, newest.commit_hash[:8], date, params.get("cpu", "unrecorded"),
                     str(params.get("num_cpu", "unrecorded")), str(ram),
                     params.get("gpu", "none"), params.get("os", "unrecorded")])
    return rows


def write_front_page(path: Path, machines, sections, plotted: bool) -> None:
    parts = [html_section("Machines", ["machine", *MACHINE_COLUMNS], machine_rows(machines))]
    parts += [html_section(*s) for s in sections]
    if plotted:
        parts.append('<h2>Plots</h2><img src="frontpage.png" alt="the notebook case per '
                     'machine, and time against n">')
    mine = machines[0][0]
    path.write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<title>vfi: results at a glance</title><link rel="icon" href="swallow.ico"><style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.2em 0.6em; }} td + td {{ text-align: right; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>vfi: results at a glance</h1>
<p>Each cell: the asv median and, in brackets, the interquartile range of its samples;
one column per machine, each at the commit and date in the first table. Ranks and
ratios are this machine's ({html.escape(mine)}); a rank "=k" shares place k, its range
overlapping the one above. <a href="index.html">The full asv report</a> has every
benchmark and its history per machine.</p>
{''.join(parts)}
</body></html>
""")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default=None, help="commit hash (default: HEAD)")
    parser.add_argument("--machine", required=True, help="your asv machine (the first column)")
    parser.add_argument("--results", type=Path, default=Path(".asv/results"))
    parser.add_argument("--html", type=Path, default=Path(".asv/html"))
    parser.add_argument("--steps", type=Path, default=None,
                        help="the step checks of your history (vfi_bench.asvkit.steps)")
    args = parser.parse_args(argv)
    commit = args.commit or subprocess.check_output(["git", "rev-parse", "HEAD"],
                                                    text=True).strip()
    others = sorted({r.params.get("machine") for r in iter_results(str(args.results))}
                    - {args.machine, None})
    machines = [(args.machine, newest_results(args.results, args.machine, commit))]
    machines += [(name, newest_results(args.results, name)) for name in others]
    machines = [(name, results) for name, results in machines if results]
    if not machines or machines[0][0] != args.machine:
        print(f"frontpage: no asv results of machine {args.machine} under {args.results}",
              file=sys.stderr)
        return 2
    sections = [s for s in (section(*spec, machines) for spec in SECTIONS) if s]
    listed = step_section(args.steps, args.machine)
    if listed:
        sections.append(listed)
    for s in sections:
        print_section(*s)
    args.html.mkdir(parents=True, exist_ok=True)
    plotted = plot(machines, args.html / "frontpage.png")
    write_front_page(args.html / "vfi.html", machines, sections, plotted)
    print(f"Front page: {(args.html / 'vfi.html').resolve()} "
          f"({', '.join(name for name, _ in machines)})")
    print(f"HTML report: {(args.html / 'index.html').resolve()}  (open it with make preview)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
