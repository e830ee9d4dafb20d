"""The front page people read first: the headline cases, machines side by side.

    python -m vfi_bench frontpage --machine NAME [--commit HASH] [--results DIR] [--html DIR]
        [--steps FILE] [--compare DIR]

Writes ``<html>/vfi.html`` beside asv's report (which links to it) and prints the same
tables: which commit your column shows and how far that is from HEAD; a table of the
machines (each machine's commit, its distance from HEAD, when it ran, the commit's
date, CPU, cores, memory, accelerator, OS); the latest paired comparison under
``--compare`` (base, head, verdict, date; its table written as ``compare.html``); then
one table per headline case with one column per machine (yours first, at ``--commit``;
every other machine at its newest commit), each cell the asv median with the
interquartile range of its samples in three significant digits, rows only for what some
machine measured, ranked where the ranges separate and the spread is not noise:

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

from vfi_bench.asvkit import latest_compare, publish

#: Where ``make preview`` serves the front page.
#: The front page's file in asv's html folder, and the link asv's navigation gets to it
#: (:func:`vfi_bench.asvkit.vendor.vendor`'s ``front_page``).
PAGE = "vfi.html"
FRONT_LINK = (PAGE, "Start here: vfi, results at a glance")
VENDOR_ARGS = ["--front-page", FRONT_LINK[0], "--front-label", FRONT_LINK[1]]
PREVIEW_URL = f"http://127.0.0.1:8080/{PAGE}"
BASELINE = "numba-masked"
NOTEBOOK_KEY = "bench_cake.NotebookCase.time_iterate"
SCALING_KEY = "bench_scaling.Scaling.time_iterate"
STEPS10K_KEY = "bench_fast.Steps10k.time_100_steps"
BASELINE10K_KEY = "bench_fast.Steps10kBaseline.track_seconds"
GROWTH_SOLVE_KEY = "bench_growth.GrowthSolve.time_solve"
GROWTH_CPP_KEY = "bench_growth.GrowthCpp.track_cpp_seconds"
SAVINGS_SOLVE_KEY = "bench_savings.SavingsSolve.time_solve"
SAVINGS_PEER_KEY = "bench_savings.SavingsOverDiscreteDP.track_peer_over_ours"
#: Every member's headline case, every variant (``benchmarks/bench_members.py``).
MEMBERS_KEY = "bench_members.MemberHeadline.time_iterate"
OVER_STORE_KEY = "bench_floor.OverStore.track_time_over_store"
OVER_STEP_KEY = "bench_floor.OverGreedyStep.track_time_over_greedy_step"
GROWTH_PEER_KEY = "bench_growth.GrowthDefaultOverCpp.track_cpp_over_solve"

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


#: Units of a time, largest first: each value takes the largest it is at least one of.
TIME_UNITS = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))
#: A cell whose upper quartile is this many times its median (or its lower quartile
#: this many times below it) is noise: its median says too little to rank it.
NOISE_FACTOR = 2.0


def significant(x: float) -> str:
    """``x`` to three significant digits, trailing zeros kept.

    Examples
    --------
    >>> significant(1.0), significant(12.345), significant(0.0123), significant(999.6)
    ('1.00', '12.3', '0.0123', '1,000')
    """
    rounded = float(f"{x:.3g}")
    if rounded == 0:
        return "0.00"
    decimals = max(0, 2 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:,.{decimals}f}"


def format_seconds(seconds: float) -> str:
    """Three significant digits in the unit that keeps the value at or above one,
    chosen after rounding (so 999.6 µs is ``1.00 ms``).

    Examples
    --------
    >>> format_seconds(999.6e-6), format_seconds(0.0723), format_seconds(2.5e-10)
    ('1.00 ms', '72.3 ms', '0.250 ns')
    """
    rounded = float(f"{seconds:.3g}")
    unit, scale = next(((u, s) for u, s in TIME_UNITS if rounded >= s), TIME_UNITS[-1])
    return f"{significant(rounded / scale)} {unit}"


def format_ratio(ratio: float) -> str:
    return f"{significant(ratio)}x"


def format_cell(cell: Cell | None) -> str:
    """``median (lower quartile – upper quartile)``; the median alone when asv kept no
    spread."""
    if cell is None:
        return "-"
    if cell.low is None or cell.high is None:
        return format_seconds(cell)
    return f"{format_seconds(cell)} ({format_seconds(cell.low)} – {format_seconds(cell.high)})"


def noise(cell: Cell) -> str | None:
    """Why ``cell`` is too noisy to rank (its quartiles :data:`NOISE_FACTOR` or more
    from its median), or None.

    Examples
    --------
    >>> noise(Cell(723e-6, 686e-6, 23.4e-3))
    'noise: upper quartile 32.4x the median'
    >>> noise(Cell(1.0, 0.9, 1.5)) is None
    True
    """
    if cell.high is not None and cell.high >= NOISE_FACTOR * cell:
        return f"noise: upper quartile {format_ratio(cell.high / cell)} the median"
    if cell.low is not None and 0 < cell.low <= cell / NOISE_FACTOR:
        return f"noise: lower quartile 1/{significant(cell / cell.low)} of the median"
    return None


def ranks(cells: list[Cell]) -> list[str]:
    """Ranks by median where the interquartile ranges separate; "=k" where a range
    overlaps the one ranked before it (no order is claimed there); no rank for a
    cell that is :func:`noise` (it says so), and the others are ranked without it.

    Examples
    --------
    >>> ranks([Cell(1, 0.9, 1.1), Cell(2, 1.9, 60), Cell(2, 1.9, 2.1), Cell(2.05, 2.0, 2.2)])
    ['1', 'noise: upper quartile 30.0x the median', '2', '=2']
    """
    out, rank, ranked, previous = [], 0, 0, None
    for cell in cells:
        if noise(cell):
            out.append(noise(cell))
            continue
        ranked += 1
        overlaps = (previous is not None and None not in (cell.low, previous.high)
                    and cell.low <= previous.high)
        if not overlaps:
            rank = ranked
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


def member_rows(results):
    """``"member: variant"`` rows of every member the results have, whatever their names."""
    return {member_variant.replace(":", ": ", 1): t
            for (member_variant,), t in table(results, MEMBERS_KEY).items()}


def _default_cake_variant():
    try:
        from vfi import cake
    except ImportError:
        return None
    return cake.default_variant()


def peer_ratios(results) -> dict[str, tuple[str, float]]:
    """``{floor case: (peer, the peer's time over the default's)}`` from the same run's
    peer benchmarks (``benchmarks/bench_floor.py`` names the cases)."""
    peers = {}
    default = _default_cake_variant()
    notebook, steps = notebook_rows(results), steps10k_rows(results)
    if default in notebook and BASELINE in notebook:
        peers["notebook"] = (BASELINE, notebook[BASELINE] / notebook[default])
    one_call = f"{BASELINE} (one call)"
    if default in steps and one_call in steps:
        peers["cake-1e4-100-steps"] = (one_call, steps[one_call] / steps[default])
    cpp = table(results, GROWTH_PEER_KEY).get(("default",))
    if cpp:
        peers["growth-default"] = ("C++ (cpp/afv.cpp)", float(cpp))
    for (method, states), ratio in table(results, SAVINGS_PEER_KEY).items():
        if method == "policy_iteration":
            peers[f"savings-{states}"] = ("DiscreteDP policy iteration", float(ratio))
    return peers


def floor_section(machines):
    """Each headline case's default time over its floors (the store of its answer, one
    greedy step), per machine, and beside them the peer's time over it, here; None when
    no machine ran ``bench_floor``."""
    floors = [(name, table(results, OVER_STORE_KEY), table(results, OVER_STEP_KEY))
              for name, results in machines]
    floors = [floor for floor in floors if floor[1] or floor[2]]  # no empty columns
    cases = list(dict.fromkeys(case for _, store, step in floors for (case,) in {**store, **step}))
    if not cases:
        return None
    peers = peer_ratios(machines[0][1])
    header = ["case"]
    for name, _, _ in floors:
        header += [f"{name}: time / store", f"{name}: time / one greedy step"]
    header += ["peer", "peer / this, here"]
    rows = []
    for case in cases:
        row = [case]
        for _, store, step in floors:
            row += [format_ratio(store[(case,)]) if (case,) in store else "-",
                    format_ratio(step[(case,)]) if (case,) in step else "-"]
        peer, ratio = peers.get(case, ("-", None))
        rows.append(row + [peer, "-" if ratio is None else format_ratio(ratio)])
    return ("How far from the floor: each default over the time to store its answer and "
            "over one greedy step (same process), beside the peer", header, rows)


#: Each headline case: title, what a row is, rows of one machine's results, and the row
#: the others are divided by (None: no ratio column).
SECTIONS = (
    ("Notebook case (n = 100, beta = 0.95, 100 steps)", "variant", notebook_rows, BASELINE),
    ("100 steps at n = 10,000", "variant", steps10k_rows, f"{BASELINE} (one call)"),
    ("Growth model (AFV 2015, 17,820 x 5), solve to 2e-6", "method", growth_rows,
     "C++ (cpp/afv.cpp, -O3)"),
    ("Optimal savings (QuantEcon), solve to 1e-8", "method", savings_rows, None),
    ("Every member's headline case (python -m vfi time MEMBER)", "member: variant",
     member_rows, None),
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
            line.append(format_ratio(base / mine[row]) if row in mine else "-")
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


def _spread(cells: list[Cell]) -> list[list[float]]:
    """Error bars from each cell's median down to its lower quartile and up to its
    upper one; clamped at zero (asv's median and quartiles come from different
    estimators), and none where asv kept no quartiles."""
    low = [max(0.0, c - c.low) if c.low is not None else 0.0 for c in cells]
    high = [max(0.0, c.high - c) if c.high is not None else 0.0 for c in cells]
    return [low, high]


def figure(machines):
    """The notebook case per machine (median and interquartile range, log axis), and
    cake eating's time against n where a machine measured it (the full tier); None
    when no machine has either."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    notebook = [(name, notebook_rows(results)) for name, results in machines]
    notebook = [(name, rows) for name, rows in notebook if rows]
    scaling = [(name, table(results, SCALING_KEY)) for name, results in machines]
    scaling = [(name, times) for name, times in scaling if times]
    panels = len(notebook) + len(scaling)
    if not panels:
        return None
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 5.5), squeeze=False)
    axes = list(axes[0])
    for ax, (name, rows) in zip(axes, notebook, strict=False):
        variants = sorted(rows, key=lambda v: float(rows[v]))
        medians = [float(rows[v]) for v in variants]
        colours = _colours(_ordered(variants))
        ax.barh(variants, medians, xerr=_spread([rows[v] for v in variants]),
                color=[colours.get(v) for v in variants])
        ax.set_xscale("log")
        ax.set_axisbelow(True)  # grid lines behind the bars, not through them
        ax.invert_yaxis()
        ax.set_xlabel("seconds per call (median, interquartile range)")
        ax.set_title(f"Notebook case on {name}", fontsize=10)
        ax.grid(True, axis="x", which="both", alpha=0.3)
    for ax, (name, times) in zip(axes[len(notebook):], scaling, strict=True):
        variants = _ordered({variant for variant, _ in times})
        colours = _colours(variants)
        for k, variant in enumerate(variants):
            cells = sorted((n, t) for (v, n), t in times.items() if v == variant)
            ns, medians = [n for n, _ in cells], [float(t) for _, t in cells]
            # the quartiles show where a median is noise (a parallel variant at small n)
            ax.errorbar(ns, medians, yerr=_spread([t for _, t in cells]), capsize=2,
                        marker=MARKERS[k % len(MARKERS)], label=variant,
                        color=colours.get(variant))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("grid size n")
        ax.set_ylabel("seconds per 10 Bellman steps (median, interquartile range)")
        ax.set_title(f"Cake eating, time against n, on {name}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        # below the axes: inside, it covered the small-n points
        ax.legend(fontsize=8, ncols=2, loc="upper center", bbox_to_anchor=(0.5, -0.12),
                  frameon=False)
    fig.tight_layout()
    return fig


def plot(machines, path: Path) -> bool:
    """:func:`figure` saved as ``path``; whether there was one."""
    fig = figure(machines)
    if fig is None:
        return False
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    print(f"\nPlot: {path}")
    return True


def point_value(point: str, value: float) -> str:
    """A benchmark point's value: a time with its unit for a ``time_``/``timeraw_``
    benchmark, three significant digits for anything else (bytes, iterations, ratios).

    Examples
    --------
    >>> point_value("b.C.time_f('a')", 2.5e-4), point_value("b.C.track_n", 1234.0)
    ('250 µs', '1,230')
    """
    method = point.split("(", 1)[0].rsplit(".", 1)[-1]
    return format_seconds(value) if method.startswith("time") else significant(value)


def step_section(path: Path | None, machine: str):
    """The steps of your history that are not refuted: the confirmed ones (also on the
    Regressions page), then the ones a paired comparison could not confirm, with the
    smallest change it could have caught (noise at this machine's level)."""
    if path is None or not path.is_file():
        return None
    checks = [c for c in json.loads(path.read_text()).values() if c["status"] != "refuted"]
    if not checks:
        return None
    rows = [[c["point"], c["commit"][:8],
             f"{point_value(c['point'], c['old'])} -> {point_value(c['point'], c['new'])}",
             format_ratio(c["new"] / c["old"]) if c["old"] else "-", paired_check(c)]
            for c in sorted(checks, key=lambda c: (c["status"] != "confirmed", c["point"]))]
    confirmed = sum(c["status"] == "confirmed" for c in checks)
    return (f"Steps in {machine}'s history: {confirmed} confirmed by a paired comparison "
            f"(the Regressions page lists these), {len(checks) - confirmed} not confirmed "
            f"(noise at this machine's level; refuted ones left out)",
            ["benchmark", "commit", "before -> after", "ratio", "paired check"], rows)


def paired_check(check: dict) -> str:
    """``confirmed``; ``not confirmed (mde 1.3x)``; ``not measured yet``.

    Examples
    --------
    >>> paired_check({"status": "unchecked", "compare": "inconclusive", "mde": 1.31})
    'not confirmed (inconclusive, mde 1.31x)'
    """
    if check["status"] == "confirmed":
        return "confirmed"
    if check["compare"] == "not measured":
        return "not measured yet"
    mde = check.get("mde")
    return f"not confirmed ({check['compare']}" + (f", mde {mde:.3g}x)" if mde else ")")


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


def git(*args: str) -> str | None:
    """``git args`` in the working directory, its output, or None when git fails."""
    done = subprocess.run(["git", *args], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def behind_head(commit: str) -> str:
    """How far ``commit`` is from HEAD, in words (``git rev-list --count C..HEAD``)."""
    count = git("rev-list", "--count", f"{commit}..HEAD")
    if count is None:
        return "not in this repository"
    if count == "0":
        return "at HEAD" if git("rev-parse", "HEAD") == commit else "ahead of HEAD"
    return f"{count} commit{'s' * (count != '1')} behind HEAD"


def _utc(milliseconds) -> str:
    if not milliseconds:
        return "unrecorded"
    return (datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.UTC)
            .strftime("%Y-%m-%d %H:%M"))


def run_date(results) -> str:
    """When the newest benchmark of ``results`` started (asv's ``started_at``)."""
    return _utc(max((t for r in results for t in r.started_at.values() if t), default=None))


MACHINE_COLUMNS = ("commit", "distance", "run (UTC)", "commit date (UTC)", "CPU", "cores",
                   "RAM", "accelerator", "OS")


def machine_rows(machines) -> list[list[str]]:
    """Per machine: its commit, how far that is from HEAD, when it ran, the commit's
    date, and its record (the accelerator in ``gpu``)."""
    rows = []
    for name, results in machines:
        newest = results[-1]
        params = newest.params
        rows.append([name, newest.commit_hash[:8], behind_head(newest.commit_hash),
                     run_date(results), _utc(newest.date), params.get("cpu", "unrecorded"),
                     str(params.get("num_cpu", "unrecorded")),
                     publish.gibibytes(params.get("ram", "unrecorded")),
                     params.get("gpu", "none"), params.get("os", "unrecorded")])
    return rows


def status(machine: str, wanted: str, results) -> str:
    """One sentence: which commit your column shows (and when it ran), against the
    commit asked for."""
    shown, ran = results[-1].commit_hash, run_date(results)
    when = "its run time unrecorded" if ran == "unrecorded" else f"run {ran} UTC"
    where = f"{shown[:8]}, {behind_head(shown)}, {when}"
    if shown.startswith(wanted):
        return f"{machine}'s column is at {where}."
    return (f"{machine} has no results at {wanted[:8]}: its column shows {where}. "
            "make bench measures HEAD.")


def compare_section(comparison) -> str:
    """The latest comparison in one row (base, head, verdict, date) and a link to its
    table; empty when there is none."""
    if comparison is None:
        return ""
    row = [_short(comparison.base), behind_head(comparison.base) if comparison.base else "-",
           _short(comparison.head), behind_head(comparison.head) if comparison.head else "-",
           comparison.verdict(), comparison.date.strftime("%Y-%m-%d %H:%M UTC")]
    table = html_section("Latest comparison (make compare)",
                         ["base", "base distance", "head", "head distance", "verdict",
                          "date"], [row])
    if comparison.path is None:
        config = html.escape(str(comparison.folder / "asv.conf.json"))
        return table + (f"<p>Its samples: <code>asv compare --config {config} "
                        f"{_short(comparison.base)} {_short(comparison.head)}</code></p>")
    return table + '<p><a href="compare.html" id="compare-table">Its table: every point</a></p>'


def _short(commit: str | None) -> str:
    return commit[:8] if commit else "unrecorded"


def compare_rows(comparison) -> list[list[str]]:
    """The comparison's records as rows: ratio and its bounds (one-sided, at the level
    of the look that decided it), mde, verdict."""
    def ratio(value):
        return "-" if value is None else format_ratio(value)
    return [[r["benchmark"], r.get("params") or "-", ratio(r.get("ratio")),
             f"{ratio(r.get('low'))} – {ratio(r.get('high'))}", ratio(r.get("mde")),
             r["verdict"], r.get("error") or ""]
            for r in comparison.records]


STYLE = """body { font-family: sans-serif; margin: 2em; } table { border-collapse: collapse; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; white-space: nowrap; }
td + td { text-align: right; }
td:last-child { white-space: normal; overflow-wrap: anywhere; }  /* OS names, errors */
img { max-width: 100%; } .status { font-size: 110%; background: #f4f4f4; padding: 0.5em; }"""


def page(title: str, body: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{html.escape(title)}</title><link rel="icon" href="swallow.ico"><style>
{STYLE}
</style></head><body>
<h1>{html.escape(title)}</h1>
{body}
</body></html>
"""


def write_compare_page(path: Path, comparison) -> None:
    """The latest comparison's table as a page of its own (``compare.html``)."""
    header = ["benchmark", "params", "ratio head / base", "bounds", "mde", "verdict",
              "error"]
    summary = (f"<p class='status'>Base {html.escape(str(comparison.base)[:8])}, head "
               f"{html.escape(str(comparison.head)[:8])}, "
               f"{comparison.date.strftime('%Y-%m-%d %H:%M UTC')}: "
               f"{html.escape(comparison.verdict())}. Records: "
               f"{html.escape(str(comparison.path))}. <a href='vfi.html'>Back to the front "
               f"page</a>.</p>")
    path.write_text(page("vfi: the latest comparison", summary + html_section(
        "Every point compared", header, compare_rows(comparison))))


def write_front_page(path: Path, machines, sections, plotted: bool, lead: str,
                     comparison=None) -> None:
    parts = [html_section("Machines", ["machine", *MACHINE_COLUMNS], machine_rows(machines)),
             compare_section(comparison)]
    parts += [html_section(*s) for s in sections]
    if plotted:
        parts.append('<h2>Plots</h2><img src="frontpage.png" alt="the notebook case per '
                     'machine, and time against n">')
    mine = machines[0][0]
    path.write_text(page("vfi: results at a glance", f"""<p class="status">{html.escape(lead)}</p>
<p>Each cell: the asv median and, in brackets, the interquartile range of its samples,
three significant digits; one column per machine, each at the commit in the first table.
Ranks and ratios are this machine's ({html.escape(mine)}); a rank "=k" shares place k,
its range overlapping the one above; a cell whose upper quartile is {NOISE_FACTOR:g}x its
median or more (or its lower quartile as far below) is noise and not ranked.
<a href="index.html">The full asv report</a> has every benchmark and its history per
machine.</p>
{''.join(parts)}"""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default=None, help="commit hash (default: HEAD)")
    parser.add_argument("--machine", required=True, help="your asv machine (the first column)")
    parser.add_argument("--results", type=Path, default=Path(".asv/results"))
    parser.add_argument("--html", type=Path, default=Path(".asv/html"))
    parser.add_argument("--steps", type=Path, default=None,
                        help="the step checks of your history (vfi_bench.asvkit.steps)")
    parser.add_argument("--compare", type=Path, default=Path(".asv/compare"),
                        help="make compare's folder: its newest records are shown")
    args = parser.parse_args(argv)
    commit = args.commit or git("rev-parse", "HEAD") or ""
    others = sorted({r.params.get("machine") for r in iter_results(str(args.results))}
                    - {args.machine, None})
    machines = [(args.machine, newest_results(args.results, args.machine, commit))]
    machines += [(name, newest_results(args.results, name)) for name in others]
    machines = [(name, results) for name, results in machines if results]
    if not machines or machines[0][0] != args.machine:
        print(f"frontpage: no asv results of machine {args.machine} under {args.results}",
              file=sys.stderr)
        return 2
    lead = status(args.machine, commit, machines[0][1])
    print(lead)
    sections = [s for s in (section(*spec, machines) for spec in SECTIONS) if s]
    floors = floor_section(machines)
    if floors:
        sections.append(floors)
    listed = step_section(args.steps, args.machine)
    if listed:
        sections.append(listed)
    for s in sections:
        print_section(*s)
    args.html.mkdir(parents=True, exist_ok=True)
    comparison = latest_compare.latest(args.compare)
    if comparison is not None and comparison.path is not None:
        write_compare_page(args.html / "compare.html", comparison)
    if comparison is not None:
        print(f"\nLatest comparison: base {_short(comparison.base)}, head "
              f"{_short(comparison.head)}, {comparison.verdict()}")
    plotted = plot(machines, args.html / "frontpage.png")
    write_front_page(args.html / PAGE, machines, sections, plotted, lead, comparison)
    print(f"\nFront page: {(args.html / PAGE).resolve()} "
          f"({', '.join(name for name, _ in machines)})\n"
          f"Open it: make preview, then {PREVIEW_URL} (asv's own pages: index.html there)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
