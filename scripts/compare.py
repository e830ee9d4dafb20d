r"""Paired A/B comparison of two commits, measured in asv's own environments: "did it get slower?".

    python scripts/compare.py compare --base REV --head REV [--bench REGEX] [--pairs 10]
                                      [--out FILE.json] [--machine NAME] [--seed N]
    python scripts/compare.py calibrate [--rev HEAD] [--runs 3] [--pairs 10] [--bench REGEX]
                                        [--machine NAME]
    python scripts/compare.py show FILE.json

``compare`` builds the base (A) and the head (B) in two virtualenvs made by asv from
``asv.conf.json`` (``.asv/compare/env-base``, ``.asv/compare/env-head``, both kept
installed), discovers the suite with asv and selects it with ``--bench`` (default: the
quick tier, ``benchmarks/tiers.py``). Each selected ``time_``/``timeraw_`` benchmark and
parameter point is measured as ``--pairs`` pairs: a pair runs one asv benchmark process
for A and one for B back to back, in random order, each through asv's runner
(``asv.runner.run_benchmark``: one round, 2-3 samples); a side's time in the pair is the
median of its process's samples. The verdict is :func:`compare_stats.decide` with the
threshold calibrated for this machine (``.asv/compare/thresholds-<machine>.json``,
:data:`compare_stats.MIN_THRESHOLD` when absent); a flagged benchmark is measured once
more and ends as :func:`compare_stats.confirm` says. Every sample is also saved as asv
results (``.asv/results/<machine>/``), so ``asv compare BASE HEAD`` and ``asv publish``
read them.

Exit status: 1 when a regression is confirmed, 0 otherwise, 2 when the comparison could
not run (unknown revision, environment that did not build, nothing selected).

``calibrate`` runs ``--runs`` A/A comparisons of one commit against itself and stores,
per benchmark point ``name(params)``, :func:`compare_stats.threshold_from_aa` of their
ratios. ``show`` prints the table of a ``--out`` file.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))
import compare_stats as cs  # noqa: E402
import tiers  # noqa: E402

COMPARE_DIR = ROOT / ".asv" / "compare"
ENV_DIRS = {"A": ".asv/compare/env-base", "B": ".asv/compare/env-head"}
TIMED = ("time_", "timeraw_")
EXTRA_PARAMS = {"rounds": 1, "repeat": [2, 3, 2.0]}  # one round of 2-3 samples a process
RECORD_KEYS = ("benchmark", "params", "ratio", "low", "high", "verdict")


def say(*args, **kwargs) -> None:
    """``print``, flushed, after asv's log has ended its current line."""
    from asv.console import log

    log.flush()
    print(*args, **kwargs, flush=True)


class CannotRun(Exception):
    """The comparison could not run (exit status 2)."""


class MeasureError(Exception):
    """One benchmark process gave no timing (failed, timed out or skipped)."""


