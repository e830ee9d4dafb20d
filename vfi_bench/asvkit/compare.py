r"""Paired A/B comparison of two commits of any asv project, in asv's own environments.

    python -m vfi_bench.asvkit.compare compare --base REV --head REV [--bench REGEX]
        [--pairs 25] [--processes 5] [--extra-processes 3] [--target-mde 1.2]
        [--floor 1.03] [--margin 1.10] [--alpha 0.05] [--out FILE.json]
        [--machine NAME] [--seed N] [--config asv.conf.json] [--env NAME]
    python -m vfi_bench.asvkit.compare calibrate [--rev HEAD] [--runs 3] [...]
    python -m vfi_bench.asvkit.compare show FILE.json

Nothing here knows which project it measures: it reads the ``asv.conf.json`` given (by
default the one in the current directory) as asv does (:mod:`.config`: JSON5, relative
paths from the file's folder), checks it, the revisions, ``--env`` and ``--bench``
before building anything, and drives asv's own machinery. The page of documentation is
``vfi_bench/asvkit/README.md``.

``compare`` builds the base (A) and the head (B) of every environment of the matrix (or
the one ``--env`` names) in two environment folders made by asv from the configuration
(``<env_dir>/../compare/env-base`` and ``env-head``, kept installed so the next compare
only reinstalls what changed). Before timing, it lists both sides' installed packages
(the project itself aside); on any difference it rebuilds the side built earlier, then
the other, and refuses (exit 2, the difference printed) if they still differ. It
discovers the suite with asv and selects it with ``--bench``. Then it starts
``--processes`` *process pairs*: each is one long-lived benchmark process per side
(:mod:`.worker`, run by the side's interpreter, discovering and timing the benchmark
through ``asv_runner``), so process start, imports and kernel loading are paid once per
process, not per sample. In each process pair, each selected ``time_``/``timeraw_``
benchmark point is sampled as ``ceil(pairs / processes)`` sample pairs, A and B in random
order within each pair. Several process pairs sample process-level effects (memory
layout, address-space randomisation); the statistics (:mod:`.stats`) take the process
pair as the unit (its median log ratio), not the sample.

The K points of an environment are decided together by the rule of :mod:`.stats`
(:func:`decide_cases`), the one :mod:`.simulate` checks over thousands of compares: a
t on the process pairs at each look of a group-sequential plan (the first look at
``--processes`` process pairs, default 5 of 5 sample pairs; up to
``--extra-processes`` more looks, one process pair each, for the points still
inconclusive with an mde above ``--target-mde``; a point stops as soon as it is
decided), each look at the O'Brien-Fleming level :func:`.stats.sequential_levels`
spends on it out of :math:`\sqrt{\alpha/(2K)}`; a flagged point is measured again in
``--processes`` fresh process pairs at that level and ends as
:func:`.stats.confirm_codes` says. A point is flagged when its one-sided bound passes
the floor (1.03, or this machine's calibrated one), ``same`` when its interval lies
within the margin [1/1.10, 1.10]. A ``timeraw_`` point (each sample its own process)
pools its samples as independent units (Yuen's trimmed t), every look adding
``max(6, pairs / processes)`` of them.

A ``track_`` benchmark of ``unit = "instructions"`` (an instruction count, as
``vfi_bench.asvkit.callgrind`` counts them) is called once per side in one process pair
(:func:`count_pairs`, the worker's ``track`` request) and decided by its head/base ratio
(:func:`judge_counts`): ``more-instructions`` past its limit (0.5 %, or the A/A spread
``calibrate`` stored, :func:`.stats.instruction_limit`, widened by the count's own
spread where the benchmark reports one, :func:`.stats.spread_limit`) exits 1 like a
regression; the
ratio is also shown beside each timing with the same parameters
(:func:`beside_timings`).

A point that gives no timing on a side is decided by asv's policy, without the cascade:
it raised, crashed or ran past its ``timeout`` (the benchmark's own attribute, else the
configuration's ``default_benchmark_timeout``) on the head only: ``failed-on-head``, a
regression; on both sides: ``failed-on-both``; on the base only: ``fixed``; its setup
raised ``NotImplementedError`` on a side: ``skipped``. The table and the records name
the error. A process that crashed or timed out is replaced by a fresh one of that side,
so the other points are still measured.

Every sample is saved as asv results under ``<env_dir>/../compare/results`` (apart
from the history that ``asv publish`` reads, whose ``benchmarks.json`` is left alone)
with the suite's ``benchmarks.json`` and a configuration file beside it, so the printed
``asv compare --config <that file> BASE HEAD`` reads them. The records (``--out``) carry
:data:`RECORD_KEYS`: each point's ratio, interval, verdict, mde, margin
(``threshold``), floor and looks taken, the error of a side that failed, the
environment, and the packages it ran with. Every compare that produced records also
writes ``<env_dir>/../compare/latest.json`` (:func:`write_latest`: the commits, date,
machine, environments, exit status, verdict counts and the records), whatever
``--out`` says: the front page reads it (:mod:`.latest_compare`).

Exit status, the first that applies: 2 when the comparison could not run (a bad
configuration, unknown revision, environment that did not build or whose sides differ,
nothing selected, no point timed on either side); 1 when a regression is found (a point
``regressed``, confirmed, or ``failed-on-head``); 3 when a point is ``inconclusive``
with its ratio past the margin (``threshold`` in the records): could be a regression,
not proven; 0
otherwise.

``calibrate`` runs ``--runs`` A/A comparisons of one commit against itself (two
processes of the same environment per process pair) and stores, per benchmark point
``name(params)``, :func:`.stats.floor_from_aa` of their unit values: the flag floor
(``<env_dir>/../compare/thresholds-<machine>.json``, key ``floors``; a file of the rule
before, with ``thresholds``, is ignored with a message).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import itertools
import json
import math
import os
import random
import re
import selectors
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vfi_bench.asvkit import config as cfg
from vfi_bench.asvkit import stats as st

WORKER = Path(__file__).resolve().with_name("worker.py")
TIMED = ("time_", "timeraw_")
RECORD_KEYS = ("benchmark", "params", "ratio", "low", "high", "verdict", "mde",
               "threshold", "floor", "looks", "instructions", "error", "env", "packages")
#: The default plan (:data:`.stats.PROCESSES` ...): 5 process pairs of 5 sample pairs,
#: up to 3 more looks of one process pair each while a point's mde is above 1.2.
DEFAULT_PROCESSES = st.PROCESSES
DEFAULT_PAIRS = st.PROCESSES * st.PAIRS_PER_PROCESS
DEFAULT_TARGET_MDE = st.TARGET_MDE
DEFAULT_EXTRA = st.EXTRA_LOOKS
#: Thread pools the benchmark processes are pinned to (``--threads``): on a shared
#: machine a kernel that needs every core waits at each barrier for whatever else runs,
#: so its times say more about the neighbours than about the code.
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "OPENBLAS_NUM_THREADS")
#: Where the two processes of a process pair run (``--placement``). ``same-cpu`` (the
#: default) pins both to one CPU, the least busy one when the pair starts, so base and
#: head share whatever else that CPU carries and the other CPUs are left to the load;
#: ``free`` leaves them to the scheduler, which on a loaded 2-core machine can put them on
#: different CPUs with different neighbours, and that shifts whole process pairs (see
#: asvkit's README for the A/A spreads measured).
PLACEMENTS = ("same-cpu", "free")
#: Set in every benchmark process of a compare to one folder that both sides (and every
#: later compare) see: a project may keep caches there that the two environments share,
#: as vfi's suite keeps its JIT cache (benchmarks/__init__.py).
SHARED_DIR_VARIABLE = "ASVKIT_SHARED_DIR"
#: Seconds over which each CPU's idle time is read to choose a process pair's CPU.
IDLE_WINDOW = 0.2


def cpu_times(path: str = "/proc/stat") -> dict[int, tuple[int, int]]:
    """``{cpu: (idle, total)}`` jiffies from ``/proc/stat`` (empty where it is missing)."""
    found = {}
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit():
            values = [int(v) for v in fields]
            idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
            found[int(name[3:])] = (idle, sum(values))
    return found


def idlest(before: dict, after: dict, allowed) -> int:
    """The CPU of ``allowed`` with the largest idle share between two :func:`cpu_times`
    readings (the lowest number among equals).

    Examples
    --------
    >>> idlest({0: (0, 0), 1: (0, 0)}, {0: (10, 100), 1: (90, 100)}, [0, 1])
    1
    """
    def share(cpu):
        idle = after[cpu][0] - before[cpu][0]
        total = after[cpu][1] - before[cpu][1]
        return idle / total if total > 0 else 0.0
    known = [c for c in sorted(allowed) if c in before and c in after]
    return max(known, key=share) if known else min(allowed)


def cpu_for_pair(window: float = IDLE_WINDOW) -> int | None:
    """The CPU a ``same-cpu`` process pair is pinned to: the least busy allowed one over
    ``window`` seconds (None where the system cannot pin)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    before = cpu_times()
    time.sleep(window)
    return idlest(before, cpu_times(), allowed)


def say(*args, **kwargs) -> None:
    """``print``, flushed, after asv's log (when in use) has ended its current line."""
    if "asv.console" in sys.modules:
        sys.modules["asv.console"].log.flush()
    print(*args, **kwargs, flush=True)


