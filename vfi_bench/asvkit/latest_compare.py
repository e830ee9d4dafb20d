"""The latest paired comparison a compare folder holds, for a report to show.

Every compare writes ``latest.json`` here (an object with ``base``, ``head``,
``date``, ``machine`` and ``records``), and ``compare --out FILE`` its records, one per
benchmark point (``benchmark``, ``params``, ``ratio``, ``low``, ``high``, ``verdict``,
``mde``, ...), as a JSON list (the step checks of :mod:`.steps` write theirs as
``step.json``), and saves both commits' samples as asv results under
``<folder>/results/<machine>/``.
:func:`latest` takes the newest records file directly in the folder and says which
commits it compared: from the file when it names them (a JSON object with ``base``,
``head``, ``date``, ``machine`` and ``records``), else from the asv results saved with
it (the same run, seconds before the records): the older commit by commit date is
taken as the base. Results saved after the newest records are a comparison that kept
no records: :func:`latest` then gives its commits and date, and no verdict.
"""
from __future__ import annotations

import datetime
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

#: Files of a compare folder that are not records.
NOT_RECORDS = ("asv.conf.json", "step-checks.json", "benchmarks.json", "machine.json")
#: Verdicts that make a comparison exit 1 (a regression confirmed).
REGRESSIONS = ("regressed", "failed-on-head", "more-instructions")
#: Results saved at most this many seconds before the records belong to the same run
#: (compare saves them, then writes the records, in the same second or so).
SAVED_WITH = 30.0


@dataclass
class Comparison:
    """A comparison: its records file (None when it kept none), records and commits."""
    path: Path | None
    records: list[dict]
    base: str | None
    head: str | None
    date: datetime.datetime
    machine: str | None = None
    folder: Path | None = None

    def counts(self) -> Counter:
        return Counter(record.get("verdict", "unrecorded") for record in self.records)

    def regressed(self) -> bool:
        return any(record.get("verdict") in REGRESSIONS for record in self.records)

    def verdict(self) -> str:
        """The comparison's outcome in words, then its verdicts counted.

        Examples
        --------
        >>> Comparison(Path("c.json"), [{"verdict": "same"}, {"verdict": "regressed"},
        ...            {"verdict": "same"}], "a", "b", datetime.datetime.now()).verdict()
        'regression confirmed: 1 regressed, 2 same'
        """
        if self.path is None:
            return "not kept: this comparison wrote no records (compare --out FILE)"
        counted = ", ".join(f"{n} {verdict}" for verdict, n in sorted(self.counts().items()))
        outcome = "regression confirmed" if self.regressed() else "no regression confirmed"
        return f"{outcome}: {counted}" if counted else f"{outcome}: no points"


def records_of(path: Path) -> dict | None:
    """``{"records": [...], ...}`` from a records file (a list, or an object holding
    one), or None when ``path`` is something else."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, list):
        data = {"records": data}
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, list) or not all(
            isinstance(r, dict) and "verdict" in r and "benchmark" in r for r in records):
        return None
    return data


def _is_candidate(path: Path) -> bool:
    return path.name not in NOT_RECORDS and not path.name.startswith("thresholds-")


def _result_files(folder: Path) -> list[Path]:
    return [p for p in (folder / "results").glob("*/*.json") if p.name not in NOT_RECORDS]


def commits_saved_with(folder: Path, when: float) -> list[str]:
    """The commits of the asv results under ``folder/results`` saved within
    :data:`SAVED_WITH` seconds before ``when`` (a timestamp), oldest commit date first."""
    found = {}
    for path in _result_files(folder):
        if when - SAVED_WITH <= path.stat().st_mtime <= when + 1:
            data = json.loads(path.read_text())
            found[data["commit_hash"]] = data.get("date") or 0
    return sorted(found, key=found.get)


def _utc(timestamp: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC)


def _newest_records(folder: Path) -> tuple[Path, dict] | None:
    found = [(p, data) for p in folder.glob("*.json") if _is_candidate(p)
             for data in [records_of(p)] if data is not None]
    return max(found, key=lambda item: item[0].stat().st_mtime, default=None)


def latest(folder: Path) -> Comparison | None:
    """The newest comparison in ``folder``, or None: its records when the newest results
    were saved with them, else a comparison that kept none (commits and date only)."""
    if not folder.is_dir():
        return None
    newest = _newest_records(folder)
    saved = max((p.stat().st_mtime for p in _result_files(folder)), default=None)
    if newest is None or (saved is not None and saved > newest[0].stat().st_mtime + 1):
        if saved is None:
            return None
        commits = commits_saved_with(folder, saved)
        return Comparison(None, [], commits[0], commits[-1], _utc(saved), folder=folder)
    path, data = newest
    written = path.stat().st_mtime
    commits = commits_saved_with(folder, written)
    base = data.get("base") or (commits[0] if commits else None)
    head = data.get("head") or (commits[-1] if commits else None)
    date = (datetime.datetime.fromisoformat(data["date"]) if data.get("date")
            else _utc(written))
    return Comparison(path, data["records"], base, head, date, data.get("machine"), folder)
