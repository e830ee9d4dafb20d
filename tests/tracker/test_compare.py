"""vfi_bench.asvkit.compare: records, exit status, re-measurement, more process pairs for
undecided points, pair order, thresholds and make compare's exit status (the workflow:
tests/tracker/test_workflow.py). Fast: no asv process is run, the samplers are fakes that
return chosen times (tests/tracker/test_asv_project.py runs the real thing).
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vfi_bench.asvkit import compare
from vfi_bench.asvkit import stats as st

REPO = Path(__file__).resolve().parents[2]

CASE = compare.Case("bench_x.Suite.time_f", 1, ("'numba-concave'",))
PLAIN = compare.Case("bench_x.Suite.time_g", None)
OTHER = compare.Case("bench_x.Suite.time_h", None)


class FakeSampler:
    """``sampler(side, case, count)``: A about 1 s, B ``ratio(case, look)`` times as long,
    where ``look`` counts the calls of :meth:`measure` so far; 1 % noise per sample."""

    def __init__(self, ratio, noise=0.01, seed=1, fail=(), fail_base=()):
        self.ratio, self.noise = ratio, noise
        self.fail, self.fail_base = set(fail), set(fail_base)
        self.rng = random.Random(seed)
        self.calls: list[tuple[str, compare.Case, int]] = []
        self.looks = 0

    def sampler(self, side, case, count):
        self.calls.append((side, case, count))
        if case in self.fail and side == "B":
            raise compare.MeasureError("RuntimeError: boom")
        if case in self.fail_base and side == "A":
            raise compare.MeasureError("RuntimeError: old bug")
        scale = 1.0 if side == "A" else self.ratio(case, self.looks)
        return [scale * (1 + self.noise * self.rng.uniform(-1, 1)) for _ in range(count)]

    def measure(self, cases, processes, pairs, rng):
        """The :data:`compare.Measure` of fake process pairs."""
        self.looks += 1
        x, failed = {}, {}
        for _ in range(processes):
            compare.sample_pairs(list(cases), self.sampler, -(-pairs // processes), rng, x,
                                 failed)
        return x, failed


def steady(value):
    return lambda case, look: value


def run(cases, fake, **plan):
    return compare.decide_cases(cases, fake.measure, compare.Plan(**plan), seed=0)


# ---- records and exit status ---------------------------------------------------------

def test_records_have_exactly_the_record_keys(tmp_path):
    outcomes = run([CASE, PLAIN], FakeSampler(steady(1.0), fail={PLAIN}))
    for outcome in outcomes:
        outcome.env = "env-1"
    path = tmp_path / "cmp.json"
    compare.write_records(path, outcomes, {"env-1": {"numpy": "2.0.0"}})
    records = json.loads(path.read_text())
    assert [list(r) for r in records] == [list(compare.RECORD_KEYS)] * 2
    assert records[0]["benchmark"] == CASE.name and records[0]["params"] == "'numba-concave'"
    assert records[0]["verdict"] == "same" and 1.0 < records[0]["mde"] < 1.25
    assert records[0]["error"] is None and records[0]["packages"] == {"numpy": "2.0.0"}
    assert records[1]["ratio"] is None and records[1]["verdict"] == "failed-on-head"
    assert records[1]["error"] == "failed on head: RuntimeError: boom"
    assert records[1]["env"] == "env-1"
    assert "bench_x.Suite.time_g" in compare.format_table(records)


@pytest.mark.parametrize("ratio, verdict, code", [
    (1.5, "regressed", 1),
    (0.6, "improved", 0),
    (1.0, "same", 0),
])
def test_exit_status_is_1_for_a_confirmed_regression(ratio, verdict, code):
    ratios = {CASE: ratio, PLAIN: 1.0}
    outcomes = run([CASE, PLAIN], FakeSampler(lambda case, look: ratios[case]))
    assert [o.verdict for o in outcomes] == [verdict, "same"]
    assert compare.exit_code(outcomes) == code


def test_a_point_failing_on_the_head_only_is_a_regression_and_the_others_are_decided():
    fake = FakeSampler(steady(1.0), fail={PLAIN})
    outcomes = run([CASE, PLAIN, OTHER], fake)
    assert [o.verdict for o in outcomes] == ["same", "failed-on-head", "same"]
    assert "boom" in outcomes[1].note and set(outcomes[1].failure) == {"B"}
    assert compare.exit_code(outcomes) == 1
    # Failed once, it is not asked again in the later process pairs.
    assert sum(1 for side, case, _ in fake.calls if case is PLAIN and side == "B") == 1


def test_failing_on_both_sides_is_reported_and_leaves_the_status_alone():
    fake = FakeSampler(steady(1.0), fail={PLAIN}, fail_base={PLAIN})
    outcomes = run([CASE, PLAIN], fake)
    assert [o.verdict for o in outcomes] == ["same", "failed-on-both"]
    assert outcomes[1].note == ("failed on head: RuntimeError: boom; "
                                "failed on base: RuntimeError: old bug")
    assert compare.exit_code(outcomes) == 0


def test_failing_on_the_base_only_is_fixed():
    outcomes = run([CASE, PLAIN], FakeSampler(steady(1.0), fail_base={PLAIN}))
    assert [o.verdict for o in outcomes] == ["same", "fixed"]
    assert compare.exit_code(outcomes) == 0


def test_a_skip_is_reported_and_leaves_the_status_alone():
    def sampler(side, case, count):
        if side == "B":
            raise compare.MeasureError("no GPU", kind="skipped")
        return [1.0] * count
    failed = {}
    compare.sample_pairs([PLAIN], sampler, 6, random.Random(0), {}, failed)
    [outcome] = compare.judge([PLAIN], {}, failed, compare.Plan())
    assert outcome.verdict == "skipped" and compare.exit_code([outcome]) == 0


def test_a_regression_beside_a_point_failing_on_the_head_exits_1():
    fake = FakeSampler(lambda case, look: 1.5 if case is CASE else 1.0, fail={PLAIN})
    outcomes = run([CASE, PLAIN, OTHER], fake)
    assert [o.verdict for o in outcomes] == ["regressed", "failed-on-head", "same"]
    assert compare.exit_code(outcomes) == 1


def test_nothing_measured_on_either_side_exits_2():
    broken = run([PLAIN], FakeSampler(steady(1.0), fail={PLAIN}, fail_base={PLAIN}))
    assert compare.exit_code(broken) == 2 and compare.exit_code([]) == 2


def outcome(verdict, ratio=1.0, threshold=1.1):
    decision = st.Decision(ratio, ratio / 2, ratio * 2, 0.5, verdict, 1.5)
    return compare.Outcome(CASE, decision, verdict, threshold)


def test_inconclusive_past_the_margin_exits_3_and_within_it_0():
    assert compare.exit_code([outcome("same"), outcome("inconclusive", 1.3)]) == 3
    assert compare.exit_code([outcome("same"), outcome("inconclusive", 1.05)]) == 0
    # past a calibrated threshold, not only the default one
    assert compare.exit_code([outcome("inconclusive", 1.2, threshold=1.25)]) == 0


def test_exit_status_precedence_is_2_then_1_then_3_then_0():
    past = outcome("inconclusive", 1.3)
    assert compare.exit_code([past, outcome("regressed", 1.5)]) == 1
    head_only = compare.Outcome(PLAIN, outcome("same").decision, "failed-on-head", 1.1,
                                failure={"B": compare.MeasureError("x")})
    assert compare.exit_code([past, head_only]) == 1
    both = compare.Outcome(PLAIN, outcome("same").decision, "failed-on-both", 1.1,
                           failure={"A": compare.MeasureError("x"),
                                    "B": compare.MeasureError("y")})
    assert compare.exit_code([both]) == 2 and compare.exit_code([both, past]) == 3


def test_unknown_revision_exits_2_with_a_message(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert compare.main(["compare", "--base", "no-such-rev", "--head", "HEAD"]) == 2
    assert "unknown revision 'no-such-rev'" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--margin", "1.0"], ["--floor", "0.9"],
                                    ["--alpha", "1.5"]])
def test_a_bad_rule_option_exits_2_with_a_message(option, capsys):
    assert compare.main(["compare", "--base", "a", "--head", "b", *option]) == 2
    assert "need --margin > 1" in capsys.readouterr().err


def test_no_configuration_exits_2(tmp_path, capsys):
    assert compare.main(["compare", "--base", "a", "--head", "b", "--config",
                         str(tmp_path / "asv.conf.json")]) == 2
    assert "no asv configuration" in capsys.readouterr().err


def test_an_unexpected_error_exits_2_never_1(monkeypatch, capsys):
    def boom(args):
        raise KeyError("surprise")
    monkeypatch.setattr(compare, "cmd_show", boom)
    assert compare.main(["show", "x.json"]) == 2
    assert "could not run" in capsys.readouterr().err


# ---- re-measurement and the mde target -----------------------------------------------

def test_a_flagged_benchmark_is_measured_again_and_confirmed():
    fake = FakeSampler(steady(1.5))
    [outcome] = run([CASE], fake)
    assert fake.looks == 2
    assert outcome.first.verdict == "regressed" and outcome.verdict == "regressed"
    assert "re-measured" in outcome.note


def test_flagged_once_then_same_ends_same():
    fake = FakeSampler(lambda case, look: 1.5 if look == 1 else 1.0)
    [outcome] = run([CASE], fake)
    assert (outcome.first.verdict, outcome.decision.verdict, outcome.verdict) == \
        ("regressed", "same", "same")
    assert outcome.decision.ratio == pytest.approx(1.0, abs=0.02)  # the second run's


def test_flagged_then_opposite_ends_inconclusive():
    [outcome] = run([CASE], FakeSampler(lambda case, look: 1.5 if look == 1 else 0.6))
    assert outcome.verdict == "inconclusive"


def test_same_is_measured_once():
    fake = FakeSampler(steady(1.0))
    [outcome] = run([CASE], fake)
    assert fake.looks == 1 and outcome.first is None


def test_noisy_cases_get_more_process_pairs_until_their_mde_reaches_the_target():
    fake = FakeSampler(steady(1.0), noise=0.6, seed=4)
    [outcome] = run([CASE], fake, extra=3, target_mde=1.2)
    assert fake.looks == 4  # three more process pairs: the noise never lets it decide
    assert outcome.verdict == "inconclusive" and outcome.decision.mde > 1.2
    assert outcome.looks == 4 and outcome.record()["looks"] == 4
    quiet = FakeSampler(steady(1.0), noise=0.01)
    run([CASE], quiet, extra=3, target_mde=1.2)
    assert quiet.looks == 1


# ---- pairs ---------------------------------------------------------------------------

def test_pairs_alternate_a_and_b_in_random_order_after_a_probe():
    fake = FakeSampler(steady(1.0))
    compare.sample_pairs([CASE], fake.sampler, 40, random.Random(3), {}, {})
    sides = [side for side, _, _ in fake.calls]
    assert sides[:2] == ["A", "B"]  # the probe (warm-up, batch size) of each side
    pairs = [tuple(sides[i:i + 2]) for i in range(2, len(sides), 2)]
    assert len(pairs) == 40 and set(pairs) == {("A", "B"), ("B", "A")}


def test_a_sides_time_in_a_pair_is_the_median_of_its_batch():
    batches = {"A": [0.001, 0.005, 0.002], "B": [0.003, 0.009, 0.004]}
    x = {}
    compare.sample_pairs([CASE], lambda side, case, count: batches[side], 2,
                         random.Random(0), x, {})
    assert x[CASE] == [[pytest.approx(math.log(2.0))] * 2]


def test_batch_size_fills_about_10_ms():
    assert compare.batch_size([5e-6, 6e-6, 5e-6]) == compare.MAX_BATCH
    assert compare.batch_size([1e-3]) == 10
    assert compare.batch_size([0.5]) == 1


# ---- floors --------------------------------------------------------------------------

def test_floors_are_per_machine_and_default_to_1_03(tmp_path):
    compare.save_floors("m1", {CASE.label: 1.05}, {"commit": "abc"}, tmp_path)
    compare.save_floors("m1", {PLAIN.label: 1.02}, {"commit": "abc"}, tmp_path)  # merged
    assert compare.load_floors("m1", tmp_path) == {CASE.label: 1.05, PLAIN.label: 1.02}
    assert compare.load_floors("m2", tmp_path) == {}
    plan = compare.Plan(floors={CASE.label: 1.05})
    assert plan.floor_of(CASE) == 1.05 and plan.floor_of(PLAIN) == st.DEFAULT_FLOOR == 1.03
    assert CASE.label == "bench_x.Suite.time_f('numba-concave')"
    assert PLAIN.label == "bench_x.Suite.time_g"


def test_an_old_thresholds_file_is_ignored_with_a_message(tmp_path, capsys):
    path = compare.thresholds_path("m1", tmp_path)
    path.write_text(json.dumps({"machine": "m1", "thresholds": {CASE.label: 1.3}}))
    assert compare.load_floors("m1", tmp_path) == {}
    assert "not floors: ignored" in capsys.readouterr().out
    compare.save_floors("m1", {CASE.label: 1.04}, {}, tmp_path)  # replaces it
    assert "thresholds" not in json.loads(path.read_text())
    assert compare.load_floors("m1", tmp_path) == {CASE.label: 1.04}


def test_the_calibrated_floor_is_the_one_used_and_the_margin_is_apart():
    # B steadily 6 % slower, 1 % noise: past the default floor 1.03, within a calibrated
    # 1.08 and then within the margin 1.10 (same); the record says both.
    found = {}
    for floors in ({}, {CASE.label: 1.08}):
        [outcome] = run([CASE], FakeSampler(steady(1.06)), floors=floors)
        found[outcome.floor] = outcome.verdict
        assert outcome.record()["threshold"] == st.DEFAULT_MARGIN == outcome.threshold
    assert found == {1.03: "regressed", 1.08: "same"}


def test_calibrate_floors_come_from_the_aa_unit_values():
    runs = {CASE: [st.unit_values([[0.001, 0.0], [-0.001, 0.002]])] * 3,
            PLAIN: [st.unit_values([[0.05, 0.05], [0.06, 0.04], [0.05, 0.055]])] * 2,
            OTHER: [st.unit_values([[0.0]])]}
    found = compare.floors_of(runs, failed={})
    assert found[CASE.label] == pytest.approx(st.MIN_FLOOR)
    assert found[PLAIN.label] > 1.05  # a biased machine's floor goes up
    assert OTHER.label not in found  # one unit: no floor
    assert compare.floors_of(runs, failed={CASE: {"B": None}}).keys() == {PLAIN.label}


# ---- asv results ---------------------------------------------------------------------

def test_samples_are_saved_in_asv_results(tmp_path):
    from asv.results import Results

    bench = {"name": CASE.name, "params": [["'a'", "'numba-concave'"]], "version": "v1"}
    res = compare.benchmark_result(bench, {1: [1.0, 1.2, 1.1, 0.9]}, {1: 1})
    results = Results({"machine": "m1", "python": "3.11"}, {}, "0123456789abcdef", 0,
                      "3.11", "env", {})
    results.add_result(bench, res, selected_idx={1}, record_samples=True)
    results.save(str(tmp_path))
    loaded = Results.load(str(tmp_path / "m1" / "01234567-env.json"))
    assert loaded.get_result_samples(CASE.name, bench["params"]) == [None,
                                                                    [1.0, 1.2, 1.1, 0.9]]
    assert loaded.get_result_value(CASE.name, bench["params"])[1] == pytest.approx(1.05)


# ---- Makefile -----------------------------------------------------------------------

def test_make_compare_passes_base_head_out_and_bench():
    # PY=echo prints the arguments as the shell passed them: a regex's quotes survive.
    regex = "^bench_cake\\.NotebookCase\\.time_iterate\\('numba-concave'\\)"
    done = subprocess.run(["make", "-s", "compare", "PY=echo", "STAMP=", "BASE=abc",
                           "HEAD=def", "OUT=c.json", f"BENCH={regex}"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["-m", "vfi_bench", "compare", "--base", "abc", "--head",
                                   "def", "--out", "c.json", "--bench", regex]


@pytest.mark.parametrize("goal, variable", [("compare", "COMPARE"),
                                            ("calibrate", "CALIBRATE"),
                                            ("regression-drill", "DRILL")])
@pytest.mark.parametrize("status, expected", [(0, 0), (1, 1), (2, 2), (3, 1), (4, 2)])
def test_make_passes_the_status_through_1_included(goal, variable, status, expected,
                                                   tmp_path):
    """make exits 2 for any failing recipe; these goals must still exit 1 for 1, 1 for
    3 (make has no status 3), and write the command's own status to STATUS_FILE."""
    status_file = tmp_path / "status"
    done = subprocess.run(["make", goal, "STAMP=", f"{variable}=exit {status}",
                           f"STATUS_FILE={status_file}"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == expected, done.stderr
    assert status_file.read_text().strip() == str(status)
    assert ("exit status 3" in done.stderr) == (status == 3)


def test_make_without_status_file_writes_none(tmp_path):
    done = subprocess.run(["make", "-C", str(REPO), "compare", "STAMP=", "COMPARE=exit 3"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1 and list(tmp_path.iterdir()) == []


def test_status_goals_refuse_company():
    done = subprocess.run(["make", "compare", "publish", "STAMP="], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "run them alone" in done.stderr


# ---- the worker and what it relies on ------------------------------------------------

def load_worker():
    spec = importlib.util.spec_from_file_location("asvkit_worker_under_test", compare.WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_worker_refuses_an_asv_runner_lacking_what_it_uses(tmp_path, monkeypatch):
    suite = tmp_path / "worker_suite"
    suite.mkdir()
    (suite / "bench_w.py").write_text("def time_x():\n    sum(range(100))\n")
    worker = load_worker()
    answer = worker.Worker(str(suite)).sample("bench_w.time_x", None, 2)
    assert len(answer["samples"]) == 2 and answer["number"] == 1
    monkeypatch.setattr(worker, "RELIED_ON", (*worker.RELIED_ON, "no_such_hook"))
    with pytest.raises(RuntimeError, match="lack no_such_hook.*asv_runner 0.3.2"):
        worker.Worker(str(suite)).sample("bench_w.time_x", None, 2)


def test_the_matrix_pins_the_asv_runner_the_worker_is_written_for():
    from vfi_bench.asvkit import config

    conf = config.load(REPO / "asv.conf.json")
    assert conf.matrix["req"]["asv_runner"] == [load_worker().WRITTEN_FOR]


# ---- no cascade: a crashed process is replaced -----------------------------------------

class FakeWorker:
    """A benchmark process that crashes on ``crash_on``, and then answers nothing."""

    def __init__(self, started: list, crash_on: str):
        self.crash_on, self.dead, self.killed, self.closed = crash_on, False, False, False
        started.append(self)

    def request(self, case, count):
        self.dead = self.dead or case.name == self.crash_on
        if self.dead:
            raise compare.MeasureError("benchmark process ended (exit status -6): ")
        return {"samples": [1.0] * count, "number": 1}

    def kill(self):
        self.killed = True

    def close(self):
        self.closed = True


class FakeSide(compare.Side):
    def __init__(self, started, crash_on):
        super().__init__("c0ffee", env=None)
        self.started, self.crash_on = started, crash_on

    def start(self, benchmark_dir, cwd, cpu=None):
        return FakeWorker(self.started, self.crash_on)


def test_a_crash_replaces_that_sides_process_and_the_later_points_are_measured(tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(compare.tempfile, "tempdir", str(tmp_path))
    started = {"A": [], "B": []}
    sides = {"A": FakeSide(started["A"], crash_on=""),
             "B": FakeSide(started["B"], crash_on=PLAIN.name)}
    x, failed = {}, {}
    with compare.ProcessPairs(sides, "bench") as pp:
        compare.sample_pairs([PLAIN, CASE, OTHER], pp.sampler, 6, random.Random(0), x,
                             failed)
    assert set(failed) == {PLAIN} and set(failed[PLAIN]) == {"B"}
    assert set(x) == {CASE, OTHER}  # measured after the crash, by the new process
    assert len(started["B"]) == 2 and started["B"][0].killed and len(started["A"]) == 1
    assert all(w.closed for w in started["A"] + started["B"])
    assert list(tmp_path.iterdir()) == []  # its folder removed


def test_show_prints_one_table_per_environment_with_the_errors(tmp_path, capsys):
    outcomes = run([CASE, PLAIN], FakeSampler(steady(1.0), fail={PLAIN}))
    outcomes[0].env, outcomes[1].env = "env-a", "env-b"
    path = tmp_path / "cmp.json"
    compare.write_records(path, outcomes)
    assert compare.main(["show", str(path)]) == 0
    printed = capsys.readouterr().out
    assert printed.index("Environment env-a:") < printed.index(CASE.name)
    assert printed.index("Environment env-b:") < printed.index(PLAIN.name)
    assert "failed on head: RuntimeError: boom" in printed


# ---- latest.json: every compare that produced records ---------------------------------

def test_every_compare_writes_latest_json_that_latest_compare_reads(tmp_path, monkeypatch,
                                                                    capsys):
    """cmd_compare with the asv parts replaced by fakes: no --out, and still
    ``<compare folder>/latest.json`` with the commits, machine, status and records."""
    import types

    import asv.repo

    from vfi_bench.asvkit import config as cfg
    from vfi_bench.asvkit import latest_compare

    conf = types.SimpleNamespace(env_dir=str(tmp_path / ".asv" / "env"),
                                 config_path=str(tmp_path / "asv.conf.json"))
    monkeypatch.setattr(cfg, "load", lambda path: conf)
    monkeypatch.setattr(cfg, "choose_environments", lambda conf, env: ["env-1"])
    monkeypatch.setattr(asv.repo, "get_repo", lambda conf: None)
    monkeypatch.setattr(compare, "resolve", lambda repo, rev: rev * 8)
    monkeypatch.setattr(compare, "machine_info", lambda path, name: {"machine": "m1"})
    slower = {CASE: 1.5, PLAIN: 1.0}

    def environment(conf, repo, commits, name, args, machine, floors, seed):
        outcomes = run([CASE, PLAIN], FakeSampler(lambda case, look: slower[case]))
        for o in outcomes:
            o.env = name
        return outcomes, [], {"numpy": "2.0.0"}, tmp_path / "view.json"
    monkeypatch.setattr(compare, "compare_environment", environment)
    args = compare.parser().parse_args(["compare", "--base", "a", "--head", "b"])
    assert args.out is None
    assert compare.cmd_compare(args) == 1
    path = tmp_path / ".asv" / "compare" / "latest.json"
    data = json.loads(path.read_text())
    assert (data["base"], data["head"], data["machine"]) == ("aaaaaaaa", "bbbbbbbb", "m1")
    assert data["envs"] == ["env-1"] and data["exit_status"] == 1
    assert data["counts"] == {"regressed": 1, "same": 1}
    assert [r["verdict"] for r in data["records"]] == ["regressed", "same"]
    assert data["records"][0]["packages"] == {"numpy": "2.0.0"}
    found = latest_compare.latest(tmp_path / ".asv" / "compare")
    assert found.path == path and (found.base, found.head) == ("aaaaaaaa", "bbbbbbbb")
    assert found.machine == "m1" and found.regressed()
    assert found.verdict() == "regression confirmed: 1 regressed, 1 same"
    assert [p.name for p in path.parent.iterdir()] == ["latest.json"]  # no partial left
    assert f"Latest compare: {path}" in capsys.readouterr().out


# ---- instruction counts beside the timings ------------------------------------------

COUNTED = compare.Case("bench_x.Instructions.track_instructions", 1, ("'numba-concave'",),
                       {"unit": "instructions"})
JAXISH = compare.Case("bench_x.Instructions.track_instructions", 2, ("'jax-vmap'",),
                      {"unit": "instructions"})


def fake_counter(counts, fail=(), spreads=None):
    def counter(side, case):
        if (side, case) in fail:
            raise compare.MeasureError("RuntimeError: valgrind died")
        return compare.Count(counts[case][side], (spreads or {}).get((side, case), 0.0))
    return counter


def test_only_track_benchmarks_of_instructions_are_counted():
    assert COUNTED.counted and not COUNTED.timed
    assert not compare.Case("b.track_other", None, (), {"unit": "unit"}).counted
    assert not CASE.counted


def test_more_instructions_past_the_limit_exits_1_and_the_spread_widens_it():
    counts = {COUNTED: {"A": 1e9, "B": 1.01e9}, JAXISH: {"A": 2e9, "B": 2.06e9}}
    found, failed = compare.count_pairs([COUNTED, JAXISH], fake_counter(counts))
    assert failed == {}
    # uncalibrated: 0.5 % for both; the JAX point calibrated from its A/A spread (3 %)
    limits = {JAXISH.label: st.instruction_limit([1.03, 0.99])}
    outcomes = compare.judge_counts([COUNTED, JAXISH], found, failed, limits)
    assert [o.verdict for o in outcomes] == ["more-instructions", "same-instructions"]
    assert outcomes[0].instructions == pytest.approx(1.01)
    assert outcomes[0].threshold == st.MIN_INSTRUCTION_LIMIT == 1.005
    assert compare.exit_code(outcomes) == 1 and compare.exit_code(outcomes[1:]) == 0
    fewer = compare.judge_counts([COUNTED], {COUNTED: {"A": 1e9, "B": 0.98e9}}, {}, {})
    assert fewer[0].verdict == "fewer-instructions" and compare.exit_code(fewer) == 0
    same = compare.judge_counts([COUNTED], {COUNTED: {"A": 1e9, "B": 1.004e9}}, {}, {})
    assert same[0].verdict == "same-instructions"
    record = outcomes[0].record()
    assert record["instructions"] == pytest.approx(1.01) and list(record) == [
        k for k in compare.RECORD_KEYS if k != "packages"]


def test_a_counts_own_spread_widens_its_limit_on_either_side():
    """A JAX count 4 % up whose head regions varied by 3 %: within exp(2 x 0.03), the
    same; with no spread, or a spread too narrow, more instructions."""
    counts = {JAXISH: {"A": 2e9, "B": 2.08e9}}
    for spreads, verdict in [({("B", JAXISH): 0.03}, "same-instructions"),
                             ({("A", JAXISH): 0.03}, "same-instructions"),
                             ({("B", JAXISH): 0.01}, "more-instructions"),
                             ({}, "more-instructions")]:
        found, failed = compare.count_pairs([JAXISH], fake_counter(counts, spreads=spreads))
        [outcome] = compare.judge_counts([JAXISH], found, failed, {})
        assert outcome.verdict == verdict, spreads
        assert outcome.threshold == pytest.approx(
            max(st.MIN_INSTRUCTION_LIMIT, math.exp(2 * max([0.0, *spreads.values()]))))
        assert ("regions within" in outcome.note) == bool(spreads), outcome.note
    # a calibrated limit wider than the spread's stays
    found, _ = compare.count_pairs([JAXISH], fake_counter(counts, spreads={("A", JAXISH): 0.01}))
    [outcome] = compare.judge_counts([JAXISH], found, {}, {JAXISH.label: 1.05})
    assert outcome.threshold == 1.05 and outcome.verdict == "same-instructions"


def test_a_count_failing_on_the_head_is_failed_on_head():
    counts = {COUNTED: {"A": 1e9, "B": 1e9}}
    found, failed = compare.count_pairs([COUNTED], fake_counter(counts, {("B", COUNTED)}))
    [outcome] = compare.judge_counts([COUNTED], found, failed, {})
    assert outcome.verdict == "failed-on-head" and "valgrind died" in outcome.note
    assert compare.exit_code([outcome]) == 1


def test_each_timing_shows_the_instruction_ratio_of_its_variant():
    timed = run([CASE, PLAIN], FakeSampler(steady(1.0)))
    counted = compare.judge_counts([COUNTED], {COUNTED: {"A": 1e9, "B": 1.02e9}}, {}, {})
    compare.beside_timings(timed, counted)
    assert timed[0].instructions == pytest.approx(1.02) and timed[1].instructions is None
    assert "instructions x1.0200 (more-instructions)" in timed[0].note
    assert timed[0].record()["instructions"] == pytest.approx(1.02)
    assert timed[0].verdict == "same"  # the wall-time verdict is its own


def test_instruction_limits_are_saved_beside_the_floors(tmp_path):
    compare.save_floors("m1", {CASE.label: 1.02}, {}, tmp_path, {JAXISH.label: 1.06})
    compare.save_floors("m1", {PLAIN.label: 1.02}, {}, tmp_path)  # limits kept
    assert compare.load_instruction_limits("m1", tmp_path) == {JAXISH.label: 1.06}
    assert compare.load_floors("m1", tmp_path) == {CASE.label: 1.02, PLAIN.label: 1.02}
    assert compare.load_instruction_limits("m2", tmp_path) == {}


def track_answers(tmp_path, module: str, source: str, points) -> list[dict]:
    """The worker's answers to a ``track`` request for each ``(name, index)`` of
    ``points``, in a suite of one module ``module`` holding ``source``."""
    import io

    suite = tmp_path / f"{module}_suite"
    suite.mkdir()
    (suite / f"{module}.py").write_text(source)
    requests = [json.dumps({"op": "track", "name": f"{module}.{name}", "index": index})
                for name, index in points]
    answers = io.StringIO()
    load_worker().serve(str(suite), requests, answers)
    return [json.loads(line) for line in answers.getvalue().splitlines()]


def test_the_worker_counts_a_track_benchmark_once(tmp_path):
    first, second = track_answers(
        tmp_path, "bench_t",
        "calls = []\n\n\ndef track_count():\n    calls.append(1)\n    return 12345 + len(calls)\n"
        "\n\ntrack_count.unit = 'instructions'\n\n\ndef track_text():\n    return 'x'\n",
        [("track_count", None), ("track_text", None)])
    assert first == {"value": 12346.0, "spread": 0.0}  # one call, no spread set
    assert "not a number" in second["error"]


def test_the_worker_reports_the_spread_a_track_benchmark_instance_sets(tmp_path):
    good, bad = track_answers(
        tmp_path, "bench_s",
        "class Counted:\n    params = [[0.03, -1.0]]\n    param_names = ['s']\n"
        "    unit = 'instructions'\n\n"
        "    def setup(self, s):\n        self.instruction_spread = s\n\n"
        "    def track_count(self, s):\n        return 100\n",
        [("Counted.track_count", i) for i in range(2)])
    assert good == {"value": 100.0, "spread": 0.03}
    assert "instruction_spread must be a number >= 0" in bad["error"]


def test_the_worker_runs_a_classes_setup_cache_once_for_all_its_parameters(tmp_path):
    """asv runs ``setup_cache`` once per class, not once per parameter: an instruction
    class counts all its points in that one call (minutes under Valgrind), so running it
    again for each parameter multiplies a compare's counting time by the parameters."""
    answers = track_answers(
        tmp_path, "bench_c",
        "class Counted:\n    params = [['a', 'b', 'c']]\n    param_names = ['p']\n"
        "    unit = 'instructions'\n    runs = []\n\n"
        "    def setup_cache(self):\n        Counted.runs.append(1)\n"
        "        return {'a': 1.0, 'b': 2.0, 'c': 3.0, 'runs': len(Counted.runs)}\n\n"
        "    def track_count(self, counts, p):\n        return counts[p] + 10 * counts['runs']\n",
        [("Counted.track_count", i) for i in range(3)])
    assert answers == [{"value": v, "spread": 0.0} for v in (11.0, 12.0, 13.0)]


def test_the_readers_of_the_records_exit_1_on_the_same_verdicts():
    from vfi_bench import drill
    from vfi_bench.asvkit import latest_compare

    assert set(drill.REGRESSIONS) == set(compare.REGRESSIONS) == set(
        latest_compare.REGRESSIONS)
    assert drill.expected_status([{"verdict": "more-instructions", "ratio": 1.01,
                                   "threshold": 1.005}]) == 1


def test_with_two_process_pairs_a_flag_is_confirmed_in_three_fresh_ones():
    """Three units are the fewest that decide: a plan of 2 process pairs flags at its
    next look (3), and confirms in 3 fresh process pairs, not 2 (which never could)."""
    fake = FakeSampler(steady(1.5))
    calls = []

    def measure(cases, processes, pairs, rng):
        calls.append((processes, pairs))
        return fake.measure(cases, processes, pairs, rng)
    [outcome] = compare.decide_cases([CASE], measure, compare.Plan(processes=2, pairs=10),
                                     seed=0)
    assert calls == [(2, 10), (1, 5), (3, 15)]
    assert outcome.verdict == "regressed" and outcome.looks == 2


def test_the_drill_runs_compare_with_its_default_pairs():
    from vfi_bench import drill

    assert drill.DEFAULT_PAIRS == compare.DEFAULT_PAIRS == 25


# ---- placement of the process pairs -------------------------------------------------------

class PythonEnv:
    """An asv environment as ProcessPairs uses one: this interpreter, no variables."""
    env_vars: dict = {}

    def find_executable(self, name):
        return sys.executable


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity here")
@pytest.mark.parametrize("placement", compare.PLACEMENTS)
def test_both_processes_of_a_pair_run_on_the_least_busy_cpu(tmp_path, monkeypatch, placement):
    allowed = sorted(os.sched_getaffinity(0))
    busy = {cpu: 100 - 10 * k for k, cpu in enumerate(allowed)}  # the last CPU idlest
    readings = iter([{c: (0, 0) for c in allowed}, {c: (100 - busy[c], 100) for c in allowed}])
    monkeypatch.setattr(compare, "cpu_times", lambda: next(readings))
    sides = {s: compare.Side(s, PythonEnv(), placement=placement) for s in "AB"}
    with compare.ProcessPairs(sides, str(tmp_path)) as pairs:
        cpus = {s: os.sched_getaffinity(w.proc.pid) for s, w in pairs.workers.items()}
        pairs.restart("B")  # a replaced process keeps its pair's CPU
        cpus["B again"] = os.sched_getaffinity(pairs.workers["B"].proc.pid)
    if placement == "free":
        assert cpus == {s: set(allowed) for s in cpus}
    else:
        assert cpus == {s: {allowed[-1]} for s in cpus}


def test_the_idlest_cpu_is_read_from_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\n"
                    "cpu1 5 0 5 40 0 0 0 0 0 0\nintr 1 2 3\n")
    before = compare.cpu_times(str(stat))
    assert before == {0: (40, 50), 1: (40, 50)}
    stat.write_text("cpu0 50 0 5 45 0 0 0 0 0 0\ncpu1 6 0 6 88 0 0 0 0 0 0\n")
    assert compare.idlest(before, compare.cpu_times(str(stat)), {0, 1}) == 1
    assert compare.cpu_times(str(tmp_path / "missing")) == {}
    assert compare.idlest({}, {}, {3, 2}) == 2  # nothing read: the lowest allowed CPU


def test_both_sides_get_one_shared_folder_and_the_suite_keeps_its_jit_cache_there(
        tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(compare, "Worker", lambda python, bench, env, cwd, cpu: started.append(env))
    sides = {s: compare.Side(s, PythonEnv(), shared_dir=str(tmp_path / "shared")) for s in "AB"}
    for side in sides.values():
        side.start(str(tmp_path), str(tmp_path))
    assert [env[compare.SHARED_DIR_VARIABLE] for env in started] == [str(tmp_path / "shared")] * 2
    code = ("import os, benchmarks; print(os.environ['VFI_CACHE_DIR'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, env={**started[0], "VFI_CACHE_DIR": ""}, timeout=60)
    assert done.stdout.strip() == str(tmp_path / "shared" / "vfi-cache"), done.stderr


SPARE_SUITE = '''
import os, threading, time


class Toy:
    def setup(self):
        with open(os.path.join(os.environ["TOY_OUT"], f"setup-{os.getpid()}"), "a") as f:
            f.write(type(self).__name__ + "\\n")
        self.thread = threading.Thread(target=time.sleep, args=(60,), daemon=True)
        self.thread.start()  # a thread started in setup, as a JIT runtime's

    def time_it(self):
        sum(range(100))


class Other(Toy):
    pass
'''


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs CPU affinity and two CPUs")
def test_a_spare_pair_sets_up_on_the_other_cpu_then_moves_every_thread_to_its_own(
        tmp_path, monkeypatch):
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "bench_toy.py").write_text(SPARE_SUITE)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("TOY_OUT", str(out))
    allowed = sorted(os.sched_getaffinity(0))
    toy = compare.Case("bench_toy.Toy.time_it", None)
    other = compare.Case("bench_toy.Other.time_it", None)
    sides = {s: compare.Side(s, PythonEnv()) for s in "AB"}
    chosen = iter([allowed[0], allowed[0]])  # the spare's pair gets the first CPU too
    monkeypatch.setattr(compare, "cpu_for_pair", lambda: next(chosen))
    with compare.ProcessPairs(sides, str(suite)) as current:
        spare = current.spare([toy, other])
        pids = {s: w.proc.pid for s, w in spare.workers.items()}
        for _ in range(200):  # set up while the current pair runs, unasked
            if len(list(out.iterdir())) == 2:
                break
            time.sleep(0.05)
        assert sorted(p.name for p in out.iterdir()) == sorted(f"setup-{p}" for p in pids.values())
        time.sleep(0.5)  # both points set up: their answers wait in the pipes
        for pid in pids.values():
            assert (out / f"setup-{pid}").read_text().split() == ["Toy", "Other"]
        assert all(os.sched_getaffinity(pid) == {allowed[-1]} for pid in pids.values())
    with spare as pp:
        for pid in pids.values():
            threads = os.listdir(f"/proc/{pid}/task")
            assert len(threads) >= 2  # the setup's thread is there, and moved too
            assert all(os.sched_getaffinity(int(t)) == {allowed[0]} for t in threads)
        for side in "AB":  # one answer per request: nothing left unread to mistake
            assert len(pp.sampler(side, toy, 3)) == 3
            assert len(pp.sampler(side, other, 2)) == 2


def test_outside_a_compare_the_suite_keeps_its_jit_cache_in_the_checkout():
    env = {k: v for k, v in os.environ.items()
           if k not in ("VFI_CACHE_DIR", compare.SHARED_DIR_VARIABLE)}
    code = "import os, benchmarks; print(os.environ['VFI_CACHE_DIR'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=60)
    assert done.stdout.strip() == str(REPO / ".asv" / "jit-cache"), done.stderr


def test_kept_counts_answer_a_commit_counted_before_and_nothing_else(tmp_path):
    """A count is kept under its commit, point, packages, machine and counting code: a
    later compare of that commit reuses it (the drill's base, every pull request's
    base), any change of those counts again, and --fresh-counts reads nothing."""
    bench = tmp_path / "benchmarks"
    bench.mkdir()
    (bench / "bench_x.py").write_text("class X:\n    pass\n")
    case = compare.Case("bench_x.X.track_instructions", None)
    calls = []

    def live(side, c):
        calls.append(side)
        return compare.Count(1000.0 + len(calls), 0.0)

    def kept(**changes):
        options = dict(folder=tmp_path / "compare", machine="vm", env="py311",
                       packages={"numba": "0.60"}, benchmark_dir=str(bench))
        return compare.KeptCounts(**{**options, **changes})

    commits = {"A": "a" * 40, "B": "b" * 40}
    first = kept()
    count = first.counter(live, commits)
    assert (count("A", case).value, count("B", case).value) == (1001.0, 1002.0)
    first.save()
    again = kept()
    assert again.has("a" * 40, case) and not again.has("c" * 40, case)
    assert again.counter(live, commits)("A", case).value == 1001.0 and calls == ["A", "B"]
    assert not kept(packages={"numba": "0.61"}).has("a" * 40, case)
    assert not kept(machine="other").has("a" * 40, case)
    assert not kept(enabled=False).has("a" * 40, case)
    (bench / "bench_x.py").write_text("class X:\n    calls = 3\n")  # the counting changed
    assert not kept().has("a" * 40, case)
    failed = kept(folder=tmp_path / "other")
    failed.counter(lambda side, c: compare.Count(0.0), commits)("A", case)
    assert not failed.kept  # a failed count is not kept