class CannotRun(Exception):
    """The comparison could not run (exit status 2)."""


class MeasureError(Exception):
    """A benchmark point gave no timing on one side: ``kind`` is "failed" (it raised,
    crashed or timed out) or "skipped" (its setup raised ``NotImplementedError``);
    ``side`` ("A" or "B") is set by whoever knows which side was asked."""

    def __init__(self, message: str, kind: str = "failed", side: str | None = None):
        super().__init__(message)
        self.kind, self.side = kind, side


# ---- what is measured ---------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One point of one asv benchmark: ``name`` at parameter combination ``index``.

    ``params`` holds the parameters' reprs as asv shows them (empty, and ``index`` None,
    when the benchmark is not parameterised) and ``benchmark`` asv's description.
    """
    name: str
    index: int | None
    params: tuple[str, ...] = ()
    benchmark: dict = field(default_factory=dict, compare=False, repr=False)
    default_timeout: float = field(default=60.0, compare=False, repr=False)

    @property
    def label(self) -> str:
        """``name(p1, p2)`` as asv's ``--bench`` matches it (``name`` without params)."""
        return f"{self.name}({', '.join(self.params)})" if self.params else self.name

    @property
    def timed(self) -> bool:
        """Whether it is a timing (``time_``/``timeraw_``), the only kind compared."""
        return self.name.rsplit(".", 1)[-1].startswith(TIMED)

    @property
    def counted(self) -> bool:
        """Whether it is an instruction count (a ``track_`` benchmark of ``unit =
        "instructions"``): compared by one call per side, beside the timings."""
        return (self.name.rsplit(".", 1)[-1].startswith("track_")
                and self.benchmark.get("unit") == "instructions")

    @property
    def isolated(self) -> bool:
        """Whether each sample is its own process (``timeraw_``): then process pairs add
        nothing, and its pairs are all taken in the first one."""
        return self.name.rsplit(".", 1)[-1].startswith("timeraw_")

    @property
    def timeout(self) -> float:
        """Seconds one request (its setup and samples) may take: the benchmark's own
        ``timeout`` attribute, else the configuration's ``default_benchmark_timeout``."""
        return float(self.benchmark.get("timeout") or self.default_timeout)


def cases_of(benchmarks, default_timeout: float = 60.0) -> list[Case]:
    """Every selected (benchmark, parameter index) of an ``asv.benchmarks.Benchmarks``;
    ``default_timeout`` for those that set no ``timeout``."""
    found = []
    for name in sorted(benchmarks):
        bench = benchmarks[name]
        if not bench["params"]:
            found.append(Case(name, None, (), bench, default_timeout))
            continue
        combos = list(itertools.product(*bench["params"]))
        chosen = benchmarks.benchmark_selection.get(name)
        for index in (range(len(combos)) if chosen is None else chosen):
            found.append(Case(name, index, tuple(combos[index]), bench, default_timeout))
    return found


# ---- the benchmark processes ---------------------------------------------------------