# ---- what is measured ---------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One point of one asv benchmark: ``name`` at parameter combination ``index``.

    ``params`` holds the parameters' reprs as asv shows them (empty when the benchmark
    is not parameterised, where ``index`` is 0) and ``benchmark`` asv's description.
    """
    name: str
    index: int
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


def cases_of(benchmarks) -> list[Case]:
    """Every selected (benchmark, parameter index) of an ``asv.benchmarks.Benchmarks``."""
    found = []
    for name in sorted(benchmarks):
        bench = benchmarks[name]
        combos = list(itertools.product(*bench["params"])) if bench["params"] else [()]
        chosen = benchmarks.benchmark_selection.get(name)
        for index in (range(len(combos)) if chosen is None else chosen):
            found.append(Case(name, index, tuple(combos[index]), bench))
    return found


# ---- pairs and verdicts (the measuring function is passed in) ---------------------

Measure = Callable[[str, Case], Sequence[float]]


@dataclass
class Outcome:
    """The result of one case: the decision reported, the final verdict and notes.

    ``decision`` is the last measurement's :class:`compare_stats.Decision` (the second
    one for a re-measured case), ``first`` the first one when it was re-measured.
    """
    case: Case
    decision: cs.Decision
    verdict: str
    threshold: float
    first: cs.Decision | None = None
    note: str = ""
    failed: bool = False

    def record(self) -> dict:
        """The JSON record: exactly the keys :data:`RECORD_KEYS` (nan written as null)."""
        def number(x):
            return None if x is None or math.isnan(x) else round(float(x), 6)
        d = self.decision
        return {"benchmark": self.case.name, "params": ", ".join(self.case.params),
                "ratio": number(d.ratio), "low": number(d.low), "high": number(d.high),
                "verdict": self.verdict}


def pair_orders(pairs: int, rng: random.Random) -> list[tuple[str, str]]:
    """The order of A and B in each pair, each order drawn with probability 1/2."""
    return [("A", "B") if rng.random() < 0.5 else ("B", "A") for _ in range(pairs)]


def run_pairs(case: Case, measure: Measure, pairs: int,
              rng: random.Random) -> tuple[list[float], list[float]]:
    r"""Per-pair times :math:`a_i, b_i` of A and B, :math:`i = 1, \dots, N`.

    The two processes of pair :math:`i` run back to back, in the order drawn by
    :func:`pair_orders`; each side's time is the median of its process's samples.

    Parameters
    ----------
    case : Case
        The benchmark point measured.
    measure : callable
        ``measure(side, case)`` runs one process of side ``"A"`` or ``"B"`` and returns
        its samples (seconds); :class:`AsvMeasure` in real use, a fake in tests.
    pairs : int
        :math:`N`.
    rng : random.Random
        Draws the orders.

    Returns
    -------
    (a, b) : tuple of lists of float
    """
    a, b = [], []
    for order in pair_orders(pairs, rng):
        times = {side: statistics.median(measure(side, case)) for side in order}
        a.append(times["A"])
        b.append(times["B"])
        print(".", end="", flush=True)
    return a, b


def judge(case: Case, measure: Measure, pairs: int, rng: random.Random,
          threshold: float) -> Outcome:
    """Measure ``case`` as ``pairs`` pairs and decide; a flagged case is measured again.

    The first :func:`compare_stats.decide` verdict stands unless it is "regressed" or
    "improved"; then a second set of ``pairs`` pairs is measured and the final verdict
    is :func:`compare_stats.confirm` of the two. Parameters as :func:`run_pairs`, with
    the ``threshold`` of :func:`compare_stats.decide`.

    Returns
    -------
    Outcome
        With the last decision (the second one for a re-measured case) and, when
        re-measured, the first one in ``first``.
    """
    first = cs.decide(*run_pairs(case, measure, pairs, rng), threshold)
    if first.verdict not in cs.FLAGGED:
        return Outcome(case, first, first.verdict, threshold)
    second = cs.decide(*run_pairs(case, measure, pairs, rng), threshold)
    note = f"re-measured: {first.verdict} (x{first.ratio:.3f}), then {second.verdict}"
    return Outcome(case, second, cs.confirm(first, second), threshold, first, note)


def failed(case: Case, threshold: float, reason: str) -> Outcome:
    """An inconclusive outcome for a case that could not be measured."""
    nan = float("nan")
    return Outcome(case, cs.Decision(nan, nan, nan, nan, "inconclusive"), "inconclusive",
                   threshold, note=reason, failed=True)


def compare_cases(cases: Sequence[Case], measure: Measure, pairs: int,
                  thresholds: dict[str, float], rng: random.Random) -> list[Outcome]:
    """:func:`judge` every case, with its threshold; a failing case ends inconclusive."""
    outcomes = []
    for k, case in enumerate(cases, 1):
        threshold = threshold_for(thresholds, case.label)
        say(f"[{k}/{len(cases)}] {case.label} ", end="")
        try:
            outcome = judge(case, measure, pairs, rng, threshold)
        except (MeasureError, ValueError) as err:  # ValueError: a time decide refuses
            outcome = failed(case, threshold, str(err))
        print(f" {outcome.verdict} (ratio {_fmt(outcome.decision.ratio)})", flush=True)
        outcomes.append(outcome)
    return outcomes


def exit_code(outcomes: Sequence[Outcome]) -> int:
    """1 when a regression is confirmed, 2 when no case could be measured, else 0."""
    if outcomes and all(o.failed for o in outcomes):
        return 2
    return cs.exit_status(o.verdict for o in outcomes)


# ---- thresholds ----------------------------------------------------------------------

def thresholds_path(machine: str, folder: Path = COMPARE_DIR) -> Path:
    """Where the calibrated thresholds of ``machine`` are kept."""
    return Path(folder) / f"thresholds-{machine}.json"


def load_thresholds(machine: str, folder: Path = COMPARE_DIR) -> dict[str, float]:
    """Calibrated thresholds of ``machine`` by ``name(params)``; empty when never calibrated."""
    try:
        return dict(json.loads(thresholds_path(machine, folder).read_text())["thresholds"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def threshold_for(thresholds: dict[str, float], label: str) -> float:
    """The threshold of ``label``, :data:`compare_stats.MIN_THRESHOLD` when not calibrated."""
    return float(thresholds.get(label, cs.MIN_THRESHOLD))


def save_thresholds(machine: str, new: dict[str, float], meta: dict,
                    folder: Path = COMPARE_DIR) -> Path:
    """Merge ``new`` into ``machine``'s thresholds file (other benchmarks are kept)."""
    path = thresholds_path(machine, folder)
    merged = {**load_thresholds(machine, folder), **new}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"machine": machine, **meta, "thresholds": merged},
                               indent=1, sort_keys=True) + "\n")
    return path


