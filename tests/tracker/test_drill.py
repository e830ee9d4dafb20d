"""vfi_bench.drill: the slowdown it injects, the comment-only edit, how runs
are classified and summarised, the exit status, the load process's bounds, and the
drill's loop over a tiny git repository with a fake comparison. Fast: no asv, no clone
of the real suite.
"""
from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from vfi_bench import drill

REPO = Path(__file__).resolve().parents[2]

NOTEBOOK = r"^bench_cake\.NotebookCase\.time_iterate"
SLEEPER = '''"""A module with a function that takes about 20 ms."""
import time


def work(x):
    """Sleep 20 ms, return x + 1."""
    time.sleep(0.02)
    return x + 1


def other():
    return "untouched"
'''


def load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rec(variant: str, verdict: str, ratio: float = 1.0,
        benchmark: str = "bench_cake.NotebookCase.time_iterate") -> dict:
    return {"benchmark": benchmark, "params": repr(variant), "ratio": ratio,
            "low": ratio, "high": ratio, "verdict": verdict}


# ---- what is slowed -------------------------------------------------------------------

def test_registry_targets_are_top_level_functions_of_the_repo():
    targets = drill.registered_targets((REPO / drill.REGISTRY_FILE).read_text())
    assert targets["numba-loops"] == ("vfi.cake.numba:iterate_loops",)
    assert targets["python-loops"] == ("vfi.cake.python:iterate_loops",)
    for variant, entries in targets.items():
        for target in entries:
            path, function = drill.entry_point(REPO, target)
            tree = ast.parse(path.read_text())
            assert any(isinstance(n, ast.FunctionDef) and n.name == function
                       for n in tree.body), variant


def test_every_entry_point_of_a_variant_is_the_registrys():
    """The drill's list is the registry's, fast path included (read from the source)."""
    import vfi
    from vfi import registry

    targets = drill.registered_targets((REPO / drill.REGISTRY_FILE).read_text())
    for name in vfi.variants():
        assert targets[name] == registry.get_variant("cake", name).entry_points, name
    assert targets["numba-maxplus"] == ("vfi.cake.maxplus:iterate_maxplus",
                                        "vfi.cake.maxplus:iterate_default_if_valid")


SLOWED_DEFAULT = """
import numpy as np
import vfi
from vfi.cake import maxplus

class Clock:
    calls = 0
    def perf_counter(self):
        Clock.calls += 1
        return 0.0

maxplus._drill_time = Clock()  # count the wrapper's clock reads instead of waiting
grid = np.linspace(1e-4, 1.0, 100)
before = Clock.calls
value = vfi.iterate(grid, 0.95, 100)   # the plain default call: the compiled fast path
default_calls = Clock.calls - before
before = Clock.calls
vfi.iterate(grid, 0.95, 100, variant="numba-maxplus", v0=np.sqrt(grid))  # the kernel
print(default_calls, Clock.calls - before, vfi.cake.default_variant())
"""


@pytest.mark.skipif("numba-maxplus" not in __import__("vfi").variants(),
                    reason="the default variant is numba-maxplus only with numba")
