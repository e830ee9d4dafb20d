#!/usr/bin/env python
r"""Regression drill: does ``make compare`` catch a small slowdown, and only that?

    python -m vfi_bench drill [--runs 20] [--metric time|instructions] [--bench REGEX]
                              [--pairs N] [--slowdown 1.25] [--seed S] [--out FILE.json]

In a temporary ``git clone`` of this repository (HEAD as committed, not the working
tree) the drill makes ``--runs`` rounds of two runs each, in random order:

- A/A: one commit that adds a comment (no code change) to the entry-point module of a
  variant picked at random;
- A/B: one commit that slows one variant, picked at random among the notebook cases
  (``bench_cake.NotebookCase.time_iterate``) that ``--bench`` selects, by about
  ``--slowdown``: every entry point that ``vfi/cake/__init__.py`` registers for it
  (``"module:function"``: the kernel, and the compiled ``fast_path`` that the plain
  default call takes) is wrapped so that each call, once done, busy-waits
  :math:`(f - 1)` times its own duration (:func:`inject_slowdown`), whatever the
  machine.

Each commit is compared with the base (the clone's HEAD) by ``make compare``, exactly as
documented, run in the clone (with this checkout's ``.venv``), so its asv environments
live in the clone's ``.asv`` (built the first time: minutes); this repository's
calibrated thresholds (``.asv/compare/thresholds-*.json``) are copied there. The clone is
reset to the base between runs. While a comparison runs, a load generator that the drill starts
(:func:`generate_load`, a separate process) keeps another core busy with a random duty
cycle; it is bounded in time and stopped when the run ends.

Each run is classified from the comparison's JSON records (:func:`classify`):

- A/A: a false alarm when any record is "regressed" or "improved";
- A/B: detected when every record of the slowed variant is "regressed"; any other
  record "regressed" or "improved" is *flagged but not slowed*.

The drill prints one line per run and a summary (false alarms / A/A runs, detections /
A/B runs, flagged but not slowed; in the time mode first the A/A ratios of identical code
per point, :func:`aa_ratios`: median, median interval, runs whose interval held 1) and
writes everything to ``--out`` after each run; ``--show FILE`` prints that summary again
from the file.

Every exit status is checked against the records: compare's own (``STATUS_FILE``: 1 for a
regression or a point failing on the head, 3 for a point inconclusive past its
threshold, else 0) and make's (the same, 3 as 1).

Exit status: 0 when the targets hold for the runs done (at most 1 false alarm per 20
A/A runs, at least 19 detections per 20 A/B runs, nothing flagged that was not slowed),
1 when they do not, 2 when a comparison could not run (the drill stops there).

The instruction mode (``--metric instructions``; ``make regression-drill
METRIC=instructions SLOWDOWN=1.05``) checks compare's instruction counts
(``bench_instructions``, ``more-instructions``/``fewer-instructions``), which a busy wait
does not move. Its A/B commits do honest extra work instead
(:func:`inject_extra_work`: ``--slowdown`` times the steps asked, by a counter in the
wrapper, the extra share run as one more call of the original, its result discarded), in
one CPU variant picked at random (never a JAX one: their counts wiggle) or, in a share
:data:`DEFAULT_CASE_SHARE` of the A/B runs, in the default call's path (the registry's
``fast_path``, counted by ``HeadlineInstructions``' ``steps-10k-default``). ``--bench``
defaults to :data:`DEFAULT_INSTRUCTION_BENCH`, ``--out`` to
``.asv/regression-drill-instructions.json``. Runs are classified by
:func:`classify_counts`: an A/A false alarm is any ``more-instructions`` or
``fewer-instructions``; an A/B run is detected when the slowed point's record is
``more-instructions``, and any other flag on a point that does not run the slowed code
is flagged but not slowed. Each A/A line is followed by its instruction spread
(|ratio - 1| per point, :func:`spread_line`). Its targets allow nothing: no false alarm,
every A/B run detected, nothing else flagged, and an A/A spread of every CPU point at
most :data:`MAX_AA_SPREAD` (0.1 %) in one compare.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]  # the checkout whose .venv runs the drill
REGISTRY_FILE = "vfi/cake/__init__.py"
NOTEBOOK = "bench_cake.NotebookCase.time_iterate"
DEFAULT_BENCH = r"^bench_cake\.NotebookCase\.time_iterate"
DEFAULT_OUT = REPO / ".asv" / "regression-drill.json"
DEFAULT_INSTRUCTION_OUT = REPO / ".asv" / "regression-drill-instructions.json"
DEFAULT_PAIRS = 25  # compare's default (5 process pairs of 5)
FLAGS = ("regressed", "improved")
#: Targets per 20 runs of each kind: false alarms at most, detections at least.
MAX_FALSE_ALARMS_PER_20 = 1
MIN_DETECTIONS_PER_20 = 19
AA, AB = "A/A", "A/B"

# ---- the instruction mode (--metric instructions) ---------------------------------------
TIME, INSTRUCTIONS = "time", "instructions"
METRICS = (TIME, INSTRUCTIONS)
COUNTED_NOTEBOOK = "bench_instructions.NotebookInstructions.track_instructions"
HEADLINE = "bench_instructions.HeadlineInstructions.track_instructions"
DEFAULT_POINT = "steps-10k-default"
#: The A/B target of the instruction mode that is not a variant: the plain default call's
#: path (the compiled ``fast_path`` of the variant that registers one), counted by
#: ``HeadlineInstructions``' default-steps point.
DEFAULT_CASE = "default-call"
DEFAULT_INSTRUCTION_BENCH = (r"^bench_instructions\.(NotebookInstructions|HeadlineInstructions"
                             r"\.track_instructions\('steps-10k-default'\))")
#: Share of the instruction mode's A/B runs that slow the default call's path (when the
#: bench selects its point), the rest one CPU variant each.
DEFAULT_CASE_SHARE = 0.25
COUNT_FLAGS = ("more-instructions", "fewer-instructions")
#: Instruction-mode targets: no false alarm, every slowed point flagged, and an A/A
#: spread (max |ratio - 1| in one compare) of every deterministic point at most this.
MAX_AA_SPREAD = 0.001
#: Parameter names of an entry point's number of steps (the extra work is more steps).
STEP_PARAMETERS = ("num_iter", "steps", "num_steps")


class DrillError(Exception):
    """The drill could not be set up or a comparison could not run (exit status 2)."""


# ---- git ------------------------------------------------------------------------------

def git(repo: Path, *args: str) -> str:
    """Run ``git`` in ``repo`` (as the drill's own committer); its stdout, stripped."""
    cmd = ["git", "-c", "user.name=regression drill", "-c", "user.email=drill@invalid",
           *args]
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DrillError(f"git {' '.join(args)} exited {proc.returncode}: "
                         f"{proc.stderr.strip()[-2000:]}")
    return proc.stdout.strip()


def make_clone(tmp: Path) -> tuple[Path, str]:
    """``git clone`` of this repository's HEAD into ``tmp/repo``; (clone, base commit).

    This machine's calibrated thresholds are copied into the clone's ``.asv/compare``,
    where ``compare.py`` run in the clone reads them.
    """
    clone = tmp / "repo"
    git(tmp, "clone", "-q", str(REPO), str(clone))
    thresholds = sorted((REPO / ".asv" / "compare").glob("thresholds-*.json"))
    if thresholds:
        (clone / ".asv" / "compare").mkdir(parents=True)
        for path in thresholds:
            shutil.copy2(path, clone / ".asv" / "compare" / path.name)
    return clone, git(clone, "rev-parse", "HEAD")


def reset_to_base(clone: Path, base: str) -> None:
    """Put the clone's work tree back at the base commit (detached, tracked files only)."""
    git(clone, "checkout", "-q", "-f", "--detach", base)


def commit_all(clone: Path, branch: str, base: str, message: str) -> str:
    """Commit the work tree's changes on ``branch`` (made at ``base``); the new commit.

    The branch keeps the commit reachable for asv's builds from the clone.
    """
    git(clone, "branch", "-q", "-f", branch, base)
    git(clone, "checkout", "-q", branch)
    git(clone, "commit", "-q", "-am", message)
    return git(clone, "rev-parse", "HEAD")


# ---- what is slowed -------------------------------------------------------------------

def registered_targets(registry_source: str) -> dict[str, tuple[str, ...]]:
    """``{variant: ("module:function", ...)}``: every entry point of each
    ``register(problem, name, target, fast_path=...)`` call, the target first.

    Examples
    --------
    >>> registered_targets('registry.register(P, "numba-loops", "vfi.cake.numba:f")')
    {'numba-loops': ('vfi.cake.numba:f',)}
    >>> registered_targets('register(P, "numba-x", "m:f", fast_path="m:g")')
    {'numba-x': ('m:f', 'm:g')}
    """
    found = {}
    for node in ast.walk(ast.parse(registry_source)):
        if not (isinstance(node, ast.Call) and len(node.args) >= 3):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = node.args[1:3]
        if name == "register" and all(isinstance(a, ast.Constant)
                                      and isinstance(a.value, str) for a in args):
            extra = [k.value.value for k in node.keywords if k.arg == "fast_path"
                     and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)]
            found[args[0].value] = (args[1].value, *extra)
    return found


