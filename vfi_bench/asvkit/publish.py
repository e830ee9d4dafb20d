"""What ``asv publish`` is given and what its report draws: one series per machine.

asv keys a graph on every parameter of a result: the interpreter's path, the
environment's requirements and its environment variables as well as the machine. The
same machine's results from an existing interpreter (``asv run -E existing``) and from
asv's own virtualenvs (history runs) then become two unrelated families of lines, each
legend entry two lines of environment variables, and the sidebar's python filter lists
other people's interpreter paths. And the summary grid's thumbnails take, per commit,
the geometric mean over *every* machine, so two machines' results at two commits draw
a trend that is not there.

So publishing goes through a normalised copy of the results (:func:`normalize`): one
environment name per machine (``py<major.minor>``), no requirements or environment
variables in the graph parameters, and a complete machine record (missing fields say
``unrecorded``). After ``asv publish``, :func:`summaries_of` redraws the summary grid
from one machine's graphs only.
"""
from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

MACHINE_FIELDS = ("arch", "cpu", "num_cpu", "os", "ram")


def python_version(params: dict) -> str:
    """``"3.11"`` from a result's ``python`` parameter (a version or an interpreter path).

    Examples
    --------
    >>> python_version({"python": "/opt/torch/.venv/bin/python3"}), python_version({})
    ('3', 'unrecorded')
    >>> python_version({"python": "3.11"})
    '3.11'
    """
    found = re.search(r"(\d+(?:\.\d+)?)\D*$", str(params.get("python", "")))
    return found.group(1) if found else "unrecorded"


def gibibytes(ram) -> str:
    """asv's ``ram`` (bytes, as a string) in GiB, three significant digits; anything
    else as it is.

    Examples
    --------
    >>> gibibytes("25275990016"), gibibytes("unrecorded"), gibibytes("8 GiB")
    ('23.5 GiB', 'unrecorded', '8 GiB')
    """
    if not str(ram).isdigit():
        return str(ram)
    return f"{float(f'{int(ram) / 2**30:.3g}'):g} GiB"


def machine_record(machine_json: Path) -> dict:
    """A machine's ``machine.json`` with every field asv's sidebar filters on present,
    its memory in GiB (the graph page's filter shows it as it is)."""
    record = json.loads(machine_json.read_text())
    record = {**dict.fromkeys(MACHINE_FIELDS, "unrecorded"), **record}
    return {**record, "ram": gibibytes(record["ram"])}


def _merge(files: list[Path], python: str) -> dict:
    """One commit's result files of one machine, merged (newest wins per benchmark) and
    normalised to one environment."""
    loaded = sorted((json.loads(f.read_text()) for f in files), key=lambda d: d.get("date", 0))
    merged = loaded[-1]
    for older in reversed(loaded[:-1]):
        for name, value in older["results"].items():
            merged["results"].setdefault(name, value)
            if name in older.get("durations", {}):
                merged.setdefault("durations", {}).setdefault(name, older["durations"][name])
    keep = {k: v for k, v in merged["params"].items()
            if k in MACHINE_FIELDS or k in ("machine", "gpu")}
    merged["params"] = {**keep, "python": python}
    merged.update(env_name=f"py{python}", python=python, requirements={}, env_vars={})
    return merged


