"""The time left in an asv run, weighted by what each benchmark took the last time.

asv's ``[ 42.00%]`` counts benchmarks, and the suite's benchmarks differ by a factor of
a thousand (an import against a cold compile of every variant), so a count says little
about time. Here each benchmark weighs the wall seconds it took last time: from the
gaps between asv's result lines in this machine's last run (kept in
``.asv/progress/<machine>-<caches>.json`` by :func:`save_run`: set-up caches, process
starts and the first rounds asv runs before any result are counted where they are
paid), else asv's own ``duration`` in this machine's newest results, else a reference
machine's (``results/durations/``, ``results/<machine>/``), else the median of those.

A fresh machine compiles every Numba kernel in the suite's first processes, and a
warm one loads them: a run is weighed by the durations of runs with cold caches and
with warm ones, mixed by the share of kernel modules already cached
(:func:`cached_fraction`). The run's own pace so far scales the weights once a tenth
of the expected work is done, so a slower or loaded machine is still estimated right.
"""
from __future__ import annotations

import itertools
import json
import re
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

TOTAL = re.compile(r"Running \d+ total benchmarks \((\d+) commits \* (\d+) environments \* "
                   r"(\d+) benchmarks\)")
LINE = re.compile(r"^\[\s*(\d+(?:\.\d+)?)%\]\s+···\s+(\S+)")
#: Rounds before the last: asv names a benchmark (``Running (name--)``) at most every
#: 30 s and adds a dot for each benchmark of several rounds that has run such a round,
#: in its run order, so ``Running (a--)...`` is a round of ``a`` and of the next two.
ROUND = re.compile(r"^\[\s*(\d+(?:\.\d+)?)%\]\s+···\s+Running \((\S+?)--\)(\.*)\s*$")
#: What a benchmark's name looks like in asv's lines, where a long one loses its head
#: (``...Accuracy.track_sup_error``); a table's border (``=====``) and ``Setting up``
#: or ``Running`` lines are not results.
NAME = re.compile(r"^(?:\.\.\.\.?)?[A-Za-z_][\w.]*\.\w+$")
#: Seconds a benchmark is given when no result anywhere names it.
UNKNOWN = 10.0
#: A durations file's compile caches: "cold" (a fresh machine) or "warm" (the default).
CACHES = ("cold", "warm")
#: A decorated kernel in a module of the package (``vfi.compile_cache.njit``).
KERNEL = re.compile(rb"^@njit\b", re.MULTILINE)


def points(suite: dict, regex: str) -> dict[str, float]:
    """``{benchmark: share of its points that regex selects}`` for the benchmarks of
    ``suite`` (asv's ``benchmarks.json``) that it selects at all, matched as asv matches
    ``--bench``: a parameterised benchmark point by point as ``name(param, ...)``."""
    pattern = re.compile(regex)
    shares = {}
    for name, benchmark in suite.items():
        if not isinstance(benchmark, dict):
            continue  # the file's "version"
        params = benchmark.get("params") or []
        if not params:
            chosen, total = bool(pattern.search(name)), 1
        else:
            combos = [f"{name}({', '.join(combo)})" for combo in itertools.product(*params)]
            chosen, total = sum(bool(pattern.search(c)) for c in combos), len(combos)
        if chosen:
            shares[name] = chosen / total
    return shares


def round_order(suite: dict, shares: dict[str, float]) -> list[str]:
    """The selected benchmarks of more than one round, in the order asv runs their
    first rounds: by name, grouped by set-up cache in the order the groups first come."""
    groups: dict[object, list[str]] = {}
    for name in sorted(n for n in suite if isinstance(suite[n], dict)):
        groups.setdefault(suite[name].get("setup_cache_key"), []).append(name)
    return [name for group in groups.values() for name in group
            if shares.get(name) and int(suite[name].get("rounds") or 1) > 1]