def notebook_label(variant: str, notebook: str = NOTEBOOK) -> str:
    """The notebook case of ``variant`` as asv's ``--bench`` and compare's records name it."""
    return f"{notebook}({variant!r})"


def selected_variants(variants: Iterable[str], bench: str,
                      notebook: str = NOTEBOOK) -> list[str]:
    """The variants whose notebook case (``notebook``: the timed one, or the counted one)
    ``bench`` selects (asv's rule: ``re.search`` on the benchmark's name, or on
    ``name(params)``)."""
    regex = re.compile(bench)
    if regex.search(notebook):
        return list(variants)
    return [v for v in variants if regex.search(notebook_label(v, notebook))]


def default_path(targets: dict[str, tuple[str, ...]]) -> tuple[str | None, tuple[str, ...]]:
    """(the variant that registers a ``fast_path``, its fast path entry points): the path
    of ``vfi.iterate``'s plain default call; (None, ()) when no variant has one.

    >>> default_path({"a": ("m:f",), "b": ("m:g", "m:h")})
    ('b', ('m:h',))
    """
    for variant, entries in targets.items():
        if len(entries) > 1:
            return variant, tuple(entries[1:])
    return None, ()


def selects_default_point(bench: str) -> bool:
    """Whether ``bench`` selects ``HeadlineInstructions``' default-steps point."""
    regex = re.compile(bench)
    return bool(regex.search(HEADLINE) or regex.search(f"{HEADLINE}({DEFAULT_POINT!r})"))


def entry_point(clone: Path, target: str) -> tuple[Path, str]:
    """The source file and function name of a registry target ``"module:function"``."""
    module, function = target.split(":")
    return clone / (module.replace(".", "/") + ".py"), function


