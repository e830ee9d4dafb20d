"""The time left in an asv run, weighted by what each benchmark took the last time.

asv's ``[ 42.00%]`` counts benchmarks, and the suite's benchmarks differ by a factor of
a thousand (an import against a cold compile of every variant), so a count says little
about time. Here each benchmark weighs what it took in this machine's newest results
(asv records a ``duration`` per benchmark), else in a reference machine's
(``results/<machine>/``), else the median of those; the run's own pace so far scales
the weights once a tenth of the expected work is done, so a slower or loaded machine
is still estimated right.
"""
from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path

TOTAL = re.compile(r"Running \d+ total benchmarks \((\d+) commits \* (\d+) environments \* "
                   r"(\d+) benchmarks\)")
LINE = re.compile(r"^\[\s*(\d+(?:\.\d+)?)%\]\s+···\s+(\S+)")
#: What a benchmark's name looks like in asv's lines, where a long one loses its head
#: (``...Accuracy.track_sup_error``); a table's border (``=====``) and ``Setting up``
#: or ``Running`` lines are not results.
NAME = re.compile(r"^(?:\.\.\.)?[A-Za-z_][\w.]*\.\w+$")
#: Seconds a benchmark is given when no result anywhere names it.
UNKNOWN = 10.0


def minutes(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def durations_in(folder: Path) -> dict[str, float]:
    """``{benchmark: seconds}`` from the asv result files under ``folder`` (one machine's),
    each benchmark from the newest file that ran it."""
    found: dict[str, tuple[int, float]] = {}
    for path in folder.glob("*.json"):
        try:
            data = json.loads(path.read_text())
            columns = data["result_columns"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # machine.json, benchmarks.json, or not a result file
        where = columns.index("duration") if "duration" in columns else None
        for name, row in data.get("results", {}).items():
            seconds = row[where] if where is not None and where < len(row) else None
            if isinstance(seconds, int | float) and seconds > 0:
                date = data.get("date") or 0
                if name not in found or date >= found[name][0]:
                    found[name] = (date, float(seconds))
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


def expected_durations(mine: Path, references: Iterable[Path]) -> tuple[dict, str]:
    """Each benchmark's expected seconds, and where they come from: this machine's
    results (``mine``), any benchmark they lack taken from the reference machines'."""
    reference, names = {}, []
    for folder in references:
        found = durations_in(folder)
        if found:
            names += [m for m in machines_in(folder) if m not in names]
        for name, seconds in found.items():
            reference.setdefault(name, seconds)
    own = durations_in(mine) if mine.is_dir() else {}
    sources = []
    if own:
        sources.append("this machine's last durations")
    if set(reference) - set(own):
        sources.append("the durations of " + ", ".join(names))
    return {**reference, **own}, " and ".join(sources) or "no earlier results"


class Estimate:
    """Reads asv's output line by line; :meth:`line` returns a note of the time spent and
    the time left under each progress line, or None."""

    def __init__(self, expected: dict[str, float], source: str, selected: Callable[[str], bool],
                 clock: Callable[[], float] = time.monotonic):
        self.expected, self.source, self.selected = expected, source, selected
        self.typical = statistics.median(expected.values()) if expected else UNKNOWN
        self.clock = clock
        self.start = clock()
        self.total = None
        self.done = 0.0
        self.seen = set()

    def weight(self, name: str) -> float:
        return self.expected.get(name, self.typical)

    def resolve(self, name: str) -> str:
        """The full name of a benchmark asv printed without its head (``...`` then the
        tail), where exactly one expected name ends with that tail; else ``name``."""
        if not name.startswith("..."):
            return name
        tail = name[3:]
        found = [full for full in self.expected if full.endswith(tail)]
        return found[0] if len(found) == 1 else name

    def _set_total(self, commits: int, environments: int, benchmarks: int) -> None:
        chosen = [name for name in self.expected if self.selected(name)]
        per_run = (sum(self.expected[name] for name in chosen)
                   + max(0, benchmarks - len(chosen)) * self.typical)
        self.total = commits * environments * per_run

    def line(self, text: str) -> str | None:
        total = TOTAL.search(text)
        if total:
            self._set_total(*map(int, total.groups()))
            return None
        match = LINE.match(text)
        if not match or self.total is None or not NAME.match(match.group(2)):
            return None
        name = self.resolve(match.group(2))
        key = (match.group(1), name)
        if key in self.seen:  # asv repeats the line above its table
            return None
        self.seen.add(key)
        self.done += self.weight(name)
        elapsed = self.clock() - self.start
        pace = elapsed / self.done if self.done >= 0.1 * self.total else 1.0
        left = max(0.0, self.total - self.done) * pace
        return (f"      [{minutes(elapsed)} elapsed, about {minutes(left)} left "
                f"(weighted by {self.source})]")
