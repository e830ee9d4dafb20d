r"""Paired A/B comparison of two commits of any asv project, in asv's own environments.

    python -m vfi_bench.asvkit.compare compare --base REV --head REV [--bench REGEX]
        [--pairs 18] [--processes 3] [--out FILE.json] [--machine NAME] [--seed N]
        [--config asv.conf.json]
    python -m vfi_bench.asvkit.compare calibrate [--rev HEAD] [--runs 3] [...]
    python -m vfi_bench.asvkit.compare show FILE.json

Nothing here knows which project it measures: it reads the ``asv.conf.json`` given (by
default the one in the current directory) and drives asv's own machinery.

``compare`` builds the base (A) and the head (B) in two environments made by asv from
the configuration (``<env_dir>/../compare/env-base`` and ``env-head``, kept installed so
the next compare only reinstalls what changed), discovers the suite with asv and selects
it with ``--bench``. Then it starts ``--processes`` *process pairs*: each is one
long-lived benchmark process per side (:mod:`.worker`, run by the side's interpreter,
discovering and timing the benchmark through ``asv_runner``), so process start, imports
and kernel loading are paid once per process, not per sample. In each process pair, each
selected ``time_``/``timeraw_`` benchmark point is sampled as
``ceil(pairs / processes)`` sample pairs, A and B in random order within each pair.
Several process pairs sample process-level effects (memory layout, address-space
randomisation); the statistics (:mod:`.stats`) resample process pairs, not samples.

The K points are decided together (:func:`.stats.decide_all`: Holm over K, the
threshold calibrated for this machine, the minimum detectable effect); a flagged point
is measured again in fresh process pairs and ends as :func:`.stats.confirm` says. Every
sample is saved as asv results under ``<results_dir>/../compare/results`` (apart from
the history that ``asv publish`` reads) with a configuration file beside it, so
``asv compare --config <that file> BASE HEAD`` reads them.

Exit status: 1 when a regression is confirmed, 0 otherwise, 2 when the comparison could
not run (unknown revision, environment that did not build, nothing selected, no point
measured).

``calibrate`` runs ``--runs`` A/A comparisons of one commit against itself (two
processes of the same environment per process pair) and stores, per benchmark point
``name(params)``, :func:`.stats.threshold_from_aa` of their ratios.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import random
import re
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vfi_bench.asvkit import stats as st

WORKER = Path(__file__).resolve().with_name("worker.py")
TIMED = ("time_", "timeraw_")
RECORD_KEYS = ("benchmark", "params", "ratio", "low", "high", "verdict", "mde")
DEFAULT_PAIRS = 18
DEFAULT_PROCESSES = 3
DEFAULT_TARGET_MDE = 1.2
DEFAULT_EXTRA = 3
#: Thread pools the benchmark processes are pinned to (``--threads``): on a shared
#: machine a kernel that needs every core waits at each barrier for whatever else runs,
#: so its times say more about the neighbours than about the code.
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "OPENBLAS_NUM_THREADS")


def say(*args, **kwargs) -> None:
    """``print``, flushed, after asv's log (when in use) has ended its current line."""
    if "asv.console" in sys.modules:
        sys.modules["asv.console"].log.flush()
    print(*args, **kwargs, flush=True)


class CannotRun(Exception):
    """The comparison could not run (exit status 2)."""


class MeasureError(Exception):
    """A benchmark point gave no timing (failed, timed out or skipped)."""


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

    @property
    def label(self) -> str:
        """``name(p1, p2)`` as asv's ``--bench`` matches it (``name`` without params)."""
        return f"{self.name}({', '.join(self.params)})" if self.params else self.name

    @property
    def timed(self) -> bool:
        """Whether it is a timing (``time_``/``timeraw_``), the only kind compared."""
        return self.name.rsplit(".", 1)[-1].startswith(TIMED)

    @property
    def isolated(self) -> bool:
        """Whether each sample is its own process (``timeraw_``): then process pairs add
        nothing, and its pairs are all taken in the first one."""
        return self.name.rsplit(".", 1)[-1].startswith("timeraw_")

    @property
    def timeout(self) -> float:
        return float(self.benchmark.get("timeout") or 240)