def inject_slowdown(source: str, function: str, factor: float) -> str:
    r"""``source`` with its top-level ``function`` slowed by about ``factor``.

    Appends a wrapper that times each call of the original and then busy-waits (spinning
    on ``time.perf_counter``) until :math:`(f - 1)` times that duration has passed, so a
    call takes about :math:`f` times as long on any machine. The module's name is rebound
    to the wrapper, which is what the registry's ``getattr`` finds.

    Raises
    ------
    DrillError
        When ``source`` defines no top-level ``function``.
    """
    tree = ast.parse(source)
    if not any(isinstance(n, ast.FunctionDef) and n.name == function for n in tree.body):
        raise DrillError(f"no top-level function {function!r} to slow down")
    wrapper = f'''

# ---- regression drill: {function} slowed by about x{factor:g} ----
import functools as _drill_functools
import time as _drill_time


def _drill_slowed(function, factor):
    """``function``, then a busy wait of (factor - 1) times the call's own duration."""
    @_drill_functools.wraps(function)
    def slowed(*args, **kwargs):
        start = _drill_time.perf_counter()
        result = function(*args, **kwargs)
        elapsed = _drill_time.perf_counter() - start
        until = _drill_time.perf_counter() + (factor - 1.0) * elapsed
        while _drill_time.perf_counter() < until:
            pass
        return result
    return slowed


{function} = _drill_slowed({function}, {float(factor)!r})
'''
    new = source.rstrip("\n") + "\n" + wrapper
    compile(new, "<regression drill>", "exec")
    return new


def work_fraction(factor: float) -> tuple[int, int]:
    """``factor - 1`` as a fraction ``(numerator, denominator)`` of the decimal it is
    written as (no binary rounding: 1.05 gives exactly 1/20).

    >>> work_fraction(1.05), work_fraction(1.25), work_fraction(2.0)
    ((1, 20), (1, 4), (1, 1))
    """
    extra = (Fraction(repr(float(factor))) - 1).limit_denominator(10**6)
    return extra.numerator, extra.denominator


def step_parameter(source: str, function: str) -> tuple[int, str] | None:
    """(position, name) of the top-level ``function``'s number-of-steps parameter (one of
    :data:`STEP_PARAMETERS`), or None when it has none."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == function:
            names = [a.arg for a in node.args.posonlyargs + node.args.args]
            for position, name in enumerate(names):
                if name in STEP_PARAMETERS:
                    return position, name
            return None
    raise DrillError(f"no top-level function {function!r} to give extra work")


def inject_extra_work(source: str, function: str, factor: float) -> str:
    r"""``source`` with its top-level ``function`` doing ``factor`` times its work: honest
    extra work, which an instruction count sees (a busy wait is not work).

    The wrapper keeps a counter of the work units asked of it so far (the steps, its
    ``num_iter`` argument, where it has one: :func:`step_parameter`; else the calls) and
    adds :math:`\lfloor u (f - 1) \rfloor` units over the first ``u``, in exact integer
    arithmetic (:func:`work_fraction`): before each call, the units now due are run as
    one more call of the original on the same arguments with that many steps (or that
    many repeated calls), its result discarded; then the call itself, whose result is
    returned (last, so that output arrays hold its result). At f = 1.05 a 100-step call
    runs 5 more steps every call; 100 one-step calls (or calls without steps) make 105
    calls. The counter is state of the wrapper only: the kernels stay pure. The module's
    name is rebound to the wrapper, which is what the registry's ``getattr`` finds.

    Raises
    ------
    DrillError
        When ``source`` defines no top-level ``function``.
    """
    steps_at, steps_name = step_parameter(source, function) or (None, None)
    num, den = work_fraction(factor)
    wrapper = f'''

# ---- regression drill: {function} doing x{factor:g} its work (more steps) ----
import functools as _drill_functools


def _drill_more_work(function, num, den, steps_at, steps_name):
    """``function``, with num/den more work units (steps, else calls) run before the call
    as they fall due, by a counter of the units asked so far; their results discarded."""
    asked = [0]

    @_drill_functools.wraps(function)
    def heavier(*args, **kwargs):
        in_args = steps_at is not None and len(args) > steps_at
        steps = args[steps_at] if in_args else kwargs.get(steps_name)
        by_steps = steps_at is not None and type(steps) is int and steps >= 0
        units = steps if by_steps else 1
        due = (asked[0] + units) * num // den - asked[0] * num // den
        asked[0] += units
        if due and by_steps:
            if in_args:
                function(*args[:steps_at], due, *args[steps_at + 1:], **kwargs)
            else:
                function(*args, **{{**kwargs, steps_name: due}})
        elif due:
            for _ in range(due):
                function(*args, **kwargs)
        return function(*args, **kwargs)
    heavier._drill_asked = asked  # the units asked so far: for tests to read
    return heavier


{function} = _drill_more_work({function}, {num!r}, {den!r}, {steps_at!r}, {steps_name!r})
'''
    new = source.rstrip("\n") + "\n" + wrapper
    compile(new, "<regression drill>", "exec")
    return new


def add_comment(source: str, note: str) -> str:
    """``source`` with one comment line ``# note`` appended: no code change."""
    return source.rstrip("\n") + f"\n\n# {note}\n"


# ---- classification ---------------------------------------------------------------------

def record_params(record: dict) -> tuple:
    """The parameter values of a comparison record (its ``params`` reprs, evaluated)."""
    text = record.get("params") or ""
    if not text:
        return ()
    try:
        value = ast.literal_eval(f"({text},)")
    except (ValueError, SyntaxError):
        return tuple(p.strip().strip("'\"") for p in text.split(","))
    return tuple(value)


def label(record: dict) -> str:
    """``benchmark(params)`` of a record, as asv shows it."""
    params = record.get("params") or ""
    return f"{record['benchmark']}({params})" if params else record["benchmark"]