# ---- tables --------------------------------------------------------------------------

def _fmt(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def format_table(records: Sequence[dict], notes: Sequence[str] = ()) -> str:
    """The comparison as a text table: one row per record (and its note, if any)."""
    rows = [("benchmark", "params", "ratio", "95% interval", "verdict", "")]
    for rec, note in itertools.zip_longest(records, notes, fillvalue=""):
        interval = f"{_fmt(rec['low'])}-{_fmt(rec['high'])}"
        rows.append((rec["benchmark"], rec["params"] or "-", _fmt(rec["ratio"]), interval,
                     rec["verdict"], note))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) if i < 4 else c.ljust(w)
                       for i, (c, w) in enumerate(zip(r[:5], widths, strict=True))) + "  " + r[5]
             for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def write_records(path: str | Path, outcomes: Sequence[Outcome]) -> None:
    """The outcomes as a JSON list of records (:meth:`Outcome.record`)."""
    Path(path).write_text(json.dumps([o.record() for o in outcomes], indent=1) + "\n")


# ---- asv: configuration, environments, runner, results -------------------------------

def load_config(env_dir: str | None = None):
    """``asv.conf.json`` as asv loads it, with ``env_dir`` overridden when given."""
    from asv.config import Config

    conf = Config.load(str(ROOT / "asv.conf.json"))
    if env_dir:
        conf.env_dir = env_dir
    return conf


def resolve(repo, rev: str) -> str:
    """The full commit hash of ``rev``, or :class:`CannotRun`."""
    from asv.repo import NoSuchNameError
    from asv.util import ProcessError

    try:
        return repo.get_hash_from_name(rev)
    except (NoSuchNameError, ProcessError):
        raise CannotRun(f"unknown revision {rev!r}") from None


def build_env(env_dir: str, repo, commit: str):
    """asv's environment for ``asv.conf.json``'s matrix, in ``env_dir``, with ``commit``
    installed (asv skips the install when that commit is installed already)."""
    from asv import environment

    conf = load_config(env_dir)
    envs = list(environment.get_environments(conf, None))
    if not envs:
        raise CannotRun(f"asv.conf.json gives no environment for {env_dir}")
    env = envs[0]
    say(f"Environment {env_dir}: {commit[:8]}")
    env.create()
    env.install_project(conf, repo, commit)
    return env