def cases_of(benchmarks) -> list[Case]:
    """Every selected (benchmark, parameter index) of an ``asv.benchmarks.Benchmarks``."""
    found = []
    for name in sorted(benchmarks):
        bench = benchmarks[name]
        if not bench["params"]:
            found.append(Case(name, None, (), bench))
            continue
        combos = list(itertools.product(*bench["params"]))
        chosen = benchmarks.benchmark_selection.get(name)
        for index in (range(len(combos)) if chosen is None else chosen):
            found.append(Case(name, index, tuple(combos[index]), bench))
    return found


# ---- the benchmark processes ---------------------------------------------------------

class Worker:
    """One long-lived benchmark process (:mod:`.worker`) of one side."""

    def __init__(self, python: str, benchmark_dir: str, env: dict, cwd: str):
        self.proc = subprocess.Popen(
            [python, str(WORKER), os.path.abspath(benchmark_dir)], cwd=cwd, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            bufsize=1)
        self.stderr_tail: list[str] = []
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ, "out")
        self.selector.register(self.proc.stderr, selectors.EVENT_READ, "err")

    def request(self, case: Case, count: int) -> dict:
        """Send one sample request; the answer, or :class:`MeasureError` on a timeout or
        a process that ended."""
        self.send(case, count)
        return self.receive(case.timeout)

    def send(self, case: Case, count: int) -> None:
        message = {"op": "sample", "name": case.name, "index": case.index, "count": count}
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

    def start(self, benchmark_dir: str, cwd: str) -> Worker:
        env = {**os.environ, **self.env.env_vars}
        if self.threads:
            env.update(dict.fromkeys(THREAD_VARIABLES, str(self.threads)))
        return Worker(self.env.find_executable("python"), benchmark_dir, env, cwd)

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
    """
    for case in cases:
        if case in failed:
            continue
        group = []
        try:
            count = 1 if case.isolated else batch_size([*sampler("A", case, 3),
                                                        *sampler("B", case, 3)])
            for _ in range(pairs):
                order = ("A", "B") if rng.random() < 0.5 else ("B", "A")
                t = {side: statistics.median(sampler(side, case, count)) for side in order}
                group.append(math.log(t["B"] / t["A"]))
        except MeasureError as err:
            failed[case] = str(err)
            continue
        x.setdefault(case, []).append(group)


class ProcessPairs:
    """Process pairs over two :class:`Side`\\ s: a context whose ``sampler`` times one
    sample in the current pair's process of a side."""

    def __init__(self, sides: dict[str, Side], benchmark_dir: str):
        self.sides, self.benchmark_dir = sides, benchmark_dir
        self.workers: dict[str, Worker] = {}
        self.cwd = tempfile.mkdtemp(prefix="asvkit-compare-")

    def __enter__(self):
        self.workers = {s: side.start(self.benchmark_dir, self.cwd)
                        for s, side in self.sides.items()}
        return self

    def __exit__(self, *exc):
        for worker in self.workers.values():
            worker.close()

    def sampler(self, side: str, case: Case, count: int) -> list[float]:
        started = time.monotonic()
        answer = self.workers[side].request(case, count)
        if "samples" not in answer:
            what = "skipped" if "skipped" in answer else "failed"
            detail = answer.get("skipped") or answer.get("error")
            raise MeasureError(f"{what} on {'base' if side == 'A' else 'head'}: {detail}")
        return self.sides[side].keep(case, answer, time.monotonic() - started)