def classify(kind: str, records: Sequence[dict], slowed: str | None) -> dict:
    """What one run found, from ``compare.py``'s JSON records.

    Parameters
    ----------
    kind : {"A/A", "A/B"}
    records : sequence of dict
        With at least the keys ``benchmark``, ``params``, ``verdict``.
    slowed : str or None
        The variant slowed in an A/B run (None for A/A).

    Returns
    -------
    dict
        ``false_alarm`` (A/A: any record flagged), ``detected`` (A/B: every record of the
        slowed variant "regressed", at least one), ``flagged`` (labels of the records
        "regressed" or "improved"), ``flagged_not_slowed`` (those of an A/B run that are
        not the slowed variant's; empty for A/A) and ``verdicts`` (count per verdict).
    """
    verdicts: dict[str, int] = {}
    for rec in records:
        verdicts[rec["verdict"]] = verdicts.get(rec["verdict"], 0) + 1
    flagged = [r for r in records if r["verdict"] in FLAGS]
    if kind == AA:
        return {"false_alarm": bool(flagged), "detected": None,
                "flagged": [label(r) for r in flagged], "flagged_not_slowed": [],
                "verdicts": verdicts}
    mine = [r for r in records if slowed in record_params(r)]
    others = [r for r in flagged if r not in mine]
    return {"false_alarm": None,
            "detected": bool(mine) and all(r["verdict"] == "regressed" for r in mine),
            "flagged": [label(r) for r in flagged],
            "flagged_not_slowed": [label(r) for r in others], "verdicts": verdicts}


def is_jax(variant: str) -> bool:
    """Whether ``variant`` runs on JAX, whose instruction counts wiggle (threads, dispatch)."""
    return variant.split("-")[0] == "jax"


def is_counted(record: dict) -> bool:
    """Whether a record is an instruction count's (its verdict one of compare's
    ``*-instructions``)."""
    return record["verdict"].endswith("-instructions")


def is_default_point(record: dict) -> bool:
    """Whether a record is ``HeadlineInstructions``' default-steps point."""
    return record["benchmark"] == HEADLINE and DEFAULT_POINT in record_params(record)


def target_record(records: Sequence[dict], slowed: str) -> dict | None:
    """The record of the point an instruction-mode A/B run slows: the default-steps
    headline for :data:`DEFAULT_CASE`, else the variant's counted notebook case."""
    for rec in records:
        if slowed == DEFAULT_CASE and is_default_point(rec):
            return rec
        if (slowed != DEFAULT_CASE and rec["benchmark"] == COUNTED_NOTEBOOK
                and record_params(rec) == (slowed,)):
            return rec
    return None


def runs_slowed_code(record: dict, slowed: str, default_variant: str | None) -> bool:
    """Whether a record's point runs code that an instruction-mode A/B run slowed: any
    point of the slowed variant; the default call's path is the fast path of
    ``default_variant``, which its named calls take too, so slowing either slows both
    that variant's points and the default-steps headline."""
    params = record_params(record)
    if slowed == DEFAULT_CASE:
        return is_default_point(record) or (default_variant is not None
                                            and default_variant in params)
    return slowed in params or (slowed == default_variant and is_default_point(record))


def spread(records: Sequence[dict]) -> dict[str, float]:
    """``{label: |ratio - 1|}`` of every instruction count among ``records`` that has a
    ratio (an A/A compare's spread, point by point)."""
    return {label(r): abs(r["ratio"] - 1.0) for r in records
            if is_counted(r) and r.get("ratio") is not None}


def deterministic_spread(spreads: dict[str, float]) -> float | None:
    """The largest of ``spreads`` over the points that are not JAX's (Numba, NumPy, pure
    Python: deterministic counts); None when there is none."""
    values = [v for name, v in spreads.items()
              if not any(is_jax(str(p)) for p in
                         record_params({"params": name.partition("(")[2][:-1]}))]
    return max(values) if values else None


def classify_counts(kind: str, records: Sequence[dict], slowed: str | None,
                    default_variant: str | None = None) -> dict:
    """What one run of the instruction mode found, from compare's JSON records.

    A/A: a false alarm when any record is ``more-instructions`` or
    ``fewer-instructions`` (identical code counts the same either way), or a timing
    "regressed" or "improved". A/B: detected when the slowed point's record
    (:func:`target_record`) is ``more-instructions``; any other record so flagged that
    does not run the slowed code (:func:`runs_slowed_code`) is *flagged but not slowed*.
    The keys are :func:`classify`'s, with ``spread`` (:func:`spread`, every run) added.
    """
    flags = COUNT_FLAGS + FLAGS
    verdicts: dict[str, int] = {}
    for rec in records:
        verdicts[rec["verdict"]] = verdicts.get(rec["verdict"], 0) + 1
    flagged = [r for r in records if r["verdict"] in flags]
    out = {"false_alarm": None, "detected": None, "flagged": [label(r) for r in flagged],
           "flagged_not_slowed": [], "verdicts": verdicts, "spread": spread(records)}
    if kind == AA:
        return {**out, "false_alarm": bool(flagged)}
    target = target_record(records, slowed)
    others = [r for r in flagged if r is not target
              and not runs_slowed_code(r, slowed, default_variant)]
    return {**out, "detected": target is not None
            and target["verdict"] == "more-instructions",
            "target": None if target is None else label(target),
            "flagged_not_slowed": [label(r) for r in others]}


def summarize(runs: Sequence[dict], metric: str = TIME) -> dict:
    """Counts over the runs done: false alarms / A/A runs, detections / A/B runs, and the
    records flagged in A/B runs that were not slowed; in the instruction mode also
    ``metric`` and the largest A/A spread of a deterministic point (``aa_spread``,
    :func:`deterministic_spread`; None when none was counted)."""
    aa = [r for r in runs if r["kind"] == AA]
    ab = [r for r in runs if r["kind"] == AB]
    out = {"aa_runs": len(aa), "false_alarms": sum(bool(r["false_alarm"]) for r in aa),
           "ab_runs": len(ab), "detections": sum(bool(r["detected"]) for r in ab),
           "flagged_not_slowed": sum(len(r["flagged_not_slowed"]) for r in ab)}
    spreads = [s for r in aa if (s := deterministic_spread(r.get("spread") or {}))
               is not None]
    if metric == INSTRUCTIONS:
        out.update(metric=INSTRUCTIONS, aa_spread=max(spreads) if spreads else None)
    return out


