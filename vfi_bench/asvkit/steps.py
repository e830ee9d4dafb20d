"""Steps in the history confirmed by a paired comparison before the report lists them.

asv's publish finds steps in each benchmark's history (``regressions.json``) from one
noisy sample set per commit, so on a shared machine it lists commits that cannot have
caused them. Each step of your machine is re-measured here: the commit against its
parent, that benchmark point alone, by :mod:`.compare` (bounded in time). The verdict
is kept per (point, commit) in ``<compare dir>/step-checks.json``, so a publish never
measures a step twice:

- ``confirmed``: the comparison says ``regressed``; the step stays listed;
- ``refuted``: it says ``same`` or ``improved``; the step leaves ``regressions.json``;
- ``unchecked``: inconclusive (with the smallest change it could have caught, its mde),
  failed, or not measured yet; the step leaves ``regressions.json`` too, and the front
  page lists it apart as "not confirmed (noise at this machine's level)".

Only confirmed steps reach the Regressions page: a step asv's detection finds in one
noisy sample set per commit is a lead, not a finding.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from . import publish

VERDICT_OF = {"regressed": "confirmed", "same": "refuted", "improved": "refuted"}


def steps_of(html: Path, machine: str) -> list[dict]:
    """Every step asv's publish listed for ``machine``: point, commit, values."""
    regressions = json.loads((html / "regressions.json").read_text())["regressions"]
    to_hash = json.loads((html / "index.json").read_text())["revision_to_hash"]
    found = []
    for entry, graph_path, _params, _index, _last, _best, jumps in regressions:
        if f"machine-{machine}/" not in graph_path:
            continue
        for _before, after, old, new in jumps:
            found.append({"point": entry, "commit": to_hash[str(after)], "old": old,
                          "new": new})
    return found


def point_regex(point: str) -> str:
    """An asv ``--bench`` regex that selects exactly ``point`` (``name`` or
    ``name(params)``).

    Examples
    --------
    >>> point_regex("bench_x.C.time_f('a', 10)")
    "^bench_x\\\\.C\\\\.time_f\\\\('a',\\\\ 10\\\\)$"
    """
    return f"^{re.escape(point)}$"


#: ``compare(point, base, head)`` -> ``{"verdict": ..., "mde": ...}`` (mde None when unknown).
Compare = Callable[[str, str, str], dict]


def compare_point(config: str, machine: str, timeout: float) -> Compare:
    """``run(point, base, head) -> {"verdict", "mde"}`` by ``python -m
    vfi_bench.asvkit.compare``, one point, a small plan, bounded by ``timeout`` seconds
    ("timed out" past it)."""
    def run(point: str, base: str, head: str) -> dict:
        out = Path(config).resolve().parent / ".asv" / "compare" / "step.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "vfi_bench.asvkit.compare", "compare", "--base", base,
               "--head", head, "--bench", point_regex(point), "--out", str(out),
               "--config", config, "--machine", machine, "--pairs", "12",
               "--processes", "2", "--extra-processes", "1"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"verdict": "timed out", "mde": None}
        if done.returncode == 2 or not out.is_file():
            return {"verdict": "could not run", "mde": None}
        records = json.loads(out.read_text())
        if not records:
            return {"verdict": "could not run", "mde": None}
        return {"verdict": records[0]["verdict"], "mde": records[0].get("mde")}
    return run


def check_steps(html: Path, machine: str, checks_file: Path, compare: Compare | None,
                parent_of: Callable[[str], str]) -> dict:
    """Classify every step of ``machine`` (measuring the new ones with ``compare`` when
    given), keep only the confirmed ones in ``regressions.json`` and say on the page how
    many commits were looked at and how many steps of each kind there are
    (:func:`.publish.note_regressions`); the checks by step."""
    checks = json.loads(checks_file.read_text()) if checks_file.is_file() else {}
    current = []
    for step in steps_of(html, machine):
        key = f"{step['point']} @ {step['commit']}"
        current.append(key)
        if key not in checks and compare is not None:
            print(f"Checking the step of {step['point']} at {step['commit'][:8]} "
                  f"({step['old']:.3g} -> {step['new']:.3g})", flush=True)
            found = compare(step["point"], parent_of(step["commit"]), step["commit"])
            checks[key] = {**step, "compare": found["verdict"], "mde": found.get("mde"),
                           "status": VERDICT_OF.get(found["verdict"], "unchecked")}
        checks.setdefault(key, {**step, "compare": "not measured", "mde": None,
                                "status": "unchecked"})
    checks_file.parent.mkdir(parents=True, exist_ok=True)
    checks_file.write_text(json.dumps(checks, indent=1))
    kept = {key: checks[key] for key in current}
    removed = keep_confirmed(html, machine, checks)
    publish.note_regressions(html, machine, removed, counts(kept.values()))
    return kept


def counts(checks) -> dict[str, int]:
    """How many checks of each status, and how many steps were never measured."""
    checks = list(checks)
    found = {status: sum(c["status"] == status for c in checks)
             for status in ("confirmed", "refuted", "unchecked")}
    found["not measured"] = sum(c["compare"] == "not measured" for c in checks)
    return found


def keep_confirmed(html: Path, machine: str, checks: dict) -> int:
    """Remove every step of ``machine`` that is not confirmed (and entries left without
    one) from ``regressions.json``; the number of steps removed."""
    path = html / "regressions.json"
    data = json.loads(path.read_text())
    to_hash = json.loads((html / "index.json").read_text())["revision_to_hash"]
    kept, removed = [], 0
    for entry in data["regressions"]:
        point, graph_path, jumps = entry[0], entry[1], entry[6]
        if f"machine-{machine}/" in graph_path:
            left = [j for j in jumps if checks.get(f"{point} @ {to_hash[str(j[1])]}", {})
                    .get("status") == "confirmed"]
            removed += len(jumps) - len(left)
            entry = [*entry[:6], left]
        if entry[6]:
            kept.append(entry)
    data["regressions"] = kept
    path.write_text(json.dumps(data))
    return removed