def prewarm(cases: Sequence[Case], sides: dict[str, Side], benchmark_dir: str,
            parallel: int = 2) -> None:
    """Set every case up once per side, in ``parallel`` processes per side at a time.

    Nothing is timed: this fills whatever the benchmarks cache on disk at their first
    setup (JIT compilation, above all) using every core, before the timing starts. A
    case that fails here is left to fail again, with its reason, when it is measured.
    """
    started = time.monotonic()
    cases = [c for c in cases if not c.isolated]  # their samples start processes anyway
    cwd = tempfile.mkdtemp(prefix="asvkit-prewarm-")
    for side in {id(s): s for s in sides.values()}.values():  # calibrate: one side
        workers = [side.start(benchmark_dir, cwd) for _ in range(parallel)]
        try:
            shares = [list(cases[k::parallel]) for k in range(parallel)]
            while any(shares):
                busy = [(w, s.pop(0)) for w, s in zip(workers, shares, strict=True) if s]
                for worker, case in busy:
                    with contextlib.suppress(MeasureError):
                        worker.send(case, 1)
                for worker, case in busy:
                    with contextlib.suppress(MeasureError):
                        worker.receive(case.timeout)
        finally:
            for worker in workers:
                worker.close()
    say(f"Set up every point once per side ({parallel} processes at a time): "
        f"{time.monotonic() - started:.1f} s")


def measure(cases: Sequence[Case], sides: dict[str, Side], benchmark_dir: str,
            processes: int, pairs: int, rng: random.Random) -> tuple[dict, dict]:
    """Log ratios per case and process pair, and the cases that failed (with why).

    ``processes`` process pairs, each sampling every case ``ceil(pairs / processes)``
    times, the cases in a random order per process pair.
    """
    per_process = math.ceil(pairs / processes)
    isolated_pairs = max(st.MIN_PAIRS, per_process)
    x: dict = {}
    failed: dict = {}
    for p in range(processes):
        order = [c for c in cases if p == 0 or not c.isolated]
        rng.shuffle(order)
        started = time.monotonic()
        with ProcessPairs(sides, benchmark_dir) as pp:
            sample_pairs([c for c in order if not c.isolated], pp.sampler, per_process, rng,
                         x, failed)
            sample_pairs([c for c in order if c.isolated], pp.sampler, isolated_pairs, rng,
                         x, failed)
        say(f"  process pair {p + 1}/{processes}: {len(order)} points x {per_process} pairs, "
            f"{time.monotonic() - started:.1f} s")
    return x, failed


# ---- verdicts ----------------------------------------------------------------------------

@dataclass
class Outcome:
    """The result of one case: the decision reported, the final verdict and notes."""
    case: Case
    decision: st.Decision
    verdict: str
    threshold: float
    first: st.Decision | None = None
    note: str = ""
    failed: bool = False

    def record(self) -> dict:
        """The JSON record: exactly the keys :data:`RECORD_KEYS` (nan written as null)."""
        def number(v):
            return None if v is None or math.isnan(v) else round(float(v), 6)
        d = self.decision
        return {"benchmark": self.case.name, "params": ", ".join(self.case.params),
                "ratio": number(d.ratio), "low": number(d.low), "high": number(d.high),
                "verdict": self.verdict, "mde": number(d.mde)}


def judge(cases: Sequence[Case], x: dict, failed: dict, thresholds: dict[str, float],
          seed: int) -> list[Outcome]:
    """:func:`.stats.decide_all` over the cases; failed ones are inconclusive."""
    limits = [threshold_for(thresholds, c.label) for c in cases]
    groups = [None if c in failed or c not in x else x[c] for c in cases]
    decisions = st.decide_all(groups, limits, seed=seed)
    return [Outcome(c, d, d.verdict, t, note=failed.get(c, ""), failed=c in failed)
            for c, d, t in zip(cases, decisions, limits, strict=True)]


def remeasured(first: Outcome, second: Outcome) -> Outcome:
    """The final outcome of a flagged case once measured again."""
    note = (f"re-measured: {first.verdict} (x{first.decision.ratio:.3f}), "
            f"then {second.verdict}")
    if second.failed:
        note += f" ({second.note})"
    return Outcome(first.case, second.decision, st.confirm(first.decision, second.decision),
                   first.threshold, first.decision, note, failed=False)


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """1 when a regression is confirmed, 2 when no case could be measured, else 0."""
    if not outcomes or all(o.failed for o in outcomes):
        return 2
    return st.exit_status(o.verdict for o in outcomes)