def targets_met(summary: dict) -> bool:
    """Whether the runs done meet the targets, scaled from 20 runs of each kind.

    Examples
    --------
    >>> targets_met({"aa_runs": 20, "false_alarms": 1, "ab_runs": 20, "detections": 19,
    ...              "flagged_not_slowed": 0})
    True
    >>> targets_met({"aa_runs": 1, "false_alarms": 1, "ab_runs": 1, "detections": 1,
    ...              "flagged_not_slowed": 0})
    False

    The instruction mode (``summary["metric"]``) has no allowance: no false alarm, every
    slowed point flagged, nothing else, and an A/A spread of at most
    :data:`MAX_AA_SPREAD`.

    >>> targets_met({"aa_runs": 20, "false_alarms": 0, "ab_runs": 20, "detections": 19,
    ...              "flagged_not_slowed": 0, "metric": "instructions", "aa_spread": 0.0})
    False
    """
    if summary.get("metric") == INSTRUCTIONS:
        spread_ok = summary.get("aa_spread") is None or summary["aa_spread"] <= MAX_AA_SPREAD
        return (summary["false_alarms"] == 0 and summary["flagged_not_slowed"] == 0
                and summary["detections"] == summary["ab_runs"] and spread_ok)
    return (20 * summary["false_alarms"] <= MAX_FALSE_ALARMS_PER_20 * summary["aa_runs"]
            and 20 * summary["detections"] >= MIN_DETECTIONS_PER_20 * summary["ab_runs"]
            and summary["flagged_not_slowed"] == 0)


def exit_status(summary: dict, could_not_run: bool = False) -> int:
    """0 when the targets hold, 1 when they do not, 2 when a comparison could not run
    (or no run was done)."""
    if could_not_run or summary["aa_runs"] + summary["ab_runs"] == 0:
        return 2
    return 0 if targets_met(summary) else 1


# ---- load ---------------------------------------------------------------------------------

def generate_load(lifetime: float, period: float = 0.5, seed: int | None = None) -> None:
    """Spin and sleep in turns until ``lifetime`` seconds have passed.

    Each ``period`` is busy (a pure-Python loop) for a fraction of it drawn uniformly
    from [0, 1) and asleep for the rest. Returns early when the parent process is gone.
    """
    rng = random.Random(seed)
    parent = os.getppid()
    deadline = time.monotonic() + lifetime
    while time.monotonic() < deadline and os.getppid() == parent:
        start = time.monotonic()
        busy_until = min(start + rng.random() * period, deadline)
        while time.monotonic() < busy_until:
            pass
        time.sleep(max(0.0, min(start + period, deadline) - time.monotonic()))


def start_load(lifetime: float, period: float = 0.5, seed: int | None = None):
    """:func:`generate_load` in a new process (``subprocess.Popen``)."""
    cmd = [sys.executable, "-m", "vfi_bench", "drill", "--load-generator", str(lifetime),
           "--load-period", str(period)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL)


def stop_load(proc, timeout: float = 5.0) -> None:
    """Terminate the load process (kill it if it does not stop within ``timeout`` s)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def load_running(lifetime: float, period: float, seed: int | None,
                 enabled: bool = True) -> Iterator[object]:
    """A load process for the duration of the ``with`` block (None when not ``enabled``)."""
    proc = start_load(lifetime, period, seed) if enabled else None
    try:
        yield proc
    finally:
        if proc is not None:
            stop_load(proc)


# ---- one run ------------------------------------------------------------------------------

def make_change(clone: Path, base: str, kind: str, variant: str, targets: Sequence[str],
                factor: float, index: int, metric: str = TIME) -> str:
    """Commit run ``index``'s change at ``base``: a comment (A/A) in the module of, or a
    slowdown (A/B) of every one of, ``variant``'s entry points ``targets`` (a busy wait,
    :func:`inject_slowdown`; with ``metric`` "instructions", honest extra work,
    :func:`inject_extra_work`); the new commit."""
    if kind == AA:
        path, _ = entry_point(clone, targets[0])
        path.write_text(add_comment(path.read_text(), f"regression drill, run {index}: "
                                                      "a comment, no code change"))
        message = f"drill run {index}: comment only"
    else:
        for target in targets:
            path, function = entry_point(clone, target)
            inject = inject_extra_work if metric == INSTRUCTIONS else inject_slowdown
            path.write_text(inject(path.read_text(), function, factor))
        how = "doing x" if metric == INSTRUCTIONS else "slowed by about x"
        message = f"drill run {index}: {variant} {how}{factor:g}"
    branch = f"drill-{index:03d}-{'aa' if kind == AA else 'ab'}"
    return commit_all(clone, branch, base, message)


def compare_command(base: str, head: str, args, seed: int, out: Path,
                    status_file: Path) -> list[str]:
    """``make compare`` as the README documents it, run with this checkout's ``.venv``,
    compare's own exit status written to ``status_file``."""
    extra = f"--pairs {args.pairs} --seed {seed}"
    cmd = ["make", "--no-print-directory", "compare", f"BASE={base}", f"HEAD={head}",
           f"OUT={out}", f"BENCH={args.bench}", f"VENV={REPO / '.venv'}",
           f"COMPARE_ARGS={extra}", f"STATUS_FILE={status_file}"]
    return cmd + ([f"MACHINE={args.machine}"] if args.machine else [])


#: Verdicts that make compare exit 1.
REGRESSIONS = ("regressed", "failed-on-head", "more-instructions")