def minutes(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def cached_fraction(root: Path) -> float:
    """The share of the package's kernel modules whose current code has compiled kernels
    in the Numba cache under ``root`` (``vfi.compile_cache``'s layout: one folder per
    module and digest of what it imports): 0 on a fresh machine, 1 after a full run at
    this code; each module an edit reaches counts as cold again."""
    from vfi import compile_cache

    package = compile_cache.PACKAGE_DIR
    modules = sorted(p for p in package.rglob("*.py") if KERNEL.search(p.read_bytes()))
    if not modules:
        return 0.0
    cached = 0
    for path in modules:
        name = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        folder = root / "numba-modules" / name / compile_cache.module_digest(path)
        cached += folder.is_dir() and any(folder.glob("*.nbi"))
    return cached / len(modules)


def caches_of(data: dict) -> str:
    """A durations file's compile caches; asv's own result files count as warm."""
    return data.get("caches") if data.get("caches") in CACHES else "warm"


def durations_in(folder: Path, caches: str | None = None,
                 selection: str | None = None) -> dict[str, float]:
    """``{benchmark: seconds}`` from the asv result files under ``folder`` (one machine's,
    or ``results/durations/``'s several), each benchmark from the newest file that ran
    it, a run of the same ``selection`` (asv ``--bench`` regex) first when given: on cold
    caches a benchmark's time holds the compiles of the kernels it is the first to use,
    which depends on what ran before it; only files with those compile ``caches`` when
    given."""
    found: dict[str, tuple[tuple[bool, int], float]] = {}
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text())
            columns = data["result_columns"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # machine.json, benchmarks.json, or not a result file
        if caches is not None and caches_of(data) != caches:
            continue
        where = columns.index("duration") if "duration" in columns else None
        rank = (selection is not None and data.get("selection") == selection,
                data.get("date") or 0)
        for name, row in data.get("results", {}).items():
            seconds = row[where] if where is not None and where < len(row) else None
            usable = isinstance(seconds, int | float) and seconds > 0
            if usable and (name not in found or rank >= found[name][0]):
                found[name] = (rank, float(seconds))
    return {name: seconds for name, (_, seconds) in found.items()}


def machines_in(folder: Path) -> list[str]:
    """The machines whose results ``folder`` holds: each result file's ``params.machine``
    (``results/durations/`` keeps several machines' files), else the folder's name."""
    machines = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or "result_columns" not in data:
            continue  # machine.json, benchmarks.json
        params = data.get("params") if isinstance(data.get("params"), dict) else {}
        machine = params.get("machine") or folder.name
        if machine not in machines:
            machines.append(machine)
    return machines


def _durations(mine: Path, references: list[Path], runs: Path | None,
               caches: str, selection: str | None) -> tuple[dict, bool, list[str]]:
    """One compile-cache state's durations: this machine's last runs' (``runs``), else
    (no run kept yet) its asv results (``mine``, counted as warm), then the references';
    whether the machine's own gave any, and the reference machines that filled a gap."""
    own: dict[str, float] = {}
    kept = runs is not None and runs.is_dir() and any(runs.glob("*.json"))
    if kept:
        own.update(durations_in(runs, caches, selection))
    elif caches == "warm" and mine.is_dir():
        for name, seconds in durations_in(mine).items():
            own.setdefault(name, seconds)
    reference: dict[str, float] = {}
    names: list[str] = []
    for folder in references:
        found = durations_in(folder, caches, selection)
        if found:
            names += [m for m in machines_in(folder) if m not in names]
        for name, seconds in found.items():
            reference.setdefault(name, seconds)
    filled = names if set(reference) - set(own) else []
    return {**reference, **own}, bool(own), filled


def expected_durations(mine: Path, references: Iterable[Path], runs: Path | None = None,
                       warm: float = 1.0, selection: str | None = None) -> tuple[dict, str]:
    """Each benchmark's expected seconds, and where they come from: this machine's
    (its runs' wall gaps under ``runs``, else its asv results ``mine``), any benchmark
    they lack taken from the reference machines'; durations with warm and with cold
    caches mixed as ``warm`` (the share of kernels cached) says, either standing in for
    the other where only one names a benchmark; runs of the same ``selection`` first
    (:func:`durations_in`)."""
    references = list(references)
    found = {caches: _durations(mine, references, runs, caches, selection)
             for caches in CACHES}
    hot, cold = found["warm"][0], found["cold"][0]
    if warm >= 1.0 or not cold:
        expected, used = hot, ["warm"]
    elif warm <= 0.0 or not hot:
        expected, used = cold, ["cold"]
    else:
        expected = {name: warm * hot.get(name, cold.get(name)) +
                    (1 - warm) * cold.get(name, hot.get(name))
                    for name in {**hot, **cold}}
        used = ["warm", "cold"]
    own = any(found[c][1] for c in used)
    names = [n for c in used for n in found[c][2]]
    names = list(dict.fromkeys(names))
    sources = (["this machine's last durations"] if own else []) + \
        (["the durations of " + ", ".join(names)] if names else [])
    text = " and ".join(sources) or "no earlier results"
    if len(used) == 2:
        text += f" ({round(100 * warm)}% of kernels cached)"
    elif used == ["cold"] and sources:
        text += " (cold caches)"
    return expected, text


def wall_durations(trace: Iterable[tuple[float, str]], names: Iterable[str] = (),
                   order: Sequence[str] = ()) -> tuple[dict[str, float], float]:
    """``{benchmark: seconds}`` from a run's timed lines ``(seconds since the start,
    line)``: each result line's time since the line before it that ended a result or a
    round (a benchmark of several rounds runs its first rounds before any result: each
    is counted where asv says it ran), and the run's whole wall time. A name asv printed
    without its head is resolved among ``names`` (the suite's benchmarks)."""
    reader = Estimate(dict.fromkeys(names, 1.0), "", lambda _: 1.0, clock=lambda: 0.0,
                      order=order)
    found, last, end = {}, 0.0, 0.0
    for seconds, text in trace:
        end = max(end, seconds)
        result = reader.result_name(text)
        ran = [result] if result is not None else reader.round_names(text)
        for name in ran:  # several dots at once share their gap
            found[name] = found.get(name, 0.0) + (seconds - last) / len(ran)
        if ran:
            last = seconds
    return found, end


def save_run(path: Path, trace: list[tuple[float, str]], machine: str, caches: str,
             names: Iterable[str] = (), share: Callable[[str], float] = lambda _: 1.0,
             order: Sequence[str] = (), selection: str | None = None) -> None:
    """Keep a run's wall durations as an asv-like result file (the columns that
    :func:`durations_in` reads), marked with its compile ``caches``; ``names`` as in
    :func:`wall_durations` (and ``order``). A benchmark of which the run selected only a
    ``share`` of the points is kept at the seconds all its points would take at that
    pace, so a run of a tier and a run of the whole suite weigh each other right; the
    file says which ``selection`` (asv ``--bench`` regex) ran."""
    found, wall = wall_durations(trace, names, order)
    if not found:
        return
    try:
        kept = json.loads(path.read_text())["results"]
    except (OSError, ValueError, KeyError, TypeError):
        kept = {}  # a run of some benchmarks keeps the others' last durations
    kept.update({name: [seconds / (share(name) or 1.0)] for name, seconds in found.items()})
    data = {"result_columns": ["duration"], "results": kept,
            "params": {"machine": machine}, "caches": caches, "wall": wall,
            "selection": selection,
            "date": int(time.time() * 1000), "version": 2}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True))


