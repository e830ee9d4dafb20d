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


def machine_record(machine_json: Path) -> dict:
    """A machine's ``machine.json`` with every field asv's sidebar filters on present."""
    record = json.loads(machine_json.read_text())
    return {**dict.fromkeys(MACHINE_FIELDS, "unrecorded"), **record}


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
    """Redraw ``graphs/summary/*.json`` from ``machine``'s graphs alone; the number of
    summaries written (one per benchmark that machine has).

    A point of a parameterised benchmark is the geometric mean over its parameters, as
    asv's own summary takes it, but never across machines.
    """
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


#: Edits of asv 0.6.6's graph page (``graphdisplay.js``), each (what, old, new): every
#: variant of a parameterised benchmark drawn (asv draws at most 8 curves until clicked),
#: a log y axis unless the address asks otherwise (times here span orders of magnitude,
#: and a linear axis puts every fast variant on zero), and the legend below the plot
#: instead of over it.
GRAPH_PAGE_EDITS = (
    ("curve limit", "var max_curves = 8;", "var max_curves = 256;"),
    ("log axis by default", "if (params['y-axis-scale']) {",
     "if (!params['y-axis-scale']) { params['y-axis-scale'] = ['log']; }\n"
     "        if (params['y-axis-scale']) {"),
    ("legend below the plot",
     "                show: show_legend,\n                position: \"nw\",",
     "                show: show_legend,\n                container: vfi_legend_box(),"),
    ("legend box", "    var show_legend = true;",
     "    var show_legend = true;\n"
     "    function vfi_legend_box() {\n"
     "        var box = $('#vfi-legend');\n"
     "        if (!box.length) {\n"
     "            box = $('<div id=\"vfi-legend\" style=\"font-size: 85%; margin: 0.5em 0;"
     " columns: 3\"></div>');\n"
     "            $('#main-graph').parent().append(box);\n"
     "        }\n"
     "        return box;\n"
     "    }"),
)


class PageError(Exception):
    """asv's graph page is not the one the edits were written for."""


def patch_graph_page(html: Path) -> list[str]:
    """Apply :data:`GRAPH_PAGE_EDITS` to ``html/graphdisplay.js`` (once); the edits made.

    Raises :class:`PageError` naming the edit whose text asv's page no longer has.
    """
    path = html / "graphdisplay.js"
    text = path.read_text()
    if "vfi_legend_box" in text:
        return []
    for what, old, new in GRAPH_PAGE_EDITS:
        if text.count(old) != 1:
            raise PageError(f"graphdisplay.js: cannot apply '{what}' (asv changed the page)")
        text = text.replace(old, new)
    path.write_text(text)
    return [what for what, _, _ in GRAPH_PAGE_EDITS]