def expected_status(records: Sequence[dict]) -> int:
    """The exit status compare's contract gives for ``records``: 1 when one regressed
    or fails on the head only, else 3 when one is inconclusive with its ratio past its
    threshold, else 0.

    >>> expected_status([{"verdict": "inconclusive", "ratio": 1.3, "threshold": 1.1}])
    3
    """
    if any(r["verdict"] in REGRESSIONS for r in records):
        return 1
    past = [r for r in records if r["verdict"] == "inconclusive"
            and r.get("ratio") is not None and r["ratio"] > r.get("threshold", math.inf)]
    return 3 if past else 0


def make_status(status: int) -> int:
    """``make compare``'s own exit status for compare's ``status`` (make has no 3)."""
    return 1 if status == 3 else status


def compare(clone: Path, base: str, head: str, args, seed: int, out: Path,
            log: Path) -> tuple[list[dict], int]:
    """``make compare`` of ``base`` and ``head`` in the clone; its records and compare's
    own exit status (0, 1 or 3, from ``STATUS_FILE``).

    Its output goes to ``log``. Raises :class:`DrillError` when it could not run (exit
    status 2, or no records written) or when an exit status breaks the contract.
    """
    status_file = out.with_suffix(".status")
    with open(log, "w") as fh:
        rc = subprocess.run(compare_command(base, head, args, seed, out, status_file),
                            cwd=clone, stdout=fh, stderr=subprocess.STDOUT).returncode
    status = int(status_file.read_text()) if status_file.is_file() else rc
    if status not in (0, 1, 3) or not out.is_file():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise DrillError(f"make compare exited {rc}, compare {status} (log {log}):\n{tail}")
    records = json.loads(out.read_text())
    if (status, rc) != (expected_status(records), make_status(status)):
        raise DrillError(f"make compare exited {rc} (compare {status}), its records say "
                         f"{expected_status(records)} (log {log})")
    return records, status


def pick_target(ctx: dict, kind: str, rng: random.Random,
                metric: str = TIME) -> tuple[str, tuple[str, ...]]:
    """(what a run changes, the entry points it touches): a variant of
    ``ctx["candidates"]`` and its entry points; in the instruction mode an A/B run takes
    :data:`DEFAULT_CASE` with probability :data:`DEFAULT_CASE_SHARE` where the bench
    selects its point, touching the default variant's fast path only."""
    if (metric == INSTRUCTIONS and kind == AB and ctx.get("default_path")
            and rng.random() < DEFAULT_CASE_SHARE):
        return DEFAULT_CASE, ctx["default_path"]
    variant = rng.choice(ctx["candidates"])
    return variant, ctx["targets"][variant]


def do_run(ctx: dict, index: int, kind: str, rng: random.Random, args) -> dict:
    """Commit, compare and classify one run; the clone is reset to the base afterwards."""
    variant, targets = pick_target(ctx, kind, rng, args.metric)
    seed, load_seed = rng.randrange(2**32), rng.randrange(2**32)
    tag = f"{index:03d}-{'aa' if kind == AA else 'ab'}"
    started = time.monotonic()
    try:
        head = make_change(ctx["clone"], ctx["base"], kind, variant, targets,
                           args.slowdown, index, args.metric)
        with load_running(args.load_lifetime, args.load_period, load_seed, not args.no_load):
            records, status = compare(ctx["clone"], ctx["base"], head, args, seed,
                              ctx["tmp"] / f"run-{tag}.json", ctx["tmp"] / f"run-{tag}.log")
    finally:
        reset_to_base(ctx["clone"], ctx["base"])
    slowed = variant if kind == AB else None
    return {"index": index, "kind": kind, "slowed": slowed, "touched": ", ".join(targets),
            "head": head, "seed": seed, "load_seed": None if args.no_load else load_seed,
            "exit_status": status,
            "wall_seconds": round(time.monotonic() - started, 1),
            **(classify_counts(kind, records, slowed, ctx.get("default_variant"))
               if args.metric == INSTRUCTIONS else classify(kind, records, slowed)),
            "records": records}


# ---- report -------------------------------------------------------------------------------

def _ratio(record: dict) -> str:
    return "x-" if record.get("ratio") is None else f"x{record['ratio']:.3f}"


def raw_line(run: dict, total: int) -> str:
    """One line per run: kind, slowed variant, verdicts, outcome, wall seconds."""
    counts = ", ".join(f"{v} {n}" for v, n in sorted(run["verdicts"].items()))
    ratios = {label(r): _ratio(r) for r in run["records"]}
    flagged = " ".join(f"[{name} {ratios[name]}]" for name in run["flagged"])
    if run["kind"] == AA:
        what, outcome = f"comment in {run['touched']}", (
            "FALSE ALARM" if run["false_alarm"] else "ok")
    elif "target" in run:  # the instruction mode: the slowed point's record
        mine = [f"{_ratio(r)} {r['verdict']}" for r in run["records"]
                if label(r) == run["target"]]
        what = (f"more work in {run['slowed']} ({run['target'] or 'its point'}: "
                f"{', '.join(mine) or 'not counted'})")
        outcome = "detected" if run["detected"] else "MISSED"
        if run["flagged_not_slowed"]:
            outcome += f", FLAGGED NOT SLOWED: {', '.join(run['flagged_not_slowed'])}"
    else:
        mine = [f"{_ratio(r)} {r['verdict']}" for r in run["records"]
                if run["slowed"] in record_params(r)]
        what = f"slowed {run['slowed']} ({', '.join(mine) or 'not measured'})"
        outcome = "detected" if run["detected"] else "MISSED"
        if run["flagged_not_slowed"]:
            outcome += f", FLAGGED NOT SLOWED: {', '.join(run['flagged_not_slowed'])}"
    line = (f"[{run['index']}/{total}] {run['kind']} {what}: {counts} {flagged}".rstrip()
            + f" -> {outcome}; exit {run.get('exit_status', '-')}; "
            f"{run['wall_seconds']:.0f} s")
    if run["kind"] == AA and "spread" in run:
        line += "\n" + spread_line(run["spread"])
    return line