# ---- thresholds ----------------------------------------------------------------------

def thresholds_path(machine: str, folder: Path) -> Path:
    return Path(folder) / f"thresholds-{machine}.json"


def load_thresholds(machine: str, folder: Path) -> dict[str, float]:
    """Calibrated thresholds of ``machine`` by ``name(params)``; empty when never calibrated."""
    try:
        return dict(json.loads(thresholds_path(machine, folder).read_text())["thresholds"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def threshold_for(thresholds: dict[str, float], label: str) -> float:
    """The threshold of ``label``, :data:`.stats.MIN_THRESHOLD` when not calibrated."""
    return float(thresholds.get(label, st.MIN_THRESHOLD))


def save_thresholds(machine: str, new: dict[str, float], meta: dict, folder: Path) -> Path:
    """Merge ``new`` into ``machine``'s thresholds file (other benchmarks are kept)."""
    path = thresholds_path(machine, folder)
    merged = {**load_thresholds(machine, folder), **new}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine, **meta, "thresholds": merged},
                               indent=1, sort_keys=True) + "\n")
    return path


# ---- tables --------------------------------------------------------------------------

def _fmt(v) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def format_table(records: Sequence[dict], notes: Sequence[str] = ()) -> str:
    """The comparison as a text table: one row per record (and its note, if any)."""
    rows = [("benchmark", "params", "ratio", "95% interval", "mde", "verdict", "")]
    for rec, note in itertools.zip_longest(records, notes, fillvalue=""):
        interval = f"{_fmt(rec['low'])}-{_fmt(rec['high'])}"
        rows.append((rec["benchmark"], rec["params"] or "-", _fmt(rec["ratio"]), interval,
                     _fmt(rec.get("mde")), rec["verdict"], note))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    lines = ["  ".join(c.rjust(w) if 2 <= i <= 4 else c.ljust(w)
                       for i, (c, w) in enumerate(zip(r[:6], widths, strict=True)))
             + "  " + r[6] for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def write_records(path: str | Path, outcomes: Sequence[Outcome]) -> None:
    Path(path).write_text(json.dumps([o.record() for o in outcomes], indent=1) + "\n")


# ---- asv: configuration, environments, results -----------------------------------------

def load_config(path: str | Path = "asv.conf.json", env_dir: str | None = None):
    """The asv configuration at ``path``, with ``env_dir`` overridden when given."""
    from asv.config import Config

    conf = Config.load(str(path))
    if env_dir:
        conf.env_dir = env_dir
    return conf


def compare_dir(conf) -> Path:
    """Where compare keeps its environments, thresholds and results: beside asv's env_dir."""
    return Path(conf.env_dir).resolve().parent / "compare"


def resolve(repo, rev: str) -> str:
    from asv.repo import NoSuchNameError
    from asv.util import ProcessError

    try:
        return repo.get_hash_from_name(rev)
    except (NoSuchNameError, ProcessError):
        raise CannotRun(f"unknown revision {rev!r}") from None


def build_env(conf_path: str, env_dir: Path, repo, commit: str):
    """asv's environment for the configuration's matrix, in ``env_dir``, with ``commit``
    installed (asv skips the install when that commit is installed already)."""
    from asv import environment

    conf = load_config(conf_path, str(env_dir))
    envs = list(environment.get_environments(conf, None))
    if not envs:
        raise CannotRun(f"the asv configuration gives no environment for {env_dir}")
    env = envs[0]
    say(f"Environment {env_dir}: {commit[:8]}")
    env.create()
    env.install_project(conf, repo, commit)
    return env


def discover(conf, env, repo, commit: str, regex: str):
    from asv.benchmarks import Benchmarks

    try:
        re.compile(regex)
    except re.error as err:
        raise CannotRun(f"bad --bench regex {regex!r}: {err}") from None
    benchmarks = Benchmarks.discover(conf, repo, [env], [commit], regex=regex)
    benchmarks.save()
    return benchmarks


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


def save_results(conf, conf_path: str, repo, machine: dict, sides: Sequence[Side],
                 benchmarks) -> Path:
    """Each commit's samples as asv ``Results`` (``record_samples=True``) under the
    comparison's own results folder, and a configuration that points ``asv compare``
    there; the path of that configuration."""
    from asv.results import Results

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
    machine_dir = folder / machine["machine"]
    (machine_dir / "machine.json").write_text(json.dumps({**machine, "version": 1}))
    raw = json.loads(Path(conf_path).read_text())
    view = compare_dir(conf) / "asv.conf.json"
    raw.update(results_dir=str(folder), repo=str(Path(conf.repo).resolve()),
               benchmark_dir=str(Path(conf.benchmark_dir).resolve()),
               env_dir=str(Path(conf.env_dir).resolve()),
               html_dir=str(compare_dir(conf) / "html"))
    view.write_text(json.dumps(raw, indent=1))
    return view


# ---- commands ------------------------------------------------------------------------

def prepare(conf, conf_path: str, repo, revs: dict[str, str], bench: str,
            threads: int | None = 1):
    """Resolve the revisions, build one environment per distinct side, discover, select.

    Returns ``(sides, benchmarks, timed, others)``; :class:`CannotRun` when nothing timed
    is selected.
    """
    started = time.monotonic()
    commits = {side: resolve(repo, rev) for side, rev in revs.items()}
    envs = {}
    for side in sorted(commits, reverse=True):  # B (head) first: discovery runs there
        folder = compare_dir(conf) / ("env-head" if side == "B" else "env-base")
        envs[side] = build_env(conf_path, folder, repo, commits[side])
    built = time.monotonic()
    benchmarks = discover(conf, envs["B"], repo, commits["B"], bench)
    say(f"Environments ready in {built - started:.1f} s, suite discovered in "
        f"{time.monotonic() - built:.1f} s")
    found = cases_of(benchmarks)
    timed, others = [c for c in found if c.timed], [c for c in found if not c.timed]
    if not timed:
        listed = ", ".join(c.label for c in others) or "none"
        raise CannotRun(f"no time_/timeraw_ benchmark selected by {bench!r} (others: {listed})")
    sides = {s: Side(commits[s], envs[s], threads=threads) for s in commits}
    return sides, benchmarks, timed, others


def report(outcomes: Sequence[Outcome], others: Sequence[Case], out: str | None) -> None:
    print()
    print(format_table([o.record() for o in outcomes], [o.note for o in outcomes]))
    if others:
        print("Not compared (not timings):")
        for case in others:
            print(f"  {case.label}")
    if out:
        write_records(out, outcomes)
        print(f"Records: {out}")


def undecided(outcomes: Sequence[Outcome], target_mde: float) -> list[Case]:
    """The cases still inconclusive whose minimum detectable effect is above the target."""
    return [o.case for o in outcomes if not o.failed and o.verdict == "inconclusive"
            and not o.decision.mde <= target_mde]


#: ``measure(cases, processes, pairs, rng) -> (x, failed)``: log ratios per case and
#: process pair, and the cases that failed (see :func:`measure`).
Measure = Callable[[Sequence[Case], int, int, random.Random], tuple[dict, dict]]


@dataclass(frozen=True)
class Plan:
    """How much a comparison measures: ``processes`` process pairs of ``pairs`` sample
    pairs in all per case; up to ``extra`` more process pairs for cases whose mde is
    above ``target_mde``; the thresholds by label."""
    processes: int = DEFAULT_PROCESSES
    pairs: int = DEFAULT_PAIRS
    extra: int = DEFAULT_EXTRA
    target_mde: float = DEFAULT_TARGET_MDE
    thresholds: dict = field(default_factory=dict)


def decide_cases(cases: Sequence[Case], measure_with: Measure, plan: Plan,
                 seed: int) -> list[Outcome]:
    """Measure and decide ``cases`` together; measure the undecided ones in more process
    pairs until their mde reaches the target; re-measure what is flagged in fresh process
    pairs and :func:`.stats.confirm` it.

    Adding process pairs while a case is undecided is a sequential design: each look
    is one more chance of a false alarm, which the threshold and the confirming
    re-measurement (in fresh processes) keep in check; the tests simulate it.
    """
    rng = random.Random(seed)
    x, failed = measure_with(cases, plan.processes, plan.pairs, rng)
    outcomes = judge(cases, x, failed, plan.thresholds, seed)
    per_process = math.ceil(plan.pairs / plan.processes)
    for extra in range(plan.extra):
        pending = undecided(outcomes, plan.target_mde)
        if not pending:
            break
        say(f"Process pair {extra + 1} of at most {plan.extra} more, for "
            f"{len(pending)} point(s) whose mde is above {plan.target_mde:g}")
        more, bad = measure_with(pending, 1, per_process, rng)
        for case, groups in more.items():
            x[case].extend(groups)
        failed.update(bad)
        outcomes = judge(cases, x, failed, plan.thresholds, seed)
    flagged = [o.case for o in outcomes if o.verdict in st.FLAGGED]
    if flagged:
        say(f"Re-measuring {len(flagged)} flagged point(s) in fresh processes")
        x2, failed2 = measure_with(flagged, plan.processes, plan.pairs, rng)
        second = {o.case: o for o in judge(flagged, x2, failed2, plan.thresholds, seed + 1)}
        outcomes = [remeasured(o, second[o.case]) if o.case in second else o
                    for o in outcomes]
    return outcomes


def plan_of(args, thresholds: dict) -> Plan:
    return Plan(args.processes, args.pairs, args.extra_processes, args.target_mde, thresholds)


def in_processes(sides: dict[str, Side], benchmark_dir: str) -> Measure:
    """:data:`Measure` by :func:`measure` in the sides' long-lived benchmark processes."""
    def measure_with(cases, processes, pairs, rng):
        return measure(cases, sides, benchmark_dir, processes, pairs, rng)
    return measure_with


def cmd_compare(args) -> int:
    started = time.monotonic()
    conf = load_config(args.config)
    from asv.repo import get_repo

    repo = get_repo(conf)
    for rev in (args.base, args.head):  # fail fast, before any build
        resolve(repo, rev)
    machine = machine_info(args.config, args.machine)
    sides, benchmarks, timed, others = prepare(conf, args.config, repo,
                                               {"A": args.base, "B": args.head}, args.bench,
                                               args.threads or None)
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    say(f"Comparing {sides['A'].commit[:8]} (base) with {sides['B'].commit[:8]} (head) on "
        f"{machine['machine']}: {len(timed)} benchmark points, {args.processes} process "
        f"pairs x {math.ceil(args.pairs / args.processes)} sample pairs each, seed {seed}")
    thresholds = load_thresholds(machine["machine"], compare_dir(conf))
    prewarm(timed, sides, conf.benchmark_dir)
    outcomes = decide_cases(timed, in_processes(sides, conf.benchmark_dir),
                            plan_of(args, thresholds), seed)
    view = save_results(conf, args.config, repo, machine, list(sides.values()), benchmarks)
    print(f"asv results: asv compare --config {view} {sides['A'].commit[:8]} "
          f"{sides['B'].commit[:8]}")
    report(outcomes, others, args.out)
    code = exit_code(outcomes)
    print(f"compare: {time.monotonic() - started:.0f} s wall, exit status {code}")
    return code


def cmd_calibrate(args) -> int:
    started = time.monotonic()
    conf = load_config(args.config)
    from asv.repo import get_repo

    repo = get_repo(conf)
    resolve(repo, args.rev)
    machine = machine_info(args.config, args.machine)["machine"]
    sides, _, timed, others = prepare(conf, args.config, repo, {"B": args.rev}, args.bench,
                                      args.threads or None)
    same = {"A": sides["B"], "B": sides["B"]}
    rng = random.Random(args.seed)
    runs: dict[Case, list[list[float]]] = {c: [] for c in timed}
    failed: dict = {}
    for k in range(args.runs):
        say(f"A/A run {k + 1}/{args.runs}")
        x, bad = measure(timed, same, conf.benchmark_dir, args.processes, args.pairs, rng)
        failed.update(bad)
        for case, groups in x.items():
            runs[case].append([math.exp(v) for g in groups for v in g])
    found = {c.label: st.threshold_from_aa(r) for c, r in runs.items()
             if c not in failed and r}
    rows = [("benchmark point", "median ratio per A/A run", "threshold")]
    for case, ratio_runs in runs.items():
        if case in failed:
            rows.append((case.label, failed[case], "-"))
            continue
        medians = " ".join(f"{sorted(r)[len(r) // 2]:.3f}" for r in ratio_runs)
        rows.append((case.label, medians, f"{found[case.label]:.3f}"))
    meta = {"commit": sides["B"].commit, "runs": args.runs, "pairs": args.pairs,
            "processes": args.processes}
    path = save_thresholds(machine, found, meta, compare_dir(conf))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print()
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                    for r in rows))
    for case in others:
        print(f"  not calibrated (not a timing): {case.label}")
    print(f"Thresholds: {path} ({len(found)} written); "
          f"calibrate: {time.monotonic() - started:.0f} s wall")
    return 0 if found else 2