def normalize(sources: list[Path], out: Path, python: str | None = None) -> list[str]:
    """Copy every machine's results under the ``sources`` folders into ``out``, one
    environment per machine and commit (:func:`_merge`); the machines copied.

    A machine found in several sources keeps the first source's files for a commit that
    two of them hold (your own runs first, then the references). ``python`` names the
    environment (default: each result's own version).
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    suites = [Path(s) / "benchmarks.json" for s in sources
              if (Path(s) / "benchmarks.json").is_file()]
    if suites:  # asv publish reads the suite's description from the results folder
        shutil.copy2(suites[0], out / "benchmarks.json")
    machines = []
    for source in sources:
        for folder in sorted(p for p in Path(source).glob("*") if (p / "machine.json").is_file()):
            target = out / folder.name
            target.mkdir(parents=True, exist_ok=True)
            record = machine_record(folder / "machine.json")
            if not (target / "machine.json").exists():
                (target / "machine.json").write_text(json.dumps(record, indent=1))
                machines.append(folder.name)
            by_commit: dict[str, list[Path]] = {}
            for file in folder.glob("*.json"):
                if file.name != "machine.json":
                    by_commit.setdefault(file.name.split("-", 1)[0], []).append(file)
            for commit, files in by_commit.items():
                if any(target.glob(f"{commit}-*.json")):
                    continue
                version = python or python_version(json.loads(files[0].read_text())["params"])
                merged = _merge(files, version)
                merged["params"].update({k: v for k, v in record.items() if k != "version"})
                (target / f"{commit}-py{version}.json").write_text(json.dumps(merged))
    return machines


def _geometric_mean(values) -> float | None:
    finite = [v for v in values if isinstance(v, (int, float)) and v > 0 and math.isfinite(v)]
    return math.exp(sum(map(math.log, finite)) / len(finite)) if finite else None


def summaries_of(html: Path, machine: str) -> int:
    """Redraw ``graphs/summary/*.json`` from ``machine``'s graphs alone (and make the
    grid draw a lone point, :func:`patch_summary_grid`); the number of summaries
    written (one per benchmark that machine has).

    A point of a parameterised benchmark is the geometric mean over its parameters, as
    asv's own summary takes it, but never across machines.
    """
    patch_summary_grid(html)
    summary_dir = html / "graphs" / "summary"
    written = 0
    for summary in summary_dir.glob("*.json"):
        mine = [p for p in (html / "graphs").rglob(summary.name)
                if f"machine-{machine}" in p.parts]
        points = []
        if mine:
            for revision, value in json.loads(mine[0].read_text()):
                mean = _geometric_mean(value if isinstance(value, list) else [value])
                if mean is not None:
                    points.append([revision, mean])
        summary.write_text(json.dumps(points))
        written += bool(points)
    return written


#: The commands that measure more commits of the history and every benchmark (named
#: in the summary grid when it has one commit, or none).
HISTORY_HINT = "make bench-history"
FULL_HINT = "make bench"

#: Edits of asv 0.6.6's graph page (``graphdisplay.js``), each (what, old, new): every
#: variant of a parameterised benchmark drawn (asv draws at most 8 curves until clicked),
#: a log y axis unless the address asks otherwise (times here span orders of magnitude,
#: and a linear axis puts every fast variant on zero), and the legend in a band of its
#: own between the plot and the overview, as tall as its rows (asv draws it over the
#: plot, and a box appended below the plot ran into the overview's frame).
GRAPH_PAGE_EDITS = (
    ("curve limit", "var max_curves = 8;", "var max_curves = 256;"),
    ("log axis by default", "if (params['y-axis-scale']) {",
     "if (!params['y-axis-scale']) { params['y-axis-scale'] = ['log']; }\n"
     "        if (params['y-axis-scale']) {"),
    ("legend below the plot",
     "                show: show_legend,\n                position: \"nw\",",
     "                show: show_legend,\n"
     "                container: asvkit_legend_box(graphs.length),\n"
     "                noColumns: ASVKIT_LEGEND_COLUMNS,"),
    ("legend box", "    var show_legend = true;",
     "    var show_legend = true;\n"
     "    var ASVKIT_LEGEND_COLUMNS = 3;\n"
     "    function asvkit_legend_box(entries) {\n"
     "        var plot_box = $('#main-graph').parent();\n"
     "        var box = $('#asvkit-legend');\n"
     "        if (!box.length) {\n"
     "            box = $('<div id=\"asvkit-legend\"></div>').css({position: 'absolute',\n"
     "                left: 0, right: 0, bottom: '100px', overflow: 'auto'});\n"
     "            plot_box.parent().append(box);\n"
     "            $('head').append('<style>#asvkit-legend table { font-size: 13px !important; }'\n"
     "                + ' #asvkit-legend td.legendLabel { padding: 1px 18px 1px 4px; }</style>');\n"
     "        }\n"
     "        var rows = Math.ceil(entries / ASVKIT_LEGEND_COLUMNS);\n"
     "        var band = show_legend ? Math.min(320, 20 * rows + 16) : 0;\n"
     "        box.css({height: band + 'px'});\n"
     "        plot_box.css({bottom: (100 + band) + 'px'});\n"
     "        return box;\n"
     "    }"),
)

#: Edits of asv 0.6.6's summary grid (``summarygrid.js``): a thumbnail of a benchmark
#: measured at one commit draws that point (asv draws only lines, so the box was empty)
#: and says that the trend needs more commits; one with no point of your machine says
#: so instead of showing nothing.
SUMMARY_GRID_EDITS = (
    ("a lone point drawn",
     "                var plot = $.plot(\n                    plot_div, [{data: data}], options);",
     "                if (data.length == 1) {\n"
     "                    options.series.points = {show: true, radius: 4, fill: true};\n"
     "                    options.yaxis.max = 1.5 * data[0][1];\n"
     "                }\n"
     "                var plot = $.plot(\n                    plot_div, [{data: data}], options);\n"
     "                var asvkit_notes = {\n"
     "                    0: 'not measured on this machine yet: <b>{full}</b> runs it',\n"
     "                    1: 'one commit so far: <b>{hint}</b> draws the trend'};\n"
     "                if (asvkit_notes[data.length]) {\n"
     "                    plot_div.append($('<div class=\"asvkit-one-commit\"/>').css({\n"
     "                        position: 'absolute', left: '6px', bottom: '3px',\n"
     "                        'font-size': '11px', color: '#555'})\n"
     "                    .html(asvkit_notes[data.length]));\n"
     "                }"),
    ("no results anywhere said so",
     "            }).fail(function() {\n                // TODO: Handle failure\n",
     "            }).fail(function() {\n"
     "                plot_div.append($('<div class=\"asvkit-one-commit\"/>').css({\n"
     "                    'font-size': '11px', color: '#555', padding: '30px 6px'})\n"
     "                    .html('no results yet: <b>{full}</b> runs it'));\n"),
)

#: Edits of asv 0.6.6's regressions page (``regressions.js``): the note that
#: :func:`note_regressions` writes into ``regressions.json``, above the table.
REGRESSIONS_PAGE_EDITS = (
    ("the note on what was looked at",
     "        main_div.append(feed_div);\n",
     "        main_div.append(feed_div);\n"
     "        if (data.note) {\n"
     "            main_div.append($('<p id=\"asvkit-regressions-note\"/>').css({margin: '1em'})\n"
     "                            .text(data.note));\n"
     "        }\n"),
)


class PageError(Exception):
    """asv's page is not the one the edits were written for."""


def edit_page(path: Path, edits, marker: str) -> list[str]:
    """Apply ``edits`` to ``path`` unless ``marker`` shows they are there; the edits made.

    Raises :class:`PageError` naming the edit whose text asv's page no longer has.
    """
    text = path.read_text()
    if marker in text:
        return []
    for what, old, new in edits:
        if text.count(old) != 1:
            raise PageError(f"{path.name}: cannot apply '{what}' (asv changed the page)")
        text = text.replace(old, new)
    path.write_text(text)
    return [what for what, _, _ in edits]


def patch_graph_page(html: Path) -> list[str]:
    """Apply :data:`GRAPH_PAGE_EDITS` to ``html/graphdisplay.js`` (once)."""
    return edit_page(html / "graphdisplay.js", GRAPH_PAGE_EDITS, "asvkit_legend_box")


def patch_summary_grid(html: Path, hint: str = HISTORY_HINT, full: str = FULL_HINT
                       ) -> list[str]:
    """Apply :data:`SUMMARY_GRID_EDITS` to ``html/summarygrid.js`` (once), naming
    ``hint`` as the command that draws the trend and ``full`` as the one that runs
    every benchmark."""
    edits = [(what, old, new.replace("{hint}", hint).replace("{full}", full))
             for what, old, new in SUMMARY_GRID_EDITS]
    return edit_page(html / "summarygrid.js", edits, "asvkit-one-commit")


def revisions_of(html: Path, machine: str) -> set[int]:
    """The revisions (commits) of ``machine`` that any published graph has a point at."""
    revisions = set()
    for graph in (html / "graphs").rglob("*.json"):
        # graphs/summary/ is the grid's, <machine path>/summary.json the list view's
        if (f"machine-{machine}" in graph.parts and "summary" not in graph.parts
                and graph.name != "summary.json"):
            revisions.update(revision for revision, *_ in json.loads(graph.read_text()))
    return revisions


def note_regressions(html: Path, machine: str, removed: int = 0,
                     checked: dict[str, int] | None = None) -> str:
    """Write into ``regressions.json`` (and show on the Regressions page, by
    :data:`REGRESSIONS_PAGE_EDITS`) how many commits of each machine asv looked at, how
    many steps it lists, and of those it found in ``machine``'s history how many a
    paired comparison confirmed, refuted or could not confirm (``checked``, by
    :func:`.steps.counts`; ``removed`` steps left the page); the note."""
    path = html / "regressions.json"
    data = json.loads(path.read_text())
    machines = json.loads((html / "index.json").read_text())["params"]["machine"]
    looked = {name: len(revisions_of(html, name)) for name in machines}
    steps = sum(len(entry[6]) for entry in data["regressions"])
    others = ", ".join(f"{name} {count}" for name, count in looked.items() if name != machine)
    note = (f"asv looked for steps in {_commits(looked.get(machine, 0))} of {machine}'s "
            f"history" + (f" (and, apart, in the other machines': {others})" if others else "")
            + f" and lists {steps} step{'s' * (steps != 1)} below")
    if checked:
        note += (f". Of the {sum(checked[s] for s in ('confirmed', 'refuted', 'unchecked'))}"
                 f" steps it found in {machine}'s history, only those a paired comparison "
                 f"confirmed are listed: {checked['confirmed']} confirmed, "
                 f"{checked['refuted']} refuted, {checked['unchecked']} not confirmed "
                 f"(noise at this machine's level; the front page lists them apart)")
        if checked["not measured"]:
            note += f"; {checked['not measured']} not measured yet ({HISTORY_HINT} checks them)"
    elif removed:
        note += f" ({removed} more left out: not confirmed by a paired comparison)"
    note += "."
    if looked.get(machine, 0) < 2:
        note += f" A step needs two commits or more: {HISTORY_HINT} measures the recent ones."
    data["note"] = note
    path.write_text(json.dumps(data))
    edit_page(html / "regressions.js", REGRESSIONS_PAGE_EDITS, "asvkit-regressions-note")
    return note


def _commits(count: int) -> str:
    return f"{count} commit{'s' * (count != 1)}"