def discover(conf, env, repo, commit: str, regex: str):
    """asv's discovery of the suite in ``env``; saves ``benchmarks.json`` as asv run does."""
    from asv.benchmarks import Benchmarks

    try:
        benchmarks = Benchmarks.discover(conf, repo, [env], [commit], regex=regex)
    except re.error as err:
        raise CannotRun(f"bad --bench regex {regex!r}: {err}") from None
    benchmarks.save()
    return benchmarks


def machine_info(name: str | None) -> dict:
    """asv's machine record (registered with asv's defaults if new); ``name`` defaults
    to asv's unique machine name (the hostname)."""
    import bench
    from asv.machine import Machine

    machine = bench.machine_name(name)
    return dict(Machine.load(machine_name=machine).__dict__)


@dataclass
class Side:
    """One side of the comparison: its commit, asv environment and runner, and every
    sample it gave, per (benchmark, param index), with the number of calls per sample."""
    commit: str
    env: object
    spawner: object
    samples: dict = field(default_factory=dict)
    number: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def make_side(conf, commit: str, env) -> Side:
    """A :class:`Side` that runs benchmark processes through ``asv.runner.Spawner``."""
    from asv.runner import Spawner

    return Side(commit, env, Spawner(env, conf.benchmark_dir))


class AsvMeasure:
    """``measure(side, case)`` through asv's runner: one benchmark process, its samples.

    Each call runs ``asv.runner.run_benchmark`` for the one parameter index with
    :data:`EXTRA_PARAMS`, keeps the samples in the :class:`Side`, and raises
    :class:`MeasureError` when the process gave none.
    """

    def __init__(self, sides: dict[str, Side], default_timeout: float):
        self.sides = sides
        self.default_timeout = default_timeout

    def __call__(self, side: str, case: Case) -> list[float]:
        from asv.runner import run_benchmark

        s = self.sides[side]
        bench = dict(case.benchmark)
        bench["timeout"] = bench.get("timeout") or self.default_timeout
        started = time.monotonic()
        res = run_benchmark(bench, s.spawner, profile=False, selected_idx={case.index},
                            extra_params=EXTRA_PARAMS)
        key = (case.name, case.index)
        s.seconds[case.name] = s.seconds.get(case.name, 0.0) + time.monotonic() - started
        samples = res.samples[case.index] if res.errcode == 0 else None
        if not samples:
            what = "skipped" if res.errcode == 0 else f"failed (exit status {res.errcode})"
            tail = (res.stderr or "").strip().splitlines()[-1:] or [""]
            raise MeasureError(f"{what} on {'base' if side == 'A' else 'head'}: {tail[0]}")
        s.samples.setdefault(key, []).extend(samples)
        s.number[key] = res.number[case.index]
        return samples


def benchmark_result(bench: dict, samples: dict, number: dict):
    """An ``asv.runner.BenchmarkResult`` holding every sample of the measured indices."""
    from asv.runner import BenchmarkResult

    n = len(list(itertools.product(*bench["params"]))) if bench["params"] else 1
    result, all_samples, numbers = [math.nan] * n, [None] * n, [None] * n
    for index, values in samples.items():
        result[index], all_samples[index], numbers[index] = True, values, number[index]
    return BenchmarkResult(result=result, samples=all_samples, number=numbers, errcode=0,
                           stderr="", profile=None)


def merged_samples(group: Sequence[Side], name: str) -> tuple[dict, dict]:
    """Samples and calls per sample of benchmark ``name``, by param index, over ``group``."""
    samples, number = {}, {}
    for side in group:
        for (n, index), values in side.samples.items():
            if n == name:
                samples.setdefault(index, []).extend(values)
                number[index] = side.number[(n, index)]
    return samples, number