class Worker:
    """One long-lived benchmark process (:mod:`.worker`) of one side."""

    def __init__(self, python: str, benchmark_dir: str, env: dict, cwd: str,
                 cpu: int | None = None):
        self.proc = subprocess.Popen(
            [python, str(WORKER), os.path.abspath(benchmark_dir)], cwd=cwd, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            bufsize=1)
        if cpu is not None:  # before its first request: every thread it starts inherits it
            os.sched_setaffinity(self.proc.pid, {cpu})
        self.stderr_tail: list[str] = []
        self.pending = 0  # answers to prepare() not yet read
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ, "out")
        self.selector.register(self.proc.stderr, selectors.EVENT_READ, "err")

    def request(self, case: Case, count: int) -> dict:
        """Send one sample request; the answer, or :class:`MeasureError` on a timeout or
        a process that ended."""
        self.send(case, count)
        return self.receive(case.timeout)

    def count(self, case: Case) -> dict:
        """One call of a ``track_`` benchmark: the answer (``{"value": v}``, ...)."""
        self.send(case, 1, op="track")
        return self.receive(case.timeout)

    def prepare(self, cases: Sequence[Case]) -> None:
        """Ask for ``cases`` to be set up, in one request, not waiting: :meth:`settle`
        reads its answer (a failure shows again, with its reason, at the case's first
        sample)."""
        message = {"op": "setup", "points": [[c.name, c.index] for c in cases]}
        self._write(message)
        self.pending += 1

    def settle(self, timeout: float) -> None:
        """Wait for the answer to :meth:`prepare` (:class:`MeasureError` when the process
        ends or takes longer than ``timeout``)."""
        while self.pending:
            self.receive(timeout)
            self.pending -= 1

    def pin(self, cpus: set[int]) -> None:
        """Every thread of the process onto ``cpus`` (threads it started keep their own
        affinity when only the process is moved)."""
        try:
            threads = [int(t) for t in os.listdir(f"/proc/{self.proc.pid}/task")]
        except OSError:
            threads = [self.proc.pid]
        for thread in threads:
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                os.sched_setaffinity(thread, cpus)

    def send(self, case: Case, count: int, op: str = "sample") -> None:
        self._write({"op": op, "name": case.name, "index": case.index, "count": count})

    def _write(self, message: dict) -> None:
        """One request; the worker answers each with one line (:meth:`receive` reads
        exactly one, so a request must never be answered twice)."""
        try:
            self.proc.stdin.write(json.dumps(message) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise MeasureError(self._ended()) from None

    def receive(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for key, _ in self.selector.select(timeout=max(0.0, deadline - time.monotonic())):
                line = key.fileobj.readline()
                if not line:
                    raise MeasureError(self._ended())
                if key.data == "err":
                    self.stderr_tail = (self.stderr_tail + [line.rstrip()])[-20:]
                else:
                    return json.loads(line)
        self.kill()
        raise MeasureError(f"timed out after {timeout:g} s")

    def _ended(self) -> str:
        code = self.proc.poll()
        tail = "; ".join(self.stderr_tail[-3:])
        return f"benchmark process ended (exit status {code}): {tail}"

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self.selector.close()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@dataclass
class Side:
    """One side of the comparison: its commit, asv environment, and every sample it gave,
    per (benchmark, param index), with the calls per sample and the seconds spent."""
    commit: str
    env: object
    samples: dict = field(default_factory=dict)
    number: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    threads: int | None = None
    placement: str = "same-cpu"
    shared_dir: str | None = None

    def start(self, benchmark_dir: str, cwd: str, cpu: int | None = None) -> Worker:
        env = {**os.environ, **self.env.env_vars}
        if self.shared_dir:
            env[SHARED_DIR_VARIABLE] = self.shared_dir
        if self.threads:
            env.update(dict.fromkeys(THREAD_VARIABLES, str(self.threads)))
        return Worker(self.env.find_executable("python"), benchmark_dir, env, cwd, cpu)

    def keep(self, case: Case, answer: dict, seconds: float) -> list[float]:
        key = (case.name, case.index)
        self.samples.setdefault(key, []).extend(answer["samples"])
        self.number[key] = answer["number"]
        self.seconds[case.name] = self.seconds.get(case.name, 0.0) + seconds
        return answer["samples"]


#: ``sample(side, case, count)`` gives ``count`` samples (seconds) of ``case`` on side
#: ``"A"`` or ``"B"``.
Sampler = Callable[[str, Case, int], Sequence[float]]

#: A side's time in a sample pair is the median of as many asv samples as fit in this
#: many seconds (asv_runner times one call per sample when a benchmark has a setup, and
#: one call of a few microseconds is mostly timer and interrupt noise).
BATCH_SECONDS = 0.01
MAX_BATCH = 500


def batch_size(probe: Sequence[float]) -> int:
    """Samples per side and pair for a case whose probe samples are ``probe``.

    Examples
    --------
    >>> batch_size([0.02]), batch_size([1e-4, 2e-4, 1e-4]), batch_size([1e-9])
    (1, 100, 500)
    """
    typical = sorted(probe)[len(probe) // 2]
    return max(1, min(MAX_BATCH, round(BATCH_SECONDS / max(typical, 1e-9))))


def sample_pairs(cases: Sequence[Case], sampler: Sampler, pairs: int, rng: random.Random,
                 x: dict, failed: dict) -> None:
    """``pairs`` sample pairs of each case not yet failed, A and B in random order within
    each pair; log ratios appended to ``x[case]``, failures recorded in ``failed``.

    Each case is first probed once on each side (untimed: a warm-up that also sets
    :func:`batch_size`); a side's time in a pair is the median of its batch. A case
    whose samples are processes of their own (:attr:`Case.isolated`) needs neither.
    When one side fails, the other is asked once too, so ``failed[case]`` holds the
    :class:`MeasureError` of every side that failed (``{"B": error}``: the base ran).
    """
    for case in cases:
        if case in failed:
            continue
        ran: set[str] = set()
        try:
            group = pairs_of(case, sampler, pairs, rng, ran)
        except MeasureError as err:
            failed[case] = {err.side: err, **other_side(case, sampler, err.side, ran)}
            continue
        x.setdefault(case, []).append(group)


def pairs_of(case: Case, sampler: Sampler, pairs: int, rng: random.Random,
             ran: set[str]) -> list[float]:
    """The log ratios of ``pairs`` sample pairs of ``case`` after its probe; each side
    that answered is added to ``ran``; a :class:`MeasureError` names its ``side``."""
    def take(side: str, count: int) -> list[float]:
        try:
            values = sampler(side, case, count)
        except MeasureError as err:
            err.side = side
            raise
        ran.add(side)
        return values

    count = 1 if case.isolated else batch_size([*take("A", 3), *take("B", 3)])
    group = []
    for _ in range(pairs):
        order = ("A", "B") if rng.random() < 0.5 else ("B", "A")
        t = {side: statistics.median(take(side, count)) for side in order}
        group.append(math.log(t["B"] / t["A"]))
    return group


def other_side(case: Case, sampler: Sampler, failed_side: str, ran: set[str]) -> dict:
    """``{side: error}`` for the side opposite ``failed_side`` if one sample of it fails
    (nothing when it already ran, or runs now)."""
    side = "A" if failed_side == "B" else "B"
    if side in ran:
        return {}
    try:
        sampler(side, case, 1)
    except MeasureError as err:
        err.side = side
        return {side: err}
    return {}


class ProcessPairs:
    """Process pairs over two :class:`Side`\\ s: a context whose ``sampler`` times one
    sample in the current pair's process of a side.

    A process that crashes or times out is replaced by a fresh one of the same side, so
    only the point that broke it fails: the points after it are still measured. The
    processes run in a temporary folder, removed on exit.
    """

    def __init__(self, sides: dict[str, Side], benchmark_dir: str,
                 prepare: Sequence[Case] = ()):
        self.sides, self.benchmark_dir = sides, benchmark_dir
        self.workers: dict[str, Worker] = {}
        self.cwd = ""
        self.pinned = all(side.placement == "same-cpu" for side in sides.values())
        self.cpu: int | None = None
        self.prepare = list(prepare)  # set up as soon as the processes start
        self.ahead: list[Case] = []

    def start(self, cpu: int | None = None, prepare: Sequence[Case] = ()) -> ProcessPairs:
        """Start both processes (on ``cpu`` when given) and send them the setups of
        ``prepare``, not waiting: a spare pair sets up while another pair is timed."""
        self.cwd = tempfile.mkdtemp(prefix="asvkit-compare-")
        self.ahead = [c for c in prepare if not c.isolated]
        try:
            for s in self.sides:
                self.workers[s] = self.sides[s].start(self.benchmark_dir, self.cwd, cpu)
                if self.ahead:
                    self.workers[s].prepare(self.ahead)
        except BaseException:
            self.__exit__()
            raise
        return self

    def spare(self, cases: Sequence[Case]) -> ProcessPairs:
        """A pair started on the other CPUs (pinned placement only), ``cases`` set up
        there while this pair is timed; entered, it moves to its own pair's CPU."""
        allowed = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
        away = sorted(allowed - {self.cpu})
        spare = ProcessPairs(self.sides, self.benchmark_dir)
        return spare.start(away[0] if away else None, cases)

    def __enter__(self):
        self.cpu = cpu_for_pair() if self.pinned else None
        moved = bool(self.workers)  # a spare, started on other CPUs
        if not self.workers:
            self.start(self.cpu, self.prepare)
        cpus = {self.cpu} if self.cpu is not None else (
            os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None)
        for s, worker in self.workers.items():
            if self.ahead:
                try:
                    worker.settle(sum(c.timeout for c in self.ahead))
                except MeasureError:  # its points set up again, and fail, when measured
                    self.restart(s)
                    continue
            if moved and cpus:
                worker.pin(cpus)
        return self

    def __exit__(self, *exc):
        for worker in self.workers.values():
            worker.close()
        shutil.rmtree(self.cwd, ignore_errors=True)

    def restart(self, side: str) -> None:
        """A fresh process for ``side`` (the old one is killed if still running)."""
        self.workers[side] = replaced(self.workers[side], self.sides[side],
                                      self.benchmark_dir, self.cwd, self.cpu)

    def counter(self, side: str, case: Case) -> Count:
        """One call of the ``track_`` benchmark ``case`` on ``side``: its value and
        spread."""
        try:
            answer = self.workers[side].count(case)
        except MeasureError:
            self.restart(side)
            raise
        if "value" not in answer:
            kind = "skipped" if "skipped" in answer else "failed"
            raise MeasureError(str(answer.get("skipped") or answer.get("error")), kind)
        return Count(float(answer["value"]), float(answer.get("spread", 0.0)))

    def sampler(self, side: str, case: Case, count: int) -> list[float]:
        started = time.monotonic()
        try:
            answer = self.workers[side].request(case, count)
        except MeasureError:
            self.restart(side)
            raise
        if "samples" not in answer:
            kind = "skipped" if "skipped" in answer else "failed"
            raise MeasureError(str(answer.get("skipped") or answer.get("error")), kind)
        return self.sides[side].keep(case, answer, time.monotonic() - started)


def prewarm(cases: Sequence[Case], sides: dict[str, Side], benchmark_dir: str,
            parallel: int = 2) -> None:
    """Set every case up once per side, in ``parallel`` processes per side at a time.

    Nothing is timed: this fills whatever the benchmarks cache on disk at their first
    setup (JIT compilation, above all) using every core, before the timing starts. A
    case that fails here is left to fail again, with its reason, when it is measured;
    a process it crashed or timed out is replaced, so the cases after it are set up.
    """
    started = time.monotonic()
    cases = [c for c in cases if not c.isolated]  # their samples start processes anyway
    cwd = tempfile.mkdtemp(prefix="asvkit-prewarm-")
    try:
        for side in {id(s): s for s in sides.values()}.values():  # calibrate: one side
            prewarm_side(cases, side, benchmark_dir, cwd, parallel)
    finally:
        shutil.rmtree(cwd, ignore_errors=True)
    say(f"Set up every point once per side ({parallel} processes at a time): "
        f"{time.monotonic() - started:.1f} s")


def prewarm_side(cases: Sequence[Case], side: Side, benchmark_dir: str, cwd: str,
                 parallel: int) -> None:
    """:func:`prewarm` of one side: ``parallel`` processes, the cases dealt among them."""
    workers = [side.start(benchmark_dir, cwd) for _ in range(parallel)]
    try:
        shares = [list(cases[k::parallel]) for k in range(parallel)]
        while any(shares):
            busy = [(k, shares[k].pop(0)) for k in range(parallel) if shares[k]]
            sent = []
            for k, case in busy:
                try:
                    workers[k].send(case, 1)
                    sent.append((k, case))
                except MeasureError:
                    workers[k] = replaced(workers[k], side, benchmark_dir, cwd)
            for k, case in sent:
                try:
                    workers[k].receive(case.timeout)
                except MeasureError:
                    workers[k] = replaced(workers[k], side, benchmark_dir, cwd)
    finally:
        for worker in workers:
            worker.close()


def replaced(worker: Worker, side: Side, benchmark_dir: str, cwd: str,
             cpu: int | None = None) -> Worker:
    """A fresh process of ``side`` in place of ``worker`` (killed, if still running)."""
    worker.kill()
    worker.close()
    return side.start(benchmark_dir, cwd, cpu)


def dealt(cases: Sequence[Case], k: int) -> list[Case]:
    """``cases`` with every other one first, from the ``k``-th: the first two process pairs
    set up in these two orders, so a cold JIT cache is filled by both at once, each
    compiling half of it before it loads the other's half.

    >>> dealt("abcde", 0), dealt("abcde", 1)
    (['a', 'c', 'e', 'b', 'd'], ['b', 'd', 'a', 'c', 'e'])
    """
    return [*cases[k::2], *cases[1 - k::2]]


def measure(cases: Sequence[Case], sides: dict[str, Side], benchmark_dir: str,
            processes: int, pairs: int, rng: random.Random) -> tuple[dict, dict]:
    """Log ratios per case and process pair, and the cases that failed (with why).

    ``processes`` process pairs, each sampling every case ``ceil(pairs / processes)``
    times, the cases in a random order per process pair. Each pair's processes set every
    case up as they start; with pinned placement the next pair is started on the other
    CPUs and set up there while the current one is timed (:meth:`ProcessPairs.spare`), so
    process start-up, imports and setups stay off the critical path, and the first two
    pairs set up at once, in the two orders of :func:`dealt` (which fills a cold JIT
    cache in parallel, as :func:`prewarm` does for ``free`` placement).
    """
    per_process = math.ceil(pairs / processes)
    isolated_pairs = max(st.MIN_PAIRS, per_process)
    x: dict = {}
    failed: dict = {}
    ahead = None
    try:
        for p in range(processes):
            order = [c for c in cases if p == 0 or not c.isolated]
            rng.shuffle(order)
            started = time.monotonic()
            current, ahead = ahead or ProcessPairs(sides, benchmark_dir, dealt(cases, 0)), None
            with current as pp:
                if p + 1 < processes and pp.pinned:
                    ahead = pp.spare(dealt(cases, 1) if p == 0 else cases)
                sample_pairs([c for c in order if not c.isolated], pp.sampler, per_process,
                             rng, x, failed)
                sample_pairs([c for c in order if c.isolated], pp.sampler, isolated_pairs,
                             rng, x, failed)
            say(f"  process pair {p + 1}/{processes}: {len(order)} points x {per_process} "
                f"pairs, {time.monotonic() - started:.1f} s")
    finally:
        if ahead is not None:
            ahead.__exit__()
    return x, failed


# ---- verdicts ----------------------------------------------------------------------------

#: Verdicts of a point that gave no timing on one side or both (:func:`failure_verdict`).
FAILURE_VERDICTS = ("failed-on-head", "failed-on-both", "fixed", "skipped")
#: Verdicts that make a comparison exit 1.
REGRESSIONS = ("regressed", "failed-on-head", "more-instructions")
#: Verdicts of an instruction count (:func:`judge_counts`).
COUNT_VERDICTS = ("more-instructions", "fewer-instructions", "same-instructions")
SIDE_NAMES = {"A": "base", "B": "head"}


def failure_verdict(errors: dict) -> str:
    """The verdict of a point whose sides in ``errors`` (``{"A"|"B": MeasureError}``)
    gave no timing: asv's policy, a benchmark that newly fails is worse.

    Examples
    --------
    >>> failure_verdict({"B": MeasureError("boom")}), failure_verdict({"A": MeasureError("x")})
    ('failed-on-head', 'fixed')
    >>> failure_verdict({"A": MeasureError("x"), "B": MeasureError("y")})
    'failed-on-both'
    >>> failure_verdict({"B": MeasureError("no GPU", kind="skipped")})
    'skipped'
    """
    if any(err.kind == "skipped" for err in errors.values()):
        return "skipped"
    if len(errors) == 2:
        return "failed-on-both"
    return "failed-on-head" if "B" in errors else "fixed"


def describe_failure(errors: dict) -> str:
    """``head: <error>; base: <error>``, the head first, each error on one line."""
    parts = []
    for side in ("B", "A"):
        if side in errors:
            err = errors[side]
            what = "skipped" if err.kind == "skipped" else "failed"
            parts.append(f"{what} on {SIDE_NAMES[side]}: {' '.join(str(err).split())}")
    return "; ".join(parts)


@dataclass
class Outcome:
    """The result of one case: the decision reported, the final verdict and notes;
    ``failure`` maps each side that gave no timing to its :class:`MeasureError`.
    ``threshold`` is the equivalence margin (``same`` within [1/t, t]; an inconclusive
    point past it exits 3), ``floor`` the flag floor, ``looks`` the first stage's looks
    taken."""
    case: Case
    decision: st.Decision
    verdict: str
    threshold: float
    first: st.Decision | None = None
    note: str = ""
    failure: dict | None = None
    env: str = ""
    floor: float = st.DEFAULT_FLOOR
    looks: int = 0
    instructions: float | None = None

    @property
    def failed(self) -> bool:
        return bool(self.failure)

    @property
    def ran(self) -> bool:
        """Whether at least one side gave timings."""
        return not self.failure or len(self.failure) < 2

    @property
    def past_margin(self) -> bool:
        """Inconclusive with its ratio past its threshold (the margin): could be a
        regression, not proven."""
        return self.verdict == "inconclusive" and self.decision.ratio > self.threshold

    def record(self) -> dict:
        """The JSON record: the keys :data:`RECORD_KEYS` but ``packages`` (nan written
        as null); ``error`` is :func:`describe_failure` or null; ``threshold`` the
        margin, ``floor`` the floor."""
        def number(v):
            return None if v is None or math.isnan(v) else round(float(v), 6)
        d = self.decision
        return {"benchmark": self.case.name, "params": ", ".join(self.case.params),
                "ratio": number(d.ratio), "low": number(d.low), "high": number(d.high),
                "verdict": self.verdict, "mde": number(d.mde),
                "threshold": number(self.threshold), "floor": number(self.floor),
                "looks": self.looks, "instructions": number(self.instructions),
                "error": describe_failure(self.failure) if self.failure else None,
                "env": self.env}


def judge(cases: Sequence[Case], x: dict, failed: dict, plan: Plan,
          rule: st.Rule | None = None, looks: dict | None = None,
          confirming: bool = False) -> list[Outcome]:
    """Each case decided by :func:`.stats.decide_units` (:func:`.stats.decide_look`, as
    the simulation decides) at its look: look ``looks[case]`` (0, the first, by
    default) of its :meth:`Plan.looks_of`, at the level :func:`.stats.sequential_levels`
    gives that look; ``confirming``: the confirmation, at :attr:`.stats.Rule.stage_alpha`.
    ``rule`` counts every point of the compare (default: ``cases``). Failed cases get
    :func:`failure_verdict`."""
    rule = rule or plan.rule(len(cases))
    looks = looks or {}
    outcomes = []
    for c in cases:
        errors = failed.get(c)
        plan_looks = plan.looks_of(c)
        look = looks.get(c, 0)
        floor = plan.floor_of(c)
        units = st.unit_values(x.get(c, []), c.isolated)
        if confirming:
            level = rule.stage_alpha
        else:
            level = plan_looks.levels(rule.stage_alpha)[min(look, plan_looks.count - 1)]
        decision = st.decide_units(units, level, plan_looks.confirm, rule.stage_alpha,
                                   floor, rule, st.trim_of(c.isolated))
        verdict = failure_verdict(errors) if errors else decision.verdict
        note = describe_failure(errors) if errors else ""
        outcomes.append(Outcome(c, decision, verdict, rule.margin, note=note, failure=errors,
                                floor=floor, looks=look + 1))
    return outcomes


def remeasured(first: Outcome, second: Outcome) -> Outcome:
    """The final outcome of a flagged case once measured again in fresh process pairs:
    :func:`.stats.confirm_verdicts` (:func:`.stats.confirm_codes`, as the simulation
    confirms) of the two verdicts, reported with the second measurement's ratio and
    interval and the first stage's mde (the mde through both stages, as
    :func:`.stats.min_detectable_effect_of` reports it at the look where the point
    stopped); a failure the second time is that failure's verdict."""
    note = (f"re-measured: {first.verdict} (x{first.decision.ratio:.3f}), "
            f"then {second.verdict}")
    decision = dataclasses.replace(second.decision, mde=first.decision.mde)
    if second.failed:
        return Outcome(first.case, decision, second.verdict, first.threshold,
                       first.decision, f"{note} ({second.note})", second.failure,
                       floor=first.floor, looks=first.looks)
    return Outcome(first.case, decision, st.confirm_verdicts(first.verdict, second.verdict),
                   first.threshold, first.decision, note, floor=first.floor,
                   looks=first.looks)


@dataclass(frozen=True)
class Count:
    """One call's value of a ``track_`` benchmark, and its ``spread``: how far the
    regions it was counted in varied (a log ratio; 0 for deterministic code)."""
    value: float
    spread: float = 0.0


#: ``counter(side, case)`` gives one call's :class:`Count` of ``track_`` benchmark ``case``.
Counter = Callable[[str, Case], Count]


class KeptCounts:
    """Instruction counts kept between compares (``counts.json`` in the compare folder).

    A count is a property of the code counted, the packages it runs with, the counting
    code and the machine, all in its key: a commit counted once (the base that every
    pull request against it shares; a drill's base, run after run) is not counted
    again, which halves a compare's counting. ``calibrate`` never reads them: its A/A
    runs measure how counts of one commit vary from process to process.
    """

    def __init__(self, folder: Path, machine: str, env: str, packages: dict,
                 benchmark_dir: str, enabled: bool = True):
        self.path = Path(folder) / "counts.json"
        self.enabled = enabled
        self.context = [machine, env, sorted(packages.items()), counting_code(benchmark_dir)]
        try:
            self.kept = json.loads(self.path.read_text()) if enabled else {}
        except (OSError, ValueError):
            self.kept = {}
        self.hits = 0

    def key(self, commit: str, case: Case) -> str:
        blob = json.dumps([commit, case.label, *self.context], default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def has(self, commit: str, case: Case) -> bool:
        return self.enabled and self.key(commit, case) in self.kept

    def counter(self, live: Counter | None, commits: dict[str, str]) -> Counter:
        """A :data:`Counter` that answers from the kept counts, else asks ``live`` and
        keeps its answer."""
        def count(side: str, case: Case) -> Count:
            key = self.key(commits[side], case)
            if self.enabled and key in self.kept:
                self.hits += 1
                return Count(*self.kept[key])
            got = live(side, case)
            if got.value > 0:
                self.kept[key] = [got.value, got.spread]
            return got
        return count

    def save(self) -> None:
        if self.enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps(self.kept, indent=0, sort_keys=True))


def counting_code(benchmark_dir: str) -> str:
    """A digest of what decides a count besides the code counted: the benchmark suite's
    files, asvkit's Callgrind module and shims, and Valgrind's version."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    files = sorted(Path(benchmark_dir).rglob("*.py")) + sorted(here.glob("callgrind*"))
    for path in files:
        if "__pycache__" not in path.parts:
            digest.update(str(path.name).encode() + path.read_bytes())
    try:
        version = subprocess.run(["valgrind", "--version"], capture_output=True,
                                 text=True).stdout.strip()
    except OSError:
        version = "no valgrind"
    digest.update(version.encode())
    return digest.hexdigest()


def count_pairs(cases: Sequence[Case], counter: Counter) -> tuple[dict, dict]:
    """One count per side of each case: ``{case: {"A": a, "B": b, "spread": s}}`` (``s``
    the wider of the two sides' spreads), and the cases that failed, as
    :func:`sample_pairs` records them (``{case: {side: MeasureError}}``)."""
    counts, failed = {}, {}
    for case in cases:
        got, errors = {}, {}
        for side in ("A", "B"):
            try:
                got[side] = counter(side, case)
            except MeasureError as err:
                err.side = side
                errors[side] = err
        if errors:
            failed[case] = errors
        elif got["A"].value > 0 and got["B"].value > 0:
            counts[case] = {"A": got["A"].value, "B": got["B"].value,
                            "spread": max(got["A"].spread, got["B"].spread)}
        else:
            failed[case] = {s: MeasureError(f"counted {v.value:g}, not a count > 0", side=s)
                            for s, v in got.items() if not v.value > 0}
    return counts, failed


def judge_counts(cases: Sequence[Case], counts: dict, failed: dict,
                 limits: dict[str, float]) -> list[Outcome]:
    """Instruction counts decided: the head/base ratio against the case's limit
    (calibrated, :func:`.stats.instruction_limit`, else
    :data:`.stats.MIN_INSTRUCTION_LIMIT`; widened to :func:`.stats.spread_limit` of the
    count's own spread where that is wider): ``more-instructions`` past it (exit 1,
    like a regression), ``fewer-instructions`` below its inverse, else
    ``same-instructions``. A count is deterministic or nearly so: one call per side, no
    test."""
    outcomes = []
    for c in cases:
        limit = float(limits.get(c.label, st.MIN_INSTRUCTION_LIMIT))
        if c in counts:
            limit = max(limit, st.spread_limit(counts[c].get("spread", 0.0)))
        errors = failed.get(c)
        if errors or c not in counts:
            nan = math.nan
            errors = errors or {"B": MeasureError("not counted", side="B")}
            outcomes.append(Outcome(c, st.Decision(nan, nan, nan, nan, "inconclusive"),
                                    failure_verdict(errors), limit,
                                    note=describe_failure(errors), failure=errors))
            continue
        ratio = counts[c]["B"] / counts[c]["A"]
        verdict = ("more-instructions" if ratio > limit else
                   "fewer-instructions" if ratio < 1 / limit else "same-instructions")
        note = f"instructions {counts[c]['A']:.4g} -> {counts[c]['B']:.4g}"
        if counts[c].get("spread", 0.0) > 0:
            note += f" (regions within {math.expm1(counts[c]['spread']):.2%})"
        outcomes.append(Outcome(c, st.Decision(ratio, ratio, ratio, math.nan, verdict),
                                verdict, limit, note=note, instructions=ratio))
    return outcomes


def beside_timings(timed: Sequence[Outcome], counted: Sequence[Outcome]) -> None:
    """Each timing's instruction ratio, from the one counted point with the same
    parameters (the same variant, say), if there is exactly one: in its record
    (``instructions``) and its note."""
    by_params: dict = {}
    for o in counted:
        if o.case.params and o.instructions is not None:
            by_params.setdefault(o.case.params, []).append(o)
    for o in timed:
        found = by_params.get(o.case.params, []) if o.case.params else []
        if len(found) == 1:
            o.instructions = found[0].instructions
            beside = f"instructions x{found[0].instructions:.4f} ({found[0].verdict})"
            o.note = f"{o.note}; {beside}" if o.note else beside


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """The comparison's exit status, the first that applies:

    2 when it could not run (no point gave a timing on either side), 1 when a point
    regressed, fails on the head only (``failed-on-head``) or counts more
    instructions (``more-instructions``), 3 when a point is
    inconclusive with its ratio past its threshold, the margin (could be a regression,
    not proven), 0 otherwise.
    """
    if not any(o.ran for o in outcomes):
        return 2
    if any(o.verdict in REGRESSIONS for o in outcomes):
        return 1
    return 3 if any(o.past_margin for o in outcomes) else 0


# ---- floors ------------------------------------------------------------------------

def thresholds_path(machine: str, folder: Path) -> Path:
    """The calibration file of ``machine``: ``thresholds-<machine>.json`` (the name it
    had when it held the old rule's thresholds; it now holds floors)."""
    return Path(folder) / f"thresholds-{machine}.json"


def load_floors(machine: str, folder: Path) -> dict[str, float]:
    """Calibrated floors of ``machine`` by ``name(params)``; empty when never calibrated.
    A file of the old rule (``thresholds``, no ``floors``) is ignored, with a message:
    its thresholds were sizes on the point estimate, not floors."""
    path = thresholds_path(machine, folder)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    if "floors" not in data:
        if "thresholds" in data:
            say(f"{path} holds thresholds of the rule before (a 1.10 floor on the point "
                f"estimate), not floors: ignored, the default floor {st.DEFAULT_FLOOR} "
                "applies; run calibrate (make calibrate) to write floors")
        return {}
    try:
        return {str(k): float(v) for k, v in dict(data["floors"]).items()}
    except (TypeError, ValueError):
        return {}


def load_instruction_limits(machine: str, folder: Path) -> dict[str, float]:
    """Calibrated instruction-count limits of ``machine`` by ``name(params)``
    (:func:`.stats.instruction_limit`; key ``instructions``); empty when none."""
    try:
        data = json.loads(thresholds_path(machine, folder).read_text())
        return {str(k): float(v) for k, v in dict(data.get("instructions", {})).items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save_floors(machine: str, new: dict[str, float], meta: dict, folder: Path,
                instructions: dict[str, float] | None = None) -> Path:
    """Merge ``new`` into ``machine``'s floors, and ``instructions`` into its
    instruction-count limits (other benchmarks are kept; an old thresholds file is
    replaced)."""
    path = thresholds_path(machine, folder)
    merged = {**load_floors(machine, folder), **new}
    limits = {**load_instruction_limits(machine, folder), **(instructions or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"machine": machine, **meta, "floors": merged}
    if limits:
        data["instructions"] = limits
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


# ---- tables --------------------------------------------------------------------------

def _fmt(v) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def format_table(records: Sequence[dict], notes: Sequence[str] = ()) -> str:
    """The comparison as a text table: one row per record (and its note, if any).
    ``bounds`` are the one-sided bounds at the level of the look that decided (each at
    most sqrt(alpha / 2K)): an interval of confidence at least 1 - 2 sqrt(alpha / 2K)."""
    rows = [("benchmark", "params", "ratio", "bounds", "mde", "verdict", "")]
    for rec, note in itertools.zip_longest(records, notes, fillvalue=""):
        interval = f"{_fmt(rec['low'])}-{_fmt(rec['high'])}"
        rows.append((rec["benchmark"], rec["params"] or "-", _fmt(rec["ratio"]), interval,
                     _fmt(rec.get("mde")), rec["verdict"], note))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    lines = ["  ".join(c.rjust(w) if 2 <= i <= 4 else c.ljust(w)
                       for i, (c, w) in enumerate(zip(r[:6], widths, strict=True)))
             + "  " + r[6] for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def records_of(outcomes: Sequence[Outcome], packages: dict[str, dict] | None = None
               ) -> list[dict]:
    """The records, each with the ``packages`` (``{name: version}``, the project aside)
    its environment ran with on both sides."""
    packages = packages or {}
    return [{**o.record(), "packages": packages.get(o.env, {})} for o in outcomes]


def write_records(path: str | Path, outcomes: Sequence[Outcome],
                  packages: dict[str, dict] | None = None) -> None:
    """:func:`records_of` the outcomes as a JSON list."""
    Path(path).write_text(json.dumps(records_of(outcomes, packages), indent=1) + "\n")


#: The file every compare that produced records writes in its compare folder, whatever
#: ``--out`` says: what :mod:`.latest_compare` (the front page) reads.
LATEST = "latest.json"


def write_latest(folder: Path, commits: dict[str, str], machine: str, envs: Sequence[str],
                 code: int, outcomes: Sequence[Outcome],
                 packages: dict[str, dict] | None = None) -> Path:
    """``<folder>/latest.json``: ``base`` and ``head`` commits, ``date`` of the run (UTC,
    ISO 8601), ``machine``, ``envs``, ``exit_status`` and its meaning, ``counts`` (points
    per verdict) and the ``records``; written whole, then moved into place."""
    import datetime

    records = records_of(outcomes, packages)
    counts: dict[str, int] = {}
    for rec in records:
        counts[rec["verdict"]] = counts.get(rec["verdict"], 0) + 1
    data = {"base": commits["A"], "head": commits["B"],
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": machine, "envs": list(envs), "exit_status": code,
            "outcome": EXIT_MEANINGS[code], "counts": dict(sorted(counts.items())),
            "records": records}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LATEST
    partial = folder / f".{LATEST}.partial"
    partial.write_text(json.dumps(data, indent=1) + "\n")
    partial.replace(path)
    return path


# ---- asv: configuration, environments, results -----------------------------------------

def compare_dir(conf) -> Path:
    """Where compare keeps its environments, floors and results: beside asv's env_dir."""
    return Path(conf.env_dir).resolve().parent / "compare"


def resolve(repo, rev: str) -> str:
    from asv.repo import NoSuchNameError
    from asv.util import ProcessError

    try:
        return repo.get_hash_from_name(rev)
    except (NoSuchNameError, ProcessError):
        raise CannotRun(f"unknown revision {rev!r}") from None


def check_regex(regex: str) -> None:
    try:
        re.compile(regex)
    except re.error as err:
        raise CannotRun(f"bad --bench regex {regex!r}: {err}") from None


def environment_of(conf, name: str):
    """The asv environment of the matrix called ``name``, for ``conf``'s env_dir."""
    from asv import environment

    for env in environment.get_environments(conf, None, verbose=False):
        if env.name == name:
            return env
    raise CannotRun(f"the asv configuration gives no environment {name!r}")


def build_env(conf_path: str, env_dir: Path, repo, commit: str, name: str):
    """asv's environment ``name`` of the configuration's matrix, in ``env_dir``, with
    ``commit`` installed (asv skips the install when that commit is installed already);
    the environment and the configuration it was built from."""
    conf = cfg.load(conf_path, env_dir)
    env = environment_of(conf, name)
    say(f"Environment {env_dir}: {commit[:8]}")
    env.create()
    env.install_project(conf, repo, commit)
    return env, conf


def rebuild_env(env, conf, repo, commit: str) -> None:
    """Remove ``env`` from disk and build it again, with ``commit`` installed."""
    from asv.util import long_path_rmtree

    folder = Path(conf.env_dir) / env.dir_name
    say(f"Rebuilding {folder} from scratch")
    if folder.exists():
        long_path_rmtree(str(folder))
    env._is_setup = False  # asv's own flag: create() does nothing once it is set
    env.create()
    env.install_project(conf, repo, commit)


#: Run by an environment's interpreter: its installed distributions, as JSON.
PACKAGES_SCRIPT = ("import importlib.metadata as m, json; print(json.dumps("
                   "[[d.metadata['Name'] or '', d.version] for d in m.distributions()]))")


def normalized(name: str) -> str:
    """A distribution name as pip compares them (PEP 503).

    >>> normalized("Jax_Lib.x")
    'jax-lib-x'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_packages(python: str, project: str) -> dict[str, str]:
    """``{name: version}`` of every distribution ``python`` sees but ``project``."""
    done = subprocess.run([python, "-c", PACKAGES_SCRIPT], capture_output=True, text=True,
                          check=True)
    found: dict[str, set[str]] = {}
    for name, version in json.loads(done.stdout):
        if name and normalized(name) != normalized(project):
            found.setdefault(normalized(name), set()).add(version)
    return {name: " + ".join(sorted(v)) for name, v in sorted(found.items())}


def package_difference(base: dict[str, str], head: dict[str, str]) -> list[str]:
    """One line per package whose version differs between the sides (``absent`` when a
    side lacks it).

    >>> package_difference({"numpy": "1.26.4", "x": "1"}, {"numpy": "2.0.0", "x": "1"})
    ['numpy: base 1.26.4, head 2.0.0']
    """
    return [f"{name}: base {base.get(name, 'absent')}, head {head.get(name, 'absent')}"
            for name in sorted(set(base) | set(head)) if base.get(name) != head.get(name)]


def created_at(env, conf) -> float:
    """When ``env`` was made (its ``pyvenv.cfg`` for a virtualenv, else its folder)."""
    folder = Path(conf.env_dir) / env.dir_name
    marker = folder / "pyvenv.cfg"
    return (marker if marker.exists() else folder).stat().st_mtime


def one_environment(list_packages: Callable[[str], dict[str, str]],
                    rebuild: Callable[[str], None], oldest_first: Sequence[str]) -> dict:
    """The packages both sides run with, after rebuilding what differs.

    ``list_packages(side)`` lists a side's packages and ``rebuild(side)`` builds it
    anew. On a difference the side in ``oldest_first[0]`` (the stale one, built
    earlier) is rebuilt, then, if they still differ, the other.

    Raises
    ------
    CannotRun
        When they differ after both were rebuilt, with the difference.
    """
    for stale in [None, *oldest_first]:
        if stale is not None:
            rebuild(stale)
        found = {side: list_packages(side) for side in ("A", "B")}
        difference = package_difference(found["A"], found["B"])
        if not difference:
            return found["B"]
        say("The two environments' packages differ:\n  " + "\n  ".join(difference))
    raise CannotRun("base and head environments still differ after rebuilding both:\n  "
                    + "\n  ".join(difference))


def discover(conf, env, repo, commit: str, regex: str):
    """asv's discovery of the suite in ``env``, selected by ``regex`` (nothing written:
    :func:`save_results` writes its ``benchmarks.json`` beside the compare results)."""
    from asv.benchmarks import Benchmarks

    check_regex(regex)
    return Benchmarks.discover(conf, repo, [env], [commit], regex=regex)


def machine_info(conf_path: str, name: str | None) -> dict:
    """asv's machine record (registered with asv's defaults if new); ``name`` defaults
    to asv's unique machine name (the hostname)."""
    from asv.machine import Machine

    args = [sys.executable, "-m", "asv", "machine", "--yes", "--config", conf_path]
    subprocess.run(args + (["--machine", name] if name else []), check=True,
                   stdout=subprocess.DEVNULL)
    machine = name or Machine.get_unique_machine_name()
    return dict(Machine.load(machine_name=machine).__dict__)


def benchmark_result(bench: dict, samples: dict, number: dict):
    """An ``asv.runner.BenchmarkResult`` holding every sample of the measured indices."""
    from asv.runner import BenchmarkResult

    n = len(list(itertools.product(*bench["params"]))) if bench["params"] else 1
    result, all_samples, numbers = [math.nan] * n, [None] * n, [None] * n
    for index, values in samples.items():
        i = index or 0
        result[i], all_samples[i], numbers[i] = True, values, number[index]
    return BenchmarkResult(result=result, samples=all_samples, number=numbers, errcode=0,
                           stderr="", profile=None)


def save_results(conf, repo, machine: dict, sides: Sequence[Side], benchmarks) -> Path:
    """Each commit's samples as asv ``Results`` (``record_samples=True``) under the
    comparison's own results folder, with the suite's ``benchmarks.json`` and a
    configuration that points ``asv compare`` there; the path of that configuration.
    The project's own results folder is left alone."""
    from asv.results import Results
    from asv.util import write_json

    folder = compare_dir(conf) / "results"
    for commit in dict.fromkeys(s.commit for s in sides):
        group = [s for s in sides if s.commit == commit]
        env = group[0].env
        params = {**machine, "python": env.python, **env.requirements}
        results = Results(params, env.requirements, commit, repo.get_date(commit),
                          env.python, env.name, env.env_vars)
        results.load_data(str(folder))
        names = sorted({name for s in group for name, _ in s.samples})
        for name in names:
            samples, number = {}, {}
            for side in group:
                for (n, index), values in side.samples.items():
                    if n == name:
                        samples.setdefault(index, []).extend(values)
                        number[index] = side.number[(n, index)]
            bench = benchmarks[name]
            results.add_result(bench, benchmark_result(bench, samples, number),
                               selected_idx={i or 0 for i in samples}, record_samples=True,
                               duration=sum(s.seconds.get(name, 0.0) for s in group))
        results.save(str(folder))
    write_json(str(folder / "benchmarks.json"), benchmarks._all_benchmarks,
               benchmarks.api_version)
    machine_dir = folder / machine["machine"]
    (machine_dir / "machine.json").write_text(json.dumps({**machine, "version": 1}))
    view = compare_dir(conf) / "asv.conf.json"
    raw = {**cfg.read_raw(conf.config_path), "version": conf.api_version,
           "results_dir": str(folder),
           "repo": conf.repo, "benchmark_dir": conf.benchmark_dir, "env_dir": conf.env_dir,
           "html_dir": str(compare_dir(conf) / "html")}
    view.write_text(json.dumps(raw, indent=1))
    return view


# ---- commands ------------------------------------------------------------------------

@dataclass
class Prepared:
    """One environment of the matrix, built for both sides and checked alike: its
    timings, its instruction counts (:attr:`Case.counted`) and the points not compared."""
    sides: dict
    benchmarks: object
    timed: list
    others: list
    packages: dict
    counted: list = field(default_factory=list)


def prepare(conf, repo, commits: dict[str, str], env_name: str, bench: str,
            threads: int | None = 1, placement: str = "same-cpu") -> Prepared:
    """Build environment ``env_name`` once per distinct side, check that both sides run
    the same packages (:func:`one_environment`), discover, select.

    :class:`CannotRun` when nothing timed is selected.
    """
    started = time.monotonic()
    built: dict = {}
    for side in sorted(commits, reverse=True):  # B (head) first: discovery runs there
        folder = compare_dir(conf) / ("env-head" if side == "B" else "env-base")
        built[side] = build_env(conf.config_path, folder, repo, commits[side], env_name)
    packages = same_packages(built, commits, repo, conf.project)
    ready = time.monotonic()
    benchmarks = discover(conf, built["B"][0], repo, commits["B"], bench)
    say(f"Environments ready in {ready - started:.1f} s, suite discovered in "
        f"{time.monotonic() - ready:.1f} s")
    found = cases_of(benchmarks, float(conf.default_benchmark_timeout))
    timed = [c for c in found if c.timed]
    counted = [c for c in found if c.counted]
    others = [c for c in found if not c.timed and not c.counted]
    if not timed and not counted:
        listed = ", ".join(c.label for c in others) or "none"
        raise CannotRun(f"no time_/timeraw_ benchmark selected by {bench!r} (others: {listed})")
    shared = compare_dir(conf) / "shared"
    shared.mkdir(parents=True, exist_ok=True)
    sides = {s: Side(commits[s], built[s][0], threads=threads, placement=placement,
                     shared_dir=str(shared)) for s in commits}
    return Prepared(sides, benchmarks, timed, others, packages, counted)


def same_packages(built: dict, commits: dict, repo, project: str) -> dict[str, str]:
    """:func:`one_environment` over the built sides (one side: its packages)."""
    def list_packages(side):
        return installed_packages(built[side][0].find_executable("python"), project)
    if len(built) == 1:
        return list_packages(next(iter(built)))

    def rebuild(side):
        env, conf = built[side]
        rebuild_env(env, conf, repo, commits[side])
    oldest = sorted(built, key=lambda side: created_at(*built[side]))
    return one_environment(list_packages, rebuild, oldest)


def report(outcomes: Sequence[Outcome], others: Sequence[Case], out: str | None,
           packages: dict[str, dict] | None = None) -> None:
    """Print the table (one per environment when several) and write the records."""
    print()
    print(tables_by_env([o.record() for o in outcomes], [o.note for o in outcomes]))
    if others:
        print("Not compared (not timings):")
        for case in others:
            print(f"  {case.label}")
    if out:
        write_records(out, outcomes, packages or {})
        print(f"Records: {out}")


def undecided(outcomes: Sequence[Outcome], target_mde: float) -> list[Case]:
    """The cases that take the next look: not failed, and :func:`.stats.undecided`
    (inconclusive with an mde above the target)."""
    return [o.case for o in outcomes if not o.failed and bool(st.undecided(
        st.VERDICTS.index(o.verdict), o.decision.mde, target_mde))]


#: ``measure(cases, processes, pairs, rng) -> (x, failed)``: log ratios per case and
#: process pair, and the cases that failed (see :func:`measure`).
Measure = Callable[[Sequence[Case], int, int, random.Random], tuple[dict, dict]]


@dataclass(frozen=True)
class Plan:
    """How much a comparison measures and how it decides.

    The first look: ``processes`` process pairs of ``ceil(pairs / processes)`` sample
    pairs per case (``pairs`` counts them all); up to ``extra`` more looks, one more
    process pair each, for the cases still inconclusive with an mde above
    ``target_mde``; the confirmation of a flagged case in ``processes`` fresh process
    pairs, at least 3 (:func:`.stats.looks_of`). A ``timeraw_`` case takes
    ``max(MIN_PAIRS, ceil(pairs / processes))`` sample pairs per look, pooled.
    ``floors`` by label (calibrated), else ``floor``; ``margin`` and ``alpha`` make
    the :class:`.stats.Rule`.
    """
    processes: int = DEFAULT_PROCESSES
    pairs: int = DEFAULT_PAIRS
    extra: int = DEFAULT_EXTRA
    target_mde: float = DEFAULT_TARGET_MDE
    floors: dict = field(default_factory=dict)
    floor: float = st.DEFAULT_FLOOR
    margin: float = st.DEFAULT_MARGIN
    alpha: float = st.ALPHA

    @property
    def per_process(self) -> int:
        return math.ceil(self.pairs / self.processes)

    def looks_of(self, case: Case) -> st.Looks:
        return st.looks_of(self.processes, self.per_process, self.extra, case.isolated)

    @property
    def confirm_processes(self) -> int:
        """Fresh process pairs of the confirmation: ``processes``, at least
        :data:`.stats.MIN_UNITS` (:attr:`.stats.Looks.confirm`)."""
        return max(self.processes, st.MIN_UNITS)

    def floor_of(self, case: Case) -> float:
        return float(self.floors.get(case.label, self.floor))

    def rule(self, points: int) -> st.Rule:
        return st.Rule(points=max(1, points), alpha=self.alpha, margin=self.margin)


def decide_cases(cases: Sequence[Case], measure_with: Measure, plan: Plan,
                 seed: int) -> list[Outcome]:
    """Measure and decide ``cases`` together, by the group-sequential rule of
    :mod:`.stats` that :mod:`.simulate` checks.

    The first look; then up to ``plan.extra`` more, one process pair more each (a
    ``timeraw_`` case: more samples, pooled), for the cases :func:`undecided` (a case
    stops as soon as it is decided), each look at the level
    :func:`.stats.sequential_levels` spends on it; then every flagged case measured
    again in fresh process pairs and :func:`remeasured`. The rule counts all the K
    ``cases``: each stage tests each at sqrt(alpha / (2 K)).
    """
    rng = random.Random(seed)
    rule = plan.rule(len(cases))
    x, failed = measure_with(cases, plan.processes, plan.pairs, rng)
    looks = dict.fromkeys(cases, 0)
    outcomes = dict(zip(cases, judge(cases, x, failed, plan, rule, looks), strict=True))
    for extra in range(plan.extra):
        pending = undecided(list(outcomes.values()), plan.target_mde)
        if not pending:
            break
        say(f"Look {extra + 2} of at most {plan.extra + 1}: one more process pair for "
            f"{len(pending)} undecided point(s) (mde above {plan.target_mde:g})")
        more, bad = measure_with(pending, 1, plan.per_process, rng)
        for case, groups in more.items():
            x.setdefault(case, []).extend(groups)
        failed.update(bad)
        for case in pending:
            looks[case] += 1
        outcomes.update(zip(pending, judge(pending, x, failed, plan, rule, looks),
                            strict=True))
    flagged = [c for c, o in outcomes.items() if o.verdict in st.FLAGGED]
    if flagged:
        say(f"Re-measuring {len(flagged)} flagged point(s) in fresh processes")
        fresh = plan.confirm_processes
        x2, failed2 = measure_with(flagged, fresh, fresh * plan.per_process, rng)
        for case, second in zip(flagged, judge(flagged, x2, failed2, plan, rule,
                                               confirming=True), strict=True):
            outcomes[case] = remeasured(outcomes[case], second)
    return [outcomes[c] for c in cases]


def plan_of(args, floors: dict) -> Plan:
    return Plan(args.processes, args.pairs, args.extra_processes, args.target_mde, floors,
                args.floor, args.margin, args.alpha)


def in_processes(sides: dict[str, Side], benchmark_dir: str) -> Measure:
    """:data:`Measure` by :func:`measure` in the sides' long-lived benchmark processes."""
    def measure_with(cases, processes, pairs, rng):
        return measure(cases, sides, benchmark_dir, processes, pairs, rng)
    return measure_with


def cmd_compare(args) -> int:
    started = time.monotonic()
    conf = cfg.load(args.config)  # every check that needs no build comes first
    env_names = cfg.choose_environments(conf, args.env)
    check_regex(args.bench)
    from asv.repo import get_repo

    repo = get_repo(conf)
    commits = {"A": resolve(repo, args.base), "B": resolve(repo, args.head)}
    machine = machine_info(conf.config_path, args.machine)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    floors = {} if args.ignore_floors else load_floors(machine["machine"], compare_dir(conf))
    outcomes, others, packages = [], [], {}
    for name in env_names:
        found, not_timed, packages[name], view = compare_environment(
            conf, repo, commits, name, args, machine, floors, seed)
        outcomes += found
        others += [c for c in not_timed if c not in others]
    print(f"asv results: asv compare --config {view} {commits['A'][:8]} {commits['B'][:8]}")
    report(outcomes, others, args.out, packages)
    code = exit_code(outcomes)
    if outcomes:
        latest = write_latest(compare_dir(conf), commits, machine["machine"], env_names,
                              code, outcomes, packages)
        print(f"Latest compare: {latest}")
    print(f"compare: {time.monotonic() - started:.0f} s wall, exit status {code}"
          f" ({EXIT_MEANINGS[code]})")
    return code


#: What each exit status of ``compare`` says.
EXIT_MEANINGS = {0: "no regression", 1: "regression", 2: "could not run",
                 3: "could be a regression, not proven"}


def compare_environment(conf, repo, commits: dict, name: str, args, machine: dict,
                        floors: dict, seed: int):
    """Compare the two commits in environment ``name`` of the matrix; its outcomes, the
    points not compared, its packages and the ``asv compare`` configuration."""
    ready = prepare(conf, repo, commits, name, args.bench, args.threads or None,
                    args.placement)
    say(f"Comparing {commits['A'][:8]} (base) with {commits['B'][:8]} (head) in {name} on "
        f"{machine['machine']}: {len(ready.timed)} benchmark points, {args.processes} "
        f"process pairs x {math.ceil(args.pairs / args.processes)} sample pairs each, "
        f"seed {seed}")
    if args.placement != "same-cpu":  # pinned, the first two process pairs do it (measure)
        prewarm(ready.timed, ready.sides, conf.benchmark_dir)
    outcomes = decide_cases(ready.timed, in_processes(ready.sides, conf.benchmark_dir),
                            plan_of(args, floors), seed) if ready.timed else []
    if ready.counted:
        say(f"Counting the instructions of {len(ready.counted)} point(s), one call per side")
        started = time.monotonic()
        kept = KeptCounts(compare_dir(conf), machine["machine"], name, ready.packages,
                          conf.benchmark_dir, enabled=not args.fresh_counts)
        commits_of = {s: side.commit for s, side in ready.sides.items()}
        live = {s: side for s, side in ready.sides.items()
                if not all(kept.has(side.commit, c) for c in ready.counted)}
        if live:
            pairs = ProcessPairs(live, conf.benchmark_dir)
            pairs.pinned = False  # a count does not depend on the CPU: both sides at once
            with pairs.start(None, ready.counted) as pp:  # the setups count, in parallel
                counts, failed = count_pairs(ready.counted, kept.counter(pp.counter,
                                                                         commits_of))
        else:
            counts, failed = count_pairs(ready.counted, kept.counter(None, commits_of))
        kept.save()
        reused = sorted(set(ready.sides) - set(live))
        say(f"  counted in {time.monotonic() - started:.1f} s" + (
            f" ({', '.join(commits_of[s][:8] for s in reused)} from the counts kept in "
            f"{kept.path}; --fresh-counts counts again)" if reused else ""))
        counted = judge_counts(ready.counted, counts, failed,
                               load_instruction_limits(machine["machine"], compare_dir(conf)))
        beside_timings(outcomes, counted)
        outcomes += counted
    for outcome in outcomes:
        outcome.env = name
    view = save_results(conf, repo, machine, list(ready.sides.values()), ready.benchmarks)
    return outcomes, ready.others, ready.packages, view


def cmd_calibrate(args) -> int:
    started = time.monotonic()
    conf = cfg.load(args.config)
    env_names = cfg.choose_environments(conf, args.env)
    check_regex(args.bench)
    from asv.repo import get_repo

    repo = get_repo(conf)
    commit = resolve(repo, args.rev)
    machine = machine_info(conf.config_path, args.machine)["machine"]
    if len(env_names) > 1:
        say(f"Calibrating in {env_names[0]}, the first of {len(env_names)} environments "
            "(--env chooses another)")
    ready = prepare(conf, repo, {"B": commit}, env_names[0], args.bench,
                    args.threads or None, args.placement)
    sides, timed, others = ready.sides, ready.timed, ready.others
    same = {"A": sides["B"], "B": sides["B"]}
    rng = random.Random(args.seed)
    runs: dict[Case, list] = {c: [] for c in timed}
    failed: dict = {}
    for k in range(args.runs):
        say(f"A/A run {k + 1}/{args.runs}")
        x, bad = measure(timed, same, conf.benchmark_dir, args.processes, args.pairs, rng)
        failed.update(bad)
        for case, groups in x.items():
            runs[case].append(st.unit_values(groups, case.isolated))
    found = floors_of(runs, failed)
    rows = [("benchmark point", "mean ratio per A/A run", "floor")]
    for case, unit_runs in runs.items():
        if case in failed:
            rows.append((case.label, describe_failure(failed[case]), "-"))
            continue
        means = " ".join(f"{math.exp(float(u.mean())):.3f}" if u.size else "-"
                         for u in unit_runs)
        rows.append((case.label, means, f"{found[case.label]:.3f}"
                     if case.label in found else "-"))
    limits = {}
    if ready.counted:
        ratios: dict = {c: [] for c in ready.counted}
        for k in range(args.runs):
            say(f"A/A instruction counts {k + 1}/{args.runs}")
            with ProcessPairs(same, conf.benchmark_dir) as pp:
                counts, _ = count_pairs(ready.counted, pp.counter)
            for case, got in counts.items():
                ratios[case].append(got["B"] / got["A"])
        limits = {c.label: st.instruction_limit(r) for c, r in ratios.items() if r}
        for case in ready.counted:
            rows.append((case.label, " ".join(f"{r:.4f}" for r in ratios[case]) or "-",
                         f"x{limits[case.label]:.4f}" if case.label in limits else "-"))
    meta = {"commit": sides["B"].commit, "runs": args.runs, "pairs": args.pairs,
            "processes": args.processes}
    path = save_floors(machine, found, meta, compare_dir(conf), limits)
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print()
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                    for r in rows))
    for case in others:
        print(f"  not calibrated (not a timing): {case.label}")
    print(f"Floors: {path} ({len(found)} floors, {len(limits)} instruction limits "
          f"written); calibrate: {time.monotonic() - started:.0f} s wall")
    return 0 if found or limits else 2


def floors_of(runs: dict, failed: dict) -> dict[str, float]:
    """:func:`.stats.floor_from_aa` of each case's A/A unit values, by label (cases that
    failed, or gave fewer than 2 units in all, get none)."""
    found = {}
    for case, unit_runs in runs.items():
        if case not in failed and sum(len(u) for u in unit_runs) >= 2:
            found[case.label] = st.floor_from_aa(unit_runs)
    return found


def cmd_show(args) -> int:
    print(tables_by_env(json.loads(Path(args.file).read_text())))
    return 0


def tables_by_env(records: Sequence[dict], notes: Sequence[str] = ()) -> str:
    """:func:`format_table` of the records, one section per environment when several."""
    notes = list(notes) or [r.get("error") or "" for r in records]
    envs = list(dict.fromkeys(r.get("env", "") for r in records))
    if len(envs) <= 1:
        return format_table(records, notes)
    parts = []
    for env in envs:
        mine = [k for k, r in enumerate(records) if r.get("env", "") == env]
        parts.append(f"Environment {env}:\n" + format_table([records[k] for k in mine],
                                                             [notes[k] for k in mine]))
    return "\n\n".join(parts)


def parser(default_bench: str = ".") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compare", help="paired A/B comparison of two commits")
    c.add_argument("--base", required=True, help="baseline revision (A)")
    c.add_argument("--head", required=True, help="candidate revision (B)")
    c.add_argument("--out", default=None, help="write the records to this JSON file")
    c.add_argument("--seed", type=int, default=None, help="seed of the orders")
    c.set_defaults(func=cmd_compare)
    c.add_argument("--floor", type=float, default=st.DEFAULT_FLOOR,
                   help="the flag floor of points not calibrated (a point is flagged when "
                        "its one-sided bound passes it)")
    c.add_argument("--margin", type=float, default=st.DEFAULT_MARGIN,
                   help="the equivalence margin: same when the interval lies within "
                        "[1/margin, margin]; an inconclusive point past it exits 3")
    c.add_argument("--alpha", type=float, default=st.ALPHA,
                   help="the family-wise false-alarm rate of one compare (per environment)")
    c.add_argument("--ignore-floors", action="store_true",
                   help="do not read this machine's calibrated floors")
    c.add_argument("--fresh-counts", action="store_true",
                   help="count every instruction point on both sides, not reusing a "
                        "count kept from an earlier compare of the same commit")
    k = sub.add_parser("calibrate", help="flag floors from A/A runs of one commit")
    k.add_argument("--rev", default="HEAD")
    k.add_argument("--runs", type=int, default=3)
    k.add_argument("--seed", type=int, default=0)
    k.set_defaults(func=cmd_calibrate)
    for q in (c, k):
        q.add_argument("--bench", default=default_bench,
                       help=f"asv --bench regex (default: {default_bench!r})")
        q.add_argument("--pairs", type=int, default=DEFAULT_PAIRS,
                       help="sample pairs per benchmark point at the first look, spread "
                            f"over the process pairs (default {DEFAULT_PAIRS})")
        q.add_argument("--processes", type=int, default=DEFAULT_PROCESSES,
                       help="process pairs of the first look and of the confirmation "
                            f"(default {DEFAULT_PROCESSES}; the t has one degree of "
                            "freedom fewer)")
        q.add_argument("--target-mde", type=float, default=DEFAULT_TARGET_MDE,
                       help="an inconclusive point takes more looks until its minimum "
                            f"detectable effect is at most this (default "
                            f"{DEFAULT_TARGET_MDE:g})")
        q.add_argument("--extra-processes", type=int, default=DEFAULT_EXTRA,
                       help="the most looks added for that, one process pair each "
                            f"(default {DEFAULT_EXTRA})")
        q.add_argument("--machine", default=None, help="asv machine name (default: hostname)")
        q.add_argument("--config", default="asv.conf.json",
                       help="the asv configuration (its relative paths are relative to "
                            "its folder, as asv reads them)")
        q.add_argument("--env", default=None,
                       help="only this environment of the matrix (asv's environment name; "
                            "default: every one)")
        q.add_argument("--placement", choices=PLACEMENTS, default="same-cpu",
                       help="same-cpu (default): both processes of a process pair pinned "
                            "to one CPU, the least busy when the pair starts; free: left "
                            "to the scheduler")
        q.add_argument("--threads", type=int, default=1,
                       help="thread pools of the benchmark processes (NUMBA_NUM_THREADS, "
                            "OMP_NUM_THREADS, ...); 0 leaves them as they are")
    s = sub.add_parser("show", help="print the table of a --out file")
    s.add_argument("file")
    s.set_defaults(func=cmd_show)
    return p


def main(argv=None, default_bench: str = ".") -> int:
    args = parser(default_bench).parse_args(argv)
    if args.command != "show":
        if args.pairs < 2 or args.processes < 1 or args.pairs < args.processes:
            print("compare: need --pairs >= 2, --processes >= 1 and --pairs >= --processes",
                  file=sys.stderr)
            return 2
        if args.command == "compare" and not (args.margin > 1 and args.floor >= 1
                                              and 0 < args.alpha < 1):
            print("compare: need --margin > 1, --floor >= 1 and 0 < --alpha < 1",
                  file=sys.stderr)
            return 2
        from asv.console import log

        log.enable()
    from asv.environment import EnvironmentUnavailable
    from asv.util import ProcessError, UserError

    try:
        return args.func(args)
    except (CannotRun, cfg.ConfigError, UserError, ProcessError, EnvironmentUnavailable,
            OSError) as err:
        print(f"compare: could not run: {err}", file=sys.stderr)
        return 2
    except Exception:  # exit status 1 means "regressed": anything unforeseen is a 2
        traceback.print_exc()
        print("compare: could not run (an unexpected error, above)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
