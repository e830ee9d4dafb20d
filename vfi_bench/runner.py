"""Run, time and publish the asv suite by tier: what the Makefile's bench targets call.

    python -m vfi_bench run --tier quick|full [--bench REGEX] [--machine NAME] [-- ASV ARGS]
    python -m vfi_bench history --tier quick --commits 20 [--machine NAME]
    python -m vfi_bench publish [--commit HASH]
    python -m vfi_bench breakdown [--commit HASH]

``run`` measures this checkout in the current environment (``asv run -E existing``),
``history`` the last N commits in asv's own virtualenvs. Both pass asv's progress lines
through and add, under each, the time spent and an estimate of the time left, each
benchmark weighted by what it took last time (:mod:`vfi_bench.progress`); the wall time
of each run is kept in ``.asv/wall-times.json``. ``publish`` merges
the reference machines' results kept in the repository (``results/<machine>/``), runs
``asv publish``, makes the report self-contained (:mod:`vfi_bench.asvkit.vendor`) and writes
the front page (:mod:`vfi_bench.frontpage`). ``breakdown`` prints where a run's time went, per
benchmark class, from the durations asv records.
"""
from __future__ import annotations

import argparse
import codecs
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from vfi_bench import frontpage, progress, tiers
from vfi_bench.asvkit import vendor
from vfi_bench.progress import minutes

ROOT = Path(__file__).resolve().parents[1]

ASV = [sys.executable, "-m", "asv"]
RESULTS = ROOT / ".asv" / "results"
HTML = ROOT / ".asv" / "html"
REFERENCE = ROOT / "results"
#: Each step of your history checked by a paired comparison, and how long one may take.
STEP_CHECKS = ROOT / ".asv" / "compare" / "step-checks.json"
STEP_TIMEOUT = 240.0
#: The normalised copy of every machine's results that the report is published from.
PUBLISHED = ROOT / ".asv" / "publish" / "results"
WALL_TIMES = ROOT / ".asv" / "wall-times.json"
#: Each run's wall durations per benchmark (progress.save_run) and its timed lines.
RUNS = ROOT / ".asv" / "progress"
#: Where the suite's processes keep their JIT caches (as benchmarks/__init__.py sets it).
JIT_CACHE = Path(os.environ.get("VFI_CACHE_DIR") or ROOT / ".asv" / "jit-cache")


def head() -> str:
    return subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=ROOT, text=True).strip()