def save_results(conf, repo, machine: dict, sides: Sequence[Side],
                 benchmarks) -> list[Path]:
    """Save each commit's samples as asv ``Results`` (``record_samples=True``), merged into
    the results file of that machine, commit and environment (a benchmark measured again
    replaces its entry; the others are kept)."""
    from asv.results import Results, get_filename

    paths = []
    for commit in dict.fromkeys(s.commit for s in sides):
        group = [s for s in sides if s.commit == commit]
        env = group[0].env
        params = {**machine, "python": env.python, **env.requirements}
        results = Results(params, env.requirements, commit, repo.get_date(commit),
                          env.python, env.name, env.env_vars)
        results.load_data(conf.results_dir)
        for name in sorted({name for s in group for name, _ in s.samples}):
            samples, number = merged_samples(group, name)
            bench = benchmarks[name]
            results.add_result(bench, benchmark_result(bench, samples, number),
                               selected_idx=set(samples), record_samples=True,
                               duration=sum(s.seconds.get(name, 0.0) for s in group))
        results.save(conf.results_dir)
        paths.append(Path(conf.results_dir) / get_filename(machine["machine"], commit,
                                                           env.name))
    return paths


# ---- commands ------------------------------------------------------------------------

def select(benchmarks) -> tuple[list[Case], list[Case]]:
    """The selected cases split into timed (compared) and others (listed only)."""
    found = cases_of(benchmarks)
    return [c for c in found if c.timed], [c for c in found if not c.timed]


def prepare(conf, repo, revs: dict[str, str], bench: str):
    """Resolve the revisions, build one environment per distinct side, discover, select.

    Returns ``(sides, benchmarks, timed, others)``; :class:`CannotRun` when nothing
    timed is selected.
    """
    commits = {side: resolve(repo, rev) for side, rev in revs.items()}
    envs = {}
    for side in sorted(commits, reverse=True):  # B (head) first: discovery runs there
        envs[side] = build_env(ENV_DIRS[side], repo, commits[side])
    benchmarks = discover(conf, envs["B"], repo, commits["B"], bench)
    timed, others = select(benchmarks)
    if not timed:
        listed = ", ".join(c.label for c in others) or "none"
        raise CannotRun(f"no time_/timeraw_ benchmark selected by {bench!r} (others: {listed})")
    sides = {s: make_side(conf, commits[s], envs[s]) for s in commits}
    return sides, benchmarks, timed, others


def print_others(others: Sequence[Case]) -> None:
    """List the selected benchmarks that are not timings (not compared)."""
    if others:
        print("Not compared (not timings):")
        for case in others:
            print(f"  {case.label}")


def report(outcomes: Sequence[Outcome], others: Sequence[Case], out: str | None) -> None:
    """Print the table and the benchmarks not compared; write the records to ``out``."""
    print()
    print(format_table([o.record() for o in outcomes], [o.note for o in outcomes]))
    print_others(others)
    if out:
        write_records(out, outcomes)
        print(f"Records: {out}")


def cmd_compare(args) -> int:
    started = time.monotonic()
    conf = load_config()
    from asv.repo import get_repo

    repo = get_repo(conf)
    for rev in (args.base, args.head):  # fail fast, before any build
        resolve(repo, rev)
    machine = machine_info(args.machine)
    sides, benchmarks, timed, others = prepare(conf, repo, {"A": args.base, "B": args.head},
                                               args.bench)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    say(f"Comparing {sides['A'].commit[:8]} (base) with {sides['B'].commit[:8]} (head) on "
        f"{machine['machine']}: {len(timed)} benchmark points, {args.pairs} pairs each, "
        f"seed {seed}")
    if args.pairs < cs.MIN_PAIRS:
        print(f"Note: fewer than {cs.MIN_PAIRS} pairs: every verdict will be inconclusive")
    measure = AsvMeasure(sides, conf.default_benchmark_timeout)
    outcomes = compare_cases(timed, measure, args.pairs,
                             load_thresholds(machine["machine"]), random.Random(seed))
    for path in save_results(conf, repo, machine, list(sides.values()), benchmarks):
        print(f"asv results: {path}")
    report(outcomes, others, args.out)
    code = exit_code(outcomes)
    print(f"compare: {time.monotonic() - started:.0f} s wall, exit status {code}")
    return code