def test_the_drill_slows_the_default_call_too(tmp_path):
    """An A/B change of numba-maxplus wraps both its kernel and the compiled path that
    ``vfi.iterate``'s plain default call takes; a copy of the package with that change
    goes through the wrapper on both calls."""
    shutil.copytree(REPO / "vfi", tmp_path / "vfi")
    targets = drill.registered_targets((REPO / drill.REGISTRY_FILE).read_text())
    for target in targets["numba-maxplus"]:
        path, function = drill.entry_point(tmp_path, target)
        path.write_text(drill.inject_slowdown(path.read_text(), function, 1.25))
    done = subprocess.run([sys.executable, "-c", SLOWED_DEFAULT], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(tmp_path),
                               "VFI_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr[-2000:]
    default_calls, kernel_calls, default = done.stdout.split()
    assert default == "numba-maxplus"
    assert int(default_calls) >= 2 and int(kernel_calls) >= 2  # start and end of a call


def test_selected_variants_follow_asv_regex_rule():
    variants = ["numba-loops", "numba-concave", "numpy-masked"]
    assert drill.selected_variants(variants, NOTEBOOK) == variants
    two = r"^bench_cake\.NotebookCase\.time_iterate\('numba-(concave|loops)'\)"
    assert drill.selected_variants(variants, two) == ["numba-loops", "numba-concave"]
    assert drill.selected_variants(variants, r"^bench_fast\.") == []


class FakeClock:
    """A clock that moves only when read (1 us a reading) or slept on: the slowdown's
    arithmetic checked without timing anything on a shared machine."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        self.now += 1e-6
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.parametrize("factor", [1.05, 1.25, 2.0])
def test_slowdown_makes_the_function_factor_times_slower(tmp_path, factor):
    path = tmp_path / "sleeper.py"
    path.write_text(drill.inject_slowdown(SLEEPER, "work", factor))
    slowed = load_module(path, f"sleeper_slowed_{str(factor).replace('.', '_')}")
    assert slowed.work(41) == 42 and slowed.other() == "untouched"
    assert slowed.work.__name__ == "work" and "20 ms" in slowed.work.__doc__
    clock = FakeClock()
    slowed.time = slowed._drill_time = clock  # the module's sleep and the wrapper's clock
    slowed.work(1)
    # 20 ms of work, then a busy wait of (factor - 1) x 20 ms, to within a few readings.
    assert clock.now == pytest.approx(factor * 0.02, abs=1e-5), clock.now


def test_slowdown_of_a_real_entry_point_is_valid_python():
    source = (REPO / "vfi/cake/numba.py").read_text()
    new = drill.inject_slowdown(source, "iterate_loops", 1.25)
    assert new.startswith(source.rstrip("\n"))
    tree = ast.parse(new)
    rebinding = tree.body[-1]
    assert isinstance(rebinding, ast.Assign)
    assert ast.unparse(rebinding) == "iterate_loops = _drill_slowed(iterate_loops, 1.25)"


def test_slowdown_of_a_missing_function_is_refused():
    with pytest.raises(drill.DrillError, match="no top-level function"):
        drill.inject_slowdown(SLEEPER, "missing", 1.25)


def test_aa_edit_changes_only_a_comment():
    source = (REPO / "vfi/cake/numba.py").read_text()
    new = drill.add_comment(source, "regression drill, run 3: a comment, no code change")
    assert new != source
    assert ast.dump(ast.parse(new)) == ast.dump(ast.parse(source))
    added = [line[1:] for line in difflib.ndiff(source.splitlines(), new.splitlines())
             if line.startswith(("+ ", "- "))]
    assert added and all(not line.strip() or line.strip().startswith("#") for line in added)
    assert not any(line.startswith("- ") for line in
                   difflib.ndiff(source.splitlines(), new.splitlines()))


# ---- classification, summary, exit status ---------------------------------------------

def test_aa_run_false_alarm_on_any_flag():
    quiet = [rec("numba-loops", "same"), rec("numba-concave", "inconclusive")]
    assert drill.classify(drill.AA, quiet, None)["false_alarm"] is False
    for flag in ("regressed", "improved"):
        out = drill.classify(drill.AA, quiet + [rec("numpy-masked", flag, 1.2)], None)
        assert out["false_alarm"] is True
        assert out["flagged"] == ["bench_cake.NotebookCase.time_iterate('numpy-masked')"]
        assert out["flagged_not_slowed"] == []


def test_ab_run_detection_and_flagged_not_slowed():
    same = rec("numba-concave", "same")
    hit = drill.classify(drill.AB, [rec("numba-loops", "regressed", 1.25), same],
                         "numba-loops")
    assert hit["detected"] is True and hit["flagged_not_slowed"] == []
    assert hit["verdicts"] == {"regressed": 1, "same": 1}
    for verdict in ("same", "inconclusive", "improved"):
        miss = drill.classify(drill.AB, [rec("numba-loops", verdict), same], "numba-loops")
        assert miss["detected"] is False
    assert drill.classify(drill.AB, [same], "numba-loops")["detected"] is False  # not measured
    extra = drill.classify(drill.AB, [rec("numba-loops", "regressed"),
                                      rec("numba-concave", "improved", 0.9),
                                      rec("numpy-masked", "regressed", 1.1)], "numba-loops")
    assert extra["detected"] is True
    assert extra["flagged_not_slowed"] == [
        "bench_cake.NotebookCase.time_iterate('numba-concave')",
        "bench_cake.NotebookCase.time_iterate('numpy-masked')"]


def test_ab_run_counts_every_benchmark_of_the_slowed_variant_as_slowed():
    other_bench = {"benchmark": "bench_compile.FirstCall.timeraw_import_compile_call",
                   "params": "'numba-loops', 'warm'", "ratio": 1.2, "low": 1.1,
                   "high": 1.3, "verdict": "regressed"}
    assert drill.record_params(other_bench) == ("numba-loops", "warm")
    out = drill.classify(drill.AB, [rec("numba-loops", "regressed"), other_bench],
                         "numba-loops")
    assert out["detected"] is True and out["flagged_not_slowed"] == []


def summary(aa, fa, ab, det, fns=0):
    return {"aa_runs": aa, "false_alarms": fa, "ab_runs": ab, "detections": det,
            "flagged_not_slowed": fns}


@pytest.mark.parametrize("s, code", [
    (summary(20, 0, 20, 20), 0),
    (summary(20, 1, 20, 19), 0),
    (summary(20, 2, 20, 20), 1),
    (summary(20, 0, 20, 18), 1),
    (summary(20, 0, 20, 20, 1), 1),
    (summary(1, 0, 1, 1), 0),
    (summary(1, 1, 1, 1), 1),   # 1 in 1 is more than 1 in 20
    (summary(1, 0, 1, 0), 1),
    (summary(0, 0, 0, 0), 2),   # nothing done
])
def test_exit_status_rule(s, code):
    assert drill.exit_status(s) == code


def test_exit_status_two_when_a_comparison_could_not_run():
    assert drill.exit_status(summary(3, 0, 3, 3), could_not_run=True) == 2


def test_summarize_counts_runs():
    runs = [{"kind": drill.AA, "false_alarm": True, "detected": None,
             "flagged_not_slowed": []},
            {"kind": drill.AA, "false_alarm": False, "detected": None,
             "flagged_not_slowed": []},
            {"kind": drill.AB, "false_alarm": None, "detected": True,
             "flagged_not_slowed": ["x", "y"]}]
    assert drill.summarize(runs) == summary(2, 1, 1, 1, 2)
    assert "1 / 2" in drill.summary_table(drill.summarize(runs))


# ---- load process ----------------------------------------------------------------------

def test_load_process_stops_when_asked():
    proc = drill.start_load(60, 0.2, seed=1)
    try:
        time.sleep(0.5)
        assert proc.poll() is None
    finally:
        started = time.monotonic()
        drill.stop_load(proc)
    assert proc.poll() is not None and time.monotonic() - started < 5


def test_load_process_cannot_outlive_its_lifetime():
    proc = drill.start_load(2, 0.2, seed=2)
    try:
        time.sleep(1.0)
        assert proc.poll() is None
        time.sleep(2.0)
        # Exited by itself (about 2 s after it started, later when the machine is busy):
        # never killed by stop_load, never running on.
        assert proc.wait(timeout=60) == 0
    finally:
        drill.stop_load(proc)


def test_load_running_stops_it_on_error():
    with pytest.raises(RuntimeError), drill.load_running(60, 0.2, 3) as proc:
        raise RuntimeError("a run failed")
    assert proc.poll() is not None


def test_generate_load_returns_at_its_deadline():
    started = time.monotonic()
    drill.generate_load(0.3, 0.1, seed=4)
    assert 0.25 <= time.monotonic() - started < 30  # a busy machine may starve it a while


# ---- the drill's loop over a tiny repository ------------------------------------------

TINY_REGISTRY = '''from vfi import registry
registry.register("cake", "fast", "vfi.cake.kernels:fast")
registry.register("cake", "slow", "vfi.cake.kernels:slow")
'''
TINY_KERNELS = '''def fast(x):
    """fast"""
    return x


def slow(x):
    """slow"""
    return x
'''


def git(repo, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@invalid", *args],
                          cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def tiny_repo(tmp_path, monkeypatch):
    repo = tmp_path / "tiny"
    (repo / "vfi" / "cake").mkdir(parents=True)
    (repo / drill.REGISTRY_FILE).write_text(TINY_REGISTRY)
    (repo / "vfi" / "cake" / "kernels.py").write_text(TINY_KERNELS)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    monkeypatch.setattr(drill, "REPO", repo)
    return repo


def fake_compare(seen):
    """A comparison that flags exactly the variant whose entry point the head slows."""
    def compare(clone, base, head, args, seed, out, log):
        diff = git(clone, "diff", base, head)
        seen.append((git(clone, "rev-parse", "HEAD"), diff))
        records = []
        for variant in ("fast", "slow"):
            hit = f"{variant} = _drill_slowed({variant}" in diff
            records.append(rec(variant, "regressed" if hit else "same",
                               1.25 if hit else 1.0))
        out.write_text(json.dumps(records))
        return records, drill.expected_status(records)
    return compare


def test_drill_loop_on_a_tiny_repo(tiny_repo, tmp_path, monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(drill, "compare", fake_compare(seen))
    out = tmp_path / "drill.json"
    code = drill.main(["--runs", "3", "--seed", "7", "--no-load", "--out", str(out)])
    assert code == 0
    data = json.loads(out.read_text())
    assert data["summary"] == summary(3, 0, 3, 3) and data["exit_status"] == 0
    kinds = [r["kind"] for r in data["runs"]]
    assert sorted(kinds) == [drill.AA] * 3 + [drill.AB] * 3
    for run, (checked_out, diff) in zip(data["runs"], seen, strict=True):
        assert checked_out == run["head"]  # compared while the change was checked out
        changed = [line for line in diff.splitlines() if line.startswith(("+", "-"))
                   and not line.startswith(("+++", "---"))]
        if run["kind"] == drill.AA:
            assert all(line == "+" or line.startswith("+#") for line in changed)
        else:
            assert run["slowed"] in ("fast", "slow") and run["detected"]
    printed = capsys.readouterr().out
    assert printed.count("-> detected") == 3 and printed.count("-> ok") == 3
    assert "targets met" in printed


def test_drill_stops_with_status_two_when_a_comparison_cannot_run(tiny_repo, tmp_path,
                                                                   monkeypatch):
    def broken(*args):
        raise drill.DrillError("compare.py exited 2")
    monkeypatch.setattr(drill, "compare", broken)
    out = tmp_path / "drill.json"
    assert drill.main(["--runs", "2", "--seed", "1", "--no-load", "--out", str(out)]) == 2
    data = json.loads(out.read_text())
    assert data["runs"] == [] and "exited 2" in data["error"] and data["exit_status"] == 2


def test_drill_refuses_a_bench_regex_without_notebook_cases(tiny_repo, tmp_path):
    assert drill.main(["--runs", "1", "--bench", "^bench_fast", "--no-load",
                       "--out", str(tmp_path / "d.json")]) == 2


def test_make_change_commits_on_a_branch_and_reset_restores_base(tiny_repo):
    base = git(tiny_repo, "rev-parse", "HEAD")
    head = drill.make_change(tiny_repo, base, drill.AB, "slow", ("vfi.cake.kernels:slow",),
                             1.25, 4)
    assert git(tiny_repo, "rev-parse", "drill-004-ab") == head
    assert git(tiny_repo, "diff", "--name-only", base, head) == "vfi/cake/kernels.py"
    drill.reset_to_base(tiny_repo, base)
    assert (tiny_repo / "vfi/cake/kernels.py").read_text() == TINY_KERNELS
    assert git(tiny_repo, "rev-parse", "HEAD") == base


def test_bad_arguments_exit_two():
    assert drill.main(["--runs", "0"]) == 2
    assert drill.main(["--slowdown", "1.0"]) == 2


def test_drill_leaves_nothing_in_the_temporary_folder(tiny_repo, tmp_path, monkeypatch):
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    monkeypatch.setattr(drill, "compare", fake_compare([]))
    assert drill.main(["--runs", "1", "--seed", "3", "--no-load",
                       "--out", str(tmp_path / "d.json")]) == 0
    assert list(private.iterdir()) == []


def fake_make(status: int, rc: int, records: list[dict], folder: Path):
    """``compare_command`` replaced by a shell that writes ``records`` and ``status`` as
    make compare would, and exits ``rc``."""
    source = folder / "records.json"
    source.write_text(json.dumps(records))

    def command(base, head, args, seed, out, status_file):
        script = f"echo {status} > '{status_file}'; cp '{source}' '{out}'; exit {rc}"
        return ["sh", "-c", script]
    return command


@pytest.mark.parametrize("status, rc, verdict, ratio, ok", [
    (3, 1, "inconclusive", 1.3, True),    # past the margin: compare 3, make 1
    (0, 0, "inconclusive", 1.05, True),   # within it
    (1, 1, "failed-on-head", None, True),
    (0, 0, "failed-on-head", None, False),  # a failure on the head must exit 1
    (3, 3, "inconclusive", 1.3, False),   # make cannot exit 3
    (0, 0, "inconclusive", 1.3, False),   # a silent pass
])
def test_drill_checks_both_exit_statuses_against_the_records(tmp_path, monkeypatch, status,
                                                             rc, verdict, ratio, ok):
    record = {**rec("fast", verdict, ratio), "threshold": 1.1}
    monkeypatch.setattr(drill, "compare_command", fake_make(status, rc, [record], tmp_path))
    def call():
        return drill.compare(tmp_path, "a", "b", None, 0, tmp_path / "run.json",
                             tmp_path / "run.log")
    if ok:
        assert call() == ([record], status)
    else:
        with pytest.raises(drill.DrillError, match="records say"):
            call()


# ---- the instruction mode: honest extra work ----------------------------------------

FAKE_KERNELS = '''"""Fake kernels that log their calls: (grid, beta, v, num_iter) like the
registry's, one writing into output arrays like the compiled fast path, and one without steps."""
import numpy as np

calls = []


def kernel(grid, beta, v, num_iter):
    """K fake steps: v + K * beta."""
    calls.append(("kernel", num_iter))
    return v + num_iter * beta


def into(grid, beta, num_iter, value, policy):
    """The fast path's shape: writes into value and policy, returns True."""
    calls.append(("into", num_iter))
    value[:] = grid * num_iter
    policy[:] = num_iter
    return True


def plain(x):
    calls.append(("plain", 1))
    return [x, x]
'''


@pytest.fixture
def heavier(tmp_path):
    """The fake kernels' module with every function doing ``factor`` times its work."""
    def load(factor):
        source = FAKE_KERNELS
        for function in ("kernel", "into", "plain"):
            source = drill.inject_extra_work(source, function, factor)
        path = tmp_path / f"fake_{str(factor).replace('.', '_')}.py"
        path.write_text(source)
        return load_module(path, path.stem)
    return load


@pytest.mark.parametrize("factor, calls", [(1.05, 105), (1.25, 125), (2.0, 200)])
def test_extra_work_makes_factor_times_the_calls_of_one_step(heavier, factor, calls):
    module = heavier(factor)
    for i in range(100):
        assert module.kernel(None, 0.5, float(i), 1) == i + 0.5  # the call's own result
    assert module.calls == [("kernel", 1)] * calls
    module.calls.clear()
    for i in range(100):
        assert module.plain(i) == [i, i]
    assert module.calls == [("plain", 1)] * calls
    assert module.kernel._drill_asked == [100] and module.plain._drill_asked == [100]


@pytest.mark.parametrize("factor, extra", [(1.05, 5), (1.25, 25)])
def test_extra_work_of_a_many_step_call_is_more_steps_on_that_call(heavier, factor, extra):
    """What an instruction count sees: each 100-step call runs ``extra`` more steps, so
    every call (not only some) does ``factor`` times the steps."""
    module = heavier(factor)
    assert module.kernel(None, 1.0, 0.0, 100) == 100.0
    assert module.kernel(None, 1.0, 0.0, num_iter=100) == 100.0  # by keyword too
    assert module.calls == [("kernel", extra), ("kernel", 100)] * 2
    assert sum(k for _, k in module.calls) == round(factor * 200)


def test_extra_work_leaves_the_real_result_in_output_arrays(heavier):
    np = pytest.importorskip("numpy")
    module = heavier(1.05)
    grid = np.linspace(0.1, 1.0, 7)
    value, policy = np.empty(7), np.empty(7, dtype=np.int64)
    assert module.into(grid, 0.95, 100, value, policy) is True
    assert module.calls == [("into", 5), ("into", 100)]  # the extra steps first
    assert np.array_equal(value, grid * 100) and (policy == 100).all()


def test_extra_work_changes_no_result_and_keeps_the_name(heavier):
    module = heavier(1.25)
    assert module.kernel.__name__ == "kernel" and "fake steps" in module.kernel.__doc__
    assert [module.kernel(None, 0.5, 1.0, k) for k in (0, 1, 3, 8)] == [1.0, 1.5, 2.5, 5.0]


def test_work_fraction_is_exact():
    assert drill.work_fraction(1.05) == (1, 20)
    assert drill.work_fraction(1.25) == (1, 4)
    assert drill.work_fraction(1.001) == (1, 1000)


def test_extra_work_of_real_entry_points_is_valid_python():
    targets = drill.registered_targets((REPO / drill.REGISTRY_FILE).read_text())
    for entries in targets.values():
        for target in entries:
            path, function = drill.entry_point(REPO, target)
            source = path.read_text()
            new = drill.inject_extra_work(source, function, 1.05)
            assert new.startswith(source.rstrip("\n"))
            rebinding = ast.parse(new).body[-1]
            assert isinstance(rebinding, ast.Assign), target
            assert ast.unparse(rebinding.targets[0]) == function
    loops = drill.entry_point(REPO, "vfi.cake.numba:iterate_loops")[0].read_text()
    assert drill.step_parameter(loops, "iterate_loops") == (3, "num_iter")
    fast = drill.entry_point(REPO, "vfi.cake.maxplus:iterate_default_if_valid")[0].read_text()
    assert drill.step_parameter(fast, "iterate_default_if_valid") == (2, "num_iter")
    assert drill.step_parameter(SLEEPER, "work") is None
    with pytest.raises(drill.DrillError, match="no top-level function"):
        drill.inject_extra_work(SLEEPER, "missing", 1.05)


HEAVIER_DEFAULT = """
import numpy as np
import vfi
from vfi.cake import maxplus

grid = np.linspace(0.1, 1.0, 100)
value = vfi.iterate(grid, 0.95, 100)        # the plain default call: the fast path
asked = list(maxplus.iterate_default_if_valid._drill_asked)
original = maxplus.iterate_default_if_valid.__wrapped__
v, p = np.empty(100), np.empty(100, dtype=np.int64)
assert original(grid, 0.95, 100, v, p)
print(asked[0], int(np.array_equal(value, v)), vfi.cake.default_variant())
"""


@pytest.mark.skipif("numba-maxplus" not in __import__("vfi").variants(),
                    reason="the default call's fast path is numba-maxplus's, with numba")
def test_extra_work_on_the_default_call_path_keeps_its_result(tmp_path):
    """The default case of the instruction mode: numba-maxplus's fast path doing x1.05
    its steps; the plain default call goes through the wrapper and returns the same
    value as the original."""
    shutil.copytree(REPO / "vfi", tmp_path / "vfi")
    _, fast_path = drill.default_path(
        drill.registered_targets((REPO / drill.REGISTRY_FILE).read_text()))
    assert fast_path == ("vfi.cake.maxplus:iterate_default_if_valid",)
    path, function = drill.entry_point(tmp_path, fast_path[0])
    path.write_text(drill.inject_extra_work(path.read_text(), function, 1.05))
    done = subprocess.run([sys.executable, "-c", HEAVIER_DEFAULT], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(tmp_path),
                               "VFI_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr[-2000:]
    asked, same, default = done.stdout.split()
    assert default == "numba-maxplus" and same == "1"
    assert int(asked) >= 100  # the 100 steps of the call at least went through it


# ---- the instruction mode: classification, spread, targets --------------------------

def counted(point: str, verdict: str, ratio: float = 1.0,
            benchmark: str = drill.COUNTED_NOTEBOOK) -> dict:
    return {"benchmark": benchmark, "params": repr(point), "ratio": ratio, "low": ratio,
            "high": ratio, "verdict": verdict, "threshold": 1.005, "instructions": ratio}


def headline(verdict: str, ratio: float = 1.0, point: str = drill.DEFAULT_POINT) -> dict:
    return counted(point, verdict, ratio, drill.HEADLINE)


QUIET = [counted("numba-loops", "same-instructions"),
         counted("numpy-masked", "same-instructions", 1.0004),
         counted("jax-vmap", "same-instructions", 0.996),
         counted("numba-maxplus", "same-instructions"), headline("same-instructions")]


def test_instruction_aa_false_alarm_on_more_or_fewer():
    ok = drill.classify_counts(drill.AA, QUIET, None, "numba-maxplus")
    assert ok["false_alarm"] is False and ok["flagged"] == []
    for verdict, ratio in (("more-instructions", 1.01), ("fewer-instructions", 0.99)):
        out = drill.classify_counts(drill.AA, QUIET + [counted("numba-concave", verdict,
                                                               ratio)], None)
        assert out["false_alarm"] is True, verdict
        assert out["flagged"] == [f"{drill.COUNTED_NOTEBOOK}('numba-concave')"]


def test_instruction_ab_detected_only_when_the_slowed_point_counts_more():
    hit = [counted("numba-loops", "more-instructions", 1.05)] + QUIET[1:]
    out = drill.classify_counts(drill.AB, hit, "numba-loops", "numba-maxplus")
    assert out["detected"] is True and out["flagged_not_slowed"] == []
    assert out["target"] == f"{drill.COUNTED_NOTEBOOK}('numba-loops')"
    for verdict in ("same-instructions", "fewer-instructions", "skipped", "regressed"):
        miss = [counted("numba-loops", verdict, 1.05)] + QUIET[1:]
        assert drill.classify_counts(drill.AB, miss, "numba-loops")["detected"] is False
    assert drill.classify_counts(drill.AB, QUIET[1:], "numba-loops")["detected"] is False


def test_instruction_ab_flags_elsewhere_are_flagged_not_slowed():
    records = [counted("numba-loops", "more-instructions", 1.05),
               counted("numpy-masked", "fewer-instructions", 0.99),
               counted("numba-maxplus", "same-instructions"),
               headline("more-instructions", 1.01)]
    out = drill.classify_counts(drill.AB, records, "numba-loops", "numba-maxplus")
    assert out["detected"] is True
    assert out["flagged_not_slowed"] == [
        f"{drill.COUNTED_NOTEBOOK}('numpy-masked')",
        f"{drill.HEADLINE}('{drill.DEFAULT_POINT}')"]  # numba-loops is not the default


def test_instruction_ab_default_path_and_its_variant_are_both_slowed():
    """Slowing the default call's path slows numba-maxplus's named calls too, and the
    reverse: neither counts as flagged but not slowed."""
    both = [counted("numba-loops", "same-instructions"),
            counted("numba-maxplus", "more-instructions", 1.04),
            headline("more-instructions", 1.05)]
    out = drill.classify_counts(drill.AB, both, drill.DEFAULT_CASE, "numba-maxplus")
    assert out["detected"] is True and out["flagged_not_slowed"] == []
    assert out["target"] == f"{drill.HEADLINE}('{drill.DEFAULT_POINT}')"
    out = drill.classify_counts(drill.AB, both, "numba-maxplus", "numba-maxplus")
    assert out["detected"] is True and out["flagged_not_slowed"] == []
    missed = [both[0], both[1], headline("same-instructions")]
    out = drill.classify_counts(drill.AB, missed, drill.DEFAULT_CASE, "numba-maxplus")
    assert out["detected"] is False
    other = [headline("more-instructions", 1.05), headline("more-instructions", 1.1,
                                                           "exact-fixed-point-1M")]
    out = drill.classify_counts(drill.AB, other, drill.DEFAULT_CASE, "numba-maxplus")
    assert out["flagged_not_slowed"] == [f"{drill.HEADLINE}('exact-fixed-point-1M')"]


def test_aa_spread_per_point_and_its_cpu_maximum():
    out = drill.classify_counts(drill.AA, QUIET, None)
    assert out["spread"][f"{drill.COUNTED_NOTEBOOK}('numpy-masked')"] == pytest.approx(4e-4)
    assert out["spread"][f"{drill.COUNTED_NOTEBOOK}('jax-vmap')"] == pytest.approx(4e-3)
    assert drill.deterministic_spread(out["spread"]) == pytest.approx(4e-4)  # JAX left out
    line = drill.spread_line(out["spread"])
    assert "CPU points max 0.0400%" in line and "jax-vmap 0.4000%" in line
    assert drill.deterministic_spread({}) is None


def instruction_run(kind, false_alarm=None, detected=None, fns=(), spread=None):
    return {"kind": kind, "false_alarm": false_alarm, "detected": detected,
            "flagged_not_slowed": list(fns), "spread": spread or {}}


def test_instruction_summary_and_targets():
    runs = ([instruction_run(drill.AA, False, spread={"x('numba-loops')": 2e-4,
                                                     "x('jax-vmap')": 0.01})] * 20
            + [instruction_run(drill.AB, detected=True)] * 20)
    s = drill.summarize(runs, drill.INSTRUCTIONS)
    assert s == {**summary(20, 0, 20, 20), "metric": "instructions",
                 "aa_spread": pytest.approx(2e-4)}
    assert drill.exit_status(s) == 0
    assert "0.0200%" in drill.summary_table(s) and "targets met" in drill.summary_table(s)
    assert drill.exit_status({**s, "false_alarms": 1}) == 1  # none allowed
    assert drill.exit_status({**s, "detections": 19}) == 1   # all needed
    assert drill.exit_status({**s, "flagged_not_slowed": 1}) == 1
    assert drill.exit_status({**s, "aa_spread": 0.0011}) == 1
    assert drill.exit_status({**s, "aa_spread": None}) == 0
    assert drill.summarize(runs) == summary(20, 0, 20, 20)  # the time mode's keys only


@pytest.mark.parametrize("status, rc, verdict, ratio, ok", [
    (1, 1, "more-instructions", 1.05, True),
    (0, 0, "more-instructions", 1.05, False),  # more instructions must exit 1
    (0, 0, "fewer-instructions", 0.95, True),
    (1, 1, "fewer-instructions", 0.95, False),
    (0, 0, "same-instructions", 1.0, True),
])
def test_drill_checks_exit_statuses_of_instruction_records(tmp_path, monkeypatch, status,
                                                           rc, verdict, ratio, ok):
    record = counted("numba-loops", verdict, ratio)
    monkeypatch.setattr(drill, "compare_command", fake_make(status, rc, [record], tmp_path))
    def call():
        return drill.compare(tmp_path, "a", "b", None, 0, tmp_path / "run.json",
                             tmp_path / "run.log")
    if ok:
        assert call() == ([record], status)
    else:
        with pytest.raises(drill.DrillError, match="records say"):
            call()


# ---- the instruction mode over a tiny repository, and its plumbing -------------------

TINY_COUNTED_REGISTRY = '''from vfi import registry
registry.register("cake", "fast", "vfi.cake.kernels:fast", fast_path="vfi.cake.kernels:path")
registry.register("cake", "slow", "vfi.cake.kernels:slow")
registry.register("cake", "jax-slow", "vfi.cake.kernels:slow")
'''
TINY_COUNTED_KERNELS = TINY_KERNELS + '''

def path(grid, beta, num_iter, value, policy):
    """the default call's path"""
    return True
'''


@pytest.fixture
def tiny_counted_repo(tiny_repo):
    (tiny_repo / drill.REGISTRY_FILE).write_text(TINY_COUNTED_REGISTRY)
    (tiny_repo / "vfi" / "cake" / "kernels.py").write_text(TINY_COUNTED_KERNELS)
    git(tiny_repo, "commit", "-q", "-am", "a fast path, a JAX variant")
    return tiny_repo


def fake_counting_compare(seen):
    """A comparison that counts more instructions exactly where the head adds work."""
    def compare(clone, base, head, args, seed, out, log):
        diff = git(clone, "diff", base, head)
        seen.append((args.bench, diff))
        more = {f: f"{f} = _drill_more_work({f}" in diff for f in ("fast", "slow", "path")}
        assert "_drill_slowed" not in diff  # no busy wait in this mode
        records = [counted(v, "more-instructions" if more[v] or (v == "fast" and
                                                                 more["path"])
                           else "same-instructions", 1.05 if more[v] else 1.0)
                   for v in ("fast", "slow")]
        records.append(counted("jax-slow", "same-instructions", 1.0002))
        records.append(headline("more-instructions" if more["path"] or more["fast"]
                                else "same-instructions", 1.05 if more["path"] else 1.0))
        out.write_text(json.dumps(records))
        return records, drill.expected_status(records)
    return compare


def test_instruction_drill_on_a_tiny_repo(tiny_counted_repo, tmp_path, monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(drill, "compare", fake_counting_compare(seen))
    monkeypatch.setattr(drill, "DEFAULT_CASE_SHARE", 0.5)
    out = tmp_path / "drill.json"
    code = drill.main(["--metric", "instructions", "--slowdown", "1.05", "--runs", "8",
                       "--seed", "11", "--no-load", "--out", str(out)])
    data = json.loads(out.read_text())
    assert code == 0, data["summary"]
    assert data["summary"] == {**summary(8, 0, 8, 8), "metric": "instructions",
                               "aa_spread": 0.0}  # the JAX point's 0.02% left out
    assert data["settings"]["metric"] == "instructions"
    assert data["settings"]["bench"] == drill.DEFAULT_INSTRUCTION_BENCH
    assert {bench for bench, _ in seen} == {drill.DEFAULT_INSTRUCTION_BENCH}
    slowed = {r["slowed"] for r in data["runs"] if r["kind"] == drill.AB}
    assert slowed <= {"fast", "slow", drill.DEFAULT_CASE} and "jax-slow" not in slowed
    assert drill.DEFAULT_CASE in slowed  # seed 11 picks the default call's path
    for run in data["runs"]:
        if run["kind"] == drill.AB and run["slowed"] == drill.DEFAULT_CASE:
            assert run["touched"] == "vfi.cake.kernels:path"
    printed = capsys.readouterr().out
    assert printed.count("-> detected") == 8 and printed.count("-> ok") == 8
    assert printed.count("instruction spread |ratio - 1|: CPU points max 0.0000%") == 8
    assert "A/A instruction spread, CPU points" in printed and "targets met" in printed


def test_instruction_drill_refuses_a_bench_without_cpu_counted_cases(tiny_counted_repo,
                                                                     tmp_path):
    only_jax = r"^bench_instructions\.NotebookInstructions\.track_instructions\('jax"
    assert drill.main(["--metric", "instructions", "--runs", "1", "--bench", only_jax,
                       "--no-load", "--out", str(tmp_path / "d.json")]) == 2


def test_instruction_bench_default_selects_notebook_and_default_point():
    import re
    regex = re.compile(drill.DEFAULT_INSTRUCTION_BENCH)
    assert regex.search(drill.notebook_label("numba-loops", drill.COUNTED_NOTEBOOK))
    assert drill.selects_default_point(drill.DEFAULT_INSTRUCTION_BENCH)
    assert not regex.search(f"{drill.HEADLINE}('exact-fixed-point-1M')")
    assert not regex.search(drill.notebook_label("numba-loops"))  # no timing
    assert not drill.selects_default_point(r"^bench_instructions\.NotebookInstructions")


def test_make_regression_drill_passes_metric_slowdown_and_runs():
    # PY=echo prints the drill's arguments as the shell passed them.
    done = subprocess.run(["make", "-s", "regression-drill", "PY=echo", "STAMP=",
                           "METRIC=instructions", "SLOWDOWN=1.05", "RUNS=20"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    argv = done.stdout.split()
    assert argv[:3] == ["-m", "vfi_bench", "drill"]
    args = drill.parser().parse_args(argv[3:])
    assert (args.metric, args.slowdown, args.runs) == ("instructions", 1.05, 20)
    plain = subprocess.run(["make", "-s", "regression-drill", "PY=echo", "STAMP="],
                           cwd=REPO, capture_output=True, text=True)
    args = drill.parser().parse_args(plain.stdout.split()[3:])
    assert (args.metric, args.slowdown, args.runs, args.bench) == ("time", 1.25, 20, None)


def test_the_aa_table_marks_a_point_whose_aa_ratios_do_not_centre_on_1():
    """A set-up bias (one side always 6 % slower on identical code) shows as a point
    whose median A/A ratio lies outside its median interval; noise around 1 does not."""
    def rec(params, ratio, low, high):
        return {"benchmark": "bench_cake.NotebookCase.time_iterate", "params": params,
                "ratio": ratio, "low": low, "high": high, "verdict": "same"}
    runs = [{"kind": drill.AA, "records": [rec("'fair'", 1.0 + d, 0.97 + d, 1.03 + d),
                                            rec("'biased'", 1.065, 1.03 + d, 1.06)]}
            for d in (-0.01, 0.0, 0.01)]
    runs.append({"kind": drill.AB, "records": [rec("'fair'", 1.5, 1.4, 1.6)]})
    found = drill.aa_ratios(runs)
    assert found["'fair'"] == {"ratio": 1.0, "low": 0.97, "high": 1.03, "held": 3,
                               "runs": 3, "centred": True}
    assert found["'biased'"]["centred"] is False and found["'biased'"]["held"] == 0
    table = drill.aa_ratio_table(found)
    assert [line.endswith("NOT centred") for line in table.splitlines()[1:]] == [False, True]
    assert drill.aa_ratio_table({}) == "A/A ratios: no timed point"


def test_show_prints_a_records_files_summary_and_exits_with_its_status(tmp_path, capsys):
    def rec(ratio):
        return {"benchmark": "bench_cake.NotebookCase.time_iterate", "params": "'a'",
                "ratio": ratio, "low": ratio - 0.03, "high": ratio + 0.03, "verdict": "same"}
    runs = [{"kind": drill.AA, "false_alarm": False, "records": [rec(1.0)]},
            {"kind": drill.AB, "detected": False, "flagged_not_slowed": [],
             "records": [rec(1.0)]}]
    path = tmp_path / "drill.json"
    path.write_text(json.dumps({"settings": {"metric": "time"}, "runs": runs, "error": None}))
    assert drill.main(["--show", str(path)]) == 1  # the one A/B run was missed
    out = capsys.readouterr().out
    assert "A/A ratios of identical code" in out and "detections / A/B runs" in out
    assert "targets NOT met" in out
    (tmp_path / "bad.json").write_text("[]")
    assert drill.main(["--show", str(tmp_path / "bad.json")]) == 2
    assert "not a drill's records file" in capsys.readouterr().err