def cmd_show(args) -> int:
    print(format_table(json.loads(Path(args.file).read_text())))
    return 0


def parser(default_bench: str = ".") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compare", help="paired A/B comparison of two commits")
    c.add_argument("--base", required=True, help="baseline revision (A)")
    c.add_argument("--head", required=True, help="candidate revision (B)")
    c.add_argument("--out", default=None, help="write the records to this JSON file")
    c.add_argument("--seed", type=int, default=None, help="seed of the orders")
    c.set_defaults(func=cmd_compare)
    k = sub.add_parser("calibrate", help="thresholds from A/A runs of one commit")
    k.add_argument("--rev", default="HEAD")
    k.add_argument("--runs", type=int, default=3)
    k.add_argument("--seed", type=int, default=0)
    k.set_defaults(func=cmd_calibrate)
    for q in (c, k):
        q.add_argument("--bench", default=default_bench,
                       help=f"asv --bench regex (default: {default_bench!r})")
        q.add_argument("--pairs", type=int, default=DEFAULT_PAIRS,
                       help="sample pairs per benchmark point and round")
        q.add_argument("--processes", type=int, default=DEFAULT_PROCESSES,
                       help="process pairs the sample pairs are spread over")
        q.add_argument("--target-mde", type=float, default=DEFAULT_TARGET_MDE,
                       help="an inconclusive point is measured in more process pairs until "
                            "its minimum detectable effect is at most this")
        q.add_argument("--extra-processes", type=int, default=DEFAULT_EXTRA,
                       help="the most process pairs added for that")
        q.add_argument("--machine", default=None, help="asv machine name (default: hostname)")
        q.add_argument("--config", default="asv.conf.json", help="the asv configuration")
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
        if not Path(args.config).is_file():
            print(f"compare: could not run: no asv configuration {args.config}",
                  file=sys.stderr)
            return 2
        from asv.console import log

        log.enable()
    from asv.environment import EnvironmentUnavailable
    from asv.util import ProcessError, UserError

    try:
        return args.func(args)
    except (CannotRun, UserError, ProcessError, EnvironmentUnavailable, OSError) as err:
        print(f"compare: could not run: {err}", file=sys.stderr)
        return 2
    except Exception:  # exit status 1 means "regressed": anything unforeseen is a 2
        traceback.print_exc()
        print("compare: could not run (an unexpected error, above)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