def calibrate_case(case: Case, measure: Measure, runs: int, pairs: int,
                   rng: random.Random) -> list[list[float]]:
    """Ratios B/A of ``runs`` A/A runs of ``pairs`` pairs each."""
    ratio_runs = []
    for _ in range(runs):
        a, b = run_pairs(case, measure, pairs, rng)
        ratio_runs.append([y / x for x, y in zip(a, b, strict=True)])
    return ratio_runs


def cmd_calibrate(args) -> int:
    started = time.monotonic()
    conf = load_config()
    from asv.repo import get_repo

    repo = get_repo(conf)
    resolve(repo, args.rev)
    machine = machine_info(args.machine)["machine"]
    sides, _, timed, others = prepare(conf, repo, {"B": args.rev}, args.bench)
    measure = AsvMeasure({"A": sides["B"], "B": sides["B"]}, conf.default_benchmark_timeout)
    rng = random.Random(args.seed)
    rows, found = [("benchmark point", "median ratio per A/A run", "threshold")], {}
    for k, case in enumerate(timed, 1):
        say(f"[{k}/{len(timed)}] {case.label} ", end="")
        try:
            ratio_runs = calibrate_case(case, measure, args.runs, args.pairs, rng)
        except MeasureError as err:
            print(f" {err}")
            rows.append((case.label, str(err), "-"))
            continue
        found[case.label] = cs.threshold_from_aa(ratio_runs)
        medians = " ".join(f"{statistics.median(r):.3f}" for r in ratio_runs)
        print(f" {found[case.label]:.3f}", flush=True)
        rows.append((case.label, medians, f"{found[case.label]:.3f}"))
    meta = {"commit": sides["B"].commit, "runs": args.runs, "pairs": args.pairs}
    path = save_thresholds(machine, found, meta)
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print()
    print("\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                    for r in rows))
    print_others(others)
    print(f"Thresholds: {path} ({len(found)} written); "
          f"calibrate: {time.monotonic() - started:.0f} s wall")
    return 0 if found else 2


def cmd_show(args) -> int:
    print(format_table(json.loads(Path(args.file).read_text())))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compare", help="paired A/B comparison of two commits")
    c.add_argument("--base", required=True, help="baseline revision (A)")
    c.add_argument("--head", required=True, help="candidate revision (B)")
    c.add_argument("--out", default=None, help="write the records to this JSON file")
    c.add_argument("--seed", type=int, default=None, help="seed of the pair orders")
    c.set_defaults(func=cmd_compare)
    k = sub.add_parser("calibrate", help="thresholds from A/A runs of one commit")
    k.add_argument("--rev", default="HEAD")
    k.add_argument("--runs", type=int, default=3)
    k.add_argument("--seed", type=int, default=0)
    k.set_defaults(func=cmd_calibrate)
    for q in (c, k):
        q.add_argument("--bench", default=tiers.regex("quick"),
                       help="asv --bench regex (default: the quick tier)")
        q.add_argument("--pairs", type=int, default=cs.MIN_PAIRS)
        q.add_argument("--machine", default=None, help="asv machine name (default: hostname)")
    s = sub.add_parser("show", help="print the table of a --out file")
    s.add_argument("file")
    s.set_defaults(func=cmd_show)
    return p


_LOGGING = []


def _asv_logging() -> None:
    """Show asv's progress messages (building, installing) once per process."""
    if not _LOGGING:
        from asv.console import log

        log.enable()
        _LOGGING.append(True)


def main(argv=None) -> int:
    import os

    args = parser().parse_args(argv)
    if getattr(args, "pairs", cs.MIN_PAIRS) < 2:
        print("compare: --pairs must be at least 2", file=sys.stderr)
        return 2
    os.chdir(ROOT)  # asv reads asv.conf.json's relative paths from here
    if args.command != "show":
        _asv_logging()
    from asv.environment import EnvironmentUnavailable
    from asv.util import ProcessError, UserError

    try:
        return args.func(args)
    except (CannotRun, UserError, ProcessError, EnvironmentUnavailable, OSError) as err:
        print(f"compare: could not run: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