class Estimate:
    """Reads asv's output line by line; :meth:`line` returns a note of the time spent and
    the time left under each progress line, or None.

    ``share(name)`` is the part of a benchmark's points the run selects (1 for all of
    them, 0 for none), so a tier that runs four points of thirty weighs four thirtieths.
    A benchmark of several rounds is credited half its weight when asv says its first
    round ran (``order``: :func:`round_order`) and the rest at its result.
    """

    def __init__(self, expected: dict[str, float], source: str, share: Callable[[str], float],
                 clock: Callable[[], float] = time.monotonic,
                 order: Sequence[str] | Callable[[], Sequence[str]] = ()):
        self.expected, self.source, self.share, self.order = expected, source, share, order
        self.typical = statistics.median(expected.values()) if expected else UNKNOWN
        self.clock = clock
        self.start = clock()
        self.total = None
        self.done = 0.0
        self.seen = set()
        self.credited: dict[str, float] = {}
        self.dots: dict[tuple[str, str], int] = {}

    def weight(self, name: str) -> float:
        """The seconds this run's points of ``name`` are expected to take."""
        return self.expected.get(name, self.typical) * (self.share(name) or 1.0)

    def resolve(self, name: str) -> str:
        """The full name of a benchmark asv printed without its head (``...`` then the
        tail), where exactly one expected name ends with that tail; else ``name``."""
        if not name.startswith("..."):
            return name
        tail = name[3:]  # a fourth dot is the name's own (...."Class.method")
        found = [full for full in self.expected if full.endswith(tail)]
        return found[0] if len(found) == 1 else name

    def result_name(self, text: str) -> str | None:
        """The benchmark whose result ``text`` is, the first time asv prints it; else
        None (another line, or the line again above its table)."""
        match = LINE.match(text)
        if not match or not NAME.match(match.group(2)):
            return None
        name = self.resolve(match.group(2))
        key = (match.group(1), name)
        if key in self.seen:  # asv repeats the line above its table
            return None
        self.seen.add(key)
        return name

    def round_names(self, text: str) -> list[str]:
        """The benchmarks whose rounds before their last ``text`` says ran since it was
        last read (the new dots of a ``Running (name--)...`` line, which may be read as it
        grows): ``order``'s from ``name`` on, else ``name`` for each."""
        match = ROUND.match(text)
        if not match:
            return []
        name = self.resolve(match.group(2))
        key = (match.group(1), name)
        before, now = self.dots.get(key, 0), len(match.group(3))
        self.dots[key] = max(before, now)
        order = self.order() if callable(self.order) else list(self.order)
        at = order.index(name) if name in order else None
        return [order[at + k] if at is not None and at + k < len(order) else name
                for k in range(before, now)]

    def _set_total(self, commits: int, environments: int, benchmarks: int) -> None:
        chosen = [name for name in self.expected if self.share(name) > 0]
        per_run = (sum(self.weight(name) for name in chosen)
                   + max(0, benchmarks - len(chosen)) * self.typical)
        self.total = commits * environments * per_run

    def _credit(self, name: str, part: float) -> None:
        """Count ``part`` of ``name``'s weight done, the rest of it at its result."""
        weight = self.weight(name)
        so_far = self.credited.get(name, 0.0)
        now = weight * part if part < 1.0 else weight - so_far
        now = min(now, weight - so_far)
        self.credited[name] = so_far + now
        self.done += now

    def line(self, text: str) -> str | None:
        total = TOTAL.search(text)
        if total:
            self._set_total(*map(int, total.groups()))
            return None
        if self.total is None:
            return None
        name = self.result_name(text)
        if name is None:
            for first in self.round_names(text):
                self._credit(first, 0.5)
            return None
        self._credit(name, 1.0)
        self.credited.pop(name)  # a history run names it again at the next commit
        elapsed = self.clock() - self.start
        pace = elapsed / self.done if self.done >= 0.1 * self.total else 1.0
        left = max(0.0, self.total - self.done) * pace
        return (f"      [{minutes(elapsed)} elapsed, about {minutes(left)} left "
                f"(weighted by {self.source})]")