def machine_name(name: str | None) -> str:
    """Register the machine with asv (answers its questions with the defaults)."""
    args = ["machine", "--yes"] + (["--machine", name] if name else [])
    subprocess.run(ASV + args, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    if name:
        return name
    import asv.machine

    return asv.machine.Machine.get_unique_machine_name()


def _load_wall_times() -> dict:
    try:
        return json.loads(WALL_TIMES.read_text())
    except (OSError, ValueError):
        return {}


def _record_wall_time(key: str, seconds: float) -> None:
    record = _load_wall_times()
    record[key] = seconds
    WALL_TIMES.parent.mkdir(parents=True, exist_ok=True)
    WALL_TIMES.write_text(json.dumps(record, indent=1, sort_keys=True))


def suite_names() -> list[str]:
    """The benchmarks asv discovered last (``.asv/results/benchmarks.json``)."""
    try:
        return [name for name in json.loads((RESULTS / "benchmarks.json").read_text())
                if name != "version"]
    except (OSError, ValueError):
        return []


def estimate_for(machine: str, bench_regex: str, warm: float) -> progress.Estimate:
    """The time-left estimate of a run on ``machine`` of the benchmarks ``bench_regex``
    selects, weighted by this machine's last durations, else the references', with
    the share ``warm`` of the kernels already compiled."""
    references = sorted(p for p in REFERENCE.glob("*") if p.is_dir() and p.name != "archive")
    expected, source = progress.expected_durations(RESULTS / machine, references, RUNS, warm,
                                                   bench_regex)
    shares = Shares(bench_regex)
    return progress.Estimate(expected, source, shares, order=shares.order)


class Shares:
    """``share(name)``: the part of benchmark ``name``'s points that ``regex`` selects
    (:func:`progress.points` on the suite asv discovered), read once, when first asked:
    asv writes ``benchmarks.json`` after discovering the suite and before it prints the
    run's total, which is when an estimate first asks."""

    def __init__(self, regex: str, suite: Path | None = None):
        self.regex, self.shares = regex, None
        self.suite = suite or RESULTS / "benchmarks.json"

    def _read(self) -> None:
        if self.shares is None:
            try:
                self.benchmarks = json.loads(self.suite.read_text())
                self.shares = progress.points(self.benchmarks, self.regex)
            except (OSError, ValueError):
                self.benchmarks, self.shares = {}, {}

    def __call__(self, name: str) -> float:
        self._read()
        if self.shares:
            return self.shares.get(name, 0.0)
        return 1.0 if re.search(self.regex, name) else 0.0  # no suite file: by name

    def order(self) -> list[str]:
        """:func:`progress.round_order` of the selection."""
        self._read()
        return progress.round_order(self.benchmarks, self.shares)


def selection_suffix(bench_regex: str) -> str:
    """The part of a kept run's file name that says what it ran: nothing for the whole
    suite, ``-quick`` for that tier, else a digest of the regex."""
    for tier in tiers.TIERS:
        if bench_regex == tiers.regex(tier):
            return "" if tier == "full" else f"-{tier}"
    return "-" + hashlib.sha1(bench_regex.encode()).hexdigest()[:8]


def read_as_written(stream, start: float, echo=sys.stdout):
    """Yield ``(seconds since start, line, whole)`` for each line of ``stream`` (a binary
    pipe) when it ends, and for a line of asv's rounds (``Running (name--)..``) also each
    time it grows a dot (``whole`` False), so each round is timed when it ends and not
    when the line does. Each line is echoed before it is yielded (a note printed then
    lands under it), a growing line as it grows."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    partial, echoed = "", 0  # the line so far, and how much of it is echoed

    def show(upto: int) -> None:
        nonlocal echoed
        echo.write(partial[echoed:upto])
        echo.flush()
        echoed = upto

    while chunk := os.read(stream.fileno(), 65536):
        seconds = time.monotonic() - start
        partial += decoder.decode(chunk)
        while "\n" in partial:
            line, _, rest = partial.partition("\n")
            show(len(line) + 1)
            yield seconds, line, True
            partial, echoed = rest, 0
        if partial and progress.ROUND.match(partial):
            grew = len(partial) > echoed
            show(len(partial))
            if grew:
                yield seconds, partial, False
    if partial:
        show(len(partial))
        echo.write("\n")
        yield time.monotonic() - start, partial, True


def run_asv_with_progress(args: list[str], key: str, machine: str, bench_regex: str,
                          save: bool = True) -> int:
    """Run asv with the time-left notes; a ``save``d run's wall durations weigh the next
    run on this machine with the same compile caches (``.asv/progress/``)."""
    warm = progress.cached_fraction(JIT_CACHE)
    estimate = estimate_for(machine, bench_regex, warm)
    proc = subprocess.Popen(ASV + args, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    trace = []
    for seconds, text, whole in read_as_written(proc.stdout, estimate.start):
        trace.append((seconds, text))
        note = estimate.line(text)
        if note and whole:
            print(note, flush=True)
    code = proc.wait()
    wall = time.monotonic() - estimate.start
    _record_wall_time(key, wall)
    caches = "warm" if warm >= 0.5 else "cold"
    if save:
        progress.save_run(RUNS / f"{machine}-{caches}{selection_suffix(bench_regex)}.json",
                          trace, machine, caches, suite_names(), estimate.share,
                          estimate.share.order(), bench_regex)
    RUNS.mkdir(parents=True, exist_ok=True)
    (RUNS / "last-run.tsv").write_text("".join(f"{t:.2f}\t{line}\n" for t, line in trace))
    print(f"asv {args[0]} ({key}): {minutes(wall)} wall, exit status {code}")
    return code


def selection(tier: str, bench: str | None) -> str:
    return bench if bench else tiers.regex(tier)


def cmd_run(args) -> int:
    machine = machine_name(args.machine)
    bench = selection(args.tier, args.bench)
    asv_args = ["run", "-E", f"existing:{sys.executable}", "--set-commit-hash", head(),
                "--machine", machine, "--bench", bench, "--show-stderr"] + args.asv_args
    return run_asv_with_progress(asv_args, f"{machine}:run:{args.bench or args.tier}",
                                 machine, bench)


def cmd_history(args) -> int:
    machine = machine_name(args.machine)
    bench = selection(args.tier, args.bench)
    asv_args = ["run", "--skip-existing-commits", "--machine", machine, "--bench", bench,
                "--show-stderr", f"HEAD~{args.commits}..HEAD"] + args.asv_args
    # A history run's lines name each benchmark once per commit: not one run's durations.
    return run_asv_with_progress(asv_args, f"{machine}:history:{args.bench or args.tier}",
                                 machine, bench, save=False)


def parent_of(commit: str) -> str:
    return subprocess.check_output(["git", "rev-parse", f"{commit}^"], cwd=ROOT,
                                   text=True).strip()


def publish_config(results: Path = PUBLISHED) -> Path:
    """A copy of ``asv.conf.json`` whose results are the normalised copy ``results``."""
    conf = json.loads((ROOT / "asv.conf.json").read_text())
    conf.update(repo=str(ROOT), benchmark_dir=str(ROOT / "benchmarks"),
                results_dir=str(results), html_dir=str(HTML), env_dir=str(ROOT / ".asv/env"))
    path = results.parent / "asv.conf.json"
    path.write_text(json.dumps(conf, indent=1))
    return path


def cmd_publish(args) -> int:
    """Normalise (one series per machine), publish, vendor, redraw the summary grid from
    this machine's history, write the front page."""
    from vfi_bench.asvkit import publish, steps

    python = json.loads((ROOT / "asv.conf.json").read_text())["pythons"][0]
    machines = publish.normalize([RESULTS, REFERENCE], PUBLISHED, python)
    mine = args.machine or machine_name(None)
    print(f"Machines in this report: {', '.join(machines)} (yours: {mine}; references "
          f"from results/; comparisons from make compare are kept apart)")
    subprocess.run(ASV + ["publish", "--config", str(publish_config())], cwd=ROOT, check=True)
    code = vendor.main([str(HTML), *frontpage.VENDOR_ARGS])
    if code != 0:
        return code
    publish.patch_graph_page(HTML)
    drawn = publish.summaries_of(HTML, mine)
    print(f"Summary grid: {drawn} thumbnails, each {mine}'s own history")
    compare = (steps.compare_point(str(ROOT / "asv.conf.json"), mine, STEP_TIMEOUT)
               if args.check_steps else None)
    checks = steps.check_steps(HTML, mine, STEP_CHECKS, compare, parent_of)
    counts = steps.counts(checks.values())
    print(f"Steps in {mine}'s history: {counts['confirmed']} confirmed (the Regressions "
          f"page lists only these), {counts['refuted']} refuted, {counts['unchecked']} not "
          f"confirmed (noise at this machine's level, listed apart on the front page)"
          + (f"; {counts['not measured']} not measured yet (make bench-history checks them)"
             if counts["not measured"] else ""))
    (HTML / "step-checks.json").write_text(json.dumps(checks, indent=1))
    report = ["--machine", mine, "--results", str(PUBLISHED), "--html", str(HTML),
              "--steps", str(HTML / "step-checks.json")]
    if args.commit:
        report += ["--commit", args.commit]
    return frontpage.main(report)


def durations(commit: str | None, results: Path = RESULTS) -> tuple[str, dict[str, float]]:
    """The commit and seconds per benchmark (all its parameters and rounds) of the newest
    result of ``commit``, or with None of the newest result of any commit."""
    from asv.results import iter_results

    found = sorted((r for r in iter_results(str(results))
                    if commit is None or r.commit_hash.startswith(commit)),
                   key=lambda r: r.date or 0)
    if not found:
        where = f"for {commit[:8]} " if commit else ""
        raise SystemExit(f"no asv results {where}under {results} (make bench writes them)")
    return found[-1].commit_hash, {name: seconds for name, seconds in
                                   found[-1].duration.items() if not name.startswith("<")}


def cmd_breakdown(args) -> int:
    commit, seconds_of = durations(args.commit)
    print(f"Where the newest run's time went (commit {commit[:8]}"
          + ("" if args.commit or commit == head() else ", not HEAD") + ")")
    by_class = defaultdict(float)
    for name, seconds in seconds_of.items():
        by_class[name.rsplit(".", 1)[0]] += seconds
    total = sum(by_class.values())
    print(f"{'benchmark class':<42} {'seconds':>9} {'share':>7}")
    for name, seconds in sorted(by_class.items(), key=lambda item: -item[1]):
        print(f"{name:<42} {seconds:9.1f} {seconds / total:7.1%}")
    print(f"{'total':<42} {total:9.1f}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vfi_bench",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func in (("run", cmd_run), ("history", cmd_history)):
        p = sub.add_parser(name)
        p.add_argument("--tier", choices=sorted(tiers.TIERS), default="full")
        p.add_argument("--bench", default=None, help="asv --bench regex (replaces the tier's)")
        p.add_argument("--machine", default=None, help="asv machine name (default: hostname)")
        if name == "history":
            p.add_argument("--commits", type=int, default=10)
        p.add_argument("asv_args", nargs=argparse.REMAINDER,
                       help="after --: passed to asv run as they are")
        p.set_defaults(func=func)
    for name, func in (("publish", cmd_publish), ("breakdown", cmd_breakdown)):
        p = sub.add_parser(name)
        p.add_argument("--commit", default=None)
        p.add_argument("--machine", default=None, help="asv machine name (default: hostname)")
        if name == "publish":
            p.add_argument("--check-steps", action="store_true",
                           help="re-measure each new step of your history against its "
                                "parent (make compare, one point) before listing it")
        p.set_defaults(func=func)
    args = parser.parse_args(argv)
    if getattr(args, "asv_args", None) and args.asv_args[0] == "--":
        args.asv_args = args.asv_args[1:]
    os.chdir(ROOT)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