def short(name: str) -> str:
    """A point's label without the instruction benchmarks' common prefix."""
    for prefix in (COUNTED_NOTEBOOK, HEADLINE):
        if name.startswith(prefix + "("):
            return name[len(prefix) + 1:-1].strip("'\"")
    return name


def spread_line(spreads: dict[str, float]) -> str:
    """An A/A compare's instruction spread: |ratio - 1| of every counted point, and the
    largest over the deterministic (not JAX) ones, against :data:`MAX_AA_SPREAD`."""
    if not spreads:
        return "    instruction spread |ratio - 1|: no point counted"
    worst = deterministic_spread(spreads)
    points = ", ".join(f"{short(n)} {100 * v:.4f}%" for n, v in sorted(spreads.items()))
    head = ("no CPU point" if worst is None else
            f"CPU points max {100 * worst:.4f}% (target <= {100 * MAX_AA_SPREAD:g}%)")
    return f"    instruction spread |ratio - 1|: {head}; {points}"


def summary_table(summary: dict) -> str:
    """The three counts the drill is judged on (the instruction mode: and the largest A/A
    spread of a CPU point), and whether the targets hold."""
    counted = summary.get("metric") == INSTRUCTIONS
    rows = [("false alarms / A/A runs", f"{summary['false_alarms']} / {summary['aa_runs']}",
             "0" if counted else f"<= {MAX_FALSE_ALARMS_PER_20} per 20"),
            ("detections / A/B runs", f"{summary['detections']} / {summary['ab_runs']}",
             "all" if counted else f">= {MIN_DETECTIONS_PER_20} per 20"),
            ("flagged, not slowed", str(summary["flagged_not_slowed"]), "0")]
    if counted:
        worst = summary.get("aa_spread")
        rows.append(("A/A instruction spread, CPU points",
                     "-" if worst is None else f"{100 * worst:.4f}%",
                     f"<= {100 * MAX_AA_SPREAD:g}% (max |ratio - 1| in one compare)"))
    width = max(len(r[0]) for r in rows)
    lines = [f"{name.ljust(width)}  {value.rjust(7)}   target {target}"
             for name, value, target in rows]
    return "\n".join(lines + [f"targets {'met' if targets_met(summary) else 'NOT met'}"])


def aa_ratios(runs: Sequence[dict]) -> dict[str, dict]:
    """Per timed point over the A/A runs (identical code on both sides): the median
    ratio, the median of its one-sided bounds, how many runs' intervals held 1 and of
    how many, and whether the median ratio lies inside the median interval (``centred``:
    a point whose A/A ratios do not centre on 1 is a bias of the set-up, not noise).

    Examples
    --------
    >>> rec = lambda r, lo, hi: {"params": "'a'", "ratio": r, "low": lo, "high": hi,
    ...                          "verdict": "same"}
    >>> runs = [{"kind": "A/A", "records": [rec(1.01, 0.98, 1.04)]},
    ...         {"kind": "A/A", "records": [rec(1.05, 1.02, 1.08)]},
    ...         {"kind": "A/B", "records": [rec(1.3, 1.2, 1.4)]}]
    >>> aa_ratios(runs)["'a'"]
    {'ratio': 1.03, 'low': 1.0, 'high': 1.06, 'held': 1, 'runs': 2, 'centred': True}
    """
    found: dict[str, list[dict]] = {}
    for run in runs:
        if run["kind"] != AA:
            continue
        for rec in run.get("records") or []:
            if is_counted(rec) or None in (rec.get("ratio"), rec.get("low"), rec.get("high")):
                continue
            found.setdefault(str(rec["params"]), []).append(rec)
    out = {}
    for point, recs in found.items():
        ratio, low, high = (statistics.median(r[k] for r in recs)
                            for k in ("ratio", "low", "high"))
        out[point] = {"ratio": ratio, "low": low, "high": high,
                      "held": sum(r["low"] <= 1.0 <= r["high"] for r in recs),
                      "runs": len(recs), "centred": low <= ratio <= high}
    return out


def aa_ratio_table(ratios: dict[str, dict]) -> str:
    """:func:`aa_ratios` as the drill prints it, one line per point."""
    if not ratios:
        return "A/A ratios: no timed point"
    title = "A/A ratios of identical code"
    width = max(len(title), *(len(p) for p in ratios))
    lines = [f"{title.ljust(width)}  median  median interval  runs holding 1"]
    for point, r in ratios.items():
        mark = "" if r["centred"] else "   NOT centred"
        lines.append(f"{point.ljust(width)}  {r['ratio']:6.3f}  {r['low']:.3f}-{r['high']:.3f}"
                     f"      {r['held']}/{r['runs']}{mark}")
    return "\n".join(lines)


def write_out(path: Path | None, settings: dict, runs: Sequence[dict], error: str | None):
    """Write the settings, every run, the summary and the exit status to ``path``."""
    if path is None:
        return
    summary = summarize(runs, settings.get("metric", TIME))
    data = {"settings": settings, "runs": list(runs), "summary": summary,
            "targets_met": targets_met(summary), "error": error,
            "exit_status": exit_status(summary, error is not None)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")


# ---- main ---------------------------------------------------------------------------------

def plan(runs: int, rng: random.Random) -> list[str]:
    """The kinds of ``2 * runs`` runs: each round one A/A and one A/B, in random order."""
    kinds = []
    for _ in range(runs):
        kinds += rng.sample([AA, AB], 2)
    return kinds


def setup(tmp: Path, bench: str, metric: str = TIME) -> dict:
    """Clone, read the registry, select the variants that can be slowed (in the
    instruction mode: the CPU variants whose counted notebook case ``bench`` selects, JAX
    excluded, and the default call's path where ``bench`` selects its point)."""
    clone, base = make_clone(tmp)
    targets = registered_targets((clone / REGISTRY_FILE).read_text())
    variant, path = default_path(targets)
    if metric == INSTRUCTIONS:
        notebook = COUNTED_NOTEBOOK
        candidates = [v for v in selected_variants(targets, bench, notebook)
                      if not is_jax(v)]
        path = path if selects_default_point(bench) else ()
    else:
        notebook, path = NOTEBOOK, ()
        candidates = selected_variants(targets, bench)
    if not candidates:
        raise DrillError(f"--bench {bench!r} selects no {notebook} case"
                         f"{' of a CPU variant' if metric == INSTRUCTIONS else ''} "
                         f"(variants: {', '.join(targets) or 'none registered'})")
    return {"tmp": tmp, "clone": clone, "base": base, "targets": targets,
            "candidates": candidates, "default_variant": variant, "default_path": path}


def drill(args, settings: dict, out: Path | None) -> int:
    """Run the drill in a temporary directory; the exit status."""
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="vfi-regression-drill-"))
    runs: list[dict] = []
    error = None
    try:
        ctx = setup(tmp, args.bench, args.metric)
        extra = (f", and the default call's path ({', '.join(ctx['default_path'])})"
                 if ctx["default_path"] else "")
        print(f"clone {ctx['clone']} at {ctx['base'][:8]}; variants that may be slowed: "
              f"{', '.join(ctx['candidates'])}{extra}", flush=True)
        kinds = plan(args.runs, rng)
        for index, kind in enumerate(kinds, 1):
            print(f"[{index}/{len(kinds)}] {kind} ...", flush=True)
            runs.append(do_run(ctx, index, kind, rng, args))
            print(raw_line(runs[-1], len(kinds)), flush=True)
            write_out(out, settings, runs, None)
    except DrillError as err:
        error = str(err)
        print(f"regression drill: could not run: {err}", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    write_out(out, settings, runs, error)
    summary = summarize(runs, args.metric)
    if args.metric == TIME:
        print("\n" + aa_ratio_table(aa_ratios(runs)))
    print("\n" + summary_table(summary))
    if out is not None:
        print(f"drill records: {out}")
    return exit_status(summary, error is not None)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20, help="rounds of one A/A and one A/B run")
    p.add_argument("--show", type=Path, default=None, metavar="FILE.json",
                   help="print the summary of a drill's records (--out) and exit with its "
                        "status; runs nothing")
    p.add_argument("--metric", choices=METRICS, default=TIME,
                   help="time: a busy-wait slowdown judged by timings; instructions: "
                        "honest extra work judged by instruction counts")
    p.add_argument("--bench", default=None,
                   help=f"asv --bench regex compared (default: {DEFAULT_BENCH!r}; "
                        f"instructions: {DEFAULT_INSTRUCTION_BENCH!r})")
    p.add_argument("--pairs", type=int, default=DEFAULT_PAIRS, help="pairs per benchmark")
    p.add_argument("--slowdown", type=float, default=1.25, help="factor of an A/B run")
    p.add_argument("--seed", type=int, default=None, help="seed of every random choice")
    p.add_argument("--out", type=Path, default=None,
                   help=f"JSON written after each run (default: {DEFAULT_OUT}; "
                        f"instructions: {DEFAULT_INSTRUCTION_OUT})")
    p.add_argument("--machine", default=None, help="asv machine name (default: hostname)")
    p.add_argument("--keep", action="store_true", help="keep the temporary clone and logs")
    p.add_argument("--no-load", action="store_true", help="no load generator")
    p.add_argument("--load-lifetime", type=float, default=3600.0,
                   help="the most seconds one run's load process lives")
    p.add_argument("--load-period", type=float, default=0.5, help="seconds per duty cycle")
    p.add_argument("--load-generator", type=float, default=None, help=argparse.SUPPRESS)
    return p


def show(path: Path) -> int:
    """Print the summary of a drill's records file (``--show``), as the drill printed it
    at its end; its exit status (2 when the file cannot be read)."""
    try:
        data = json.loads(Path(path).read_text())
        runs, metric = data["runs"], data["settings"].get("metric", TIME)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"regression drill: --show {path}: not a drill's records file ({exc})",
              file=sys.stderr)
        return 2
    if metric == TIME:
        print(aa_ratio_table(aa_ratios(runs)) + "\n")
    summary = summarize(runs, metric)
    print(summary_table(summary))
    return exit_status(summary, data.get("error") is not None)


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.load_generator is not None:  # the load process itself (start_load)
        generate_load(args.load_generator, args.load_period, args.seed)
        return 0
    if args.show is not None:
        return show(args.show)
    if args.runs < 1 or args.pairs < 2 or args.slowdown <= 1:
        print("regression drill: need --runs >= 1, --pairs >= 2, --slowdown > 1",
              file=sys.stderr)
        return 2
    if args.bench is None:
        args.bench = DEFAULT_INSTRUCTION_BENCH if args.metric == INSTRUCTIONS else DEFAULT_BENCH
    if args.out is None:
        args.out = DEFAULT_INSTRUCTION_OUT if args.metric == INSTRUCTIONS else DEFAULT_OUT
    if args.seed is None:
        args.seed = random.randrange(2**32)
    settings = {k: v for k, v in vars(args).items() if k not in ("out", "load_generator")}
    how = "extra work" if args.metric == INSTRUCTIONS else "slowdown"
    print(f"regression drill ({args.metric}): {args.runs} x (A/A, A/B), {how} "
          f"x{args.slowdown:g}, "
          f"{args.pairs} pairs, --bench {args.bench!r}, seed {args.seed}", flush=True)
    started = time.monotonic()
    code = drill(args, settings, args.out.resolve() if args.out else None)
    print(f"regression drill: {time.monotonic() - started:.0f} s wall, exit status {code}")
    return code


if __name__ == "__main__":
    sys.exit(main())
